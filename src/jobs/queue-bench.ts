/**
 * `bulwark bench queue`: jobs per second through BullMQ with two real `bulwark worker` processes serving the `noop`
 * queue (a job that runs nothing and records an empty result, so the figure is the queue's own cost: enqueue,
 * dispatch, lock, the exactly-once result record, completion). Target: jobs_per_sec >= 1,000 on an idle machine.
 * Two phases: throughput (all jobs enqueued at once, time until the last result is recorded) and latency (one job
 * at a time on the idle queue, enqueue to the completion event). Without --redis it starts its own redis-server.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Redis } from 'ioredis';
import { type BenchRedis, startBenchRedis } from '../risk-gatekeeper/index.js';
import { bullConnection, connectQueueRedis } from './redis-connection.js';
import { jobIdOf, newRunId } from './queue-client.js';
import { resultKeys } from './result-store.js';

const WORKERS = 2;
/** Jobs at once per worker process: a noop job is all round trips, so one at a time leaves the worker waiting on Redis. */
const CONCURRENCY = 16;

/** How to start `bulwark worker`: the built CLI beside this file, or the TypeScript sources with the transpile-only loader. */
function workerCommand(): string[] {
  const here = dirname(fileURLToPath(import.meta.url));
  const built = join(here, '..', 'cli', 'main.js');
  if (existsSync(built)) return [built];
  const source = join(here, '..', 'cli', 'main.ts');
  const loader = resolve(here, '..', 'risk-gatekeeper', 'test-helpers', 'register-ts.mjs');
  if (existsSync(source) && existsSync(loader)) return ['--import', loader, source];
  throw new Error('bench queue: cannot find the bulwark CLI (dist/cli/main.js); run npm run build first');
}

interface WorkerProc {
  readonly child: ChildProcess;
  readonly ready: Promise<void>;
  readonly exited: Promise<number | null>;
}

function startWorker(redisUrl: string, prefix: string): WorkerProc {
  const child = spawn(
    process.execPath,
    [...workerCommand(), 'worker', '--queues', 'noop', '--redis', redisUrl, '--prefix', prefix, '--concurrency', String(CONCURRENCY), '--quiet'],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let err = '';
  const exited = new Promise<number | null>((done) => child.once('exit', (code) => done(code)));
  const ready = new Promise<void>((done, fail) => {
    const timer = setTimeout(() => fail(new Error(`bench queue: a worker did not start within 120 s: ${err.trim()}`)), 120_000);
    child.stderr?.on('data', (d: Buffer) => {
      err += d.toString('utf8');
      if (/serving/.test(err)) {
        clearTimeout(timer);
        done();
      }
    });
    child.stdout?.on('data', (d: Buffer) => (err += d.toString('utf8'))); // --quiet: failures only
    void exited.then((code) => {
      clearTimeout(timer);
      fail(new Error(`bench queue: a worker exited (${String(code)}) before serving: ${err.trim()}`));
    });
  });
  return { child, ready, exited };
}

function percentile(sorted: readonly number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(p * sorted.length) - 1))] ?? 0;
}

const round = (x: number, digits = 2): number => Number(x.toFixed(digits));

export async function benchQueue(options: { readonly scale: number; readonly redisUrl?: string }): Promise<Record<string, unknown>> {
  const jobs = Math.max(20, Math.round(20_000 * options.scale));
  const latencyJobs = Math.max(10, Math.round(500 * options.scale));
  const own: BenchRedis | null = options.redisUrl === undefined ? await startBenchRedis('bench queue') : null;
  const redisUrl = options.redisUrl ?? own?.url ?? '';
  // A prefix of its own: the benchmark's queue and results never mix with a user's queues on a shared Redis.
  const prefix = `bulwark-bench-queue-${process.pid}-${Date.now()}`;
  const workers: WorkerProc[] = [];
  let redis: Redis | null = null;
  const { Queue, QueueEvents } = await import('bullmq');
  const queue = new Queue('noop', { connection: bullConnection(redisUrl), prefix });
  const events = new QueueEvents('noop', { connection: bullConnection(redisUrl), prefix });
  queue.on('error', () => undefined);
  events.on('error', () => undefined);
  try {
    redis = await connectQueueRedis(redisUrl);
    for (let i = 0; i < WORKERS; i++) workers.push(startWorker(redisUrl, prefix));
    await Promise.all([...workers.map((w) => w.ready), events.waitUntilReady()]);

    // Throughput: every job enqueued at once; done when the run's result hash holds them all.
    const runId = newRunId('noop');
    const keys = resultKeys(prefix, runId);
    const opts = { attempts: 1, removeOnComplete: true, removeOnFail: { count: 100 } };
    const started = performance.now();
    for (let from = 0; from < jobs; from += 1_000) {
      const batch = Array.from({ length: Math.min(1_000, jobs - from) }, (_, k) => ({
        name: 'noop',
        data: { runId, runDir: null },
        opts: { ...opts, jobId: jobIdOf(runId, from + k) },
      }));
      await queue.addBulk(batch);
    }
    for (;;) {
      const [done, failed] = await Promise.all([redis.hlen(keys.results), redis.hlen(keys.failures)]);
      if (failed > 0) throw new Error(`bench queue: ${failed} noop job(s) failed: ${JSON.stringify(await redis.hgetall(keys.failures)).slice(0, 300)}`);
      if (done >= jobs) break;
      await new Promise((r) => setTimeout(r, 5));
    }
    const seconds = (performance.now() - started) / 1000;
    const duplicates = Number((await redis.get(keys.duplicates)) ?? 0);

    // Latency: one job at a time on the idle queue, from add() to its completion event.
    const latencyRun = newRunId('noop');
    const latenciesMs: number[] = [];
    for (let i = 0; i < latencyJobs; i++) {
      const jobId = jobIdOf(latencyRun, i);
      const completed = new Promise<void>((done) => {
        const on = ({ jobId: id }: { jobId: string }): void => {
          if (id !== jobId) return;
          events.off('completed', on);
          done();
        };
        events.on('completed', on);
      });
      const t0 = performance.now();
      await queue.add('noop', { runId: latencyRun, runDir: null }, { ...opts, jobId });
      await completed;
      latenciesMs.push(performance.now() - t0);
    }
    latenciesMs.sort((a, b) => a - b);
    for (const k of [keys, resultKeys(prefix, latencyRun)]) await redis.del(k.results, k.failures, k.duplicates);

    return {
      bench: 'queue',
      job_kind: 'noop',
      workers: WORKERS,
      concurrency_per_worker: CONCURRENCY,
      jobs,
      seconds: round(seconds, 3),
      jobs_per_sec: Math.round(jobs / seconds),
      duplicates,
      latency_jobs: latencyJobs,
      latency_p50_ms: round(percentile(latenciesMs, 0.5)),
      latency_p99_ms: round(percentile(latenciesMs, 0.99)),
      redis: own === null ? 'given (--redis)' : 'own redis-server',
      target_jobs_per_sec: 1_000,
    };
  } finally {
    for (const w of workers) if (w.child.exitCode === null && w.child.signalCode === null) w.child.kill('SIGTERM');
    await Promise.all(workers.map((w) => Promise.race([w.exited, new Promise((r) => setTimeout(r, 10_000))])));
    for (const w of workers) if (w.child.exitCode === null && w.child.signalCode === null) w.child.kill('SIGKILL');
    if (own === null && redis !== null) await queue.obliterate({ force: true }).catch(() => undefined);
    await Promise.all([queue.close(), events.close()]);
    redis?.disconnect();
    await own?.stop();
  }
}
