/**
 * Tier 1's decision channel in shared memory: one request slot and one answer slot in a SharedArrayBuffer that
 * the supervisor and the agent's worker thread both map. A decision is then a write, an `Atomics.notify`, and a
 * thread woken from `Atomics.wait` on each side; no message is posted and no event loop turns. `init`, faults
 * and what does not fit a slot (a request with more values than the slot holds, an answer whose `info` is longer
 * than its byte area) still go on the MessagePort; the slot then only says "on the port".
 *
 * Each slot is a seqlock: its writer makes the sequence word odd, writes, makes it even again and notifies; a
 * reader copies the slot and keeps the copy only if the word was even and unchanged across the copy. A late
 * answer and the next request may be written while the other side still reads the slot, and the lock is what
 * keeps those reads from mixing two messages. Imports only node builtins: the agent's thread loads it from
 * the host directory (host-files.ts).
 *
 * The agent's thread can reach this buffer (tier 1 is no security boundary), so the supervisor checks every
 * answer it reads as it checks a frame: lengths in range, text that parses, the same message checks.
 */

/** Int32 words of the control block. */
const REQUEST_SEQ = 0;
const ANSWER_SEQ = 1;
const REQUEST_KIND = 2;
const REQUEST_OBS = 3;
const REQUEST_MASK = 4;
const ANSWER_KIND = 5;
const ANSWER_TEXT = 6;
const ANSWER_HAS_TARGET = 7;
const CONTROL_BYTES = 64;

/** Float64 words after the control block: ids, action, target, then the request's values (observation, mask). */
const REQUEST_ID = 0;
const ANSWER_ID = 1;
const ANSWER_ACTION = 2;
const ANSWER_TARGET = 3;
const VALUES_AT = 4;

export const REQUEST_IN_SLOT = 1;
export const REQUEST_ON_PORT = 2;
export type RequestKind = typeof REQUEST_IN_SLOT | typeof REQUEST_ON_PORT;

/** A decision; its `info` (JSON text, or none) is in the byte area. */
export const ANSWER_DECISION = 1;
/** `decide` threw or failed: the byte area holds the error's text. */
export const ANSWER_ERROR = 2;
/** The answer did not fit: it is on the MessagePort. */
export const ANSWER_ON_PORT = 3;
/** The answer's `info` is longer than the frame cap: the text length is its byte count, the text is not sent. */
export const ANSWER_TOO_LARGE = 4;
export type AnswerKind = typeof ANSWER_DECISION | typeof ANSWER_ERROR | typeof ANSWER_ON_PORT | typeof ANSWER_TOO_LARGE;

/** Default sizes: 8,192 values per request (64 KiB) and 64 KiB of answer text; larger ones go on the port. */
export const DEFAULT_SLOT_VALUES = 8192;
export const DEFAULT_SLOT_TEXT_BYTES = 64 * 1024;

type WaitAsync = (array: Int32Array, index: number, value: number) => { async: boolean; value: unknown };
// ES2024: not in this project's lib typings yet, but in every Node this project supports.
const waitAsync: WaitAsync | undefined = Reflect.get(Atomics, 'waitAsync') as WaitAsync | undefined;

/**
 * How long a waiting side polls the sequence word before it sleeps in `Atomics.wait`. On this project's 2-core
 * virtual machine a thread asleep on an idle CPU is woken by an interprocessor interrupt: tier 1's warm round
 * trip measured p50 64 µs with the machine idle against 6 µs while it was busy. A fast agent answers (and a
 * supervisor sends the next bar's request) well within the poll, so neither side sleeps; a slow one costs at
 * most this much CPU per wait before the thread sleeps as before.
 */
const SPIN_MS = 0.05;

/** Polls `c[index]` for up to `ms`; returns whether it is no longer `seq`. */
export function pollWhileEqual(c: Int32Array, index: number, seq: number, ms: number): boolean {
  const until = performance.now() + ms;
  while (Atomics.load(c, index) === seq) if (performance.now() >= until) return false;
  return true;
}

