/**
 * The tamper-evident audit log: an append-only JSONL file of hash-chained events, sealed by Ed25519-signed
 * checkpoints every `checkpointEvery` events, every `checkpointIntervalMs` and on close, so the events
 * that no signature covers yet are bounded in count and in time. Record formats: `audit-record.ts`.
 *
 * Durability (`fsync`):
 * - `'event'`: every append is written and fdatasync'd before it returns. Nothing acknowledged is lost,
 *   even on power failure. Slowest (one disk flush per event).
 * - `'checkpoint'` (default): lines are buffered in memory and written in batches (buffer full, or at a
 *   checkpoint); each checkpoint is fdatasync'd. On power failure at most the events since the last
 *   checkpoint are lost (bounded by `checkpointEvery` and `checkpointIntervalMs`); a crash of the process
 *   loses at most the unwritten buffer, and a normal exit loses nothing (flushed by an exit hook).
 * - `'checkpoint-async'`: as `'checkpoint'`, but the fdatasync of each checkpoint runs on the libuv thread
 *   pool while appends go on (group commit); `durableSeq` says how far the disk is known to hold. A power
 *   loss costs at most the unsealed events plus those of checkpoints whose sync had not finished. `close()`
 *   syncs synchronously. For high rates on disks where one flush takes milliseconds.
 * - `'none'`: as `'checkpoint'` but never fdatasync'd: the OS decides when data reaches the disk.
 * Node's default SIGINT/SIGTERM handling skips exit hooks: a host that wants a clean close on signals must
 * handle them and call `close()` or `closeOpenAuditLogs()`.
 */
import { type AuditEventPayloads, type AuditEventType, isAuditEventType } from './audit-events.js';
import { KeyObject, createHash } from 'node:crypto';
import { closeSync, fdatasync, fdatasyncSync, fstatSync, ftruncateSync, openSync, writeFileSync, writeSync } from 'node:fs';
import { z } from 'zod';
import { type Clock, parseWithSchema, systemClock } from '../core/index.js';
import type { AuditSink } from './audit-sink.js';
import { auditKeyId, loadSigningKey } from './audit-keys.js';
import { acquireWriterLock, releaseWriterLock } from './audit-lock.js';
import {
  type AuditCheckpoint,
  type AuditEvent,
  type CheckpointReason,
  checkpointLine,
  eventBody,
  eventLine,
  parseAuditLine,
  sha256Hex,
  signCheckpoint,
} from './audit-record.js';
import { readFileLines } from './audit-lines.js';
import { readAuditTail, readRange } from './audit-tail.js';
import { auditLogId } from './audit-verify.js';
import type { AuditWitness } from './audit-witness.js';
import { redactSecrets } from './redact.js';
import { errnoCode } from './errno-code.js';

export type AuditFsyncPolicy = 'none' | 'checkpoint' | 'checkpoint-async' | 'event';

export interface AuditLogOptions {
  /** The JSONL file; created if missing, continued (after checking its tail) if present. */
  readonly path: string;
  /** Ed25519 private key: KeyObject, PEM text or PEM file path. */
  readonly signingKey: KeyObject | string;
  /** Sign a checkpoint after this many unsealed events. Default 1000. */
  readonly checkpointEvery?: number;
  /** Sign a checkpoint when the oldest unsealed event is this old. Default 1000 ms. */
  readonly checkpointIntervalMs?: number;
  /** When data is forced to disk; see the file comment. Default 'checkpoint'. */
  readonly fsync?: AuditFsyncPolicy;
  /** Time source for event and checkpoint times and the interval rule. Default: system clock. */
  readonly clock?: Clock;
  /**
   * Also seal on a real-time timer (unref'd, so it never keeps the process alive) so that events are sealed
   * within `checkpointIntervalMs` even when no further append comes. Default true.
   */
  readonly sealTimer?: boolean;
  /** Write the buffer once it holds this many characters. Default 65536. */
  readonly bufferChars?: number;
  /**
   * A file ending in a torn line (a crash mid-write): `'fail'` (default) refuses to open; `'recover'` moves
   * the torn bytes to `<path>.torn-<offset>`, cuts them off and records an `AUDIT_TORN_TAIL_RECOVERED` event,
   * so the log goes on and the loss stays on record.
   */
  readonly tornTail?: 'fail' | 'recover';
  /**
   * Also give every signed checkpoint to this witness (after it is written to the log). A witness that fails
   * does not stop the log: `witnessError` says what went wrong.
   */
  readonly witness?: AuditWitness;
}

