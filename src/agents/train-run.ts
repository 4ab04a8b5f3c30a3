/**
 * A training run as a job: validate a YAML config, then train PPO-Lag (or resume) into a run directory with
 * config.json, meta.json, per-epoch metrics (JSONL and CSV), checkpoints every K epochs and after the last, and
 * an HTML learning curve. `bulwark train` is a thin parser over `runTrainJob`; a queue worker calls it directly
 * (nothing here imports cli/). Progress goes to the caller through callbacks, so the job draws nothing itself.
 */
import { existsSync } from 'node:fs';
import { appendFile, mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { type TradingSession, describeTradingSession, isUtcSession, parseTradingSession, parseWithSchema, requireNonEmptyDocument, ValidationError, withTradingSession } from '../core/index.js';
import { type Rules, loadRulesFile, parseRules } from '../constraints/index.js';
import { type CsvLoadOptions, csvLoadOptionsSchema } from '../data/index.js';
import { type AccountType, accountConfigOf, accountWithOverrides, describeAccount, parseAccountConfig } from '../venues/index.js';
import { type ConstraintsOption, parseTradingEnvConfig, resolveEpisodeRange, tradingEnvConfigSchema } from '../env/index.js';
import { initBackend, type BackendInfo } from './backend.js';
import { buildInfo } from './build-info.js';
import { readCheckpointFile, writeCheckpointFile, type PpoLagCheckpoint } from './checkpoint.js';
import { evaluatePolicy } from './evaluate-policy.js';
import { trainPpoLag, type EpochProgress, type EpochStats } from './lagrangian-ppo.js';
import { learningCurveHtml } from './learning-curve.js';
import { policyFromCheckpoint } from './policy-checkpoint.js';
import { deriveSizes, ppoHyperSchema } from './ppo-config.js';
import { type DataIdentity, type TrainingProvenance, csvIdentity, provenanceWarnings, recordProvenance, synthIdentity } from './provenance.js';
import { loadTradingDataset, parseDataSource, regimeSourceText, tradingVecEnvFactory, type DataSource } from './trading-setup.js';
import { type TrainedEnv, checkObservationLayout, describeTrainedEnv } from './trained-env.js';

const DEFAULT_DATA = regimeSourceText(20_000, 1);

/** Metric keys that hold wall-clock values: they differ between otherwise identical runs. */
export const WALL_CLOCK_COLUMNS: readonly string[] = ['time', 'wallSeconds'];

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
      /** How a CSV `data` file is read (duplicates, gaps, outliers, columns, scale, time unit); the CSV flags override it per key. */
      csv: csvLoadOptionsSchema.optional(),
      /** Inclusive bounds on bar open time (ISO-8601, UTC when no zone): train on that part of the data only. */
      from: z.string().min(1).optional(),
      to: z.string().min(1).optional(),
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
      /**
       * The instrument's trading day (where the daily-loss limit and trades per day roll): `dayStartsAt` HH:MM local
       * time in the IANA `timezone` (DST followed). Default UTC days; `--day-start`/`--timezone` override it key by key.
       */
      session: z.strictObject({ timezone: z.string().optional(), dayStartsAt: z.string().optional() }).optional(),
      env: tradingEnvConfigSchema.default(tradingEnvConfigSchema.parse({})),
    })
    .default({ useMask: true, constraintMode: 'lenient', env: tradingEnvConfigSchema.parse({}) }),
  /** Checkpoint every this many epochs (the last epoch is always saved). */
  checkpointEvery: z.number().int().min(0).default(10),
  /**
   * Score the policy on held-out data every `every` epochs (and after the last), into the metric files and the
   * learning curve. Training is the same with or without it (evaluation draws from its own seed).
   */
  eval: z
    .strictObject({
      every: z.number().int().min(1),
      /** A synthetic spec or an OHLCV CSV file (relative to this config file), as task.data. */
      data: z.string().min(1),
      episodes: z.number().int().min(1).default(10),
      deterministic: z.boolean().default(true),
      seed: z.number().int().min(0).default(0),
    })
    .optional(),
});