/** Returns once `c[index]` is not `seq` or `timeoutMs` has passed: polls for up to SPIN_MS, then sleeps. */
function pollThenWait(c: Int32Array, index: number, seq: number, timeoutMs: number): void {
  const start = performance.now();
  const pollUntil = start + Math.min(SPIN_MS, timeoutMs);
  while (Atomics.load(c, index) === seq) {
    const now = performance.now();
    if (now >= pollUntil) {
      const left = timeoutMs - (now - start);
      if (left > 0) Atomics.wait(c, index, seq, left);
      return;
    }
  }
}

export interface SlotRequest {
  readonly seq: number;
  readonly kind: RequestKind;
  readonly id: number;
  readonly obs: number[];
  readonly mask: number[];
}

/** An answer as read from the slot: not checked yet (the agent's thread could have written anything). */
export interface SlotAnswer {
  readonly seq: number;
  readonly kind: number;
  readonly id: number;
  readonly action: number;
  readonly target: number | undefined;
  /** Byte count of the text (info JSON or error text); -1 = no info. */
  readonly textBytes: number;
  /** The text when it is within the slot's byte area, else null. */
  readonly text: string | null;
}

export class SharedDecisionChannel {
  readonly control: Int32Array;
  private readonly numbers: Float64Array;
  private readonly text: Buffer;
  readonly valueCapacity: number;
  readonly textCapacity: number;

  constructor(readonly buffer: SharedArrayBuffer) {
    const numbersBytes = Math.floor((buffer.byteLength - CONTROL_BYTES) / 2 / 8) * 8;
    this.control = new Int32Array(buffer, 0, CONTROL_BYTES / 4);
    this.numbers = new Float64Array(buffer, CONTROL_BYTES, numbersBytes / 8);
    this.text = Buffer.from(buffer, CONTROL_BYTES + numbersBytes);
    this.valueCapacity = this.numbers.length - VALUES_AT;
    this.textCapacity = this.text.length;
  }

  static create(values = DEFAULT_SLOT_VALUES, textBytes = DEFAULT_SLOT_TEXT_BYTES): SharedDecisionChannel {
    // Both halves the same size keeps the layout a function of the byte length alone.
    const half = Math.max((values + VALUES_AT) * 8, textBytes);
    return new SharedDecisionChannel(new SharedArrayBuffer(CONTROL_BYTES + 2 * half));
  }

  // --- supervisor side -------------------------------------------------------------------------------------

  /**
   * Writes a request; when its values do not fit the slot, only marks it as sent on the port (the caller posts
   * it there first). Returns whether it went in the slot.
   */
  writeRequest(id: number, observation: ArrayLike<number>, mask: ArrayLike<number>): boolean {
    const c = this.control;
    const fits = observation.length + mask.length <= this.valueCapacity;
    const seq = Atomics.add(c, REQUEST_SEQ, 1) + 1; // odd: writing
    this.numbers[REQUEST_ID] = id;
    c[REQUEST_KIND] = fits ? REQUEST_IN_SLOT : REQUEST_ON_PORT;
    if (fits) {
      c[REQUEST_OBS] = observation.length;
      c[REQUEST_MASK] = mask.length;
      const n = this.numbers;
      for (let i = 0; i < observation.length; i++) n[VALUES_AT + i] = observation[i];
      const at = VALUES_AT + observation.length;
      for (let i = 0; i < mask.length; i++) n[at + i] = mask[i];
    }
    Atomics.store(c, REQUEST_SEQ, seq + 1);
    Atomics.notify(c, REQUEST_SEQ);
    return fits;
  }

  /** The answer slot's sequence word (even when no write is under way). */
  answerSeq(): number {
    return Atomics.load(this.control, ANSWER_SEQ);
  }

  /** Blocks until the answer slot's sequence word is not `seq`, or `timeoutMs` passes (polls briefly first). */
  waitAnswer(seq: number, timeoutMs: number): void {
    pollThenWait(this.control, ANSWER_SEQ, seq, timeoutMs);
  }

