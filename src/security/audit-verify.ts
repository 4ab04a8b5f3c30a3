/**
 * Reading and verifying the audit file: the hash chain, the sequence numbers, the checkpoint signatures
 * and the tail. One scan serves both `verifyAuditLog` (the `bulwark audit verify` command) and
 * `readAuditEvents` (replay after a restart), so both agree on what a sound log is.
 */
import type { KeyObject } from 'node:crypto';
import { definedFields } from '../core/index.js';
import { auditKeyId, loadPublicKey } from './audit-keys.js';
import { readFileLines } from './audit-lines.js';
import {
  type AuditCheckpoint,
  type AuditEvent,
  AuditRecordError,
  GENESIS_HASH,
  checkpointSignatureValid,
  computeEventHash,
  parseAuditLine,
} from './audit-record.js';

export interface AuditTornTail {
  /** Line number of the torn line. */
  readonly line: number;
  /** Byte offset where it starts: truncating the file here removes it. */
  readonly offset: number;
  /** How many bytes of it were written. */
  readonly bytes: number;
}

export interface AuditVerifyReport {
  /**
   * True when every record up to the end is sound, the log holds events, is sealed to its end by a close
   * checkpoint (unless `allowUnsealed`), every signer is trusted and the witness agrees.
   */
  readonly ok: boolean;
  /** Events that passed the checks (all of them when ok). */
  readonly events: number;
  /** Checkpoints that passed the checks. */
  readonly checkpoints: number;
  /** Sequence number of the last sound event (0 when none). */
  readonly lastSeq: number;
  /** Sequence number sealed by the last sound checkpoint (0 when none). */
  readonly lastSealedSeq: number;
  /** Sound events after the last checkpoint: chained but not yet signed. */
  readonly unsealedEvents: number;
  /** True when the file ends with the checkpoint a writer makes on close or at process exit. */
  readonly closedCleanly: boolean;
  /** Hash of the last sound event (the genesis hash when none). */
  readonly lastHash: string;
  /** Key id of the last sound checkpoint ('' when none). */
  readonly lastKeyId: string;
  /** The log's id: the first 16 hex digits of its first event's hash ('' when empty); names its witness file. */
  readonly logId: string;
  /** Highest seq a witness checkpoint covers (0 when no witness was given). */
  readonly witnessedSeq: number;
  /** The first sequence number whose integrity cannot be established. */
  readonly firstBadSeq?: number;
  /** The line where the problem was found. */
  readonly line?: number;
  readonly problem?: string;
  readonly tornTail?: AuditTornTail;
}

export interface AuditVerifyOptions {
  /**
   * The log must reach at least this sequence number. A file cut at a checkpoint boundary is a shorter but
   * sound log; only an anchor kept elsewhere (the last seq you saw, a witness) can tell that events were removed.
   */
  readonly minSeq?: number;
  /** Accept events after the last checkpoint and a log without its close checkpoint (a writer still open). */
  readonly allowUnsealed?: boolean;
  /** Checkpoints published to a witness (`readWitness`): the log must hold each of them and reach the last. */
  readonly witness?: readonly AuditCheckpoint[];
  /** Receives every sound event in order, as `readAuditEvents` returns them: verify and replay in one read. */
  readonly collect?: AuditEvent[];
}

interface ScanOptions extends Omit<AuditVerifyOptions, 'allowUnsealed' | 'witness'> {
  /** seq -> hash of the witness's checkpoints. */
  readonly witness?: ReadonlyMap<number, string>;
  /** Verify checkpoint signatures with these keys, by key id; without them signatures are not checked. */
  readonly publicKeys?: ReadonlyMap<string, KeyObject>;
  /** Receives every sound event, in order. */
  readonly collect?: AuditEvent[];
}

class ScanState {
  events = 0;
  checkpoints = 0;
  lastSeq = 0;
  lastHash = GENESIS_HASH;
  lastSealedSeq = 0;
  closedCleanly = false;
  lastKeyId = '';
  logId = '';
  witnessedSeq = 0;

