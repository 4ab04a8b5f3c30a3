/**
 * `walk-forward --queue`: one job per window on real `bulwark worker` processes (a private Redis of this file's
 * own) writes the same files as the local run, byte for byte but for the run directory's own name; a bad or unreachable --queue fails before anything
 * is written, naming the flag, with the password redacted.
 */
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startWorkerProcess, stopWorkerProcesses } from '../../test-support/worker-process.js';
import { type RedisServerHandle, startRedisServer } from '../../test-support/redis-server.js';
import { runWalkForwardCommand, type WalkForwardFlags } from './sweep.js';

const dir = mkdtempSync(join(tmpdir(), 'bulwark-wf-queue-'));
let redis: RedisServerHandle;
beforeAll(async () => {
  redis = await startRedisServer();
  // Two worker processes serve every walk-forward test here (each takes seconds to start on a loaded machine).
  await Promise.all([0, 1].map(() => startWorkerProcess({ redisUrl: redis.url, queues: 'walk-forward', dir, lockMs: 120_000 })));
}, 240_000);
afterAll(async () => {
  stopWorkerProcesses();
  await redis.stop();
  rmSync(dir, { recursive: true, force: true });
});

const rules = join(dir, 'rules.yaml');
writeFileSync(rules, 'max_position_pct: 0.6\nmax_drawdown_pct: 0.01\n');

const flags = (out: string, extra: Partial<WalkForwardFlags> = {}): WalkForwardFlags => ({
  synth: 'regime:bars=900,seed=4',
  agent: 'sma-cross:size=0.3',
  grid: ['fast=3,5', 'slow=12,20'],
  // A rule set that masks: decisions.csv then carries rule ids from the record's string table.
  rules,
  seed: '0',
  trainBars: '300',
  testBars: '150',
  mode: 'rolling',
  objective: 'sharpe',
  out: join(dir, out),
  json: true,
  ...extra,
});

/**
 * Every file under `root` (relative path → text), but the queue's own `jobs/` folder. The run's own directory,
 * where a file names it (the report points at window-N/checkpoint.json), reads `<out>`: the only naming difference.
 */
function filesUnder(root: string): Map<string, string> {
  const out = new Map<string, string>();
  const walk = (d: string): void => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const full = join(d, e.name);
      if (e.isDirectory()) {
        if (relative(root, full) !== 'jobs') walk(full);
      } else out.set(relative(root, full), readFileSync(full, 'utf8').replaceAll(root, '<out>'));
    }
  };
  walk(root);
  return out;
}

describe('bulwark walk-forward --queue', () => {
  it('windows_run_by_two_worker_processes_then_every_output_file_equals_the_local_run_byte_for_byte', async () => {
    const local = await runWalkForwardCommand(flags('local'));
    const queued = await runWalkForwardCommand(flags('queued', { queue: redis.url }));
    expect(queued.result.windows).toHaveLength(4);
    expect(local.queued).toBeNull();
    expect(queued.queued?.jobs).toHaveLength(4);
    expect(queued.queued?.duplicates).toBe(0);
    // The rules masked something and the agent traded: the string table and the fills travelled.
    expect(readFileSync(join(queued.out, 'window-1', 'decisions.csv'), 'utf8')).toMatch(/MAX_DRAWDOWN_PCT,MASKED/);
    expect(queued.result.windows.every((w) => w.test.fills.length > 0)).toBe(true);

    const a = filesUnder(local.out);
    const b = filesUnder(queued.out);
    expect([...b.keys()].sort()).toEqual([...a.keys()].sort());
    expect([...a.keys()]).toEqual(expect.arrayContaining(['stitched-equity.csv', 'walk-forward.json', 'report.html', 'window-4/decisions.csv']));
    for (const [name, text] of a) expect(b.get(name), name).toBe(text);
    expect(queued.table).toBe(local.table);
    expect(queued.idleWindows).toEqual(local.idleWindows);
    // One result file per window job, named by job id.
    expect(readdirSync(join(queued.out, 'jobs')).filter((f) => f.endsWith('.json'))).toHaveLength(4);
  }, 420_000);

  it('learned_agent_windows_on_workers_then_the_same_files_and_window_checkpoints_as_the_local_run', async () => {
    // Tiny seeded training (1 epoch of 2 envs × 16 steps) in each of two windows.
    const learned = { synth: 'regime:bars=700,seed=6', agent: 'ppo-lag:epochs=1,envs=2,steps=16,hidden=8,window=4,episode=16', grid: [], trainBars: '300', testBars: '200', seed: '5' };
    const local = await runWalkForwardCommand(flags('learned-local', learned));
    const queued = await runWalkForwardCommand(flags('learned-queued', { ...learned, queue: redis.url }));
    expect(queued.result.windows).toHaveLength(2);
    expect(queued.files.checkpoints).toHaveLength(2);
    const a = filesUnder(local.out);
    const b = filesUnder(queued.out);
    expect([...a.keys()]).toEqual(expect.arrayContaining(['window-1/checkpoint.json', 'window-2/checkpoint.json']));
    expect([...b.keys()].sort()).toEqual([...a.keys()].sort());
    for (const [name, text] of a) expect(b.get(name), name).toBe(text);
  }, 420_000);

  it('bad_queue_url_then_error_names_the_flag_redacts_the_password_and_writes_nothing', async () => {
    const out = join(dir, 'bad-url');
    await expect(runWalkForwardCommand(flags('bad-url', { queue: 'http://user:s3cret@host:1' }))).rejects.toThrow(/^--queue: must be a redis:\/\/ or rediss:\/\/ URL, got 'http:\/\/user:\*\*\*@host:1/);
    await expect(runWalkForwardCommand(flags('bad-url', { queue: 'http://user:s3cret@host:1' }))).rejects.not.toThrow(/s3cret/);
    expect(existsSync(out)).toBe(false);
  });

  it('unreachable_redis_then_a_clear_error_within_seconds_without_the_password_and_no_files', async () => {
    const out = join(dir, 'unreachable');
    const t0 = Date.now();
    const err = await runWalkForwardCommand(flags('unreachable', { queue: 'redis://:hunter2@127.0.0.1:1' })).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(Error);
    expect((err as Error).message).toMatch(/^Redis at redis:\/\/:\*\*\*@127\.0\.0\.1:1 is unreachable/);
    expect((err as Error).message).toMatch(/--queue/);
    expect((err as Error).message).not.toMatch(/hunter2/);
    expect(Date.now() - t0).toBeLessThan(15_000);
    expect(existsSync(out)).toBe(false);
  });

  it('bad_grid_for_a_learned_agent_then_refused_before_any_job_is_queued', async () => {
    await expect(runWalkForwardCommand(flags('learned-grid', { agent: 'ppo-lag:epochs=1', queue: 'redis://127.0.0.1:1' }))).rejects.toThrow(/^--grid: parameter grids are for rule-based agents/);
    await expect(runWalkForwardCommand(flags('bad-agent', { agent: 'sma-crosss', grid: [], queue: 'redis://127.0.0.1:1' }))).rejects.toThrow(/sma-crosss/);
  });
});
