/**
 * The kill-switch across processes (issue 12): `bulwark paper` runs in a child process on a paced replay with its
 * kill-switch in the suite's private Redis, and `bulwark kill --soft`, `bulwark kill --hard` and `bulwark resume`
 * run as separate processes while it trades. From its --json decision lines: after the soft kill only
 * risk-reducing orders are sent; after the hard kill the session stops proposing and is flat within one price
 * update; after the resume it trades again. Every step waits on observed output, never on a fixed sleep.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateSynthetic, parseSynthSpec, writeBarsCsv } from '../../data/index.js';
import { testRedisUrl } from '../../test-support/redis-server.js';

const dir = mkdtempSync(join(tmpdir(), 'bulwark-paper-kill-'));
const file = join(dir, 'bars.csv');
const children: ChildProcess[] = [];
afterAll(() => {
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  rmSync(dir, { recursive: true, force: true });
});
// Hourly bars at 18,000x: one bar every 200 ms of wall time (slow enough for three operator commands to land
// mid-run, fast enough to finish in seconds); long enough that the replay never ends before the test stops it.
beforeAll(() => writeBarsCsv(file, generateSynthetic(parseSynthSpec('regime:bars=3000,seed=8'))));

interface Row {
  seq: number;
  state: string;
  outcome: string;
  qty: number;
  position: number;
}

function bulwark(args: readonly string[]): ChildProcess {
  const p = spawn(process.execPath, ['--import', './src/test-support/ts-register.mjs', 'src/cli/main.ts', ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: process.env,
  });
  children.push(p);
  return p;
}

/** Runs an operator command to its end; rejects with its stderr unless it exits 0. */
function operator(args: readonly string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    const p = bulwark(args);
    let out = '';
    let err = '';
    p.stdout?.on('data', (d: Buffer) => (out += d.toString()));
    p.stderr?.on('data', (d: Buffer) => (err += d.toString()));
    p.on('error', reject);
    p.on('exit', (code) => (code === 0 ? resolve(out) : reject(new Error(`bulwark ${args.join(' ')} exited ${code}: ${err}`))));
  });
}

describe('bulwark paper with bulwark kill / resume from other processes, through Redis', () => {
  it('soft kill: only risk-reducing orders; hard kill: no proposals, flat within one price update; resume: trades again', async () => {
    const redis = ['--redis', testRedisUrl(), '--prefix', `bulwark:test:${randomUUID()}:`];
    const prefix = redis[3] ?? '';
    const ops = [...redis, '--operator', 'ops'];
    // A new prefix has no restored epoch (the session would refuse every order): restored first, empty.
    await operator(['kill', 'restore', ...ops, '--reason', 'new test store']);

    const session = join(dir, 'session');
    const paper = bulwark([
      'paper',
      '--agent',
      'random:p=0.5,size=0.3',
      '--seed',
      '4',
      '--feed',
      `replay:${file},speed=18000`,
      '--redis',
      testRedisUrl(),
      '--redis-prefix',
      prefix,
      '--session',
      session,
      '--json',
    ]);
    const rows: Row[] = [];
    const waiters: { until: () => boolean; resolve: () => void }[] = [];
    let buffered = '';
    let stderr = '';
    let exited = false;
    paper.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
    paper.stdout?.on('data', (d: Buffer) => {
      buffered += d.toString();
      const lines = buffered.split('\n');
      buffered = lines.pop() ?? '';
      for (const l of lines) if (l.trim() !== '') rows.push(JSON.parse(l) as Row);
      for (const w of [...waiters]) {
        if (!w.until()) continue;
        waiters.splice(waiters.indexOf(w), 1);
        w.resolve();
      }
    });
    const stopped = new Promise<number | null>((resolve) =>
      paper.on('exit', (code) => {
        exited = true;
        resolve(code);
        for (const w of waiters) w.resolve(); // the checks below then fail with what was seen
      }),
    );
    /** Resolves once `until` holds for the decision lines seen so far (or the node exited). */
    const seen = (until: () => boolean): Promise<void> =>
      until() || exited ? Promise.resolve() : new Promise((resolve) => waiters.push({ until, resolve }));
    const after = (seq: number, state: string) => rows.filter((r) => r.seq > seq && r.state === state);

    // ACTIVE: the agent trades and holds a position.
    await seen(() => rows.some((r) => r.outcome === 'SUBMITTED') && rows.some((r) => r.position !== 0));
    expect(rows.every((r) => r.state === 'ACTIVE'), stderr).toBe(true);

    await operator(['kill', '--soft', ...ops, '--reason', 'soft drill']);
    const softAt = rows[rows.length - 1]?.seq ?? 0;
    // Enough REDUCING decisions that the random agent proposed in both directions.
    await seen(() => after(softAt, 'REDUCING').length >= 12);
    const soft = after(softAt, 'REDUCING');
    expect(soft.length, stderr).toBeGreaterThanOrEqual(12);
    // From the first REDUCING decision on, only REDUCING decisions until the next flip.
    const firstSoft = soft[0]?.seq ?? 0;
    expect(rows.filter((r) => r.seq >= firstSoft).every((r) => r.state === 'REDUCING')).toBe(true);
    for (const r of soft.filter((x) => x.outcome === 'SUBMITTED')) expect(Math.abs(r.position + r.qty)).toBeLessThanOrEqual(Math.abs(r.position) + 1e-9);

    await operator(['kill', '--hard', ...ops, '--reason', 'hard drill']);
    const hardAt = rows[rows.length - 1]?.seq ?? 0;
    await seen(() => after(hardAt, 'HALTED').length >= 4);
    const hard = after(hardAt, 'HALTED');
    expect(hard.length, stderr).toBeGreaterThanOrEqual(4);
    const firstHard = hard[0]?.seq ?? 0;
    const halted = rows.filter((r) => r.seq >= firstHard);
    expect(halted.every((r) => r.state === 'HALTED' && r.outcome === 'HALTED')).toBe(true);
    // The flattening order fills at the next bar: flat from the second HALTED decision on.
    expect(halted.slice(1).every((r) => r.position === 0)).toBe(true);

    await operator(['resume', ...ops, '--reason', 'drill over']);
    const resumeAt = rows[rows.length - 1]?.seq ?? 0;
    await seen(() => after(resumeAt, 'ACTIVE').some((r) => r.outcome === 'SUBMITTED'));
    expect(after(resumeAt, 'ACTIVE').some((r) => r.outcome === 'SUBMITTED'), stderr).toBe(true);

    paper.kill('SIGINT');
    expect(await stopped).toBe(0);
    // Every flip is in the session's signed audit log, as the session's gatekeeper saw it.
    const audit = readFileSync(join(session, 'audit.jsonl'), 'utf8');
    const changes = audit
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { type: string; payload: { to?: string } })
      .filter((e) => e.type === 'TRADING_STATE_CHANGED')
      .map((e) => e.payload.to);
    expect(changes).toEqual(['REDUCING', 'HALTED', 'ACTIVE']);
    // The hard kill's enforcement: open orders cancelled, and a flattening order when there was a position.
    expect(audit).toContain('OPEN_ORDERS_CANCELLED');
    if ((halted[0]?.position ?? 0) !== 0) expect(audit).toContain('FLATTEN_ORDER_SUBMITTED');
  }, 300_000);
});