const optionsSchema = z
  .object({
    path: z.string().min(1),
    signingKey: z.custom<KeyObject | string>((v) => typeof v === 'string' || v instanceof KeyObject, {
      message: 'must be a KeyObject, PEM text or a PEM file path',
    }),
    checkpointEvery: z.number().int().min(1).default(1000),
    checkpointIntervalMs: z.number().positive().finite().default(1000),
    fsync: z.enum(['none', 'checkpoint', 'checkpoint-async', 'event']).default('checkpoint'),
    clock: z
      .custom<Clock>((v) => typeof v === 'object' && v !== null && 'nowMs' in v && typeof v.nowMs === 'function', {
        message: 'must have a nowMs() method',
      })
      .default(systemClock),
    sealTimer: z.boolean().default(true),
    bufferChars: z.number().int().min(0).default(65_536),
    tornTail: z.enum(['fail', 'recover']).default('fail'),
    witness: z
      .custom<AuditWitness>((v) => typeof v === 'object' && v !== null && 'record' in v && typeof v.record === 'function', {
        message: 'must have a record(logId, checkpoint) method',
      })
      .optional(),
  })
  .strict();

type ResolvedOptions = z.output<typeof optionsSchema>;

/** Open logs, flushed and sealed by one exit hook (one listener, however many logs). */
const openLogs = new Set<AuditLog>();
let exitHookInstalled = false;
function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.on('exit', () => {
    for (const log of [...openLogs]) log.closeAtExit();
  });
}

/**
 * Seals and closes every audit log this process has open; for a host's SIGINT/SIGTERM handler, since Node's
 * default signal handling skips the exit hook. Never throws.
 */
export function closeOpenAuditLogs(): void {
  for (const log of [...openLogs]) log.closeAtExit('close');
}

export class AuditLog implements AuditSink {
  private readonly buffer: string[] = [];
  private bufferedChars = 0;
  private lastSealedSeq: number;
  private firstUnsealedTimeMs: number | undefined;
  private lastRecordIsFinal: boolean;
  private closed = false;
  private writtenSeq: number;
  private syncedSeq: number;
  private syncInFlight = false;
  private syncAgain = false;
  private closeFdWhenSynced = false;
  /** `syncToDisk` calls whose fdatasync has not answered yet (the fd stays open for them). */
  private diskSyncs = 0;
  private failure: Error | undefined;
  private readonly timer: NodeJS.Timeout | undefined;
  private readonly keyId: string;
  /** The log's id (see `auditLogId`); '' until the first event. */
  private logId: string;
  /** The last error of the witness ('' when every checkpoint reached it). */
  witnessError = '';

  private constructor(
    readonly path: string,
    private readonly fd: number,
    private readonly lockPath: string,
    private readonly key: KeyObject,
    private readonly opts: ResolvedOptions,
    private seq: number,
    private lastHash: string,
    lastSealedSeq: number,
    endsClosed: boolean,
    logId: string,
  ) {
    this.keyId = auditKeyId(key);
    this.logId = logId;
    this.writtenSeq = seq;
    this.syncedSeq = seq;
    this.lastSealedSeq = lastSealedSeq;
    this.lastRecordIsFinal = endsClosed;
    if (seq > lastSealedSeq) this.firstUnsealedTimeMs = opts.clock.nowMs();
    if (opts.sealTimer) {
      this.timer = setInterval(() => this.sealFromTimer(), opts.checkpointIntervalMs);
      this.timer.unref();
    }
  }