export type TrainFile = z.output<typeof trainFileSchema>;

/** Held-out evaluation of an epoch (`eval.every`): blank in the CSV, absent in the JSONL, on other epochs. */
export interface EvalColumns {
  evalEpisodes: number;
  evalReturn: number;
  evalReturnSd: number;
  evalCost: number;
  evalCostSd: number;
  /** Episodes whose cost exceeded the cost limit. */
  evalOverLimit: number;
  evalMaskedSteps: number;
  evalRejected: number;
}

const EVAL_COLUMNS: readonly (keyof EvalColumns)[] = [
  'evalEpisodes',
  'evalReturn',
  'evalReturnSd',
  'evalCost',
  'evalCostSd',
  'evalOverLimit',
  'evalMaskedSteps',
  'evalRejected',
];

/**
 * One line of the metric files: the epoch's stats (a pure function of config and seed), when it ended (`time`,
 * ISO UTC) and how long it took (`wallSeconds`), and its held-out evaluation if one ran.
 */
export type MetricRow = EpochStats & {
  /**
   * (step, env, action) entries the mask disallowed: `maskedActions` under a name that says what it counts (not
   * proposals blocked, which a mask-aware policy never makes). `maskedActions` stays in the JSONL for one release.
   */
  maskedMaskEntries: number;
  time: string;
  wallSeconds: number;
} & Partial<EvalColumns>;

/** The columns of `metrics.csv`, in order (the JSONL lines carry the same keys). */
export const METRIC_COLUMNS: readonly (keyof MetricRow)[] = [
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
  // Renamed from maskedActions in place (issue 17): the column keeps its position; the JSONL keeps the old key too.
  'maskedMaskEntries',
  'maskedSteps',
  'clippedActions',
  // Appended columns (issue 15, 17): older readers keep their column positions.
  'lambdaCost',
  'time',
  'wallSeconds',
  ...EVAL_COLUMNS,
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
  if (file.task.session !== undefined) file.task.session = recordedSession(parseTradingSession(file.task.session, path, 'task.session.'));
  return file;
}

