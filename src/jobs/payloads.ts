/**
 * The job kinds, one BullMQ queue each, and their payloads and results as zod schemas: a payload crosses machines
 * as JSON, so a worker validates it before running anything (a bad field fails the job, naming the field).
 * Payloads are data only — paths, specs and numbers; never code. A module agent's file is read by the sandbox.
 */
import { z } from 'zod';
import { parseWithSchema } from '../core/index.js';
import { csvLoadOptionsSchema } from '../data/index.js';
import { sandboxLimitsSchema } from '../sandbox/index.js';

/** `noop` runs nothing and records an empty result: the queue benchmark's trivial job, and a smoke test of a worker fleet. */
export const JOB_KINDS = ['backtest', 'sweep', 'walk-forward', 'train', 'noop'] as const;
export type JobKind = (typeof JOB_KINDS)[number];

/** Parses `--queues backtest,sweep` (or `all`: every kind that does work, so not noop); the error lists the kinds. */
export function parseQueueList(text: string, flag = '--queues'): JobKind[] {
  if (text.trim() === 'all') return JOB_KINDS.filter((k) => k !== 'noop');
  const kinds = text.split(',').map((s) => s.trim());
  const out: JobKind[] = [];
  for (const k of kinds) {
    const kind = JOB_KINDS.find((j) => j === k);
    if (kind === undefined) throw new RangeError(`${flag}: '${k}' is not a queue; give some of ${JOB_KINDS.join(', ')} (comma-separated) or all (every one but noop)`);
    if (!out.includes(kind)) out.push(kind);
  }
  return out;
}

const finiteAtLeast0 = z.number().finite().min(0);

/** The plain-data description of one backtest (backtests/BacktestJob), as it travels between machines. */
export const backtestJobSchema = z.strictObject({
  agent: z.string().min(1),
  data: z.string().min(1).optional(),
  synth: z.string().min(1).optional(),
  rules: z.string().min(1).optional(),
  risk: z.string().min(1).optional(),
  config: z.string().min(1).optional(),
  feesBps: finiteAtLeast0.optional(),
  spreadBps: finiteAtLeast0.optional(),
  slippageBps: finiteAtLeast0.optional(),
  cash: z.number().finite().positive().optional(),
  from: z.string().optional(),
  to: z.string().optional(),
  seed: z.number().int().min(0).optional(),
  periodsPerYear: z.number().finite().positive().optional(),
  /** Checkpoint agents: only the bars their training did not see. */
  heldOut: z.boolean().optional(),
  /** The instrument's trading day (`--day-start`, `--timezone`); checked again where the instrument is made. */
  session: z.strictObject({ timezone: z.string().min(1), dayStartsAt: z.string().min(1) }).optional(),
  /** The CSV loader's options for `data`. */
  csv: csvLoadOptionsSchema.optional(),
  // Checked by prepareJob as the flag is (cash or margin), with the config file's account.
  account: z.string().min(1).optional(),
  leverage: z.number().finite().positive().optional(),
  maintenanceMargin: z.number().finite().positive().optional(),
});

/** What a job asks of the sandbox for its agent: the tier (raised from the risk score's, never lowered). */
export const sandboxRequestSchema = z.strictObject({
  tier: z.union([z.literal(0), z.literal(1), z.literal(2), z.literal(3)]).optional(),
  origin: z.enum(['local', 'third-party']).default('local'),
  trustedKeysDir: z.string().min(1).optional(),
  decisionTimeoutMs: z.number().finite().min(1).optional(),
});

const common = {
  /** The run this job belongs to: its results are collected under this id. */
  runId: z.string().regex(/^[A-Za-z0-9_.-]{1,120}$/, 'letters, digits, _ . - only (it names Redis keys and files)'),
  /** Absolute run directory on storage the workers share; result files are named by job id in it. Null: Redis only. */
  runDir: z.string().min(1).nullable(),
};