  /** Opens (creating or continuing) an audit file for appending. See `AuditLogOptions`. */
  static open(options: AuditLogOptions): AuditLog {
    const opts = parseWithSchema(optionsSchema, options, 'audit log options');
    const key = loadSigningKey(opts.signingKey);
    const lockPath = acquireWriterLock(opts.path);
    let fd: number | undefined;
    try {
      fd = openSync(opts.path, 'a+', 0o600);
      const size = fstatSync(fd).size;
      const tail = readAuditTail(opts.path, fd, size, key);
      // What a previous writer left may still be only in the page cache: make it durable before building on it.
      if (size > 0) fdatasyncSync(fd);
      let recovered: { offset: number; bytes: number; sha256: string; savedTo: string } | undefined;
      if (tail.tornOffset !== undefined) {
        if (opts.tornTail !== 'recover') {
          throw new Error(
            `audit log '${opts.path}': ends with a torn line at byte ${tail.tornOffset} (a write was cut off); ` +
              `run 'bulwark audit verify', or open with tornTail 'recover' to set it aside and continue`,
          );
        }
        recovered = setAsideTornTail(opts.path, fd, tail.tornOffset);
      }
      const logId = tail.lastSeq > 0 ? auditLogId(readFirstEventHash(opts.path)) : '';
      const log = new AuditLog(opts.path, fd, lockPath, key, opts, tail.lastSeq, tail.lastHash, tail.lastSealedSeq, tail.endsClosed, logId);
      openLogs.add(log);
      installExitHook();
      if (recovered !== undefined) log.append('AUDIT_TORN_TAIL_RECOVERED', 'system', recovered);
      return log;
    } catch (err) {
      if (fd !== undefined) closeSync(fd);
      releaseWriterLock(lockPath);
      throw err;
    }
  }

  /** Sequence number of the last event appended (0 for an empty log). */
  get lastSeq(): number {
    return this.seq;
  }

  /** Seq of the last event known to be on disk (fdatasync'd by this writer); never advances with fsync 'none'. */
  get durableSeq(): number {
    return this.syncedSeq;
  }

  /** The log's id (first 16 hex digits of its first event's hash): names its witness file. '' while empty. */
  get id(): string {
    return this.logId;
  }

  /** The key id (fingerprint) of the signing key. */
  get signerKeyId(): string {
    return this.keyId;
  }

  /** Hash of the last event appended. */
  get lastEventHash(): string {
    return this.lastHash;
  }

  /** Open and no write or sync has failed: an append would be accepted. */
  get writable(): boolean {
    return !this.closed && this.failure === undefined;
  }

  /** Events not yet covered by a signed checkpoint. */
  get unsealedEvents(): number {
    return this.seq - this.lastSealedSeq;
  }

  /**
   * Appends one event (secrets in `payload` redacted first) and returns it as written. Throws if the log is
   * closed or a write failed earlier: callers on a safety path must treat that as fail-closed.
   */
  append<T extends AuditEventType>(type: T, actor: string, payload: AuditEventPayloads[T]): AuditEvent {
    this.assertWritable();
    // A JavaScript caller gets past the type check: a type outside the vocabulary is still refused.
    if (!isAuditEventType(type)) throw new TypeError(`audit append: ${JSON.stringify(type)} is not an audit event type (security/audit-events.ts)`);
    if (typeof actor !== 'string' || actor === '') throw new TypeError('audit append: actor must be a non-empty string');
    const timeMs = this.now();
    const clean = redactSecrets(payload as Readonly<Record<string, unknown>>);
    const seq = this.seq + 1;
    const prevHash = this.lastHash;
    const body = eventBody(seq, timeMs, type, actor, clean, prevHash);
    const hash = sha256Hex(body);
    this.push(eventLine(body, hash));
    this.seq = seq;
    this.lastHash = hash;
    if (seq === 1) this.logId = auditLogId(hash);
    this.lastRecordIsFinal = false;
    this.firstUnsealedTimeMs ??= timeMs;
    if (this.opts.fsync === 'event') {
      this.flush(true);
    } else if (this.bufferedChars >= this.opts.bufferChars) {
      this.flush(false);
    }
    if (seq - this.lastSealedSeq >= this.opts.checkpointEvery) this.checkpoint('count');
    else if (timeMs - this.firstUnsealedTimeMs >= this.opts.checkpointIntervalMs) this.checkpoint('interval');
    return { seq, timeMs, type, actor, payload: clean, prevHash, hash };
  }

