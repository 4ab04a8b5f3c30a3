import { mkdtempSync, readFileSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FakeClock } from '../core/index.js';
import { generateAuditKeyPair } from './audit-keys.js';
import { AuditLog } from './audit-log.js';
import { type AuditEvent, computeEventHash } from './audit-record.js';
import { AuditLogCorruptError, readAuditEvents, verifyAuditLog } from './audit-verify.js';
import { appendRaw } from '../test-support/audit-raw.js';

const keys = generateAuditKeyPair();
let dir: string;
let path: string;

/** 10 events, checkpoints after seq 4 and 8 (count) and 10 (close): lines e1..e4 c4 e5..e8 c8 e9 e10 c10. */
function writeSampleLog(): string[] {
  const clock = new FakeClock(1_700_000_000_000);
  const log = AuditLog.open({ path, signingKey: keys.privateKeyPem, checkpointEvery: 4, clock, sealTimer: false });
  for (let i = 1; i <= 10; i++) {
    clock.advance(5);
    appendRaw(log, 'agent:a', { orderId: `o-${i}`, qty: i, allowed: i % 3 !== 0 }, 'ORDER_DENIED');
  }
  log.close();
  return readLines();
}

function readLines(): string[] {
  return readFileSync(path, 'utf8').split('\n').slice(0, -1);
}

function writeLines(lines: readonly string[]): void {
  writeFileSync(path, lines.map((l) => `${l}\n`).join(''));
}

/** Index of the line that holds event `seq`. */
function lineOf(lines: readonly string[], seq: number): number {
  const index = lines.findIndex((l) => !l.includes('"kind"') && JSON.parse(l).seq === seq);
  if (index < 0) throw new Error(`no event ${seq}`);
  return index;
}

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'bulwark-audit-verify-'));
  path = join(dir, 'audit.jsonl');
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe('verifyAuditLog on a file it cannot read', () => {
  it('a missing file or a directory throws an error naming the file and the problem', () => {
    expect(() => verifyAuditLog(join(dir, 'missing.jsonl'), keys.publicKeyPem)).toThrow(
      `audit log '${join(dir, 'missing.jsonl')}': cannot be read (ENOENT)`,
    );
    expect(() => verifyAuditLog(dir, keys.publicKeyPem)).toThrow(`audit log '${dir}': not a regular file`);
  });
});

describe('verifyAuditLog on an untouched log', () => {
  it('accepts the chain and every signature and says the log was closed cleanly', () => {
    writeSampleLog();
    const report = verifyAuditLog(path, keys.publicKeyPem);
    expect(report).toEqual({
      ok: true,
      events: 10,
      checkpoints: 3,
      lastSeq: 10,
      lastSealedSeq: 10,
      unsealedEvents: 0,
      closedCleanly: true,
      lastHash: report.lastHash,
      lastKeyId: keys.keyId,
      logId: report.logId,
      witnessedSeq: 0,
    });
    expect(report.logId).toMatch(/^[0-9a-f]{16}$/);
  });

  // Regression: an empty file verified as `OK … 0 events`.
  it('refuses an empty file: nothing is sealed, exit non-zero naming seq 1', () => {
    writeFileSync(path, '');
    const report = verifyAuditLog(path, keys.publicKeyPem);
    expect(report).toMatchObject({ ok: false, events: 0, firstBadSeq: 1, lastSealedSeq: 0 });
    expect(report.problem).toMatch(/empty log/);
    expect(verifyAuditLog(path, keys.publicKeyPem, { allowUnsealed: true })).toMatchObject({ ok: false, problem: expect.stringMatching(/empty log/) });
  });
});