export const backtestPayloadSchema = z.strictObject({ ...common, job: backtestJobSchema, sandbox: sandboxRequestSchema.default({ origin: 'local' }) });
export const sweepPayloadSchema = z.strictObject({ ...common, job: backtestJobSchema });
export const walkForwardPayloadSchema = z.strictObject({
  ...common,
  job: backtestJobSchema,
  axes: z.array(z.strictObject({ key: z.string().min(1), values: z.array(z.number().finite()).min(1) })),
  trainBars: z.number().int().min(1),
  testBars: z.number().int().min(1),
  mode: z.enum(['rolling', 'expanding']),
  objective: z.enum(['sharpe', 'total_return', 'calmar']),
  /** Which window of the series this job fits and tests (0-based). */
  window: z.number().int().min(0),
});
export const trainPayloadSchema = z.strictObject({
  ...common,
  /** The training YAML config (a path the worker can read). */
  config: z.string().min(1),
  seed: z.number().int().min(0).optional(),
  /** The training run directory. */
  out: z.string().min(1),
  resume: z.boolean().optional(),
  data: z.string().min(1).optional(),
  rules: z.string().min(1).optional(),
  /** The CSV flags, task.from/task.to and account overrides of `bulwark train`. */
  csv: csvLoadOptionsSchema.optional(),
  from: z.string().min(1).optional(),
  to: z.string().min(1).optional(),
  account: z
    .strictObject({ account: z.enum(['cash', 'margin']).optional(), leverage: z.number().finite().positive().optional(), maintenanceMargin: z.number().finite().positive().optional() })
    .optional(),
  evalEvery: z.number().int().min(1).optional(),
  evalData: z.string().min(1).optional(),
  evalEpisodes: z.number().int().min(1).optional(),
  /** `--day-start` / `--timezone` of `bulwark train` (task.session overrides; checked again by the run). */
  session: z.strictObject({ timezone: z.string().min(1).optional(), dayStartsAt: z.string().min(1).optional() }).optional(),
  /** The command line that queued the run, for meta.json. */
  command: z.array(z.string()).optional(),
  /**
   * Where the run trains. Training is this package's own PPO code on the job's data, never a job's code, so only
   * containment applies: tier 0 (default) trains in the worker's own process, at full speed, and a crash or an
   * out-of-memory there takes the worker and its other jobs down; tier 1 trains in a worker thread with a heap
   * cap (`memoryMb`), so running out of memory or crashing fails this job only and the worker takes the next one
   * (not a security boundary: same process, files and network). Tiers 2 and 3 isolate agent code, which a
   * training job has none of: refused, naming the field, rather than ignored.
   */
  tier: z
    .union([z.literal(0), z.literal(1)], {
      error: 'training runs built-in PPO code, no job code: tier 0 (in the worker) or tier 1 (a worker thread with a memory cap, crash containment); tiers 2-3 are for agent code',
    })
    .optional(),
  /** Tier 1's heap cap in MB; default the sandbox limits' memoryMb. Refused without tier 1 (it would cap nothing). */
  memoryMb: sandboxLimitsSchema.shape.memoryMb.unwrap().optional(),
}).refine((p) => p.memoryMb === undefined || p.tier === 1, { path: ['memoryMb'], message: 'caps the tier-1 training thread: give tier 1 with it' });

export const noopPayloadSchema = z.strictObject({ ...common });

export type BacktestPayload = z.input<typeof backtestPayloadSchema>;
export type SweepPayload = z.input<typeof sweepPayloadSchema>;
export type WalkForwardPayload = z.input<typeof walkForwardPayloadSchema>;
export type TrainPayload = z.input<typeof trainPayloadSchema>;
export type NoopPayload = z.input<typeof noopPayloadSchema>;

export interface PayloadOf {
  backtest: BacktestPayload;
  sweep: SweepPayload;
  'walk-forward': WalkForwardPayload;
  train: TrainPayload;
  noop: NoopPayload;
}

/** The schema of each kind's payload. */
export const PAYLOAD_SCHEMAS = {
  backtest: backtestPayloadSchema,
  sweep: sweepPayloadSchema,
  'walk-forward': walkForwardPayloadSchema,
  train: trainPayloadSchema,
  noop: noopPayloadSchema,
} as const;

/** Validates a payload's run fields (every kind has them) before the kind's own schema runs. */
export function payloadRun(data: unknown, source: string): { runId: string; runDir: string | null } {
  return parseWithSchema(z.object(common), data, source);
}

/** What a finished job records, once: its kind, who ran it, and the kind's own output (metrics, files). */
export const jobResultSchema = z.strictObject({
  jobId: z.string(),
  kind: z.enum(JOB_KINDS),
  /** The worker that recorded it (host:pid). */
  worker: z.string(),
  finishedAt: z.string(),
  output: z.record(z.string(), z.unknown()),
});
export type JobResult = z.output<typeof jobResultSchema>;
