/**
 * Walk-forward evaluation: in each window the agent is fitted on the train bars, then run once, unchanged, on
 * the test bars that follow. A rule-based agent is fitted by grid search of its parameters on an objective; a
 * learned agent (`ppo`, `ppo-lag`) is trained from its own seed on the train bars (walk-forward-learned.ts).
 * The test runs stitched together are the out-of-sample result. Each test run starts flat with fresh cash and
 * a cold agent, so no train-period account state leaks into it.
 */
import { type Bars, type Instrument, elapsedYears, inferCalendar, sliceBars } from '../core/index.js';
import { createDataset } from '../env/index.js';
import type { Rules } from '../constraints/index.js';
import type { GatekeeperConfig } from '../risk-gatekeeper/index.js';
import type { AccountModel, SimFillConfigInput } from '../venues/index.js';
import type { DataIdentity, PpoLagCheckpoint } from '../agents/index.js';
import { type PreparedJob, dataIdentityOf } from './backtest-job.js';
import { type ReturnMetrics, returnMetrics } from './metrics.js';
import type { BacktestRecord } from './run-record.js';
import { createRuleAgent } from './rule-agents.js';
import { runBacktest } from './runner.js';
import { type GridAxis, gridAgentSpecs } from './sweep.js';
import { fitLearnedWindow, isLearnedAgentSpec, parseLearnedAgentSpec } from './walk-forward-learned.js';
import { type WalkForwardMode, type WalkForwardWindow, stitchEquity, walkForwardWindows } from './walk-forward-windows.js';

export type WalkForwardObjective = 'sharpe' | 'total_return' | 'calmar';

export interface WalkForwardOptions {
  readonly bars: Bars;
  readonly instrument: Instrument;
  /** Base agent spec, e.g. `sma-cross:size=0.5` (the grid adds the searched parameters) or `ppo-lag:epochs=3`. */
  readonly agent: string;
  readonly axes: readonly GridAxis[];
  readonly trainBars: number;
  readonly testBars: number;
  readonly mode: WalkForwardMode;
  readonly objective: WalkForwardObjective;
  readonly initialCash: number;
  readonly fill?: SimFillConfigInput;
  readonly rules?: Rules | null;
  readonly risk?: GatekeeperConfig | null;
  readonly seed?: number;
  /** The venue's account in every run (and a learned agent's training); default cash. */
  readonly account?: AccountModel;
  /** Where the bars come from: recorded in a learned agent's per-window checkpoints (their provenance). */
  readonly data?: DataIdentity;
  /** Bars per year for annualising; default: read from the data's calendar. */
  readonly periodsPerYear?: number;
  readonly onWindow?: (done: number, total: number) => void;
}

/** What a walk-forward asks beyond its job: the grid, the window sizes, the mode and the objective. */
export type WalkForwardSettings = Pick<WalkForwardOptions, 'axes' | 'trainBars' | 'testBars' | 'mode' | 'objective'>;

/**
 * The options of a walk-forward over a prepared job. `bulwark walk-forward` and a queue worker running one of its
 * windows both build them here, so a queued window is fitted and tested on exactly what the local run uses.
 */
export async function walkForwardOptionsOf(p: PreparedJob, agent: string, s: WalkForwardSettings): Promise<WalkForwardOptions> {
  return {
    bars: p.bars,
    instrument: p.instrument,
    agent,
    axes: s.axes,
    trainBars: s.trainBars,
    testBars: s.testBars,
    mode: s.mode,
    objective: s.objective,
    initialCash: p.cash,
    fill: p.fill,
    rules: p.rules,
    risk: p.risk,
    seed: p.seed,
    account: p.account,
    // A learned agent's window checkpoints record the data they were trained on (provenance).
    ...(isLearnedAgentSpec(agent) ? { data: await dataIdentityOf(p.source) } : {}),
    ...(p.periodsPerYear === undefined ? {} : { periodsPerYear: p.periodsPerYear }),
  };
}

export interface WalkForwardWindowResult {
  readonly window: WalkForwardWindow;
  readonly chosenAgent: string;
  /** Objective of the chosen parameters on the train bars (null when undefined, e.g. no volatility). */
  readonly trainObjective: number | null;
  readonly test: BacktestRecord;
  /** Learned agents: the window's training seed and the last epoch's mean episode return and cost. */
  readonly training?: { readonly seed: number; readonly episodeReturn: number; readonly episodeCost: number };
  /** Learned agents: the window's trained policy as a checkpoint (the CLI writes it to window-N/checkpoint.json). */
  readonly checkpoint?: PpoLagCheckpoint;
}

export interface WalkForwardResult {
  readonly windows: readonly WalkForwardWindowResult[];
  /** Equity of the test runs chained by their returns, starting at the initial cash. */
  readonly stitchedEquity: Float64Array;
  readonly stitched: ReturnMetrics;
}

function objectiveOf(rec: BacktestRecord, objective: WalkForwardObjective): number | null {
  return rec.metrics[objective];
}

/** What every window of a walk-forward shares: the candidate specs or the learned spec, the dataset, the run settings. */
interface WalkForwardContext {
  readonly learned: ReturnType<typeof parseLearnedAgentSpec> | null;
  readonly specs: readonly string[];
  readonly dataset: ReturnType<typeof createDataset> | null;
  readonly common: {
    readonly instrument: Instrument;
    readonly initialCash: number;
    readonly fill: SimFillConfigInput;
    readonly rules: Rules | null;
    readonly risk: GatekeeperConfig | null;
    readonly seed: number;
    readonly account?: AccountModel;
    readonly periodsPerYear?: number;
  };
}