  /**
   * Signs a checkpoint over the last event, writes everything buffered and syncs it (unless fsync is 'none').
   * Returns the checkpoint, or undefined when there was nothing new to seal.
   */
  checkpoint(reason: CheckpointReason = 'manual'): AuditCheckpoint | undefined {
    this.assertWritable();
    const final = reason === 'close' || reason === 'exit';
    const needed = this.seq > this.lastSealedSeq || (final && this.seq > 0 && !this.lastRecordIsFinal);
    let cp: AuditCheckpoint | undefined;
    if (needed) {
      cp = signCheckpoint(
        { kind: 'checkpoint', seq: this.seq, hash: this.lastHash, timeMs: this.now(), keyId: this.keyId, reason },
        this.key,
      );
      this.push(checkpointLine(cp));
    }
    if (this.opts.fsync === 'checkpoint-async' && !final) {
      this.flush(false);
      this.startBackgroundSync();
    } else {
      this.flush(this.opts.fsync !== 'none');
    }
    if (cp !== undefined) {
      this.lastSealedSeq = cp.seq;
      this.firstUnsealedTimeMs = undefined;
      this.lastRecordIsFinal = final;
      this.tellWitness(cp);
    }
    return cp;
  }

  /** Seals, writes, syncs and closes the file and releases the writer lock. Idempotent. */
  close(): void {
    this.closeWith('close');
  }

  /** Called by the exit hook: like close, but never throws (there is no one left to catch). */
  closeAtExit(reason: 'close' | 'exit' = 'exit'): void {
    try {
      this.closeWith(reason);
    } catch (err) {
      const code = errnoCode(err);
      process.stderr.write(`audit log '${this.path}': could not seal at exit (${code})\n`);
    }
  }

  private closeWith(reason: 'close' | 'exit'): void {
    if (this.closed) return;
    try {
      if (this.failure === undefined) this.checkpoint(reason);
    } finally {
      this.release();
    }
  }

  private release(): void {
    this.closed = true;
    if (this.timer !== undefined) clearInterval(this.timer);
    openLogs.delete(this);
    try {
      // A background fdatasync still holds the fd: its callback closes it (the data is already synced).
      if (this.syncInFlight || this.diskSyncs > 0) this.closeFdWhenSynced = true;
      else closeSync(this.fd);
    } finally {
      releaseWriterLock(this.lockPath);
    }
  }

  private startBackgroundSync(): void {
    if (this.syncInFlight) {
      // The running sync may have started before the latest write: run one more when it ends.
      this.syncAgain = true;
      return;
    }
    this.syncInFlight = true;
    const target = this.writtenSeq;
    fdatasync(this.fd, (err) => {
      this.syncInFlight = false;
      if (err !== null) this.failure ??= new Error(`background sync failed (${err.code ?? 'error'})`);
      else this.syncedSeq = Math.max(this.syncedSeq, target);
      if (this.closeFdWhenSynced) {
        this.closeFdIfIdle();
      } else if (this.syncAgain && !this.closed && this.failure === undefined) {
        this.syncAgain = false;
        this.startBackgroundSync();
      }
    });
  }

  /**
   * Writes what is buffered to the OS (no disk flush: it survives a crash of this process, not of the machine);
   * returns the seq written so far. Throws, like `append`, when the log is closed or a write failed.
   */
  writeBuffered(): number {
    this.assertWritable();
    this.flush(false);
    return this.writtenSeq;
  }

