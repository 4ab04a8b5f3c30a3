/**
 * The records of the audit file, one JSON object per line, and the one place that says what is hashed and
 * what is signed.
 *
 * Event line: `{"actor","payload","prevHash","seq","timeMs","type","hash"}`, where
 *   hash = SHA-256 hex of canonicalJson({ actor, payload, prevHash, seq, timeMs, type }),
 *   prevHash = hash of the previous event (GENESIS_HASH for seq 1), seq = 1, 2, 3, … without gaps.
 * Checkpoint line: `{"kind":"checkpoint","seq","hash","timeMs","keyId","reason","signature"}`, where
 *   signature = Ed25519 (base64) over canonicalJson of the line without `signature`; seq and hash are those
 *   of the last event before it, so one signature seals every event up to and including seq.
 */
import * as nodeCrypto from 'node:crypto';
import { sign, verify, type KeyObject } from 'node:crypto';
import { canonicalJson } from './canonical-json.js';

export const GENESIS_HASH = '0'.repeat(64);

export interface AuditEvent {
  readonly seq: number;
  readonly timeMs: number;
  readonly type: string;
  readonly actor: string;
  readonly payload: Readonly<Record<string, unknown>>;
  readonly prevHash: string;
  readonly hash: string;
}

/** Why a checkpoint was written: every N events, every T ms, on request, on close, or at process exit. */
export type CheckpointReason = 'count' | 'interval' | 'manual' | 'close' | 'exit';

export interface AuditCheckpoint {
  readonly kind: 'checkpoint';
  readonly seq: number;
  readonly hash: string;
  readonly timeMs: number;
  readonly keyId: string;
  readonly reason: CheckpointReason;
  readonly signature: string;
}

export type AuditRecord = { readonly kind: 'event'; readonly event: AuditEvent } | AuditCheckpoint;

const CHECKPOINT_REASONS: readonly CheckpointReason[] = ['count', 'interval', 'manual', 'close', 'exit'];
const HASH_RE = /^[0-9a-f]{64}$/;

/** The canonical text an event's hash is computed over. The writer reuses it to build the line. */
export function eventBody(
  seq: number,
  timeMs: number,
  type: string,
  actor: string,
  payload: Readonly<Record<string, unknown>>,
  prevHash: string,
): string {
  // Keys in sorted order, written out by hand on the hot path; must equal canonicalJson of the same object.
  return `{"actor":${JSON.stringify(actor)},"payload":${canonicalJson(payload)},"prevHash":"${prevHash}","seq":${seq},"timeMs":${canonicalJson(timeMs)},"type":${JSON.stringify(type)}}`;
}

/** SHA-256 hex. The one-shot `crypto.hash` (Node >= 20.12) is about twice as fast on short inputs. */
export const sha256Hex: (text: string) => string =
  typeof nodeCrypto.hash === 'function'
    ? (text) => nodeCrypto.hash('sha256', text, 'hex')
    : (text) => nodeCrypto.createHash('sha256').update(text).digest('hex');

/** The JSONL line of an event, given its canonical body and hash. */
export function eventLine(body: string, hash: string): string {
  return `${body.slice(0, -1)},"hash":"${hash}"}\n`;
}

function checkpointMessage(c: Omit<AuditCheckpoint, 'signature'>): Buffer {
  return Buffer.from(
    canonicalJson({ kind: 'checkpoint', seq: c.seq, hash: c.hash, timeMs: c.timeMs, keyId: c.keyId, reason: c.reason }),
  );
}

export function signCheckpoint(c: Omit<AuditCheckpoint, 'signature'>, privateKey: KeyObject): AuditCheckpoint {
  const signature = sign(null, checkpointMessage(c), privateKey).toString('base64');
  return { ...c, signature };
}

export function checkpointSignatureValid(c: AuditCheckpoint, publicKey: KeyObject): boolean {
  try {
    return verify(null, checkpointMessage(c), publicKey, Buffer.from(c.signature, 'base64'));
  } catch {
    return false;
  }
}

