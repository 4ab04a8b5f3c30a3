/**
 * A backtest described by plain data (file paths, specs, numbers), so the same description runs from the
 * CLI, inside a sweep's worker thread, or in a walk-forward window. `prepareJob` loads and validates every
 * input once; `runJob` runs the chain on them.
 */
import { readFileSync, statSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import { type Bars, type Instrument, type Ledger, type TradingSession, ValidationError, defineInstrument, definedFields, sliceBars } from '../core/index.js';
// Types only (erased): agents/ itself loads lazily, for checkpoint agents.
import type { DataIdentity } from '../agents/index.js';
import { type Rules, loadRulesFile } from '../constraints/index.js';
import { type CsvLoadOptions, loadMarketSource } from '../data/index.js';
import { type GatekeeperConfig, parseGatekeeperConfig } from '../risk-gatekeeper/index.js';
import type { AuditSink } from '../security/index.js';
import { type AccountModel, type SimFillConfigInput, accountWithOverrides, parseAccountConfig, parseSimFillConfig } from '../venues/index.js';
import { type ScheduledAction, loadBacktestConfig } from './backtest-config.js';
import type { AnyBacktestAgent, BacktestAgent } from './rule-agents.js';
import { RULE_AGENT_NAMES, createRuleAgent, isRuleAgentSpec } from './rule-agents.js';
import { unknownAgentMessage } from './agent-names.js';
import { runBacktest } from './runner.js';
import type { BacktestRecord } from './run-record.js';

export interface BacktestJob {
  /** OHLCV CSV file; exclusive with `synth`. */
  readonly data?: string;
  /** Synthetic market spec, e.g. `regime:bars=5000,seed=3`. */
  readonly synth?: string;
  /** Options of the CSV loader for `data` (duplicates, gaps, outliers, columns, scale, time unit); plain data. */
  readonly csv?: CsvLoadOptions;
  /** `buy-and-hold`, `sma-cross[:fast=10,slow=30]`, `random`, with `size=` or `qty=`. */
  readonly agent: string;
  readonly rules?: string;
  readonly risk?: string;
  /** Backtest config file (cash, fill, schedule). */
  readonly config?: string;
  readonly feesBps?: number;
  readonly spreadBps?: number;
  readonly slippageBps?: number;
  readonly cash?: number;
  /** Inclusive bounds on bar open time: ISO-8601 (UTC when no zone) or ms. */
  readonly from?: string;
  readonly to?: string;
  readonly seed?: number;
  /** Bars per year for annualising; default: read from the data's calendar. */
  readonly periodsPerYear?: number;
  /** A checkpoint agent only: keep the bars its training did not see (its provenance says which); error if none. */
  readonly heldOut?: boolean;
  /** `--account cash|margin`, `--leverage N`, `--maintenance-margin F`: override the config file's `account`. */
  readonly account?: string;
  readonly leverage?: number;
  readonly maintenanceMargin?: number;
  /** `--day-start HH:MM --timezone ZONE`: when the instrument's trading day starts (replaces the config file's `session`); UTC days when neither. */
  readonly session?: TradingSession;
}

export interface PreparedJob {
  readonly bars: Bars;
  readonly source: string;
  /** The whole loaded series and the index in it of `bars[0]` (learned agents warm their features up before --from). */
  readonly history: { readonly bars: Bars; readonly offset: number };
  readonly instrument: Instrument;
  readonly rules: Rules | null;
  readonly risk: GatekeeperConfig | null;
  readonly fill: SimFillConfigInput;
  readonly schedule: readonly ScheduledAction[];
  readonly cash: number;
  readonly seed: number;
  readonly periodsPerYear?: number;
  /** With `heldOut`: which bars were kept, for the run's notes. */
  readonly heldOutNote?: string;
  /** The account the venue keeps (cash by default). */
  readonly account: AccountModel;
}

export const DEFAULT_CASH = 10_000;

/**
 * The generic instrument of a backtest: fine ticks and lots, so rounding never decides a result; its trading day
 * is `session`'s (UTC days when absent).
 */
export function backtestInstrument(symbol: string, session?: TradingSession): Instrument {
  return defineInstrument({ symbol, tickSize: 1e-8, lotSize: 1e-6, minNotional: 0, ...(session === undefined ? {} : { session }) });
}

/** Fails with the flag and the path when an input file is missing, instead of a bare ENOENT from deeper down. */
function requireFile(path: string, flag: string): string {
  const stat = statSync(path, { throwIfNoEntry: false });
  if (stat === undefined) throw new Error(`${flag} ${path}: file not found`);
  if (!stat.isFile()) throw new Error(`${flag} ${path}: not a file`);
  return path;
}

export function loadRiskFile(path: string): GatekeeperConfig {
  let doc: unknown;
  try {
    doc = parseYaml(readFileSync(path, 'utf8'));
  } catch (err) {
    if (err instanceof Error && 'code' in err && err.code === 'ENOENT') throw new Error(`--risk ${path}: file not found`);
    throw new ValidationError(path, [{ path: '', message: `not valid YAML/JSON: ${err instanceof Error ? err.message : String(err)}` }]);
  }
  return parseGatekeeperConfig(doc ?? {}, path);
}

/** The bars of a job: its --data or --synth source cut to --from/--to (see data/'s loadMarketSource). */
export async function loadJobBars(
  job: Pick<BacktestJob, 'data' | 'synth' | 'from' | 'to' | 'csv'>,
): Promise<{ bars: Bars; source: string; history: PreparedJob['history'] }> {
  const { bars, source, history } = await loadMarketSource(definedFields({ data: job.data, synth: job.synth, from: job.from, to: job.to, csv: job.csv }));
  return { bars, source, history };
}

export async function prepareJob(job: BacktestJob): Promise<PreparedJob> {
  const market = await loadJobBars(job);
  const { bars, source, history, heldOutNote }: Awaited<ReturnType<typeof loadJobBars>> & { heldOutNote?: string } =
    job.heldOut === true ? await keepHeldOut(job, market) : market;
  const config = job.config !== undefined ? loadBacktestConfig(requireFile(job.config, '--config')) : null;
  const fill: SimFillConfigInput = { ...(config?.fill ?? {}) };
  if (job.feesBps !== undefined) {
    fill.takerFeeBps = job.feesBps;
    fill.makerFeeBps = job.feesBps;
  }
  if (job.spreadBps !== undefined) fill.spreadBps = job.spreadBps;
  if (job.slippageBps !== undefined) fill.slippageBps = job.slippageBps;
  const cash = job.cash ?? config?.cash ?? DEFAULT_CASH;
  if (!(cash > 0) || !Number.isFinite(cash)) throw new RangeError(`--cash: must be a number > 0, got ${cash}`);
  // Validate the fill model here, before the caller creates an output directory (the runner parses it again).
  parseSimFillConfig(fill, 'fill (--fees-bps, --spread-bps, --slippage-bps or the config file)');
  if (job.account !== undefined && job.account !== 'cash' && job.account !== 'margin') throw new RangeError(`--account: must be cash or margin, got '${job.account}'`);
  const account = parseAccountConfig(
    accountWithOverrides(config?.account, { ...job, account: job.account }),
    'account (--account, --leverage, --maintenance-margin or the config file)',
  );
  return {
    bars,
    source,
    history,
    // The flags' trading day replaces the config file's (UTC days when neither gives one).
    instrument: backtestInstrument(job.data !== undefined ? 'DATA/QUOTE' : 'SYNTH/USD', job.session ?? config?.session),
    rules: job.rules !== undefined ? loadRulesFile(requireFile(job.rules, '--rules')) : null,
    risk: job.risk !== undefined ? loadRiskFile(requireFile(job.risk, '--risk')) : null,
    fill,
    schedule: config?.schedule ?? [],
    cash,
    account,
    seed: job.seed ?? 0,
    ...(job.periodsPerYear === undefined ? {} : { periodsPerYear: job.periodsPerYear }),
    ...(heldOutNote === undefined ? {} : { heldOutNote }),
  };
}

/** `--held-out`: the job's bars cut to the part the checkpoint's training did not see (the rest still warms features up). */
async function keepHeldOut(
  job: BacktestJob,
  market: { bars: Bars; source: string; history: PreparedJob['history'] },
): Promise<{ bars: Bars; source: string; history: PreparedJob['history']; heldOutNote: string }> {
  if (isRuleAgentSpec(job.agent) || /\.(mjs|js)$/.test(job.agent)) {
    throw new RangeError(`--held-out: applies to a checkpoint agent (a bulwark train run directory or checkpoint file), not '${job.agent}'`);
  }
  // agents/ (and TensorFlow.js behind it) loads only for checkpoint agents.
  const { loadPolicyCheckpoint, heldOutRange } = await import('../agents/index.js');
  const loaded = await loadPolicyCheckpoint(job.agent, '--agent');
  if (loaded.provenance === null) {
    throw new RangeError(`--held-out: ${loaded.path} records no training data range (trained before provenance was recorded); give --from/--to instead`);
  }
  const r = heldOutRange(loaded.provenance, await dataIdentityOf(market.source), market.bars);
  return {
    bars: sliceBars(market.bars, r.start, r.end),
    source: market.source,
    history: { bars: market.history.bars, offset: market.history.offset + r.start },
    heldOutNote: `${r.note}.`,
  };
}

/** The identity provenance compares: a CSV file's bytes, or a synthetic spec (`source` is the file or `synthetic SPEC`). */
export async function dataIdentityOf(source: string): Promise<DataIdentity> {
  const { csvIdentity, synthIdentity } = await import('../agents/index.js');
  return source.startsWith('synthetic ') ? synthIdentity(source.slice('synthetic '.length)) : csvIdentity(source);
}

/** The agent of a job and, for learned agents, how the runner builds their observations. */
export interface JobAgent {
  /** A rule-based or discrete policy agent, or a Box policy naming target positions. */
  readonly agent: AnyBacktestAgent;
  readonly observe?: (t: number, ledger: Ledger, out: Float32Array) => void;
  readonly obsDim?: number;
  /** Lines for the report and the terminal (what was loaded, warm-up bars held). */
  readonly notes?: readonly string[];
}

/** Creates the agent of a job; learned agents come from a `loadAgent` the caller supplies. */
export type AgentLoader = (spec: string, prepared: PreparedJob) => Promise<JobAgent>;

export async function createJobAgent(spec: string, prepared: PreparedJob, loadAgent?: AgentLoader): Promise<JobAgent> {
  if (isRuleAgentSpec(spec)) return withWarmupNote(createRuleAgent(spec), prepared);
  // A bare word that is neither a rule agent nor anything on disk is a mistyped name, not a missing checkpoint
  // (issue 15: `--agent smacross` answered "no such file or directory"); a path keeps the loader's message.
  const looksLikePath = /[/\\.]/.test(spec.split(':')[0]);
  if (!looksLikePath && statSync(spec, { throwIfNoEntry: false }) === undefined) throw new RangeError(unknownAgentMessage(spec, RULE_AGENT_NAMES));
  if (loadAgent === undefined) {
    throw new RangeError(`--agent: '${spec}' is not a rule-based agent (buy-and-hold, sma-cross, random) and no checkpoint loader is available`);
  }
  return loadAgent(spec, prepared);
}

/** A rule agent, with a warning when the data is too short for its warm-up (it would never trade). */
function withWarmupNote(agent: BacktestAgent, prepared: PreparedJob): JobAgent {
  const warmup = agent.warmupBars ?? 0;
  if (warmup < prepared.bars.length) return { agent };
  return {
    agent,
    notes: [`Warning: ${prepared.bars.length} bars is not more than ${agent.label}'s warm-up of ${warmup} bars: it never trades; give more bars.`],
  };
}

export async function runJob(
  job: BacktestJob,
  options: { audit?: AuditSink; benchmark?: boolean; loadAgent?: AgentLoader; prepared?: PreparedJob; jobAgent?: JobAgent } = {},
): Promise<BacktestRecord> {
  const prepared = options.prepared ?? (await prepareJob(job));
  const { agent, observe, obsDim } = options.jobAgent ?? (await createJobAgent(job.agent, prepared, options.loadAgent));
  return runBacktest({
    bars: prepared.bars,
    instrument: prepared.instrument,
    agent,
    initialCash: prepared.cash,
    fill: prepared.fill,
    account: prepared.account,
    rules: prepared.rules,
    risk: prepared.risk,
    schedule: prepared.schedule,
    seed: prepared.seed,
    ...(prepared.periodsPerYear === undefined ? {} : { periodsPerYear: prepared.periodsPerYear }),
    ...(observe ? { observe, obsDim } : {}),
    ...(options.audit ? { audit: options.audit } : {}),
    ...(options.benchmark === undefined ? {} : { benchmark: options.benchmark }),
  });
}
