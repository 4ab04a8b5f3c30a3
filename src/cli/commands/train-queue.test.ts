/**
 * `train --queue`: a tiny seeded run queued to a real `bulwark worker` process (a private Redis of this file's own)
 * writes the run directory where the local run would, with the same metrics and checkpoints, and the command shows
 * its epochs as they finish; bad input fails before anything is queued, naming the flag.
 */
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { type TrainSummary, WALL_CLOCK_COLUMNS } from '../../agents/index.js';
import { processJob } from '../../jobs/index.js';
import { resolveHome } from '../../security/index.js';
import { type WorkerProcess, startWorkerProcess, stopWorkerProcesses } from '../../test-support/worker-process.js';
import { writeTinyTrainConfig } from '../../test-support/tiny-train-config.js';
import { type RedisServerHandle, startRedisServer } from '../../test-support/redis-server.js';
import { runTrain, runTrainQueued } from './train.js';

const dir = mkdtempSync(join(tmpdir(), 'bulwark-train-queue-'));
let redis: RedisServerHandle;
let worker: WorkerProcess;
beforeAll(async () => {
  redis = await startRedisServer();
  worker = await startWorkerProcess({ redisUrl: redis.url, queues: 'train', dir, lockMs: 120_000 });
}, 240_000);
afterAll(async () => {
  stopWorkerProcesses();
  await redis.stop();
  rmSync(dir, { recursive: true, force: true });
});

/** A tiny seeded run (the train specs' own), checkpointed every epoch. */
const config = writeTinyTrainConfig(dir, 'tiny', { checkpointEvery: 1 });

const read = (...p: string[]): string => readFileSync(join(...p), 'utf8');
/** metrics.csv with the wall-clock columns dropped: what two runs of one seed share. */
function withoutWallClock(csv: string): string {
  const lines = csv.trimEnd().split('\n');
  const header = lines[0].split(',');
  const drop = new Set(WALL_CLOCK_COLUMNS.map((c) => header.indexOf(c)));
  expect(drop.has(-1)).toBe(false);
  return lines.map((l) => l.split(',').filter((_, i) => !drop.has(i)).join(',')).join('\n');
}
const quiet = <T>(fn: () => Promise<T>): Promise<T> => {
  const spy = vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
  return fn().finally(() => spy.mockRestore());
};

/** The local run of the tiny config (once, for every test that compares with it). */
let local: Promise<TrainSummary> | null = null;
function localRun(): Promise<TrainSummary> {
  local ??= quiet(() => runTrain({ config, out: join(dir, 'local'), progress: false }));
  return local;
}