  report(problem?: { firstBadSeq: number; line: number; problem: string; tornTail?: AuditTornTail }): AuditVerifyReport {
    const base = {
      events: this.events,
      checkpoints: this.checkpoints,
      lastSeq: this.lastSeq,
      lastSealedSeq: this.lastSealedSeq,
      unsealedEvents: this.lastSeq - this.lastSealedSeq,
      closedCleanly: problem === undefined && this.closedCleanly,
      lastHash: this.lastHash,
      lastKeyId: this.lastKeyId,
      logId: this.logId,
      witnessedSeq: this.witnessedSeq,
    };
    return problem === undefined ? { ok: true, ...base } : { ok: false, ...base, ...problem };
  }
}

interface ScanProblem {
  readonly firstBadSeq: number;
  readonly problem: string;
}

function checkEvent(e: AuditEvent, s: ScanState): ScanProblem | undefined {
  const expected = s.lastSeq + 1;
  if (e.seq > expected) {
    return { firstBadSeq: expected, problem: `event seq ${expected} is missing: found seq ${e.seq} (deleted or reordered)` };
  }
  if (e.seq < expected) {
    // A second copy of an unsealed seq: either copy may be the forgery. Of a sealed seq: the first is genuine.
    return {
      firstBadSeq: e.seq > s.lastSealedSeq ? e.seq : expected,
      problem: `event seq ${e.seq} found after seq ${s.lastSeq} (inserted, duplicated or reordered)`,
    };
  }
  if (e.prevHash !== s.lastHash) {
    if (s.lastSeq === 0) {
      return { firstBadSeq: 1, problem: 'first event does not start from the genesis hash (events before it were deleted)' };
    }
    // Either the previous event was rewritten with a fresh hash, or this one's link was: the earlier is bad first.
    return {
      firstBadSeq: s.lastSeq,
      problem: `prevHash of event seq ${e.seq} does not match the hash of event seq ${s.lastSeq} (one of them was altered)`,
    };
  }
  if (computeEventHash(e) !== e.hash) {
    return { firstBadSeq: e.seq, problem: `hash does not match the event's content (event seq ${e.seq} was modified)` };
  }
  return undefined;
}

function checkCheckpoint(
  c: AuditCheckpoint,
  s: ScanState,
  publicKeys: ReadonlyMap<string, KeyObject> | undefined,
): ScanProblem | undefined {
  if (c.seq > s.lastSeq) {
    return { firstBadSeq: s.lastSeq + 1, problem: `checkpoint seals seq ${c.seq} but the events end at seq ${s.lastSeq} (events deleted)` };
  }
  if (c.seq < s.lastSeq) {
    return { firstBadSeq: c.seq + 1, problem: `checkpoint seals seq ${c.seq} but comes after seq ${s.lastSeq} (events inserted or checkpoint moved)` };
  }
  if (c.hash !== s.lastHash) {
    return {
      firstBadSeq: s.lastSealedSeq + 1,
      problem: `checkpoint at seq ${c.seq} does not match the chain: events after seq ${s.lastSealedSeq} were altered`,
    };
  }
  if (publicKeys === undefined) return undefined;
  const publicKey = publicKeys.get(c.keyId);
  if (publicKey === undefined) {
    return {
      firstBadSeq: s.lastSealedSeq + 1,
      problem: `checkpoint at seq ${c.seq} is signed by key ${c.keyId}, not by the given key(s) ${[...publicKeys.keys()].join(', ')}`,
    };
  }
  if (!checkpointSignatureValid(c, publicKey)) {
    return { firstBadSeq: s.lastSealedSeq + 1, problem: `checkpoint at seq ${c.seq} has a bad signature` };
  }
  return undefined;
}

