/**
 * The training thread of a tier-1 `train` job (train-in-thread.ts starts it): it receives the run as plain data,
 * runs `runTrainJob` — TensorFlow.js loads here, never in the worker's own thread — and posts its log lines,
 * progress and summary back. An error is posted as a message; a crash or an out-of-memory stop ends the thread,
 * which the supervisor reports.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { trainProgressHooks } from './train-progress.js';
import type { QueuedTrainRun } from './train-queue.js';

/** What the thread posts to the supervisor, in order: logs and progress, then one result or one error. */
export type TrainThreadMessage =
  | { readonly t: 'log'; readonly line: string }
  | { readonly t: 'progress'; readonly event: Record<string, unknown> }
  | { readonly t: 'result'; readonly summary: Record<string, unknown> }
  | { readonly t: 'error'; readonly message: string };

const port = parentPort;
if (port === null) throw new Error('train-thread: must run as a worker thread');
const post = (m: TrainThreadMessage): void => port.postMessage(m);
const run = (workerData as { run: QueuedTrainRun }).run;
try {
  const { runTrainJob } = await import('../agents/index.js');
  const summary = await runTrainJob({
    ...run,
    log: (line) => post({ t: 'log', line }),
    ...trainProgressHooks((event) => post({ t: 'progress', event })),
  });
  post({ t: 'result', summary: { ...summary } });
} catch (err) {
  post({ t: 'error', message: err instanceof Error ? err.message : String(err) });
}
