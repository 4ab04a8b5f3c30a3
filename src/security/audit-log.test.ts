import { generateKeyPairSync } from 'node:crypto';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { FakeClock, ValidationError } from '../core/index.js';
import { generateAuditKeyPair } from './audit-keys.js';
import { AuditLog, type AuditLogOptions, closeOpenAuditLogs } from './audit-log.js';
import { GENESIS_HASH, parseAuditLine } from './audit-record.js';
import { readAuditEvents, verifyAuditLog } from './audit-verify.js';
import type { AuditEventType } from './audit-events.js';
import { appendRaw } from '../test-support/audit-raw.js';


const keys = generateAuditKeyPair();
let dir: string;
let path: string;
let clock: FakeClock;
const opened: AuditLog[] = [];

function open(extra: Partial<AuditLogOptions> = {}): AuditLog {
  const log = AuditLog.open({ path, signingKey: keys.privateKeyPem, clock, sealTimer: false, ...extra });
  opened.push(log);
  return log;
}

function records() {
  return readFileSync(path, 'utf8')
    .split('\n')
    .filter((l) => l !== '')
    .map(parseAuditLine);
}

function checkpoints() {
  return records().flatMap((r) => (r.kind === 'checkpoint' ? [r] : []));
}

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'bulwark-audit-log-'));
  path = join(dir, 'audit.jsonl');
  clock = new FakeClock(1_700_000_000_000);
});
afterEach(() => {
  for (const log of opened.splice(0)) log.close();
  vi.useRealTimers();
  rmSync(dir, { recursive: true, force: true });
});

describe('AuditLog.append', () => {
  it('chains events from the genesis hash with seq 1, 2, 3 and the clock time', () => {
    const log = open();
    const a = appendRaw(log, 'agent:a', { qty: 1 });
    clock.advance(7);
    const b = appendRaw(log, 'operator:ops1', { to: 'HALTED' }, 'TRADING_STATE_CHANGED');
    expect(a).toMatchObject({ seq: 1, prevHash: GENESIS_HASH, timeMs: 1_700_000_000_000 });
    expect(b).toMatchObject({ seq: 2, prevHash: a.hash, timeMs: 1_700_000_000_007 });
    log.close();
    expect(readAuditEvents(path)).toEqual([a, b]);
  });

  it('redacts secrets before hashing and writing: they never reach the file', () => {
    const log = open();
    const e = appendRaw(log, 'system', { venue: 'x', apiKey: 'AKIA-very-secret', nested: { password: 'pw-42' } });
    log.close();
    expect(e.payload).toEqual({ venue: 'x', apiKey: '[REDACTED]', nested: { password: '[REDACTED]' } });
    const text = readFileSync(path, 'utf8');
    expect(text).not.toContain('AKIA-very-secret');
    expect(text).not.toContain('pw-42');
    expect(verifyAuditLog(path, keys.publicKeyPem).ok).toBe(true);
  });

  it('keeps NaN and Infinity in payloads as strings (a rejected NaN order stays on record)', () => {
    const log = open();
    appendRaw(log, 'agent:a', { qty: NaN, price: Infinity }, 'ORDER_DENIED');
    log.close();
    expect(readAuditEvents(path)[0].payload).toEqual({ qty: 'NaN', price: 'Infinity' });
  });

  it('rejects a type outside the vocabulary (a JavaScript caller gets past the compiler) or an empty actor', () => {
    const log = open();
    expect(() => log.append('' as AuditEventType, 'agent:a', {} as never)).toThrow(/not an audit event type/);
    expect(() => log.append('ORDER_DECISION' as AuditEventType, 'agent:a', {} as never)).toThrow(/"ORDER_DECISION" is not an audit event type/);
    expect(() => log.append('GATEWAY_STOPPED', '', {})).toThrow(/actor/);
  });

  it('refuses appends after close', () => {
    const log = open();
    log.close();
    expect(() => log.append('GATEWAY_STOPPED', 'system', {})).toThrow(/closed/);
  });
});