  /**
   * Group commit: writes what is buffered and fdatasyncs it on the thread pool, so one disk flush covers every
   * append so far; resolves with the seq now known to be on disk (`durableSeq`; with fsync 'none', the seq
   * written to the OS). Appends may go on meanwhile.
   * A failed sync makes the log unusable (every later append throws) and rejects.
   */
  syncToDisk(): Promise<number> {
    let target: number;
    try {
      target = this.writeBuffered();
    } catch (err) {
      return Promise.reject(err instanceof Error ? err : new Error(String(err)));
    }
    if (this.opts.fsync === 'none') return Promise.resolve(target); // written to the OS: all 'none' promises
    if (this.syncedSeq >= target) return Promise.resolve(this.syncedSeq);
    this.diskSyncs += 1;
    return new Promise((resolve, reject) => {
      fdatasync(this.fd, (err) => {
        this.diskSyncs -= 1;
        if (err !== null) this.failure ??= new Error(`sync failed (${err.code ?? 'error'})`);
        else this.syncedSeq = Math.max(this.syncedSeq, target);
        if (this.closeFdWhenSynced) this.closeFdIfIdle();
        if (err !== null) reject(new Error(`audit log '${this.path}': sync failed (${err.code ?? 'error'})`));
        else resolve(this.syncedSeq);
      });
    });
  }

  private closeFdIfIdle(): void {
    if (this.syncInFlight || this.diskSyncs > 0) return;
    this.closeFdWhenSynced = false;
    closeSync(this.fd);
  }

  private tellWitness(cp: AuditCheckpoint): void {
    const witness = this.opts.witness;
    if (witness === undefined) return;
    try {
      witness.record(this.logId, cp);
    } catch (err) {
      this.witnessError = err instanceof Error ? err.message : String(err);
    }
  }

  private sealFromTimer(): void {
    if (this.closed || this.failure !== undefined || this.seq === this.lastSealedSeq) return;
    try {
      this.checkpoint('interval');
    } catch {
      // The failure is recorded by flush(); the next append throws it to the caller.
    }
  }

  private now(): number {
    const timeMs = this.opts.clock.nowMs();
    if (!Number.isFinite(timeMs)) throw new TypeError(`audit log '${this.path}': clock returned ${timeMs}`);
    return timeMs;
  }

  private assertWritable(): void {
    if (this.closed) throw new Error(`audit log '${this.path}': closed`);
    if (this.failure !== undefined) {
      throw new Error(`audit log '${this.path}': unusable after an earlier write failure (${this.failure.message})`);
    }
  }

  private push(line: string): void {
    this.buffer.push(line);
    this.bufferedChars += line.length;
  }

  private flush(sync: boolean): void {
    try {
      if (this.buffer.length > 0) {
        const data = Buffer.from(this.buffer.length === 1 ? this.buffer[0] : this.buffer.join(''));
        this.buffer.length = 0;
        this.bufferedChars = 0;
        let done = 0;
        while (done < data.length) done += writeSync(this.fd, data, done, data.length - done);
        this.writtenSeq = this.seq;
      }
      if (sync) {
        fdatasyncSync(this.fd);
        this.syncedSeq = this.writtenSeq;
      }
    } catch (err) {
      const code = errnoCode(err);
      this.failure = new Error(`write failed (${code})`);
      throw new Error(`audit log '${this.path}': write failed (${code})`);
    }
  }
}

/** The hash of the file's first event (its first line), for the log id. */
function readFirstEventHash(path: string): string {
  for (const line of readFileLines(path)) {
    const record = parseAuditLine(line.text);
    if (record.kind === 'event' && record.event.seq === 1) return record.event.hash;
    break;
  }
  throw new Error(`audit log '${path}': cannot resume, the first line is not event seq 1`);
}

/** Copies the torn bytes beside the log, cuts them off, and says where they went. */
function setAsideTornTail(path: string, fd: number, offset: number): { offset: number; bytes: number; sha256: string; savedTo: string } {
  const torn = readRange(fd, offset, fstatSync(fd).size);
  const savedTo = `${path}.torn-${offset}`;
  writeFileSync(savedTo, torn, { flag: 'wx', mode: 0o600 });
  ftruncateSync(fd, offset);
  fdatasyncSync(fd);
  return { offset, bytes: torn.length, sha256: createHash('sha256').update(torn).digest('hex'), savedTo };
}