describe('verifyAuditLog detects tampering', () => {
  it('when an event is modified, naming its seq', () => {
    const lines = writeSampleLog();
    const i = lineOf(lines, 6);
    lines[i] = lines[i].replace('"qty":6', '"qty":600');
    writeLines(lines);
    const report = verifyAuditLog(path, keys.publicKeyPem);
    expect(report).toMatchObject({ ok: false, firstBadSeq: 6, events: 5, line: i + 1 });
    expect(report.problem).toMatch(/seq 6 was modified/);
  });

  it('when an event is modified and the whole chain after it rehashed, by the checkpoint that no longer matches', () => {
    const lines = writeSampleLog();
    let prevHash = '';
    for (let seq = 6; seq <= 10; seq++) {
      const i = lineOf(lines, seq);
      const e = JSON.parse(lines[i]);
      if (seq === 6) e.payload.qty = 600;
      else e.prevHash = prevHash;
      e.hash = computeEventHash(e);
      prevHash = e.hash;
      lines[i] = JSON.stringify(e);
    }
    writeLines(lines);
    const report = verifyAuditLog(path, keys.publicKeyPem);
    expect(report).toMatchObject({ ok: false, firstBadSeq: 5, lastSealedSeq: 4 });
    expect(report.problem).toMatch(/checkpoint at seq 8 does not match the chain/);
  });

  it('when an event is inserted (a copy of an earlier one)', () => {
    const lines = writeSampleLog();
    lines.splice(lineOf(lines, 5) + 1, 0, lines[lineOf(lines, 3)]);
    writeLines(lines);
    expect(verifyAuditLog(path, keys.publicKeyPem)).toMatchObject({ ok: false, firstBadSeq: 6 });
  });

  it('when a forged event is inserted with a correct link and hash', () => {
    const lines = writeSampleLog();
    const e5 = JSON.parse(lines[lineOf(lines, 5)]);
    const forged = { seq: 6, timeMs: e5.timeMs, type: 'ORDER_DENIED', actor: 'agent:a', payload: { qty: 1 }, prevHash: e5.hash };
    lines.splice(lineOf(lines, 5) + 1, 0, JSON.stringify({ ...forged, hash: computeEventHash(forged) }));
    writeLines(lines);
    const report = verifyAuditLog(path, keys.publicKeyPem);
    // The real seq 6 now follows the forged one: its link breaks; the earlier of the two is named.
    expect(report).toMatchObject({ ok: false, firstBadSeq: 6 });
  });

  it('when an event is deleted', () => {
    const lines = writeSampleLog();
    lines.splice(lineOf(lines, 6), 1);
    writeLines(lines);
    const report = verifyAuditLog(path, keys.publicKeyPem);
    expect(report).toMatchObject({ ok: false, firstBadSeq: 6 });
    expect(report.problem).toMatch(/seq 6 is missing/);
  });

  it('when the first event is deleted', () => {
    const lines = writeSampleLog();
    lines.splice(0, 1);
    writeLines(lines);
    expect(verifyAuditLog(path, keys.publicKeyPem)).toMatchObject({ ok: false, firstBadSeq: 1, events: 0 });
  });

  it('when the events just before a checkpoint are deleted', () => {
    const lines = writeSampleLog();
    lines.splice(lineOf(lines, 7), 2);
    writeLines(lines);
    const report = verifyAuditLog(path, keys.publicKeyPem);
    expect(report).toMatchObject({ ok: false, firstBadSeq: 7 });
    expect(report.problem).toMatch(/events deleted/);
  });

  it('when two events are swapped', () => {
    const lines = writeSampleLog();
    const i = lineOf(lines, 6);
    [lines[i], lines[i + 1]] = [lines[i + 1], lines[i]];
    writeLines(lines);
    expect(verifyAuditLog(path, keys.publicKeyPem)).toMatchObject({ ok: false, firstBadSeq: 6 });
  });

  it('when a checkpoint signature is altered', () => {
    const lines = writeSampleLog();
    const i = lines.findIndex((l) => l.includes('"kind":"checkpoint"') && JSON.parse(l).seq === 8);
    const cp = JSON.parse(lines[i]);
    const sig = Buffer.from(cp.signature, 'base64');
    sig[0] ^= 1;
    lines[i] = JSON.stringify({ ...cp, signature: sig.toString('base64') });
    writeLines(lines);
    const report = verifyAuditLog(path, keys.publicKeyPem);
    expect(report).toMatchObject({ ok: false, firstBadSeq: 5 });
    expect(report.problem).toMatch(/bad signature/);
  });

  it('when a checkpoint field other than the signature is altered', () => {
    const lines = writeSampleLog();
    const i = lines.findIndex((l) => l.includes('"kind":"checkpoint"'));
    lines[i] = lines[i].replace('"reason":"count"', '"reason":"manual"');
    writeLines(lines);
    expect(verifyAuditLog(path, keys.publicKeyPem)).toMatchObject({ ok: false, firstBadSeq: 1 });
  });

  it('when verified with a different key', () => {
    writeSampleLog();
    const report = verifyAuditLog(path, generateAuditKeyPair().publicKeyPem);
    expect(report).toMatchObject({ ok: false, firstBadSeq: 1 });
    expect(report.problem).toMatch(/signed by key/);
  });

  it('when the last line is torn (a crash mid-write), reporting where it starts', () => {
    const lines = writeSampleLog();
    const full = readFileSync(path);
    const lastLine = lines.at(-1) ?? '';
    writeFileSync(path, full.subarray(0, full.length - 1 - Math.floor(lastLine.length / 2)));
    const report = verifyAuditLog(path, keys.publicKeyPem);
    expect(report).toMatchObject({ ok: false, firstBadSeq: 11, lastSeq: 10, unsealedEvents: 2 });
    expect(report.tornTail).toEqual({ line: lines.length, offset: full.length - lastLine.length - 1, bytes: Math.ceil(lastLine.length / 2) });
    expect(report.problem).toMatch(/torn last line/);
  });

  it('when the file is truncated inside an event', () => {
    writeSampleLog();
    const full = readFileSync(path);
    truncateSync(path, full.indexOf('"seq":7') + 3);
    expect(verifyAuditLog(path, keys.publicKeyPem)).toMatchObject({ ok: false, firstBadSeq: 7, tornTail: { line: 8 } });
  });

  it('refuses a file cut at a line boundary as unsealed naming the last sealed seq, accepted only with allowUnsealed', () => {
    const lines = writeSampleLog();
    writeLines(lines.slice(0, -2));
    // Regression: an unsealed tail verified as OK.
    const cut = verifyAuditLog(path, keys.publicKeyPem);
    expect(cut).toMatchObject({ ok: false, firstBadSeq: 9, lastSeq: 9, lastSealedSeq: 8, unsealedEvents: 1, closedCleanly: false });
    expect(cut.problem).toMatch(/1 event\(s\) after the last sealed seq 8 carry no signature/);
    expect(verifyAuditLog(path, keys.publicKeyPem, { allowUnsealed: true })).toMatchObject({
      ok: true,
      lastSeq: 9,
      lastSealedSeq: 8,
      unsealedEvents: 1,
      closedCleanly: false,
    });
    const report = verifyAuditLog(path, keys.publicKeyPem, { minSeq: 10 });
    expect(report).toMatchObject({ ok: false, firstBadSeq: 10 });
    expect(report.problem).toMatch(/truncated/);
  });

  it('when a line is not JSON or is empty', () => {
    const lines = writeSampleLog();
    writeLines([...lines.slice(0, 3), 'garbage', ...lines.slice(3)]);
    expect(verifyAuditLog(path, keys.publicKeyPem)).toMatchObject({ ok: false, firstBadSeq: 4, line: 4 });
    writeLines([...lines.slice(0, 3), '', ...lines.slice(3)]);
    expect(verifyAuditLog(path, keys.publicKeyPem)).toMatchObject({ ok: false, firstBadSeq: 4, line: 4 });
  });
});

