/** A sweep worker thread: runs each backtest job it is sent and posts back its metrics. */
import { parentPort } from 'node:worker_threads';
import { type BacktestJob, runJob } from './backtest-job.js';
import { loadCheckpointAgent } from './checkpoint-agent.js';
import type { WorkerReply } from './worker-pool.js';
import type { BacktestMetrics } from './run-record.js';

const port = parentPort;
if (port === null) throw new Error('sweep-worker: must run as a worker thread');
port.on('message', (msg: { id: number; task: BacktestJob }) => {
  runJob(msg.task, { benchmark: false, loadAgent: loadCheckpointAgent }).then(
    (rec) => port.postMessage({ ok: true, id: msg.id, result: rec.metrics } satisfies WorkerReply<BacktestMetrics>),
    (err: unknown) =>
      port.postMessage({ ok: false, id: msg.id, error: err instanceof Error ? err.message : String(err) } satisfies WorkerReply<BacktestMetrics>),
  );
});
