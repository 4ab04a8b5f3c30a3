/** A sweep worker thread: runs each backtest job it is sent and posts back its metrics. */
import { parentPort } from 'node:worker_threads';
import type { BacktestJob } from './backtest-job.js';
import { runSweepCell } from './sweep.js';
import type { WorkerReply } from './worker-pool.js';
import type { BacktestMetrics } from './run-record.js';

const port = parentPort;
if (port === null) throw new Error('sweep-worker: must run as a worker thread');
port.on('message', (msg: { id: number; task: BacktestJob }) => {
  runSweepCell(msg.task).then(
    (metrics) => port.postMessage({ ok: true, id: msg.id, result: metrics } satisfies WorkerReply<BacktestMetrics>),
    (err: unknown) =>
      port.postMessage({ ok: false, id: msg.id, error: err instanceof Error ? err.message : String(err) } satisfies WorkerReply<BacktestMetrics>),
  );
});