/** The session as config.json records it: absent for plain UTC days, so a run from before sessions resumes as it was. */
function recordedSession(session: TradingSession): TradingSession | undefined {
  return isUtcSession(session) ? undefined : session;
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

/** The training instrument's trading day: task.session (flags applied), undefined for plain UTC days. */
function trainingSession(file: TrainFile): TradingSession | undefined {
  const s = file.task.session;
  return s === undefined ? undefined : parseTradingSession(s, 'task.session');
}

/** The task's data source text: `data`, or the legacy `bars`/`dataSeed` pair, or the default market. */
function taskDataText(file: TrainFile): string {
  const { data, bars, dataSeed } = file.task;
  if (data !== undefined) return data;
  return bars === undefined && dataSeed === undefined ? DEFAULT_DATA : regimeSourceText(bars ?? 20_000, dataSeed ?? 1);
}

const STAT_KEYS = new Set<string>(METRIC_COLUMNS.filter((k) => k !== 'time' && k !== 'wallSeconds' && !(EVAL_COLUMNS as readonly string[]).includes(k)));

function csvLine(row: MetricRow): string {
  return METRIC_COLUMNS.map((k) => {
    const v = row[k];
    // A stat read back from a checkpoint's JSON has NaN as null: print it as the live run did.
    if (STAT_KEYS.has(k)) return String(v ?? Number.NaN);
    return v === undefined || v === null ? '' : String(v);
  }).join(',');
}

/** The run directory when no --out is given: runs/ppo-ALGORITHM-seedN, relative to the working directory. */
export function defaultTrainOut(algorithm: string, seed: number): string {
  return join('runs', `ppo-${algorithm}-seed${seed}`);
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
  /** The CSV flags (--duplicates, --outliers, …): override task.csv key by key; for a CSV data source only. */
  csv?: CsvLoadOptions;
  /** Override task.from / task.to: train on the bars whose open time lies within them. */
  from?: string;
  to?: string;
  /** `--account`, `--leverage`, `--maintenance-margin`: override task.env.account key by key. */
  account?: { account?: AccountType; leverage?: number; maintenanceMargin?: number };
  /** `--day-start` (dayStartsAt) / `--timezone`: override task.session key by key (each checked, naming its flag). */
  session?: { timezone?: string; dayStartsAt?: string };
  /** Overrides eval.every / eval.data (eval.data relative to the working directory); both, or eval in the config. */
  evalEvery?: number;
  evalData?: string;
  evalEpisodes?: number;
  /** The command line that started the run, for meta.json (e.g. ['bulwark', 'train', '--config', …]). */
  command?: readonly string[];
  /** Where the run's setup lines and warnings go (backend, data, constraints); default stderr. */
  log?: (line: string) => void;
  /** Called once training is about to start: the epoch range and the cost limit. */
  onStart?: (run: { startEpoch: number; epochs: number; costLimit: number }) => void;
  /** Called after each epoch, once its metrics are written. */
  onEpoch?: (row: MetricRow, progress: EpochProgress) => void;
  /**
   * Aborting it stops the run after the epoch in progress, with a checkpoint of that epoch (SIGINT in the CLI);
   * the summary then says `interrupted: true`.
   */
  signal?: AbortSignal;
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
  /** True when the run stopped early on `signal`; its last checkpoint is the last epoch finished. */
  interrupted: boolean;
}

/** A whole training job: validate, train (or resume), write the run directory. */
export async function runTrainJob(opts: TrainRunOptions): Promise<TrainSummary> {
  const file = await loadTrainFile(opts.config);
  if (opts.seed !== undefined) file.train.seed = opts.seed;
  if (opts.rules !== undefined) file.task.rules = loadRulesFile(opts.rules, `--rules ${opts.rules}`);
  if (opts.account !== undefined && Object.keys(opts.account).length > 0) {
    // Recorded resolved in config.json (task.env.account), so a resume on another account is refused like other data.
    const merged = accountWithOverrides(file.task.env.account, opts.account);
    file.task.env.account = accountConfigOf(parseAccountConfig(merged, 'account (--account, --leverage, --maintenance-margin or task.env.account)'));
  }
  if (opts.session !== undefined && Object.values(opts.session).some((v) => v !== undefined)) {
    // Recorded resolved in config.json (task.session), so a resume on another trading day is refused by name.
    const merged = { ...file.task.session, ...Object.fromEntries(Object.entries(opts.session).filter(([, v]) => v !== undefined)) };
    file.task.session = recordedSession(parseTradingSession(merged, 'trading day (--day-start, --timezone or task.session)'));
  }
  const source = opts.data !== undefined ? parseDataSource(opts.data, '--data') : parseDataSource(taskDataText(file), 'task.data', dirname(opts.config));
  // Record the source as resolved (CSV paths absolute), so config.json says exactly what was trained on.
  file.task = { ...file.task, data: source.kind === 'csv' ? source.path : source.text, bars: undefined, dataSeed: undefined, ...dataLoadOverrides(file, opts, source) };
  const evalSource = resolveEval(file, opts);
  const out = opts.out || defaultTrainOut(file.train.algorithm, file.train.seed);
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
  const meta = new RunMeta(join(out, 'meta.json'), opts.command);
  try {
    return await trainInto(out, file, source, evalSource, resume, opts, meta);
  } catch (err) {
    // A run that fails before its first checkpoint leaves no half-written directory (only one it created).
    if (createdOut && !existsSync(join(ckptDir, 'last.json'))) await rm(out, { recursive: true, force: true });
    else await meta.end('failed', null, err instanceof Error ? err.message : String(err)).catch(() => undefined);
    throw err;
  }
}

/**
 * task.csv / task.from / task.to with the flags applied (a flag wins over the config, key by key), recorded in
 * config.json so a resume with other CSV flags or another range is refused like one on other data.
 */
function dataLoadOverrides(file: TrainFile, opts: TrainRunOptions, source: DataSource): Pick<TrainFile['task'], 'csv' | 'from' | 'to'> {
  const csv = { ...file.task.csv, ...opts.csv };
  const given = Object.keys(csv).filter((k) => csv[k as keyof typeof csv] !== undefined);
  if (given.length > 0 && source.kind !== 'csv') {
    const what = opts.csv !== undefined && Object.keys(opts.csv).length > 0 ? 'the CSV flags' : 'task.csv';
    throw new RangeError(`${what} (${given.join(', ')}): apply to a CSV data file, but the data is the synthetic market ${source.text}`);
  }
  const from = opts.from ?? file.task.from;
  const to = opts.to ?? file.task.to;
  return { csv: given.length > 0 ? csv : undefined, from, to };
}

/** The eval section with the flags applied, its data source checked now (before anything is written). */
function resolveEval(file: TrainFile, opts: TrainRunOptions): DataSource | null {
  const fromFlags = opts.evalEvery !== undefined || opts.evalData !== undefined || opts.evalEpisodes !== undefined;
  if (fromFlags) {
    const every = opts.evalEvery ?? file.eval?.every;
    const data = opts.evalData ?? file.eval?.data;
    if (every === undefined || data === undefined) {
      throw new RangeError(`--eval-every and --eval-data: give both (or an eval section in the config); got ${every === undefined ? 'no --eval-every' : 'no --eval-data'}`);
    }
    file.eval = { episodes: 10, deterministic: true, seed: 0, ...file.eval, every, data, ...(opts.evalEpisodes === undefined ? {} : { episodes: opts.evalEpisodes }) };
    const source = opts.evalData !== undefined ? parseDataSource(opts.evalData, '--eval-data') : parseDataSource(data, 'eval.data', dirname(opts.config));
    file.eval.data = source.kind === 'csv' ? source.path : source.text;
    return source;
  }
  if (file.eval === undefined) return null;
  const source = parseDataSource(file.eval.data, 'eval.data', dirname(opts.config));
  file.eval.data = source.kind === 'csv' ? source.path : source.text;
  return source;
}

async function identityOf(source: DataSource): Promise<DataIdentity> {
  return source.kind === 'csv' ? csvIdentity(source.path) : synthIdentity(source.text);
}

/** Trains (or resumes) into `out`, writing config, metadata, metrics, checkpoints and the learning curve. */
async function trainInto(
  out: string,
  file: TrainFile,
  source: DataSource,
  evalSource: DataSource | null,
  resume: PpoLagCheckpoint | undefined,
  opts: TrainRunOptions,
  meta: RunMeta,
): Promise<TrainSummary> {
  const log = opts.log ?? ((line: string) => process.stderr.write(`${line}\n`));
  const ckptDir = join(out, 'checkpoints');
  const backend = await initBackend();
  log(`backend: ${backend.name}${backend.skipped.length ? ` (skipped ${backend.skipped.join('; ')})` : ''}`);
  const { csv, from, to } = file.task;
  const loadedData = await loadTradingDataset(source, { csv, from, to });
  const { description } = loadedData;
  const session = trainingSession(file);
  const dataset = { ...loadedData.dataset, instrument: withTradingSession(loadedData.dataset.instrument, session) };
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
  const envConfig = parseTradingEnvConfig(file.task.env, 'task.env');
  log(`account: ${describeAccount(envConfig.accountModel)}; trading day: ${describeTradingSession(session)}`);
  const provenance = recordProvenance({
    rules,
    data: await identityOf(source),
    bars: dataset.bars,
    range: resolveEpisodeRange(envConfig, dataset),
    fill: envConfig.fill,
    initialCash: envConfig.initialCash,
    constraintMode: file.task.constraintMode,
    account: envConfig.accountModel,
    session,
  });
  const evaluation = evalSource === null || file.eval === undefined ? null : await prepareEvaluation(evalSource, file, trainedEnv, provenance, constraints, log);

  await mkdir(ckptDir, { recursive: true });
  await writeFile(join(out, 'config.json'), `${JSON.stringify(file, null, 2)}\n`);
  await meta.start({ backend, seed: file.train.seed, data: description, resumedFromEpoch: resume?.epoch ?? null });
  // Metric files restart from the checkpoint's history (epochs after it are run again), keeping the times and
  // evaluations the earlier session logged for those epochs, so a resumed run's files equal an uninterrupted run's.
  const jsonlPath = join(out, 'metrics.jsonl');
  const csvPath = join(out, 'metrics.csv');
  const rows = resume ? await pastRows(jsonlPath, resume.history) : [];
  await writeFile(jsonlPath, rows.map((r) => `${JSON.stringify(r)}\n`).join(''));
  await writeFile(csvPath, `${METRIC_COLUMNS.join(',')}\n${rows.map((r) => `${csvLine(r)}\n`).join('')}`);

  const evals = new Map<number, EvalColumns>();
  opts.onStart?.({ startEpoch: resume?.epoch ?? 0, epochs: file.train.epochs, costLimit: file.train.costLimit });
  const result = await trainPpoLag({
    ...file.train,
    makeVecEnv: tradingVecEnvFactory(dataset, file.task.env, constraints),
    useMask: file.task.useMask,
    resume,
    checkpointEvery: file.checkpointEvery,
    episodeLength: envConfig.episodeLength,
    onWarning: (message) => log(`warning: ${message}`),
    stopRequested: () => opts.signal?.aborted === true,
    ...(evaluation === null ? {} : { evaluate: { every: evaluation.every, run: (c) => void evals.set(c.epoch, evaluation.run({ ...c, env: trainedEnv })) } }),
    onEpoch: async (e, p) => {
      const row: MetricRow = { ...e, maskedMaskEntries: e.maskedActions, time: new Date().toISOString(), wallSeconds: (p.rolloutMs + p.updateMs) / 1000, ...evals.get(e.epoch) };
      rows.push(row);
      await appendFile(jsonlPath, `${JSON.stringify(row)}\n`);
      await appendFile(csvPath, `${csvLine(row)}\n`);
      opts.onEpoch?.(row, p);
    },
    onCheckpoint: async (snapshot) => {
      // The env section makes the checkpoint self-describing: `bulwark backtest --agent` rebuilds the observations
      // from it; the provenance lets it warn when rules, fill model or data differ from training.
      const c = { ...snapshot, env: trainedEnv, provenance };
      await writeCheckpointFile(join(ckptDir, `epoch-${String(c.epoch).padStart(5, '0')}.json`), c);
      await writeCheckpointFile(join(ckptDir, 'last.json'), c);
    },
  });
  result.policy.dispose();
  await writeFile(join(out, 'curve.html'), learningCurveHtml(`PPO (${file.train.algorithm}) seed ${file.train.seed}`, rows));
  const last = result.history.at(-1);
  await meta.end(result.stopped ? 'interrupted' : 'completed', last?.epoch ?? null);
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
    interrupted: result.stopped,
  };
}

