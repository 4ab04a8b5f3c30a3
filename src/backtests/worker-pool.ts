/**
 * A small pool of local worker threads for sweeps: tasks go out one at a time to each idle worker, results
 * come back in task order. A worker that throws or dies fails the whole run with the task that broke it
 * (a sweep with silently missing cells would mislead). The cross-machine queue is the sandbox's job.
 */
import type { Worker } from 'node:worker_threads';

/** What a worker posts back for each task. */
export type WorkerReply<R> =
  | { readonly ok: true; readonly id: number; readonly result: R }
  | { readonly ok: false; readonly id: number; readonly error: string };

export interface PoolOptions {
  /** Creates one worker; it receives `{ id, task }` messages and answers each with a `WorkerReply`. */
  readonly createWorker: () => Worker;
  /** Number of workers (capped at the number of tasks). */
  readonly concurrency: number;
  /** Called after each finished task. */
  readonly onProgress?: (done: number, total: number) => void;
}

export async function runPool<T, R>(tasks: readonly T[], options: PoolOptions): Promise<R[]> {
  if (!Number.isInteger(options.concurrency) || options.concurrency < 1) {
    throw new RangeError(`concurrency: must be a whole number >= 1, got ${options.concurrency}`);
  }
  const results = new Array<R>(tasks.length);
  if (tasks.length === 0) return results;
  const workers: Worker[] = [];
  let next = 0;
  let done = 0;
  try {
    await new Promise<void>((resolve, reject) => {
      let failed = false;
      const fail = (err: Error): void => {
        if (failed) return;
        failed = true;
        reject(err);
      };
      const feed = (w: Worker): void => {
        if (next >= tasks.length) return;
        const id = next++;
        w.postMessage({ id, task: tasks[id] });
      };
      const n = Math.min(options.concurrency, tasks.length);
      for (let k = 0; k < n; k++) {
        const w = options.createWorker();
        workers.push(w);
        w.on('message', (reply: WorkerReply<R>) => {
          if (!reply.ok) {
            fail(new Error(`task ${reply.id}: ${reply.error}`));
            return;
          }
          results[reply.id] = reply.result;
          done++;
          options.onProgress?.(done, tasks.length);
          if (done === tasks.length) resolve();
          else feed(w);
        });
        w.on('error', (err) => fail(new Error(`worker ${k}: ${err.message}`)));
        w.on('exit', (code) => {
          if (done < tasks.length) fail(new Error(`worker ${k}: exited with code ${code} before the sweep finished`));
        });
        feed(w);
      }
    });
  } finally {
    await Promise.all(workers.map((w) => w.terminate()));
  }
  return results;
}
