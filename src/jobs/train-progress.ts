/**
 * A training job's progress events, written where the run trains (the worker's thread in tier 0, the training
 * thread in tier 1) and read back by `train --queue` (`startEvent` and `epochEvent` in train-queue.ts): one shape, in one place.
 */
import type { TrainRunOptions } from '../agents/index.js';

/** `runTrainJob`'s start and epoch hooks, each reporting its job-progress event. */
export function trainProgressHooks(report: (event: Record<string, unknown>) => void): Required<Pick<TrainRunOptions, 'onStart' | 'onEpoch'>> {
  return {
    onStart: (start) => report({ type: 'start', ...start }),
    onEpoch: (row, progress) => report({ type: 'epoch', row, envStepsPerSec: progress.envStepsPerSec }),
  };
}