/** The held-out evaluation during training: its dataset loaded once, scored on each snapshot's policy. */
async function prepareEvaluation(
  source: DataSource,
  file: TrainFile,
  trainedEnv: TrainedEnv,
  provenance: TrainingProvenance,
  constraints: ConstraintsOption | undefined,
  log: (line: string) => void,
): Promise<{ every: number; run: (c: PpoLagCheckpoint) => EvalColumns }> {
  const settings = file.eval;
  if (settings === undefined) throw new Error('eval: expected the eval section resolved');
  // The CSV flags read every CSV the run loads the same way; the range applies to the training data only.
  const loadedData = await loadTradingDataset(source, source.kind === 'csv' && file.task.csv !== undefined ? { csv: file.task.csv } : {});
  const { description } = loadedData;
  // Held-out episodes keep the training instrument's trading day (daily limits roll where they did in training).
  const dataset = { ...loadedData.dataset, instrument: withTradingSession(loadedData.dataset.instrument, trainingSession(file)) };
  checkObservationLayout(trainedEnv, dataset.features, dataset.intervalMs, `eval.data ${description}`);
  log(`eval: every ${settings.every} epochs, ${settings.episodes} ${settings.deterministic ? 'deterministic' : 'sampled'} episodes on ${description}`);
  const data = await identityOf(source);
  for (const w of provenanceWarnings(provenance, { rules: provenance.rules.content as Rules | null, fill: null, data, bars: dataset.bars })) {
    if (!w.startsWith('Warning: data differs')) log(`eval: ${w}`);
  }
  return {
    every: settings.every,
    run: (c) => {
      const { policy } = policyFromCheckpoint(c, `epoch ${c.epoch} snapshot`);
      const s = evaluatePolicy(policy, trainedEnv, dataset, {
        episodes: settings.episodes,
        deterministic: settings.deterministic,
        seed: settings.seed,
        costLimit: file.train.costLimit,
        ...(constraints === undefined ? {} : { constraints }),
      });
      return {
        evalEpisodes: s.episodes,
        evalReturn: s.return.mean,
        evalReturnSd: s.return.sd,
        evalCost: s.cost.mean,
        evalCostSd: s.cost.sd,
        evalOverLimit: s.overLimit,
        evalMaskedSteps: s.maskedSteps.mean,
        evalRejected: s.rejected.mean,
      };
    },
  };
}

