/**
 * Worker processes against a private Redis: two workers share a sweep of 20 jobs, a SIGKILLed worker's job is
 * finished by the other and recorded once, and SIGTERM lets the current job finish before a clean exit. Workers
 * run from the TypeScript sources (test-support/worker-process.ts), which takes seconds to start on a loaded machine.
 */
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type BacktestJob, runSweep, sweepJobs } from '../backtests/index.js';
import { type RedisServerHandle, startRedisServer } from '../test-support/redis-server.js';
import { enqueueAndWait } from './queue-client.js';
import { DEFAULT_QUEUE_PREFIX } from './queue-worker.js';
import { resultKeys } from './result-store.js';
import { type WorkerProcess, startWorkerProcess, stopWorkerProcesses } from '../test-support/worker-process.js';

const dir = mkdtempSync(join(tmpdir(), 'bulwark-queue-'));
let redis: RedisServerHandle;

beforeAll(async () => {
  redis = await startRedisServer();
});
afterAll(async () => {
  stopWorkerProcesses();
  await redis.stop();
  rmSync(dir, { recursive: true, force: true });
});

/**
 * A job's lock is renewed on a timer, which cannot fire while a CPU-bound job holds the event loop: a job longer
 * than its lock is handed to another worker and runs twice (recorded once). Only the SIGKILL test wants a short
 * lock (the rescue waits for it); the others give it a lock no job here outlives, and assert no second run.
 */
const SHORT_LOCK_MS = 1_500;
const LONG_LOCK_MS = 120_000;

/** Each test has queues of its own (a BullMQ key prefix): a job left behind by a failed test never reaches the next. */
function testPrefix(name: string): string {
  return `${DEFAULT_QUEUE_PREFIX}-${name}`;
}

function startWorker(queues: string, prefix: string, extra: readonly string[] = [], lockMs = LONG_LOCK_MS): Promise<WorkerProcess> {
  return startWorkerProcess({ redisUrl: redis.url, queues, dir, prefix, lockMs, extra });
}

const base: BacktestJob = { agent: 'sma-cross:size=0.5', synth: 'regime:bars=1500,seed=3' };

describe('queue workers (processes)', () => {
  it('two_workers_and_a_sweep_of_20_jobs_then_every_result_once_and_identical_to_the_local_sweep', async () => {
    const prefix = testPrefix('twenty');
    const [a, b] = await Promise.all([startWorker('sweep', prefix, ['--concurrency', '2']), startWorker('sweep', prefix)]);
    const jobs = sweepJobs(base, [{ key: 'fast', values: [3, 5, 8, 12, 15] }], [0, 1, 2, 3]);
    expect(jobs.length).toBe(20);
    const runDir = join(dir, 'sweep20');
    const run = await enqueueAndWait({ redisUrl: redis.url, kind: 'sweep', items: jobs.map((job) => ({ job })), runDir, prefix });
    const local = await runSweep(jobs, { workers: 0 });
    expect(run.results.map((r) => r.output)).toEqual(JSON.parse(JSON.stringify(local)));
    expect(run.duplicates).toBe(0);
    expect(new Set(run.results.map((r) => r.jobId)).size).toBe(20);
    expect(readdirSync(join(runDir, 'jobs')).filter((f) => f.endsWith('.json'))).toHaveLength(20);
    // Both workers took jobs.
    expect(new Set(run.results.map((r) => r.worker)).size).toBe(2);
    a.child.kill('SIGTERM');
    b.child.kill('SIGTERM');
    expect(await a.exited()).toBe(0);
    expect(await b.exited()).toBe(0);
  }, 420_000);

  it('worker_sigkilled_mid_job_then_the_other_finishes_it_and_it_is_recorded_exactly_once', async () => {
    const prefix = testPrefix('killed');
    const doomed = await startWorker('sweep', prefix, [], SHORT_LOCK_MS);
    const runDir = join(dir, 'killed');
    const slow: BacktestJob = { agent: 'sma-cross:size=0.5', synth: 'regime:bars=300000,seed=5' };
    const waiting = enqueueAndWait({ redisUrl: redis.url, kind: 'sweep', items: [{ job: slow }], runDir, prefix });
    await doomed.waitFor(/^started sweep /m, 60_000);
    doomed.child.kill('SIGKILL');
    expect(doomed.out()).not.toMatch(/^recorded/m);
    const rescuer = await startWorker('sweep', prefix, [], SHORT_LOCK_MS);
    const run = await waiting;
    expect(run.results).toHaveLength(1);
    expect(run.results[0]?.worker).not.toBe(`${doomed.child.pid}`);
    expect(run.results[0]?.worker.endsWith(`:${rescuer.child.pid}`)).toBe(true);
    const client = new Redis(redis.url);
    const keys = resultKeys(prefix, run.runId);
    expect(await client.hlen(keys.results)).toBe(1);
    expect(await client.get(keys.duplicates)).toBeNull();
    client.disconnect();
    expect(readdirSync(join(runDir, 'jobs'))).toHaveLength(1);
    rescuer.child.kill('SIGTERM');
    expect(await rescuer.exited()).toBe(0);
  }, 420_000);

  it('sigterm_mid_job_then_the_job_finishes_and_the_worker_exits_0', async () => {
    const prefix = testPrefix('term');
    const w = await startWorker('sweep', prefix);
    const runDir = join(dir, 'term');
    const slowish: BacktestJob = { agent: 'sma-cross:size=0.5', synth: 'regime:bars=200000,seed=6' };
    const waiting = enqueueAndWait({ redisUrl: redis.url, kind: 'sweep', items: [{ job: slowish }], runDir, prefix });
    await w.waitFor(/^started sweep /m, 60_000);
    w.child.kill('SIGTERM');
    expect(await w.exited()).toBe(0);
    // The job ran to its end in this worker, once: recorded by it, never handed to another run.
    expect(w.out()).toMatch(/^recorded sweep /m);
    expect(w.out()).not.toMatch(/^duplicate /m);
    const run = await waiting;
    expect(run.results).toHaveLength(1);
    expect(run.duplicates).toBe(0);
    expect(run.results[0]?.worker.endsWith(`:${w.child.pid}`)).toBe(true);
    const client = new Redis(redis.url);
    expect(await client.hlen(resultKeys(prefix, run.runId).results)).toBe(1);
    client.disconnect();
  }, 420_000);
});