function walkForwardContext(o: WalkForwardOptions): WalkForwardContext {
  const learned = isLearnedAgentSpec(o.agent) ? parseLearnedAgentSpec(o.agent) : null;
  if (learned !== null && o.axes.length > 0) {
    throw new RangeError('--grid: parameter grids are for rule-based agents; a learned agent (ppo, ppo-lag) is trained in each window');
  }
  return {
    learned,
    specs: learned === null ? gridAgentSpecs(o.agent, o.axes) : [],
    // Features are causal: one matrix over the whole series serves every window without look-ahead.
    dataset: learned === null ? null : createDataset({ bars: o.bars }),
    common: {
      instrument: o.instrument,
      initialCash: o.initialCash,
      fill: o.fill ?? {},
      rules: o.rules ?? null,
      risk: o.risk ?? null,
      seed: o.seed ?? 0,
      ...(o.account === undefined ? {} : { account: o.account }),
      ...(o.periodsPerYear === undefined ? {} : { periodsPerYear: o.periodsPerYear }),
    },
  };
}

/** Fits the agent on one window's train bars and runs it once on its test bars. */
async function fitAndTestWindow(o: WalkForwardOptions, ctx: WalkForwardContext, w: WalkForwardWindow): Promise<WalkForwardWindowResult> {
  const { learned, dataset, common } = ctx;
  const train = sliceBars(o.bars, w.trainStart, w.trainEnd);
  if (learned !== null && dataset !== null) {
    const fit = await fitLearnedWindow(learned, o.agent, dataset, w, {
      seed: common.seed,
      rules: common.rules,
      fill: common.fill,
      initialCash: common.initialCash,
      ...(common.account === undefined ? {} : { account: common.account }),
      ...(o.data === undefined ? {} : { data: o.data }),
    });
    // The in-sample backtest gives the train objective, comparable with a rule agent's.
    const inSample = await runBacktest({ ...common, bars: train, ...fit.agentFor(w.trainStart), benchmark: false });
    const test = await runBacktest({ ...common, bars: sliceBars(o.bars, w.testStart, w.testEnd), ...fit.agentFor(w.testStart) });
    return {
      window: w,
      chosenAgent: `${o.agent} (seed ${fit.seed})`,
      trainObjective: objectiveOf(inSample, o.objective),
      test,
      training: { seed: fit.seed, episodeReturn: fit.trainReturn, episodeCost: fit.trainCost },
      checkpoint: fit.checkpoint,
    };
  }
  let best = ctx.specs[0];
  let bestScore: number | null = null;
  for (const spec of ctx.specs) {
    const rec = await runBacktest({ ...common, bars: train, agent: createRuleAgent(spec), benchmark: false });
    const score = objectiveOf(rec, o.objective);
    // Ties and undefined scores keep the earlier candidate: the choice is deterministic.
    if (score !== null && (bestScore === null || score > bestScore)) {
      best = spec;
      bestScore = score;
    }
  }
  const test = await runBacktest({ ...common, bars: sliceBars(o.bars, w.testStart, w.testEnd), agent: createRuleAgent(best) });
  return { window: w, chosenAgent: best, trainObjective: bestScore, test };
}

/** One window of a walk-forward on its own (a queue job): the same fit and test as in runWalkForward. */
export async function runWalkForwardWindow(o: WalkForwardOptions, index: number): Promise<WalkForwardWindowResult> {
  const windows = walkForwardWindows({ totalBars: o.bars.length, trainBars: o.trainBars, testBars: o.testBars, mode: o.mode });
  const w = windows[index];
  if (w === undefined) throw new RangeError(`window: ${index} is past the last of ${windows.length} walk-forward windows`);
  return fitAndTestWindow(o, walkForwardContext(o), w);
}

export async function runWalkForward(o: WalkForwardOptions): Promise<WalkForwardResult> {
  const windows = walkForwardWindows({ totalBars: o.bars.length, trainBars: o.trainBars, testBars: o.testBars, mode: o.mode });
  const ctx = walkForwardContext(o);
  const results: WalkForwardWindowResult[] = [];
  for (const w of windows) {
    results.push(await fitAndTestWindow(o, ctx, w));
    o.onWindow?.(results.length, windows.length);
  }
  return stitchWalkForward(results, o);
}

/**
 * The walk-forward result of its windows' test runs, in window order: the out-of-sample equity stitched and its
 * metrics. runWalkForward ends with it; `walk-forward --queue` calls it on the windows its workers ran.
 */
export function stitchWalkForward(
  results: readonly WalkForwardWindowResult[],
  o: Pick<WalkForwardOptions, 'bars' | 'initialCash' | 'periodsPerYear'>,
): WalkForwardResult {
  const stitchedEquity = stitchEquity(
    results.map((r) => r.test.equity),
    o.initialCash,
  );
  // The stitched series spans the test windows: its calendar time runs from the first test bar to the last.
  const first = results[0]?.window.testStart ?? 0;
  const last = (results.at(-1)?.window.testEnd ?? 1) - 1;
  const years = elapsedYears([o.bars.time[first], o.bars.time[last]]);
  const calendar = inferCalendar(o.bars, o.periodsPerYear);
  return { windows: results, stitchedEquity, stitched: returnMetrics(stitchedEquity, calendar.periodsPerYear, years) };
}