/**
 * The rows of the epochs a checkpoint holds: its stats, with the wall-clock and evaluation columns the earlier
 * session wrote to metrics.jsonl (blank when that file is gone or does not match).
 */
async function pastRows(jsonlPath: string, history: readonly EpochStats[]): Promise<MetricRow[]> {
  const logged = new Map<number, Record<string, unknown>>();
  try {
    for (const line of (await readFile(jsonlPath, 'utf8')).split('\n')) {
      if (line.trim() === '') continue;
      const row: unknown = JSON.parse(line);
      if (typeof row === 'object' && row !== null && 'epoch' in row && typeof row.epoch === 'number') logged.set(row.epoch, row as Record<string, unknown>);
    }
  } catch {
    // Missing or torn: the rows are rebuilt from the checkpoint without times.
  }
  return history.map((e) => {
    const old = logged.get(e.epoch);
    const extras: Partial<MetricRow> = {};
    if (old) {
      if (typeof old.time === 'string') extras.time = old.time;
      if (typeof old.wallSeconds === 'number') extras.wallSeconds = old.wallSeconds;
      for (const k of EVAL_COLUMNS) if (typeof old[k] === 'number' || old[k] === null) (extras as Record<string, unknown>)[k] = old[k] ?? Number.NaN;
    }
    return { time: '', wallSeconds: Number.NaN, ...e, maskedMaskEntries: e.maskedActions, ...extras };
  });
}

