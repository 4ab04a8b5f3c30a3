/**
 * `train --queue`: one training run as a `train` job. The config is checked here first (a bad one fails before
 * anything is queued), every path is made absolute (a worker runs in a directory of its own) and the run directory
 * is where the local run would put it; the worker trains into it — storage the workers share — and reports each
 * epoch as job progress, which the command shows as the local run does.
 */
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { z } from 'zod';
import { definedFields } from '../core/index.js';
import type { EpochProgress, MetricRow, TrainRunOptions, TrainSummary } from '../agents/index.js';
import type { TrainPayload } from './payloads.js';
import { type EnqueuedRun, enqueueAndWait } from './queue-client.js';

/** The run as plain data: what `runTrainJob` takes, without its callbacks. */
export type QueuedTrainRun = Omit<TrainRunOptions, 'log' | 'onStart' | 'onEpoch' | 'signal'>;

export interface QueuedTrainOptions {
  readonly redisUrl: string;
  readonly run: QueuedTrainRun;
  readonly prefix?: string;
  /** Where the worker trains: 0 (default) in its own process, 1 in a worker thread with a heap cap (payloads.ts). */
  readonly tier?: 0 | 1;
  /** Tier 1's heap cap in MB (default the sandbox limits' memoryMb). */
  readonly memoryMb?: number;
  readonly onStart?: (run: { startEpoch: number; epochs: number; costLimit: number }) => void;
  /** Each epoch as the worker finished it (the row as metrics.jsonl holds it: a NaN stat reads null). */
  readonly onEpoch?: (row: MetricRow, progress: Pick<EpochProgress, 'envStepsPerSec'>) => void;
  /** Jobs recorded of one, and how many workers serve the queue. */
  readonly onQueue?: (done: number, total: number, workers: number) => void;
}

export interface QueuedTrain {
  readonly summary: TrainSummary;
  readonly run: EnqueuedRun;
}

const startEvent = z.object({ type: z.literal('start'), startEpoch: z.number(), epochs: z.number(), costLimit: z.number() });
const epochEvent = z.object({
  type: z.literal('epoch'),
  row: z.looseObject({ epoch: z.number().int() }),
  envStepsPerSec: z.number().nullable(),
});
const summarySchema = z.looseObject({ out: z.string(), epochs: z.number().int().min(0), interrupted: z.boolean() });

/** A data source given on the command line: a CSV path made absolute, a synthetic spec as given. */
async function absoluteSource(text: string | undefined, flag: string): Promise<string | undefined> {
  if (text === undefined) return undefined;
  const { parseDataSource } = await import('../agents/index.js');
  const s = parseDataSource(text, flag);
  return s.kind === 'csv' ? s.path : s.text;
}

/** The payload: the config checked, paths absolute, the run directory resolved as the local run resolves it. */
export async function trainPayloadOf(run: QueuedTrainRun, where: { tier?: 0 | 1; memoryMb?: number } = {}): Promise<Omit<TrainPayload, 'runId' | 'runDir'>> {
  const { defaultTrainOut, loadTrainFile } = await import('../agents/index.js');
  const config = resolve(run.config);
  const file = await loadTrainFile(config);
  const out = resolve(run.out || defaultTrainOut(file.train.algorithm, run.seed ?? file.train.seed));
  // Refused here as runTrainJob would refuse it on the worker, before a job is queued.
  if (run.resume !== true && existsSync(join(out, 'checkpoints', 'last.json'))) {
    throw new Error(`--out: ${out} already holds a run; pass --resume to continue it or choose another --out`);
  }
  if (run.resume === true && !existsSync(join(out, 'checkpoints', 'last.json'))) {
    throw new Error(`--resume: no checkpoint at ${join(out, 'checkpoints', 'last.json')}; train without --resume first`);
  }
  const data = await absoluteSource(run.data, '--data');
  const evalData = await absoluteSource(run.evalData, '--eval-data');
  return {
    config,
    out,
    ...definedFields({
      seed: run.seed,
      resume: run.resume,
      data,
      rules: run.rules === undefined ? undefined : resolve(run.rules),
      csv: run.csv,
      from: run.from,
      to: run.to,
      account: run.account,
      evalEvery: run.evalEvery,
      evalData,
      evalEpisodes: run.evalEpisodes,
      session: run.session,
      command: run.command === undefined ? undefined : [...run.command],
      tier: where.tier,
      memoryMb: where.memoryMb,
    }),
  };
}

/** Queues the run, shows its epochs as they finish, and returns the worker's summary once the run directory is there. */
export async function runTrainOnQueue(o: QueuedTrainOptions): Promise<QueuedTrain> {
  const payload = await trainPayloadOf(o.run, definedFields({ tier: o.tier, memoryMb: o.memoryMb }));
  const run = await enqueueAndWait({
    redisUrl: o.redisUrl,
    kind: 'train',
    items: [payload],
    // The queue's own record (jobs/JOB_ID.json) goes into the run directory with the run.
    runDir: payload.out,
    ...(o.prefix === undefined ? {} : { prefix: o.prefix }),
    ...(o.onQueue === undefined ? {} : { onProgress: o.onQueue }),
    onJobProgress: (_jobId, data) => {
      const start = startEvent.safeParse(data);
      if (start.success) return o.onStart?.(start.data);
      const epoch = epochEvent.safeParse(data);
      // The row as the worker logged it; JSON turned its NaN stats into null, which the epoch line prints as '-'.
      if (epoch.success) o.onEpoch?.(epoch.data.row as unknown as MetricRow, { envStepsPerSec: epoch.data.envStepsPerSec ?? Number.NaN });
    },
  });
  const result = run.results[0];
  if (result === undefined) throw new Error('train job: no result recorded');
  const summary = summarySchema.parse(result.output) as unknown as TrainSummary;
  // The worker wrote the run on its own machine when --out is not on storage it shares with this one: say so.
  if (!existsSync(join(payload.out, 'meta.json'))) {
    throw new Error(
      `--out: worker ${result.worker} finished the run (job ${result.jobId}) but ${payload.out} holds no meta.json here: --out must be on storage the workers share (the run is in ${summary.out} on the worker's machine)`,
    );
  }
  return { summary, run };
}
