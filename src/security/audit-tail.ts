/**
 * Where an existing audit file left off: the last sequence number and hash to continue the chain from,
 * after checking the last records (the whole file is checked by `verifyAuditLog`). Reads only the end of
 * the file, so reopening a large log is cheap.
 */
import type { KeyObject } from 'node:crypto';
import { readSync } from 'node:fs';
import { auditKeyId } from './audit-keys.js';
import {
  type AuditRecord,
  AuditRecordError,
  GENESIS_HASH,
  checkpointSignatureValid,
  computeEventHash,
  parseAuditLine,
} from './audit-record.js';

export interface AuditTailState {
  readonly lastSeq: number;
  readonly lastHash: string;
  /** Seq sealed by the last checkpoint, when that checkpoint is the last record (else unknown: 0). */
  readonly lastSealedSeq: number;
  /** The last record is a close/exit checkpoint. */
  readonly endsClosed: boolean;
  /** Byte offset after the last newline, when the file ends with a torn (unterminated) line. */
  readonly tornOffset?: number;
}

/** Bytes [start, end) of an open file (fewer if it ends sooner). */
export function readRange(fd: number, start: number, end: number): Buffer {
  const buf = Buffer.alloc(end - start);
  let done = 0;
  while (done < buf.length) {
    const n = readSync(fd, buf, done, buf.length - done, start + done);
    if (n === 0) break;
    done += n;
  }
  return buf.subarray(0, done);
}

/** The complete lines at the end of the file (at least one if any exist) and where a torn tail starts. */
function tailLines(fd: number, size: number): { lines: string[]; tornOffset?: number } {
  let window = 64 * 1024;
  while (true) {
    const start = Math.max(0, size - window);
    const buf = readRange(fd, start, size);
    const lastNl = buf.lastIndexOf(0x0a);
    const tornOffset = lastNl === buf.length - 1 ? undefined : start + lastNl + 1;
    const complete = lastNl === -1 ? '' : buf.toString('utf8', 0, lastNl);
    const lines = complete === '' && lastNl === -1 ? [] : complete.split('\n');
    // The first line of a window that does not start the file may be cut: drop it.
    if (start > 0) lines.shift();
    if (lines.length >= 2 || start === 0) return tornOffset === undefined ? { lines } : { lines, tornOffset };
    window *= 4;
  }
}

function parseOrThrow(path: string, line: string, where: string): AuditRecord {
  try {
    return parseAuditLine(line);
  } catch (err) {
    if (err instanceof AuditRecordError) {
      throw new Error(`audit log '${path}': cannot resume, ${where} is not a valid record (${err.reason}); run 'bulwark audit verify'`);
    }
    throw err;
  }
}

/** Reads and checks the end of an open audit file. Throws with a clear message when it cannot be continued. */
export function readAuditTail(path: string, fd: number, size: number, publicKey: KeyObject): AuditTailState {
  const fresh = { lastSeq: 0, lastHash: GENESIS_HASH, lastSealedSeq: 0, endsClosed: false };
  if (size === 0) return fresh;
  const { lines, tornOffset } = tailLines(fd, size);
  const torn = tornOffset === undefined ? {} : { tornOffset };
  const lastLine = lines.at(-1);
  if (lastLine === undefined) return { ...fresh, ...torn };
  const last = parseOrThrow(path, lastLine, 'the last line');
  const prevLine = lines.at(-2);
  const prev = prevLine === undefined ? undefined : parseOrThrow(path, prevLine, 'the line before the last');
  const fail = (what: string): never => {
    throw new Error(`audit log '${path}': cannot resume, ${what}; run 'bulwark audit verify'`);
  };
  if (last.kind === 'event') {
    const e = last.event;
    if (computeEventHash(e) !== e.hash) fail(`the last event (seq ${e.seq}) does not match its hash`);
    if (prev?.kind === 'event' && (prev.event.seq !== e.seq - 1 || prev.event.hash !== e.prevHash)) {
      fail(`the last event (seq ${e.seq}) does not chain to the one before it`);
    }
    if (prev?.kind === 'checkpoint' && (prev.seq !== e.seq - 1 || prev.hash !== e.prevHash)) {
      fail(`the last event (seq ${e.seq}) does not follow the checkpoint before it`);
    }
    return { lastSeq: e.seq, lastHash: e.hash, lastSealedSeq: 0, endsClosed: false, ...torn };
  }
  if (last.keyId === auditKeyId(publicKey) && !checkpointSignatureValid(last, publicKey)) {
    fail(`the last checkpoint (seq ${last.seq}) has a bad signature`);
  }
  if (prev?.kind === 'event' && (prev.event.seq !== last.seq || prev.event.hash !== last.hash)) {
    fail(`the last checkpoint (seq ${last.seq}) does not match the event before it`);
  }
  if (prev?.kind === 'event' && computeEventHash(prev.event) !== prev.event.hash) {
    fail(`the last event (seq ${prev.event.seq}) does not match its hash`);
  }
  const endsClosed = last.reason === 'close' || last.reason === 'exit';
  return { lastSeq: last.seq, lastHash: last.hash, lastSealedSeq: last.seq, endsClosed, ...torn };
}