type SessionStatus = 'running' | 'completed' | 'interrupted' | 'failed';

interface Session {
  startedAt: string;
  endedAt: string | null;
  status: SessionStatus;
  resumedFromEpoch: number | null;
  /** Epochs the run holds when this session ended (null until it ends). */
  lastEpoch: number | null;
  command: string[] | null;
  cwd: string;
  bulwarkVersion: string | null;
  gitCommit: string | null;
  backend: string;
  backendSkipped: string[];
  tfjs: string;
  node: string;
  error?: string;
}

/**
 * meta.json: who trained the run and how, one session per invocation (the first, and every resume), the latest
 * session's fields repeated at the top for a quick read. Written at the start and at the end of each session.
 */
class RunMeta {
  private doc: Record<string, unknown> | null = null;
  private readonly command: string[] | null;

  constructor(
    private readonly path: string,
    command: readonly string[] | undefined,
  ) {
    this.command = command === undefined ? null : [...command];
  }

  async start(run: { backend: BackendInfo; seed: number; data: string; resumedFromEpoch: number | null }): Promise<void> {
    const previous = run.resumedFromEpoch === null ? [] : await this.previousSessions();
    // What ran this session; repeated at the top of the file for the latest session.
    const runtime = {
      ...buildInfo(),
      backend: run.backend.name,
      backendSkipped: [...run.backend.skipped],
      tfjs: run.backend.tfjsVersion,
      node: process.version,
    };
    const session: Session = {
      startedAt: new Date().toISOString(),
      endedAt: null,
      status: 'running',
      resumedFromEpoch: run.resumedFromEpoch,
      lastEpoch: null,
      command: this.command,
      cwd: process.cwd(),
      ...runtime,
    };
    this.doc = {
      seed: run.seed,
      data: run.data,
      ...runtime,
      resumedFromEpoch: run.resumedFromEpoch,
      sessions: [...previous, session],
    };
    await this.write();
  }

