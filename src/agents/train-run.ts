/**
 * A training run as a job: validate a YAML config, then train PPO-Lag (or resume) into a run directory with
 * config.json, meta.json, per-epoch metrics (JSONL and CSV), checkpoints every K epochs and after the last, and
 * an HTML learning curve. `bulwark train` is a thin parser over `runTrainJob`; a queue worker calls it directly
 * (nothing here imports cli/). Progress goes to the caller through callbacks, so the job draws nothing itself.
 */
import { existsSync } from 'node:fs';
import { appendFile, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { parseWithSchema, requireNonEmptyDocument, ValidationError } from '../core/index.js';
import { type Rules, loadRulesFile, parseRules } from '../constraints/index.js';
import { tradingEnvConfigSchema } from '../env/index.js';
import { initBackend } from './backend.js';
import { readCheckpointFile, writeCheckpointFile, type PpoLagCheckpoint } from './checkpoint.js';
import { trainPpoLag, type EpochProgress, type EpochStats } from './lagrangian-ppo.js';
import { learningCurveHtml } from './learning-curve.js';
import { deriveSizes, ppoHyperSchema } from './ppo-config.js';
import { loadTradingDataset, parseDataSource, regimeSourceText, tradingVecEnvFactory, type DataSource } from './trading-setup.js';
import { describeTrainedEnv } from './trained-env.js';

const DEFAULT_DATA = regimeSourceText(20_000, 1);

const trainFileSchema = z.strictObject({
  /** PPO-Lag hyperparameters (see agents/ppo-config.ts). */
  train: ppoHyperSchema.default(ppoHyperSchema.parse({})),
  task: z
    .strictObject({
      /**
       * Market data: a synthetic spec such as `regime:bars=20000,seed=3` (models gbm, regime, jump), or an OHLCV CSV
       * file (a path relative to this config file). Default `regime:bars=20000,seed=1`.
       */
      data: z.string().min(1).optional(),
      /** Shorthand for `data: regime:bars=BARS,seed=DATASEED` (not together with `data`). */
      bars: z.number().int().min(100).optional(),
      dataSeed: z.number().int().min(0).optional(),
      /** Use the env's action mask (the Constraint Logic Engine's, from `rules`; without rules every action is allowed). */
      useMask: z.boolean().default(true),
      /**
       * The Constraint Logic Engine's rules the training envs enforce: a rules file (YAML or JSON, a path relative
       * to this config file) or the rules inline. Without them the envs mask nothing.
       */
      rules: z.union([z.string().min(1), z.record(z.string(), z.unknown())]).optional(),
      /**
       * What an env does with an action the rules mask: `lenient` (default) replaces it by HOLD (a Box target is
       * projected onto the allowed interval) and counts it; `strict` makes it an error. A policy trained with
       * `useMask: true` never proposes a masked action; `lenient` lets one trained without the mask learn under the rules.
       */
      constraintMode: z.enum(['strict', 'lenient']).default('lenient'),
      env: tradingEnvConfigSchema.default(tradingEnvConfigSchema.parse({})),
    })
    .default({ useMask: true, constraintMode: 'lenient', env: tradingEnvConfigSchema.parse({}) }),
  /** Checkpoint every this many epochs (the last epoch is always saved). */
  checkpointEvery: z.number().int().min(0).default(10),
});

export type TrainFile = z.output<typeof trainFileSchema>;

/** The columns of `metrics.csv`, in order (the JSONL lines carry the same keys). */
export const METRIC_COLUMNS: readonly (keyof EpochStats)[] = [
  'epoch',
  'envSteps',
  'episodeReturn',
  'episodeCost',
  'costLimit',
  'lambda',
  'episodeLength',
  'episodes',
  'pgLoss',
  'vLossReward',
  'vLossCost',
  'entropy',
  'approxKl',
  'clipfrac',
  'explainedVariance',
  'explainedVarianceCost',
  'updatePasses',
  'maskedActions',
  'maskedSteps',
  'clippedActions',
];

/** Reads and validates a training config; relative paths in it (data, rules) resolve against its folder. */
export async function loadTrainFile(path: string): Promise<TrainFile> {
  let doc: unknown;
  try {
    doc = parseYaml(await readFile(path, 'utf8'));
  } catch (err) {
    if (err instanceof Error && 'code' in err && err.code === 'ENOENT') throw new Error(`--config ${path}: file not found`);
    throw new ValidationError(path, [{ path: '', message: `not valid YAML: ${err instanceof Error ? err.message : String(err)}` }]);
  }
  // An empty config used to train 50 epochs on defaults whose episodes never end (issue 15): it is refused instead.
  requireNonEmptyDocument(doc, path, 'a training config must state its task (data, env, rules) and train settings; start from examples/train-ppo-lag.yaml');
  const file = parseWithSchema(trainFileSchema, doc, path);
  try {
    deriveSizes(file.train);
  } catch {
    const { numMinibatches, numEnvs, rolloutSteps } = file.train;
    const message = `${numMinibatches} is more than the ${numEnvs * rolloutSteps} samples per epoch (numEnvs × rolloutSteps)`;
    throw new ValidationError(path, [{ path: 'train.numMinibatches', message }]);
  }
  const { data, bars, dataSeed } = file.task;
  if (data !== undefined && (bars !== undefined || dataSeed !== undefined)) {
    const both = bars !== undefined ? 'task.bars' : 'task.dataSeed';
    throw new ValidationError(path, [{ path: both, message: 'not together with task.data (put bars and seed in the spec)' }]);
  }
  // Check the data source and the rules now, so a bad spec fails before any file is written.
  parseDataSource(taskDataText(file), 'task.data', dirname(path));
  file.task.rules = resolveTaskRules(file.task.rules, path);
  return file;
}

/** `max_position_pct=0.2, max_drawdown_pct=0.1, …`: the rules that are set, for the run's log. */
function ruleSummary(rules: Rules): string {
  const set = Object.entries(rules).filter(([, v]) => v !== null && v !== undefined && typeof v !== 'object');
  return set.map(([k, v]) => `${k}=${String(v)}`).join(', ');
}

/**
 * The task's rules validated and inline (a file is read, relative to the config), so config.json records the
 * exact rules trained under and a resume compares them. Errors name `task.rules` and the problem.
 */
function resolveTaskRules(rules: string | Record<string, unknown> | undefined, configPath: string): Rules | undefined {
  if (rules === undefined) return undefined;
  if (typeof rules === 'string') return loadRulesFile(resolve(dirname(configPath), rules), `${configPath}: task.rules (${rules})`);
  return parseRules(rules, `${configPath}: task.rules`);
}

/** The task's data source text: `data`, or the legacy `bars`/`dataSeed` pair, or the default market. */
function taskDataText(file: TrainFile): string {
  const { data, bars, dataSeed } = file.task;
  if (data !== undefined) return data;
  return bars === undefined && dataSeed === undefined ? DEFAULT_DATA : regimeSourceText(bars ?? 20_000, dataSeed ?? 1);
}

function csvLine(e: EpochStats): string {
  return METRIC_COLUMNS.map((k) => String(e[k])).join(',');
}

export interface TrainRunOptions {
  /** The YAML config file. */
  config: string;
  /** Overrides train.seed. */
  seed?: number;
  /** Run directory; default runs/ppo-ALGORITHM-seedN. */
  out?: string;
  /** Continue from OUT/checkpoints/last.json. */
  resume?: boolean;
  /** Overrides task.data: a CSV file (relative to the working directory) or a synthetic spec. */
  data?: string;
  /** Overrides task.rules: a rules file (relative to the working directory). */
  rules?: string;
  /** Where the run's setup lines go (backend, data, constraints); default stderr. */
  log?: (line: string) => void;
  /** Called once training is about to start: the epoch range and the cost limit. */
  onStart?: (run: { startEpoch: number; epochs: number; costLimit: number }) => void;
  /** Called after each epoch, once its metrics are written. */
  onEpoch?: (stats: EpochStats, progress: EpochProgress) => void;
}

export interface TrainSummary {
  out: string;
  backend: string;
  data: string;
  epochs: number;
  envSteps: number | undefined;
  episodeReturn: number | undefined;
  episodeCost: number | undefined;
  costLimit: number;
  lambda: number | undefined;
}

/** A whole training job: validate, train (or resume), write the run directory. */
export async function runTrainJob(opts: TrainRunOptions): Promise<TrainSummary> {
  const file = await loadTrainFile(opts.config);
  if (opts.seed !== undefined) file.train.seed = opts.seed;
  if (opts.rules !== undefined) file.task.rules = loadRulesFile(opts.rules, `--rules ${opts.rules}`);
  const source = opts.data !== undefined ? parseDataSource(opts.data, '--data') : parseDataSource(taskDataText(file), 'task.data', dirname(opts.config));
  // Record the source as resolved (CSV paths absolute), so config.json says exactly what was trained on.
  file.task = { ...file.task, data: source.kind === 'csv' ? source.path : source.text, bars: undefined, dataSeed: undefined };
  const out = opts.out || join('runs', `ppo-${file.train.algorithm}-seed${file.train.seed}`);
  const ckptDir = join(out, 'checkpoints');
  if (opts.resume === true && !existsSync(join(ckptDir, 'last.json'))) {
    throw new Error(`--resume: no checkpoint at ${join(ckptDir, 'last.json')}; train without --resume first`);
  }
  const resume = opts.resume === true ? await readCheckpointFile(join(ckptDir, 'last.json')) : undefined;
  if (opts.resume !== true && existsSync(join(ckptDir, 'last.json'))) {
    throw new Error(`--out: ${out} already holds a run; pass --resume to continue it or choose another --out`);
  }
  if (resume) await checkSameTask(join(out, 'config.json'), file);
  const createdOut = !existsSync(out);
  try {
    return await trainInto(out, file, source, resume, opts);
  } catch (err) {
    // A run that fails before its first checkpoint leaves no half-written directory (only one it created).
    if (createdOut && !existsSync(join(ckptDir, 'last.json'))) await rm(out, { recursive: true, force: true });
    throw err;
  }
}

/** Trains (or resumes) into `out`, writing config, metadata, metrics, checkpoints and the learning curve. */
async function trainInto(
  out: string,
  file: TrainFile,
  source: DataSource,
  resume: PpoLagCheckpoint | undefined,
  opts: TrainRunOptions,
): Promise<TrainSummary> {
  const log = opts.log ?? ((line: string) => process.stderr.write(`${line}\n`));
  const ckptDir = join(out, 'checkpoints');
  const backend = await initBackend();
  log(`backend: ${backend.name}${backend.skipped.length ? ` (skipped ${backend.skipped.join('; ')})` : ''}`);
  const { dataset, description } = await loadTradingDataset(source);
  const trainedEnv = describeTrainedEnv(dataset, file.task.env, { useMask: file.task.useMask });
  log(`data: ${description}`);
  // loadTrainFile and --rules leave the rules validated and inline; a path here would be a bug, so refuse.
  if (typeof file.task.rules === 'string') throw new Error(`task.rules: expected the rules resolved, got the path ${file.task.rules}`);
  const rules = file.task.rules === undefined ? undefined : parseRules(file.task.rules, 'task.rules');
  const constraints = rules === undefined ? undefined : { rules, mode: file.task.constraintMode };
  log(
    rules === undefined
      ? 'constraints: none (no task.rules): the envs mask nothing'
      : `constraints: ${ruleSummary(rules)} (${file.task.constraintMode}); the policy ${file.task.useMask ? 'sees' : 'does not see'} the mask`,
  );
  await mkdir(ckptDir, { recursive: true });
  await writeFile(join(out, 'config.json'), `${JSON.stringify(file, null, 2)}\n`);
  await writeFile(
    join(out, 'meta.json'),
    `${JSON.stringify({ backend: backend.name, backendSkipped: backend.skipped, tfjs: backend.tfjsVersion, node: process.version, seed: file.train.seed, data: description, resumedFromEpoch: resume?.epoch ?? null }, null, 2)}\n`,
  );
  // Metric files restart from the checkpoint's history, so a resumed run's files equal an uninterrupted run's.
  const jsonlPath = join(out, 'metrics.jsonl');
  const csvPath = join(out, 'metrics.csv');
  const past = resume?.history ?? [];
  await writeFile(jsonlPath, past.map((e) => `${JSON.stringify(e)}\n`).join(''));
  await writeFile(csvPath, `${METRIC_COLUMNS.join(',')}\n${past.map((e) => `${csvLine(e)}\n`).join('')}`);

  opts.onStart?.({ startEpoch: resume?.epoch ?? 0, epochs: file.train.epochs, costLimit: file.train.costLimit });
  const result = await trainPpoLag({
    ...file.train,
    makeVecEnv: tradingVecEnvFactory(dataset, file.task.env, constraints),
    useMask: file.task.useMask,
    resume,
    checkpointEvery: file.checkpointEvery,
    onEpoch: async (e, p) => {
      await appendFile(jsonlPath, `${JSON.stringify(e)}\n`);
      await appendFile(csvPath, `${csvLine(e)}\n`);
      opts.onEpoch?.(e, p);
    },
    onCheckpoint: async (snapshot) => {
      // The env section makes the checkpoint self-describing: `bulwark backtest --agent` rebuilds the observations from it.
      const c = { ...snapshot, env: trainedEnv };
      await writeCheckpointFile(join(ckptDir, `epoch-${String(c.epoch).padStart(5, '0')}.json`), c);
      await writeCheckpointFile(join(ckptDir, 'last.json'), c);
    },
  });
  result.policy.dispose();
  await writeFile(join(out, 'curve.html'), learningCurveHtml(`PPO (${file.train.algorithm}) seed ${file.train.seed}`, result.history));
  const last = result.history.at(-1);
  return {
    out,
    backend: result.backend.name,
    data: description,
    epochs: result.history.length,
    envSteps: last?.envSteps,
    episodeReturn: last?.episodeReturn,
    episodeCost: last?.episodeCost,
    costLimit: file.train.costLimit,
    lambda: last?.lambda,
  };
}

/** A resumed run must train on the same task (data, env, mask): the checkpoint only checks hyperparameters. */
async function checkSameTask(savedConfigPath: string, file: TrainFile): Promise<void> {
  if (!existsSync(savedConfigPath)) return;
  const saved: unknown = JSON.parse(await readFile(savedConfigPath, 'utf8'));
  const savedTask = typeof saved === 'object' && saved !== null && 'task' in saved ? saved.task : undefined;
  if (JSON.stringify(savedTask) !== JSON.stringify(JSON.parse(JSON.stringify(file.task)))) {
    throw new Error(`--resume: task (data, env, useMask, rules) differs from the run in ${savedConfigPath}; only train.epochs may change`);
  }
}
