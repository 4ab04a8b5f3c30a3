/**
 * `bulwark worker`: BullMQ workers for the chosen queues, each running its jobs through processJob and recording
 * every result exactly once (result-store.ts). A SIGKILLed worker's job keeps its lock until lockDurationMs runs
 * out; then another worker's stalled-job check (every stalledIntervalMs) puts it back to wait and it runs again.
 * close() stops taking jobs and waits for the current ones to finish (what SIGTERM does).
 */
import { hostname } from 'node:os';
import type { Job, Worker } from 'bullmq';
import type { Redis } from 'ioredis';
import { type JobKind, type JobResult, payloadRun } from './payloads.js';
import { type JobOutput, type ProcessorContext, processJob } from './processors.js';
import { bullConnection, connectQueueRedis } from './redis-connection.js';
import { recordFailure, recordResult, resultKeys } from './result-store.js';

/** BullMQ key prefix of Bulwark's queues (all queue keys start with it). */
export const DEFAULT_QUEUE_PREFIX = 'bulwark-jobs';

export interface QueueWorkerOptions {
  readonly redisUrl: string;
  readonly queues: readonly JobKind[];
  /** Jobs run at once per queue. Default 1. */
  readonly concurrency?: number;
  /** ms a job's lock lasts without renewal; a dead worker's job is taken over after about this long. Default 10,000. */
  readonly lockDurationMs?: number;
  /** ms between stalled-job checks. Default 5,000. */
  readonly stalledIntervalMs?: number;
  /** BullMQ key prefix. Default `bulwark-jobs`. */
  readonly prefix?: string;
  readonly context: ProcessorContext;
  /** Called as jobs start, finish (recorded or duplicate) and fail. */
  readonly onEvent?: (e: WorkerEvent) => void;
  /** Replaces processJob (the queue benchmark's trivial jobs). */
  readonly process?: (kind: JobKind, jobId: string, data: unknown, ctx: ProcessorContext) => Promise<JobOutput>;
}

export type WorkerEvent =
  | { readonly type: 'started'; readonly kind: JobKind; readonly jobId: string }
  | { readonly type: 'recorded' | 'duplicate'; readonly kind: JobKind; readonly jobId: string }
  | { readonly type: 'failed'; readonly kind: JobKind; readonly jobId: string; readonly error: string };

export interface QueueWorkerHandle {
  /** host:pid, recorded with each result. */
  readonly name: string;
  /** Stops taking jobs, lets the current ones finish, closes the connections. */
  close(): Promise<void>;
}

export async function startQueueWorker(o: QueueWorkerOptions): Promise<QueueWorkerHandle> {
  const redis: Redis = await connectQueueRedis(o.redisUrl);
  const { Worker } = await import('bullmq');
  const prefix = o.prefix ?? DEFAULT_QUEUE_PREFIX;
  const name = `${hostname()}:${process.pid}`;
  const process_ = o.process ?? processJob;
  const emit = o.onEvent ?? (() => undefined);

  const run = (kind: JobKind) => async (job: Job): Promise<string> => {
    const jobId = job.id ?? '';
    const { runId, runDir } = payloadRun(job.data, `${kind} job ${jobId}`);
    const keys = resultKeys(prefix, runId);
    emit({ type: 'started', kind, jobId });
    let output: JobOutput;
    try {
      output = await process_(kind, jobId, job.data, { ...o.context, progress: (data) => job.updateProgress(data) });
    } catch (err) {
      const message = err instanceof Error ? err.message : String(err);
      await recordFailure(redis, keys, jobId, message);
      emit({ type: 'failed', kind, jobId, error: message });
      throw err;
    }
    const result: JobResult = { jobId, kind, worker: name, finishedAt: new Date().toISOString(), output };
    const first = await recordResult(redis, keys, result, runDir);
    emit({ type: first ? 'recorded' : 'duplicate', kind, jobId });
    return first ? 'recorded' : 'duplicate';
  };

  const workers: Worker[] = o.queues.map(
    (kind) =>
      new Worker(kind, run(kind), {
        connection: bullConnection(o.redisUrl),
        prefix,
        name,
        concurrency: o.concurrency ?? 1,
        lockDuration: o.lockDurationMs ?? 10_000,
        stalledInterval: o.stalledIntervalMs ?? 5_000,
        // A job whose worker died is retried, not failed: the stall is the worker's, not the job's.
        maxStalledCount: 5,
        removeOnComplete: { count: 1_000 },
        removeOnFail: { count: 1_000 },
      }),
  );
  for (const w of workers) w.on('error', () => undefined); // connection blips: BullMQ reconnects on its own
  await Promise.all(workers.map((w) => w.waitUntilReady()));
  return {
    name,
    close: async () => {
      await Promise.all(workers.map((w) => w.close()));
      redis.disconnect();
    },
  };
}