  async end(status: SessionStatus, lastEpoch: number | null, error?: string): Promise<void> {
    if (this.doc === null) return;
    const sessions = this.doc.sessions as Session[];
    const current = sessions[sessions.length - 1];
    Object.assign(current, { endedAt: new Date().toISOString(), status, lastEpoch, ...(error === undefined ? {} : { error }) });
    await this.write();
  }

  private async previousSessions(): Promise<unknown[]> {
    try {
      const old: unknown = JSON.parse(await readFile(this.path, 'utf8'));
      if (typeof old === 'object' && old !== null && 'sessions' in old && Array.isArray(old.sessions)) return old.sessions;
      // A run directory from before sessions were kept: its one session, as far as it is known.
      if (typeof old === 'object' && old !== null) return [{ ...(old as Record<string, unknown>), status: 'unknown' }];
    } catch {
      // Missing or unreadable: the earlier sessions are unknown.
    }
    return [];
  }

  private async write(): Promise<void> {
    const tmp = `${this.path}.tmp`;
    await writeFile(tmp, `${JSON.stringify(this.doc, null, 2)}\n`);
    await rename(tmp, this.path);
  }
}

/** A resumed run must train on the same task (data, how it is read, env, mask): the checkpoint only checks hyperparameters. */
async function checkSameTask(savedConfigPath: string, file: TrainFile): Promise<void> {
  if (!existsSync(savedConfigPath)) return;
  const saved: unknown = JSON.parse(await readFile(savedConfigPath, 'utf8'));
  const savedTask = typeof saved === 'object' && saved !== null && 'task' in saved ? saved.task : undefined;
  const now = JSON.parse(JSON.stringify(file.task)) as Record<string, unknown>;
  if (JSON.stringify(savedTask) !== JSON.stringify(now)) {
    const before = (typeof savedTask === 'object' && savedTask !== null ? savedTask : {}) as Record<string, unknown>;
    const differ = [...new Set([...Object.keys(before), ...Object.keys(now)])].filter((k) => JSON.stringify(before[k]) !== JSON.stringify(now[k]));
    const which = differ.length === 0 ? '' : `: ${differ.map((k) => `task.${k} was ${JSON.stringify(before[k]) ?? 'unset'}, now ${JSON.stringify(now[k]) ?? 'unset'}`).join('; ')}`;
    throw new Error(`--resume: task (data, csv, from/to, env, useMask, rules, session) differs from the run in ${savedConfigPath}${which}; only train.epochs may change`);
  }
}