describe('bulwark train --queue', () => {
  it('tiny_seeded_run_on_a_worker_process_then_the_same_metrics_and_checkpoints_as_the_local_run_and_one_line_per_epoch', async () => {
    const local = await localRun();
    const localOut = local.out;
    const queuedOut = join(dir, 'queued');
    const lines: string[] = [];
    const queued = await runTrainQueued({ config, out: queuedOut, progress: 'lines', write: (t) => void lines.push(t) }, redis.url);

    expect(queued.epochs).toBe(2);
    expect(queued.out).toBe(queuedOut);
    expect(queued.queue.worker.endsWith(`:${worker.child.pid}`)).toBe(true);
    const { queue: _queue, out: _out, ...summary } = queued;
    const { out: _localOut, ...localSummary } = local;
    expect(summary).toEqual(localSummary);
    // Per-epoch progress came from the worker's job progress events, every epoch, in order.
    expect(lines.filter((l) => l.startsWith('epoch '))).toHaveLength(2);
    expect(lines.filter((l) => l.startsWith('epoch ')).map((l) => l.split(' |')[0])).toEqual(['epoch 1/2', 'epoch 2/2']);
    // The run directory landed where asked, with what the local run wrote.
    for (const f of ['config.json', 'meta.json', 'metrics.csv', 'metrics.jsonl', 'curve.html']) expect(existsSync(join(queuedOut, f)), f).toBe(true);
    expect(withoutWallClock(read(queuedOut, 'metrics.csv'))).toBe(withoutWallClock(read(localOut, 'metrics.csv')));
    expect(read(queuedOut, 'config.json')).toBe(read(localOut, 'config.json'));
    expect(readdirSync(join(queuedOut, 'checkpoints')).sort()).toEqual(readdirSync(join(localOut, 'checkpoints')).sort());
    for (const f of readdirSync(join(localOut, 'checkpoints'))) expect(read(queuedOut, 'checkpoints', f), f).toBe(read(localOut, 'checkpoints', f));
    // The queue's record of the job, named by its id, in the run directory.
    expect(readdirSync(join(queuedOut, 'jobs'))).toEqual([`${queued.queue.job_id}.json`]);
  }, 420_000);

  it('out_already_holding_a_run_then_refused_before_a_job_is_queued', async () => {
    await expect(runTrainQueued({ config, out: join(dir, 'local'), progress: false }, redis.url)).rejects.toThrow(/^--out: .*local already holds a run; pass --resume/);
  });

  it('day_start_and_timezone_then_carried_in_the_train_payload_for_the_worker', async () => {
    const { trainPayloadOf } = await import('../../jobs/index.js');
    const payload = await trainPayloadOf({ config, out: join(dir, 'day'), session: { dayStartsAt: '17:00', timezone: 'America/New_York' } });
    expect(payload.session).toEqual({ dayStartsAt: '17:00', timezone: 'America/New_York' });
    expect((await trainPayloadOf({ config, out: join(dir, 'day') })).session).toBeUndefined();
  });

  it('bad_config_then_refused_naming_the_field_before_a_job_is_queued', async () => {
    const bad = join(dir, 'bad.yaml');
    writeFileSync(bad, 'train:\n  epochs: 0\n');
    await expect(runTrainQueued({ config: bad, out: join(dir, 'bad'), progress: false }, redis.url)).rejects.toThrow(/train\.epochs/);
    expect(existsSync(join(dir, 'bad'))).toBe(false);
  });

  it('bad_or_unreachable_queue_url_then_error_names_the_flag_without_the_password', async () => {
    await expect(runTrainQueued({ config, out: join(dir, 'u1'), progress: false }, 'http://me:s3cret@host:1')).rejects.toThrow(/^--queue: must be a redis:\/\/ or rediss:\/\/ URL, got 'http:\/\/me:\*\*\*@host:1/);
    const err = await runTrainQueued({ config, out: join(dir, 'u2'), progress: false }, 'redis://:hunter2@127.0.0.1:1').catch((e: unknown) => e);
    expect((err as Error).message).toMatch(/^Redis at redis:\/\/:\*\*\*@127\.0\.0\.1:1 is unreachable .*--queue/);
    expect((err as Error).message).not.toMatch(/hunter2/);
    expect(existsSync(join(dir, 'u2'))).toBe(false);
  });

  it('train_job_asking_for_sandbox_tier_2_then_refused_naming_the_field', async () => {
    const ctx = { home: resolveHome(join(dir, 'home')), workDir: join(dir, 'work'), log: () => undefined };
    const payload = { runId: 'r1', runDir: null, config, out: join(dir, 'tier'), tier: 2 };
    await expect(processJob('train', 'j1', payload, ctx)).rejects.toThrow(/tier.*training runs built-in PPO code, no job code/);
    expect(existsSync(join(dir, 'tier'))).toBe(false);
  });

  it('tier_1_run_out_of_memory_on_a_worker_process_then_that_job_fails_naming_the_cap_and_the_same_worker_trains_the_next_identically', async () => {
    // Two hidden layers of 512: the run's checkpoints need far more than a 32 MB heap.
    const hog = join(dir, 'hog.yaml');
    writeFileSync(hog, read(config).replace('hiddenSizes: [8]', 'hiddenSizes: [512, 512]'));
    await expect(runTrainQueued({ config: hog, out: join(dir, 'hog'), progress: false, tier: '1', memoryMb: '32' }, redis.url)).rejects.toThrow(
      /train job .* failed: training exceeded the tier-1 memory cap of 32 MB/,
    );
    expect(worker.child.exitCode).toBeNull();
    const out = join(dir, 'tier1');
    const lines: string[] = [];
    const queued = await runTrainQueued({ config, out, progress: 'lines', tier: '1', write: (t) => void lines.push(t) }, redis.url);
    // The same worker process, still serving, took the next job.
    expect(queued.queue.worker.endsWith(`:${worker.child.pid}`)).toBe(true);
    expect(lines.filter((l) => l.startsWith('epoch ')).map((l) => l.split(' |')[0])).toEqual(['epoch 1/2', 'epoch 2/2']);
    const localOut = (await localRun()).out;
    expect(withoutWallClock(read(out, 'metrics.csv'))).toBe(withoutWallClock(read(localOut, 'metrics.csv')));
    for (const f of readdirSync(join(localOut, 'checkpoints'))) expect(read(out, 'checkpoints', f), f).toBe(read(localOut, 'checkpoints', f));
  }, 420_000);

  it('tier_2_or_a_cap_without_tier_1_or_a_local_tier_1_then_refused_naming_the_flag_before_a_job_is_queued', async () => {
    await expect(runTrainQueued({ config, out: join(dir, 't2'), progress: false, tier: '2' }, redis.url)).rejects.toThrow(/^--tier: 2 is for agent code; training runs built-in PPO code/);
    await expect(runTrainQueued({ config, out: join(dir, 't2'), progress: false, memoryMb: '512' }, redis.url)).rejects.toThrow(/^--memory-mb: caps the tier-1 training thread; give it with --tier 1/);
    await expect(runTrainQueued({ config, out: join(dir, 't2'), progress: false, tier: '1', memoryMb: '8' }, redis.url)).rejects.toThrow(/^--memory-mb: /);
    await expect(runTrain({ config, out: join(dir, 't2'), progress: false, tier: '1' })).rejects.toThrow(/^--tier: applies to a queued run \(--queue\)/);
    expect(existsSync(join(dir, 't2'))).toBe(false);
  });
});