describe('readAuditEvents', () => {
  it('returns every event in order, without checkpoints', () => {
    writeSampleLog();
    const events = readAuditEvents(path);
    expect(events.map((e) => e.seq)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    expect(events[2].payload).toEqual({ orderId: 'o-3', qty: 3, allowed: false });
  });

  it('throws on a broken chain, naming the first bad seq', () => {
    const lines = writeSampleLog();
    lines.splice(lineOf(lines, 4), 1);
    writeLines(lines);
    expect(() => readAuditEvents(path)).toThrow(AuditLogCorruptError);
    expect(() => readAuditEvents(path)).toThrow(/first bad seq 4/);
  });

  it('throws on a torn tail unless asked to replay the sound part', () => {
    writeSampleLog();
    writeFileSync(path, `${readFileSync(path, 'utf8')}{"actor":"agent:a","pay`);
    expect(() => readAuditEvents(path)).toThrow(/torn last line/);
    expect(readAuditEvents(path, { allowTornTail: true })).toHaveLength(10);
  });

  it('verifyAuditLog collects the same events on its way (verify and replay in one read): all of them, or the sound part', () => {
    const lines = writeSampleLog();
    const collected: AuditEvent[] = [];
    expect(verifyAuditLog(path, keys.publicKeyPem, { collect: collected }).ok).toBe(true);
    expect(collected).toEqual(readAuditEvents(path));
    expect(collected).toHaveLength(10);
    writeFileSync(path, `${readFileSync(path, 'utf8')}{"actor":"agent:a","pay`);
    const beforeTorn: AuditEvent[] = [];
    expect(verifyAuditLog(path, keys.publicKeyPem, { allowUnsealed: true, collect: beforeTorn }).tornTail).toBeDefined();
    expect(beforeTorn).toEqual(readAuditEvents(path, { allowTornTail: true }));
    // A broken chain: only the events before the first bad seq.
    lines.splice(lineOf(lines, 4), 1);
    writeLines(lines);
    const broken: AuditEvent[] = [];
    expect(verifyAuditLog(path, keys.publicKeyPem, { collect: broken })).toMatchObject({ ok: false, firstBadSeq: 4 });
    expect(broken.map((e) => e.seq)).toEqual([1, 2, 3]);
  });
});