describe('AuditLog checkpoints', () => {
  it('signs one after every checkpointEvery events, not before', () => {
    const log = open({ checkpointEvery: 3 });
    appendRaw(log, 'system', {});
    appendRaw(log, 'system', {});
    log.checkpoint('manual');
    expect(checkpoints().map((c) => [c.seq, c.reason])).toEqual([[2, 'manual']]);
    for (let i = 0; i < 2; i++) appendRaw(log, 'system', {});
    expect(log.unsealedEvents).toBe(2);
    appendRaw(log, 'system', {});
    expect(log.unsealedEvents).toBe(0);
    expect(checkpoints().map((c) => [c.seq, c.reason])).toEqual([
      [2, 'manual'],
      [5, 'count'],
    ]);
  });

  it('signs one on append once the oldest unsealed event is checkpointIntervalMs old, not 1 ms earlier', () => {
    const log = open({ checkpointIntervalMs: 1000 });
    appendRaw(log, 'system', {});
    clock.advance(999);
    appendRaw(log, 'system', {});
    expect(log.unsealedEvents).toBe(2);
    clock.advance(1);
    appendRaw(log, 'system', {});
    expect(log.unsealedEvents).toBe(0);
    expect(checkpoints().map((c) => [c.seq, c.reason])).toEqual([[3, 'interval']]);
  });

  it('seals on an unref-ed timer when no further append comes', () => {
    vi.useFakeTimers();
    const log = open({ sealTimer: true, checkpointIntervalMs: 500 });
    appendRaw(log, 'system', {});
    vi.advanceTimersByTime(499);
    expect(log.unsealedEvents).toBe(1);
    vi.advanceTimersByTime(1);
    expect(log.unsealedEvents).toBe(0);
    expect(checkpoints().map((c) => c.reason)).toEqual(['interval']);
  });

  it('returns undefined and writes nothing when there is nothing new to seal', () => {
    const log = open();
    expect(log.checkpoint()).toBeUndefined();
    appendRaw(log, 'system', {});
    expect(log.checkpoint()).toMatchObject({ seq: 1 });
    expect(log.checkpoint()).toBeUndefined();
    expect(checkpoints()).toHaveLength(1);
  });

  it('writes a close checkpoint on close even when the last event is already sealed', () => {
    const log = open({ checkpointEvery: 2 });
    appendRaw(log, 'system', {});
    appendRaw(log, 'system', {});
    log.close();
    expect(checkpoints().map((c) => [c.seq, c.reason])).toEqual([
      [2, 'count'],
      [2, 'close'],
    ]);
    expect(verifyAuditLog(path, keys.publicKeyPem)).toMatchObject({ ok: true, closedCleanly: true });
  });

  it('seals with reason exit from the process exit hook', () => {
    const log = open();
    appendRaw(log, 'system', {});
    log.closeAtExit();
    expect(checkpoints().map((c) => c.reason)).toEqual(['exit']);
    expect(existsSync(`${path}.lock`)).toBe(false);
  });
});

describe('closeOpenAuditLogs', () => {
  it('seals and closes every open log (for signal handlers)', () => {
    const log = open();
    appendRaw(log, 'system', {});
    closeOpenAuditLogs();
    expect(() => appendRaw(log, 'system', {})).toThrow(/closed/);
    expect(checkpoints().map((c) => c.reason)).toEqual(['close']);
    expect(verifyAuditLog(path, keys.publicKeyPem)).toMatchObject({ ok: true, closedCleanly: true });
  });
});