export function checkpointLine(c: AuditCheckpoint): string {
  return `${canonicalJson(c)}\n`;
}

/** A line that is not a well-formed record; `reason` says what is wrong with it. */
export class AuditRecordError extends Error {
  constructor(readonly reason: string) {
    super(reason);
    this.name = 'AuditRecordError';
  }
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isSeq(value: unknown): value is number {
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= 1;
}

function isHash(value: unknown): value is string {
  return typeof value === 'string' && HASH_RE.test(value);
}

/** Parses one line (without its newline) into a record, checking its shape but not its hash or signature. */
export function parseAuditLine(line: string): AuditRecord {
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch {
    throw new AuditRecordError('not valid JSON');
  }
  if (!isRecord(value)) throw new AuditRecordError('not a JSON object');
  if (value.kind === 'checkpoint') return parseCheckpoint(value);
  if (value.kind !== undefined) throw new AuditRecordError(`unknown record kind ${JSON.stringify(value.kind)}`);
  const { seq, timeMs, type, actor, payload, prevHash, hash } = value;
  const allowed = new Set(['seq', 'timeMs', 'type', 'actor', 'payload', 'prevHash', 'hash']);
  const extra = Object.keys(value).filter((k) => !allowed.has(k));
  if (extra.length > 0) throw new AuditRecordError(`event has unknown field(s) ${extra.join(', ')}`);
  if (!isSeq(seq)) throw new AuditRecordError('event seq: must be an integer >= 1');
  if (typeof timeMs !== 'number' || !Number.isFinite(timeMs)) throw new AuditRecordError('event timeMs: must be a number');
  if (typeof type !== 'string') throw new AuditRecordError('event type: must be a string');
  if (typeof actor !== 'string') throw new AuditRecordError('event actor: must be a string');
  if (!isRecord(payload)) throw new AuditRecordError('event payload: must be an object');
  if (!isHash(prevHash)) throw new AuditRecordError('event prevHash: must be 64 hex digits');
  if (!isHash(hash)) throw new AuditRecordError('event hash: must be 64 hex digits');
  return { kind: 'event', event: { seq, timeMs, type, actor, payload, prevHash, hash } };
}

function parseCheckpoint(value: Record<string, unknown>): AuditCheckpoint {
  const { seq, hash, timeMs, keyId, reason, signature } = value;
  const allowed = new Set(['kind', 'seq', 'hash', 'timeMs', 'keyId', 'reason', 'signature']);
  const extra = Object.keys(value).filter((k) => !allowed.has(k));
  if (extra.length > 0) throw new AuditRecordError(`checkpoint has unknown field(s) ${extra.join(', ')}`);
  if (!isSeq(seq)) throw new AuditRecordError('checkpoint seq: must be an integer >= 1');
  if (!isHash(hash)) throw new AuditRecordError('checkpoint hash: must be 64 hex digits');
  if (typeof timeMs !== 'number' || !Number.isFinite(timeMs)) {
    throw new AuditRecordError('checkpoint timeMs: must be a number');
  }
  if (typeof keyId !== 'string') throw new AuditRecordError('checkpoint keyId: must be a string');
  const knownReason = CHECKPOINT_REASONS.find((r) => r === reason);
  if (knownReason === undefined) throw new AuditRecordError('checkpoint reason: unknown');
  if (typeof signature !== 'string') throw new AuditRecordError('checkpoint signature: must be a string');
  return { kind: 'checkpoint', seq, hash, timeMs, keyId, reason: knownReason, signature };
}

/** Recomputes an event's hash from its fields. */
export function computeEventHash(e: Omit<AuditEvent, 'hash'>): string {
  return sha256Hex(eventBody(e.seq, e.timeMs, e.type, e.actor, e.payload, e.prevHash));
}
