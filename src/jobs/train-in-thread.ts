/**
 * Tier 1 for a `train` job: the run goes to a worker thread (train-thread.ts) with a heap cap (`resourceLimits`),
 * so a training run that runs out of memory or crashes fails its own job and the worker process takes the next
 * one. Not a security boundary (same process, same files, same network): training is this package's own code,
 * and the thread contains its failures, nothing more.
 */
import { Worker } from 'node:worker_threads';
import type { QueuedTrainRun } from './train-queue.js';
import type { TrainThreadMessage } from './train-thread.js';

export interface TrainInThreadOptions {
  readonly run: QueuedTrainRun;
  /** The thread's heap cap (V8's old generation), in MB. */
  readonly memoryMb: number;
  readonly log: (line: string) => void;
  readonly progress: (event: Record<string, unknown>) => void;
}

/** The module a training thread runs, and the Node flags it needs to load it. */
export interface TrainThreadEntry {
  readonly url: URL;
  readonly execArgv?: string[];
}

/**
 * dist/jobs/train-thread.js in the built package. From the TypeScript sources (specs) the thread loads them through
 * the transpile-only loader the specs' child processes use, unless this process runs under it already (a worker
 * thread inherits its parent's execArgv).
 */
function threadEntry(): TrainThreadEntry {
  if (!import.meta.url.endsWith('.ts')) return { url: new URL('./train-thread.js', import.meta.url) };
  const url = new URL('./train-thread.ts', import.meta.url);
  if (process.execArgv.some((a) => a.includes('register-ts'))) return { url };
  const loader = new URL('../risk-gatekeeper/test-helpers/register-ts.mjs', import.meta.url).href;
  return { url, execArgv: [...process.execArgv, '--import', loader] };
}

/**
 * Runs the training in a capped thread and returns its summary; out of memory or a crash rejects, naming the tier
 * and the cap. `entry` replaces the thread's module (the specs' crashing threads).
 */
export function runTrainInThread(o: TrainInThreadOptions, entry: TrainThreadEntry = threadEntry()): Promise<Record<string, unknown>> {
  const worker = new Worker(entry.url, {
    workerData: { run: o.run },
    resourceLimits: { maxOldGenerationSizeMb: o.memoryMb, maxYoungGenerationSizeMb: Math.max(8, o.memoryMb >> 3) },
    ...(entry.execArgv === undefined ? {} : { execArgv: entry.execArgv }),
  });
  return new Promise((resolve, reject) => {
    let outcome: { ok: true; summary: Record<string, unknown> } | { ok: false; error: Error } | null = null;
    worker.on('message', (m: TrainThreadMessage) => {
      if (m.t === 'log') o.log(m.line);
      else if (m.t === 'progress') o.progress(m.event);
      else if (m.t === 'result') outcome ??= { ok: true, summary: m.summary };
      else outcome ??= { ok: false, error: new Error(m.message) };
    });
    worker.on('error', (err: Error & { code?: string }) => {
      const error =
        err.code === 'ERR_WORKER_OUT_OF_MEMORY'
          ? new Error(`training exceeded the tier-1 memory cap of ${o.memoryMb} MB (the job's memoryMb field; the thread was stopped, the worker goes on)`)
          : new Error(`training thread (tier 1, memory cap ${o.memoryMb} MB) crashed: ${err.message}`);
      outcome ??= { ok: false, error };
    });
    // Settled only once the thread is gone: its messages (the last epoch's progress among them) have all arrived.
    worker.on('exit', (code) => {
      if (outcome === null) reject(new Error(`training thread (tier 1, memory cap ${o.memoryMb} MB) exited with code ${code} before reporting a result`));
      else if (outcome.ok) resolve(outcome.summary);
      else reject(outcome.error);
    });
  });
}