/** The witness saw a checkpoint at this seq with another hash: the event (or one before it) was rewritten. */
function checkWitness(e: AuditEvent, witness: ReadonlyMap<number, string> | undefined): ScanProblem | undefined {
  const expected = witness?.get(e.seq);
  if (expected === undefined || expected === e.hash) return undefined;
  return { firstBadSeq: e.seq, problem: `event seq ${e.seq} does not match the checkpoint its witness holds for seq ${e.seq} (the log was rewritten)` };
}

/** A log's id: the first 16 hex digits of its first event's hash. */
export function auditLogId(firstEventHash: string): string {
  return firstEventHash.slice(0, 16);
}

function scanAuditLog(path: string, options: ScanOptions): AuditVerifyReport {
  const s = new ScanState();
  for (const line of readFileLines(path)) {
    if (!line.complete) {
      const bytes = Buffer.byteLength(line.text);
      const tornTail = { line: line.lineNo, offset: line.offset, bytes };
      const problem = `torn last line ${line.lineNo} (${bytes} bytes at offset ${line.offset}, no newline): a write was cut off`;
      return s.report({ firstBadSeq: s.lastSeq + 1, line: line.lineNo, problem, tornTail });
    }
    let record;
    try {
      record = parseAuditLine(line.text);
    } catch (err) {
      if (!(err instanceof AuditRecordError)) throw err;
      return s.report({ firstBadSeq: s.lastSeq + 1, line: line.lineNo, problem: `line ${line.lineNo}: ${err.reason}` });
    }
    if (record.kind === 'event') {
      const bad = checkEvent(record.event, s) ?? checkWitness(record.event, options.witness);
      if (bad !== undefined) return s.report({ ...bad, line: line.lineNo });
      if (record.event.seq === 1) s.logId = auditLogId(record.event.hash);
      s.events += 1;
      s.lastSeq = record.event.seq;
      s.lastHash = record.event.hash;
      s.closedCleanly = false;
      options.collect?.push(record.event);
    } else {
      const bad = checkCheckpoint(record, s, options.publicKeys);
      if (bad !== undefined) return s.report({ ...bad, line: line.lineNo });
      s.checkpoints += 1;
      s.lastSealedSeq = record.seq;
      s.lastKeyId = record.keyId;
      s.closedCleanly = record.reason === 'close' || record.reason === 'exit';
    }
  }
  if (options.witness !== undefined) {
    for (const seq of options.witness.keys()) if (seq > s.witnessedSeq) s.witnessedSeq = seq;
    if (s.lastSeq < s.witnessedSeq) {
      return s.report({
        firstBadSeq: s.lastSeq + 1,
        line: 0,
        problem: `log ends at seq ${s.lastSeq} but its witness holds a checkpoint at seq ${s.witnessedSeq} (events after seq ${s.lastSeq} were cut)`,
      });
    }
  }
  if (options.minSeq !== undefined && s.lastSeq < options.minSeq) {
    return s.report({
      firstBadSeq: s.lastSeq + 1,
      line: 0,
      problem: `log ends at seq ${s.lastSeq} but seq ${options.minSeq} was expected (file truncated)`,
    });
  }
  return s.report();
}

/**
 * Verifies the whole file: sequence, hash chain, every checkpoint signature, and a clean tail. `publicKey` is
 * a KeyObject, PEM text or PEM file, or a list of them when the signing key was rotated (each checkpoint
 * names its key id). Never throws for a bad log (the report says what is wrong); throws only when the file
 * or a key cannot be read.
 */