describe('AuditLog fsync policies', () => {
  // 'event' syncs every event (milliseconds each on a real disk), so it gets fewer events and a small checkpointEvery.
  it.each([
    ['none', 2500, 1000],
    ['checkpoint', 2500, 1000],
    ['checkpoint-async', 2500, 1000],
    ['event', 25, 10],
  ] as const)('loses no event on close with fsync %s', (fsync, events, checkpointEvery) => {
    const log = open({ fsync, checkpointEvery, bufferChars: 4096 });
    for (let i = 0; i < events; i++) appendRaw(log, 'agent:a', { i });
    log.close();
    expect(readAuditEvents(path).map((e) => e.payload.i)).toEqual(Array.from({ length: events }, (_, i) => i));
    expect(verifyAuditLog(path, keys.publicKeyPem)).toMatchObject({ ok: true, events, unsealedEvents: 0 });
  });

  it('with fsync event, every event is in the file when append returns', () => {
    const log = open({ fsync: 'event' });
    appendRaw(log, 'system', { n: 1 });
    appendRaw(log, 'system', { n: 2 });
    expect(readAuditEvents(path)).toHaveLength(2);
  });

  it('with fsync checkpoint, buffered events are in the file after each checkpoint', () => {
    const log = open({ fsync: 'checkpoint', checkpointEvery: 3 });
    appendRaw(log, 'system', {});
    appendRaw(log, 'system', {});
    expect(readFileSync(path, 'utf8')).toBe('');
    appendRaw(log, 'system', {});
    expect(readAuditEvents(path)).toHaveLength(3);
  });

  it('reports durableSeq: synced at each checkpoint, after each event, or once the background sync ends', async () => {
    const sync = open({ fsync: 'checkpoint', checkpointEvery: 2 });
    appendRaw(sync, 'system', {});
    expect(sync.durableSeq).toBe(0);
    appendRaw(sync, 'system', {});
    expect(sync.durableSeq).toBe(2);
    sync.close();
    rmSync(path);
    const perEvent = open({ fsync: 'event' });
    appendRaw(perEvent, 'system', {});
    expect(perEvent.durableSeq).toBe(1);
    perEvent.close();
    rmSync(path);
    const background = open({ fsync: 'checkpoint-async', checkpointEvery: 2 });
    for (let i = 0; i < 5; i++) appendRaw(background, 'system', {});
    expect(readAuditEvents(path)).toHaveLength(4);
    await vi.waitFor(() => expect(background.durableSeq).toBe(4));
    background.close();
    expect(verifyAuditLog(path, keys.publicKeyPem)).toMatchObject({ ok: true, events: 5, closedCleanly: true });
  });

  it('writes the buffer once it holds bufferChars characters', () => {
    const log = open({ fsync: 'none', bufferChars: 0 });
    appendRaw(log, 'system', {});
    expect(readAuditEvents(path)).toHaveLength(1);
  });
});

