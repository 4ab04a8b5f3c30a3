/**
 * `walk-forward --queue`: one `walk-forward` job per window. A worker fits and tests its window exactly as a local
 * run does and returns the window's whole test record (backtests/record-codec), so the enqueuing command stitches
 * the out-of-sample series and writes the same files, byte for byte, as `walk-forward` without `--queue`.
 */
import { z } from 'zod';
import { parseWithSchema } from '../core/index.js';
import {
  type BacktestJob,
  type GridAxis,
  type WalkForwardObjective,
  type WalkForwardWindowResult,
  decodeBacktestRecord,
  encodeBacktestRecord,
} from '../backtests/index.js';
import type { PpoLagCheckpoint } from '../agents/index.js';
import type { JobOutput } from './processors.js';
import { type EnqueuedRun, enqueueAndWait } from './queue-client.js';

/** What a walk-forward job records: the window, the choice made on its train bars, and its test run in full. */
export function walkForwardWindowOutput(w: WalkForwardWindowResult): JobOutput {
  return {
    window: { ...w.window },
    chosen: w.chosenAgent,
    train_objective: w.trainObjective,
    training: w.training === undefined ? null : { ...w.training },
    // The test metrics in plain view (the Redis summary is read by people too); `record` is what the files come from.
    test: w.test.metrics,
    record: encodeBacktestRecord(w.test),
    // A learned agent's window policy: plain JSON as its checkpoint file holds it (written by the enqueuer).
    checkpoint: w.checkpoint ?? null,
  };
}

const whole = z.number().int().min(0);
/** JSON turns a NaN into null: a training figure that was NaN comes back as NaN. */
const figure = z
  .number()
  .nullable()
  .transform((v) => v ?? Number.NaN);

const windowOutputSchema = z.object({
  window: z.strictObject({ index: whole, trainStart: whole, trainEnd: whole, testStart: whole, testEnd: whole }),
  chosen: z.string(),
  train_objective: z.number().nullable(),
  training: z.strictObject({ seed: whole, episodeReturn: figure, episodeCost: figure }).nullable(),
  record: z.unknown(),
  checkpoint: z.looseObject({ format: z.string() }).nullable().optional(),
});

/** A walk-forward job's recorded output back as the window result runWalkForward would have made. */
export async function decodeWalkForwardWindow(output: unknown, source: string): Promise<WalkForwardWindowResult> {
  const o = parseWithSchema(windowOutputSchema, output, source);
  let checkpoint: PpoLagCheckpoint | undefined;
  if (o.checkpoint !== null && o.checkpoint !== undefined) {
    // Loaded only for a learned agent's windows (TensorFlow.js comes with it; the local run loads it too).
    const { CHECKPOINT_FORMAT } = await import('../agents/index.js');
    if (o.checkpoint.format !== CHECKPOINT_FORMAT) throw new RangeError(`${source}: checkpoint.format: expected ${CHECKPOINT_FORMAT}, got '${o.checkpoint.format}'`);
    // The recorded object itself (JSON in, the same JSON out): window-N/checkpoint.json equals the local run's.
    checkpoint = (output as { checkpoint: PpoLagCheckpoint }).checkpoint;
  }
  const test = decodeBacktestRecord(o.record, `${source}: record`);
  // The window as recorded, not zod's copy (which may order its keys differently in walk-forward.json).
  const window = (output as { window: typeof o.window }).window;
  return {
    window,
    chosenAgent: o.chosen,
    trainObjective: o.train_objective,
    test,
    ...(o.training === null ? {} : { training: o.training }),
    ...(checkpoint === undefined ? {} : { checkpoint }),
  };
}

export interface QueuedWalkForwardOptions {
  readonly redisUrl: string;
  /** The base job, its paths absolute (absoluteJobPaths): workers may run in another directory. */
  readonly job: BacktestJob;
  readonly axes: readonly GridAxis[];
  readonly trainBars: number;
  readonly testBars: number;
  readonly mode: 'rolling' | 'expanding';
  readonly objective: WalkForwardObjective;
  /** How many windows the series has (walkForwardWindows): one job each. */
  readonly windows: number;
  readonly runDir: string;
  readonly prefix?: string;
  readonly onProgress?: (done: number, total: number, workers: number) => void;
}

export interface QueuedWalkForward {
  readonly run: EnqueuedRun;
  /** The windows in order, as runWalkForward's `windows`. */
  readonly windows: readonly WalkForwardWindowResult[];
}

/** Queues one job per window, waits for every result, and decodes them in window order. */
export async function runWalkForwardOnQueue(o: QueuedWalkForwardOptions): Promise<QueuedWalkForward> {
  const items = Array.from({ length: o.windows }, (_, window) => ({
    job: o.job,
    axes: o.axes.map((a) => ({ key: a.key, values: [...a.values] })),
    trainBars: o.trainBars,
    testBars: o.testBars,
    mode: o.mode,
    objective: o.objective,
    window,
  }));
  const run = await enqueueAndWait({
    redisUrl: o.redisUrl,
    kind: 'walk-forward',
    items,
    runDir: o.runDir,
    ...(o.prefix === undefined ? {} : { prefix: o.prefix }),
    ...(o.onProgress === undefined ? {} : { onProgress: o.onProgress }),
  });
  const windows: WalkForwardWindowResult[] = [];
  for (const [i, r] of run.results.entries()) {
    const w = await decodeWalkForwardWindow(r.output, `walk-forward job ${r.jobId}`);
    if (w.window.index !== i) throw new RangeError(`walk-forward job ${r.jobId}: recorded window ${w.window.index}, expected ${i}`);
    windows.push(w);
  }
  return { run, windows };
}
