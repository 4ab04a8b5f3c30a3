/** Jobs across machines: BullMQ queues of backtests, sweep cells, walk-forward windows and training runs, and the workers that run them. */
export { type BacktestRunOptions, type BacktestRunResult, runBacktestInto } from './backtest-run.js';
export {
  type JobKind,
  type JobResult,
  type PayloadOf,
  type BacktestPayload,
  type SweepPayload,
  type WalkForwardPayload,
  type TrainPayload,
  type NoopPayload,
  JOB_KINDS,
  PAYLOAD_SCHEMAS,
  parseQueueList,
  jobResultSchema,
} from './payloads.js';
export { QueueRedisError, checkRedisUrl, connectQueueRedis } from './redis-connection.js';
export { type ResultKeys, resultKeys, resultFile, writeFileOnce, recordResult, readResults } from './result-store.js';
export { type ProcessorContext, type JobOutput, processJob } from './processors.js';
export { type QueueWorkerOptions, type QueueWorkerHandle, type WorkerEvent, DEFAULT_QUEUE_PREFIX, startQueueWorker } from './queue-worker.js';
export { type EnqueueOptions, type EnqueuedRun, QueueJobError, absoluteJobPaths, newRunId, jobIdOf, enqueueAndWait } from './queue-client.js';
export { type QueuedWalkForwardOptions, type QueuedWalkForward, walkForwardWindowOutput, decodeWalkForwardWindow, runWalkForwardOnQueue } from './walk-forward-run.js';
export { benchQueue } from './queue-bench.js';
export { type QueuedTrainRun, type QueuedTrainOptions, type QueuedTrain, trainPayloadOf, runTrainOnQueue } from './train-queue.js';