describe('AuditLog.open on an existing file', () => {
  it('continues the seq and the hash chain after a reopen', () => {
    const first = open();
    appendRaw(first, 'system', { n: 1 });
    const last = appendRaw(first, 'system', { n: 2 });
    first.close();
    const second = open();
    expect(second.lastSeq).toBe(2);
    const next = appendRaw(second, 'system', { n: 3 });
    second.close();
    expect(next).toMatchObject({ seq: 3, prevHash: last.hash });
    expect(verifyAuditLog(path, keys.publicKeyPem)).toMatchObject({ ok: true, events: 3, closedCleanly: true });
  });

  it('continues after a crash (no close checkpoint, stale lock of a dead process)', () => {
    const first = open({ fsync: 'event' });
    for (let i = 0; i < 3; i++) appendRaw(first, 'system', { i });
    first.close();
    const lines = readFileSync(path, 'utf8').split('\n').filter((l) => l !== '');
    writeFileSync(path, `${lines.slice(0, -1).join('\n')}\n`);
    const dead = spawnSync(process.execPath, ['-e', '0']).pid;
    writeFileSync(`${path}.lock`, `${dead}\n`);
    expect(verifyAuditLog(path, keys.publicKeyPem, { allowUnsealed: true })).toMatchObject({ ok: true, unsealedEvents: 3, closedCleanly: false });
    const second = open();
    expect(second.lastSeq).toBe(3);
    appendRaw(second, 'system', { i: 3 });
    second.close();
    expect(verifyAuditLog(path, keys.publicKeyPem)).toMatchObject({ ok: true, events: 4, unsealedEvents: 0 });
  });

  it('continues after events longer than the tail window it reads first (64 KiB)', () => {
    const first = open();
    appendRaw(first, 'system', { blob: 'x'.repeat(200_000) });
    appendRaw(first, 'system', { blob: 'y'.repeat(150_000) });
    first.closeAtExit();
    const second = open();
    expect(second.lastSeq).toBe(2);
    appendRaw(second, 'system', {});
    second.close();
    expect(verifyAuditLog(path, keys.publicKeyPem)).toMatchObject({ ok: true, events: 3 });
  });

  it('refuses a second writer while the first is open', () => {
    open();
    expect(() => open()).toThrow(/already open for writing by process/);
  });

  it('refuses to continue a file whose last event does not match its hash', () => {
    const first = open();
    appendRaw(first, 'system', { qty: 1 });
    appendRaw(first, 'system', { qty: 2 });
    first.checkpoint();
    appendRaw(first, 'system', { qty: 3 });
    first.closeAtExit();
    const lines = readFileSync(path, 'utf8').split('\n').filter((l) => l !== '');
    lines.pop();
    lines[lines.length - 1] = lines[lines.length - 1].replace('"qty":3', '"qty":30');
    writeFileSync(path, `${lines.join('\n')}\n`);
    expect(() => open()).toThrow(/cannot resume, the last event \(seq 3\) does not match its hash/);
    expect(existsSync(`${path}.lock`)).toBe(false);
  });

  it('refuses a torn tail by default, and with tornTail recover sets it aside and records it', () => {
    const first = open();
    appendRaw(first, 'system', { n: 1 });
    first.close();
    const sound = readFileSync(path, 'utf8');
    writeFileSync(path, `${sound}{"actor":"sys`);
    expect(() => open()).toThrow(/torn line at byte/);
    const log = open({ tornTail: 'recover' });
    log.close();
    const events = readAuditEvents(path);
    expect(events.at(-1)).toMatchObject({
      seq: 2,
      type: 'AUDIT_TORN_TAIL_RECOVERED',
      payload: { offset: Buffer.byteLength(sound), bytes: 13, savedTo: `${path}.torn-${Buffer.byteLength(sound)}` },
    });
    expect(readFileSync(`${path}.torn-${Buffer.byteLength(sound)}`, 'utf8')).toBe('{"actor":"sys');
    expect(verifyAuditLog(path, keys.publicKeyPem)).toMatchObject({ ok: true, events: 2 });
  });

  it('resumes a file written with another key (key rotation) and verification names the key change', () => {
    const first = open();
    appendRaw(first, 'system', {});
    first.close();
    const other = generateAuditKeyPair();
    const second = open({ signingKey: other.privateKeyPem });
    appendRaw(second, 'system', {});
    second.close();
    expect(verifyAuditLog(path, keys.publicKeyPem)).toMatchObject({ ok: false, firstBadSeq: 2 });
    expect(verifyAuditLog(path, [keys.publicKeyPem, other.publicKeyPem])).toMatchObject({ ok: true, events: 2 });
  });
});

describe('AuditLog.open options', () => {
  it('reports every bad option with its field', () => {
    expect(() => open({ checkpointEvery: 0, checkpointIntervalMs: -1 })).toThrow(ValidationError);
    expect(() => open({ checkpointEvery: 0, checkpointIntervalMs: -1 })).toThrow(/checkpointEvery.*checkpointIntervalMs/);
  });

  it('refuses a key that is not Ed25519 without printing it', () => {
    const rsa = generateKeyPairSync('rsa', { modulusLength: 1024 }).privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
    expect(() => open({ signingKey: rsa })).toThrow(/is rsa, expected ed25519/);
    try {
      open({ signingKey: rsa });
    } catch (err) {
      expect(String(err)).not.toContain('PRIVATE KEY');
    }
    expect(existsSync(`${path}.lock`)).toBe(false);
  });
});