  /** Copies the answer slot if it holds a complete answer newer than `lastSeq`; null otherwise. */
  readAnswer(lastSeq: number): SlotAnswer | null {
    const c = this.control;
    const seq = Atomics.load(c, ANSWER_SEQ);
    if (seq === lastSeq || (seq & 1) === 1) return null;
    const kind = c[ANSWER_KIND];
    const textBytes = c[ANSWER_TEXT];
    const n = this.numbers;
    const id = n[ANSWER_ID];
    const action = n[ANSWER_ACTION];
    const target = c[ANSWER_HAS_TARGET] === 1 ? n[ANSWER_TARGET] : undefined;
    const text = textBytes >= 0 && textBytes <= this.textCapacity ? this.text.toString('utf8', 0, textBytes) : null;
    if (Atomics.load(c, ANSWER_SEQ) !== seq) return null; // overwritten while copied: read the newer one
    return { seq, kind, id, action, target, textBytes, text };
  }

  // --- agent side ------------------------------------------------------------------------------------------

  requestSeq(): number {
    return Atomics.load(this.control, REQUEST_SEQ);
  }

  /** Blocks this thread until the request slot's sequence word is not `seq` (polls briefly first). */
  waitRequest(seq: number): void {
    pollThenWait(this.control, REQUEST_SEQ, seq, Number.POSITIVE_INFINITY);
  }

  /**
   * The same wait without blocking the event loop: a promise settled once the word is not `seq`, or null when
   * it already is not (or this Node has no `Atomics.waitAsync`: the caller then waits blocking).
   */
  waitRequestAsync(seq: number): Promise<unknown> | null {
    if (waitAsync === undefined) return null;
    const waited = waitAsync(this.control, REQUEST_SEQ, seq);
    return waited.async ? Promise.resolve(waited.value) : null;
  }

  /** Copies the request slot if it holds a complete request newer than `lastSeq`; null otherwise. */
  readRequest(lastSeq: number): SlotRequest | null {
    const c = this.control;
    const seq = Atomics.load(c, REQUEST_SEQ);
    if (seq === lastSeq || (seq & 1) === 1) return null;
    const kind = c[REQUEST_KIND] === REQUEST_ON_PORT ? REQUEST_ON_PORT : REQUEST_IN_SLOT;
    const id = this.numbers[REQUEST_ID];
    let obs: number[] = [];
    let mask: number[] = [];
    if (kind === REQUEST_IN_SLOT) {
      const obsLength = Math.max(0, Math.min(c[REQUEST_OBS], this.valueCapacity));
      const maskLength = Math.max(0, Math.min(c[REQUEST_MASK], this.valueCapacity - obsLength));
      obs = Array.from(this.numbers.subarray(VALUES_AT, VALUES_AT + obsLength));
      mask = Array.from(this.numbers.subarray(VALUES_AT + obsLength, VALUES_AT + obsLength + maskLength));
    }
    if (Atomics.load(c, REQUEST_SEQ) !== seq) return null;
    return { seq, kind, id, obs, mask };
  }

  /**
   * Writes an answer. `text` is the info's JSON (decision) or the error's text; `textBytes` its UTF-8 length
   * when it is not written (too large, on the port).
   */
  writeAnswer(kind: AnswerKind, id: number, action: number, target: number | undefined, text: string | null, textBytes = -1): void {
    const c = this.control;
    const seq = Atomics.add(c, ANSWER_SEQ, 1) + 1;
    c[ANSWER_KIND] = kind;
    const n = this.numbers;
    n[ANSWER_ID] = id;
    n[ANSWER_ACTION] = action;
    c[ANSWER_HAS_TARGET] = target === undefined ? 0 : 1;
    n[ANSWER_TARGET] = target ?? 0;
    c[ANSWER_TEXT] = text === null ? textBytes : this.text.write(text, 0, 'utf8');
    Atomics.store(c, ANSWER_SEQ, seq + 1);
    Atomics.notify(c, ANSWER_SEQ);
  }

  /** Whether `text` fits the answer's byte area. */
  fitsText(textBytes: number): boolean {
    return textBytes <= this.textCapacity;
  }
}