export function verifyAuditLog(
  path: string,
  publicKey: KeyObject | string | readonly (KeyObject | string)[],
  options: AuditVerifyOptions = {},
): AuditVerifyReport {
  const sources = Array.isArray(publicKey) ? publicKey : [publicKey];
  if (sources.length === 0) throw new Error('verifyAuditLog: at least one public key is needed');
  const publicKeys = new Map<string, KeyObject>();
  for (const source of sources) {
    const key = loadPublicKey(source);
    publicKeys.set(auditKeyId(key), key);
  }
  const witness = options.witness === undefined ? undefined : witnessMap(options.witness, publicKeys);
  if (witness instanceof Error) {
    const r = scanAuditLog(path, { publicKeys, ...definedFields({ minSeq: options.minSeq, collect: options.collect }) });
    return { ...r, ok: false, firstBadSeq: r.lastSeq + 1, line: 0, problem: witness.message };
  }
  const report = scanAuditLog(path, { publicKeys, ...definedFields({ minSeq: options.minSeq, witness, collect: options.collect }) });
  return report.ok ? requireSealed(report, options.allowUnsealed === true) : report;
}

/** A sound chain is still not a verified log unless it holds events and is sealed to its end. */
function requireSealed(r: AuditVerifyReport, allowUnsealed: boolean): AuditVerifyReport {
  if (r.events === 0) {
    return { ...r, ok: false, firstBadSeq: 1, line: 0, problem: 'empty log: no events, so nothing is sealed (a log cut to nothing looks like this)' };
  }
  if (allowUnsealed) return r;
  if (r.unsealedEvents > 0) {
    return {
      ...r,
      ok: false,
      firstBadSeq: r.lastSealedSeq + 1,
      line: 0,
      problem:
        `${r.unsealedEvents} event(s) after the last sealed seq ${r.lastSealedSeq} carry no signature ` +
        `(cut, forged after the last checkpoint, or a writer still open: --allow-unsealed accepts that)`,
    };
  }
  if (!r.closedCleanly) {
    return {
      ...r,
      ok: false,
      firstBadSeq: r.lastSeq + 1,
      line: 0,
      problem:
        `the log ends at a checkpoint of seq ${r.lastSeq} that is not its close checkpoint ` +
        `(cut after a checkpoint, or a writer still open: --allow-unsealed accepts that)`,
    };
  }
  return r;
}

/** seq -> hash of the witness's checkpoints, each checked against the trusted keys. */
function witnessMap(checkpoints: readonly AuditCheckpoint[], publicKeys: ReadonlyMap<string, KeyObject>): Map<number, string> | Error {
  const out = new Map<number, string>();
  for (const c of checkpoints) {
    const key = publicKeys.get(c.keyId);
    if (key === undefined || !checkpointSignatureValid(c, key)) {
      return new Error(`witness checkpoint at seq ${c.seq} is not signed by a trusted key (key ${c.keyId}): the witness cannot be trusted`);
    }
    out.set(c.seq, c.hash);
  }
  return out;
}

/** A log that fails the chain checks when read for replay. */
export class AuditLogCorruptError extends Error {
  readonly code = 'AUDIT_LOG_CORRUPT';
  constructor(
    readonly path: string,
    readonly report: AuditVerifyReport,
  ) {
    super(`audit log '${path}': ${report.problem ?? 'corrupt'} (first bad seq ${report.firstBadSeq ?? '?'})`);
    this.name = 'AuditLogCorruptError';
  }
}

export interface ReadAuditEventsOptions {
  /** Throw unless the log reaches this seq. */
  readonly minSeq?: number;
  /**
   * Return the sound events before a torn last line instead of throwing (default false). Use it to replay
   * after a crash; the torn line itself is still on disk and `verifyAuditLog` still reports it.
   */
  readonly allowTornTail?: boolean;
}

/**
 * Every event of the file in order, for replay. Checks sequence numbers, the hash chain and that checkpoints
 * match the chain (signatures are checked by `verifyAuditLog`); throws `AuditLogCorruptError` on any problem.
 */
export function readAuditEvents(path: string, options: ReadAuditEventsOptions = {}): AuditEvent[] {
  const events: AuditEvent[] = [];
  const report = scanAuditLog(path, { collect: events, ...(options.minSeq === undefined ? {} : { minSeq: options.minSeq }) });
  if (report.ok) return events;
  if (options.allowTornTail === true && report.tornTail !== undefined) return events;
  throw new AuditLogCorruptError(path, report);
}
