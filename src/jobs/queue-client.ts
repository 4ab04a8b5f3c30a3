/**
 * The enqueuing side (`sweep --queue`, `backtest --queue`): add one job per item under a fresh run id, then wait
 * until every job's result is recorded, reading progress from the run's result hash (each job counts once, however
 * often it ran). A job that fails for good ends the wait with its error.
 */
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import type { Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import type { BacktestJob } from '../backtests/index.js';
import { type JobKind, type JobResult, type PayloadOf } from './payloads.js';
import { bullConnection, connectQueueRedis } from './redis-connection.js';
import { DEFAULT_QUEUE_PREFIX } from './queue-worker.js';
import { readResults, resultFile, resultKeys, writeFileOnce } from './result-store.js';

export interface EnqueueOptions<K extends JobKind> {
  readonly redisUrl: string;
  readonly kind: K;
  /** The payloads without their run fields (added here). */
  readonly items: readonly Omit<PayloadOf[K], 'runId' | 'runDir'>[];
  /** The run directory (absolute); result files `jobs/JOB_ID.json` land in it. */
  readonly runDir: string;
  readonly prefix?: string;
  /** Progress: jobs recorded so far, of all, and how many workers serve the queue now. */
  readonly onProgress?: (done: number, total: number, workers: number) => void;
  /** ms between polls of the result hash. Default 100. */
  readonly pollMs?: number;
  /**
   * Each progress event of the run's jobs (training: one per epoch), in the order sent, every one delivered before
   * this call returns: they are read from the queue's event stream, whose entries a job writes before its result.
   */
  readonly onJobProgress?: (jobId: string, data: unknown) => void;
}

export interface EnqueuedRun {
  readonly runId: string;
  /** Results in the order of the items. */
  readonly results: readonly JobResult[];
  /** Completions that found their result already recorded (a job run twice). */
  readonly duplicates: number;
}

export class QueueJobError extends Error {
  readonly code = 'QUEUE_JOB_FAILED';
}

/** A run id: the kind, the time and random bits (job ids and Redis keys are derived from it). */
export function newRunId(kind: JobKind): string {
  return `${kind}-${new Date().toISOString().replace(/[:.]/g, '-')}-${randomBytes(4).toString('hex')}`;
}

/**
 * The job with its file paths made absolute: a worker runs in a directory of its own (on shared storage the paths
 * then name the same files). An agent spec is a path only when such a file exists here; `sma-cross:…` stays a spec.
 */
export function absoluteJobPaths(job: BacktestJob): BacktestJob {
  return {
    ...job,
    agent: existsSync(job.agent) ? resolve(job.agent) : job.agent,
    ...(job.data === undefined ? {} : { data: resolve(job.data) }),
    ...(job.rules === undefined ? {} : { rules: resolve(job.rules) }),
    ...(job.risk === undefined ? {} : { risk: resolve(job.risk) }),
    ...(job.config === undefined ? {} : { config: resolve(job.config) }),
  };
}

export function jobIdOf(runId: string, index: number): string {
  return `${runId}-${String(index).padStart(6, '0')}`;
}

export async function enqueueAndWait<K extends JobKind>(o: EnqueueOptions<K>): Promise<EnqueuedRun> {
  const redis: Redis = await connectQueueRedis(o.redisUrl);
  const { Queue } = await import('bullmq');
  const prefix = o.prefix ?? DEFAULT_QUEUE_PREFIX;
  const queue: Queue = new Queue(o.kind, { connection: bullConnection(o.redisUrl), prefix });
  queue.on('error', () => undefined);
  const runId = newRunId(o.kind);
  const keys = resultKeys(prefix, runId);
  const ids = o.items.map((_, i) => jobIdOf(runId, i));
  const progress = o.onJobProgress === undefined ? null : await jobProgressReader(redis, queue.keys.events, new Set(ids), o.onJobProgress);
  try {
    await queue.addBulk(
      o.items.map((item, i) => ({
        name: o.kind,
        data: { ...item, runId, runDir: o.runDir },
        // One attempt: a job that throws fails the same way on every machine; a worker that dies is not an attempt.
        opts: { jobId: ids[i], attempts: 1, removeOnComplete: { count: 1_000 }, removeOnFail: { count: 1_000 } },
      })),
    );
    const pollMs = o.pollMs ?? 100;
    let lastWorkersCheck = 0;
    let workers = 0;
    for (;;) {
      const [done, failed] = await Promise.all([redis.hlen(keys.results), redis.hgetall(keys.failures)]);
      const firstFailure = ids.find((id) => failed[id] !== undefined);
      if (firstFailure !== undefined) {
        // The run is over: its waiting jobs are taken off the queue, so workers do not spend hours on it.
        await Promise.all(ids.map((id) => queue.remove(id).catch(() => 0)));
        throw new QueueJobError(`${o.kind} job ${firstFailure} failed: ${failed[firstFailure]}`);
      }
      if (Date.now() - lastWorkersCheck > 1_000) {
        workers = (await queue.getWorkers()).length;
        lastWorkersCheck = Date.now();
      }
      await progress?.read();
      o.onProgress?.(done, ids.length, workers);
      if (done >= ids.length) break;
      await new Promise((r) => setTimeout(r, pollMs));
    }
    const recorded = await readResults(redis, keys);
    const results = ids.map((id) => {
      const r = recorded.get(id);
      if (r === undefined) throw new QueueJobError(`${o.kind} job ${id}: no result recorded`);
      // A worker on another machine may not share the run directory: the file comes from the Redis summary then.
      writeFileOnce(resultFile(o.runDir, id), `${JSON.stringify(r, null, 2)}\n`);
      return r;
    });
    const duplicates = Number((await redis.get(keys.duplicates)) ?? 0);
    return { runId, results, duplicates };
  } finally {
    await queue.close();
    redis.disconnect();
  }
}

/**
 * Reads BullMQ's event stream of a queue from now on (XREAD without blocking, on the caller's connection) and hands
 * each `progress` event of the given jobs to `on`. Entries a job wrote before its result was recorded are all read
 * by the first read() after the result is seen.
 */
async function jobProgressReader(
  redis: Redis,
  streamKey: string,
  jobIds: ReadonlySet<string>,
  on: (jobId: string, data: unknown) => void,
): Promise<{ read(): Promise<void> }> {
  const newest = await redis.xrevrange(streamKey, '+', '-', 'COUNT', 1);
  let lastId = newest[0]?.[0] ?? '0-0';
  return {
    read: async () => {
      for (;;) {
        const got = await redis.xread('COUNT', 1_000, 'STREAMS', streamKey, lastId);
        const entries = got?.[0]?.[1] ?? [];
        for (const [id, fields] of entries) {
          lastId = id;
          const f: Record<string, string> = {};
          for (let i = 0; i + 1 < fields.length; i += 2) f[fields[i]] = fields[i + 1];
          if (f.event !== 'progress' || f.jobId === undefined || !jobIds.has(f.jobId)) continue;
          let data: unknown;
          try {
            data = JSON.parse(f.data ?? 'null');
          } catch {
            data = f.data;
          }
          on(f.jobId, data);
        }
        if (entries.length < 1_000) return;
      }
    },
  };
}
