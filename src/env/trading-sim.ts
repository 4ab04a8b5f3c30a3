/**
 * One trading episode's mechanics, shared by `TradingEnv` (one env) and `TradingVecEnv` (N of them):
 * an action decided at bar t fills at bar t+1's open through the venue's fill model, the account is then
 * marked at t+1's close, and reward, cost signals and episode end are computed. Everything is a number field
 * rewritten in place: a step allocates nothing.
 */
import { type ActionSpec, Ledger, MS_PER_DAY, Rng, actionOrderQty, targetOrderQty } from '../core/index.js';
import { type CompiledSimFill, FillResult, compileSimFill, fillMarketOrderInto } from '../venues/index.js';
import type { TradingEnvConfig } from './config.js';
import type { TradingDataset } from './dataset.js';
import { type CostConfig, COST_NAMES, writeCostSignals } from './cost-signals.js';
import { NO_TRADE_YET, type TradingEnvState, createEnvState } from './env-state.js';
import { PORTFOLIO_OBS_NAMES, observationSize, writeObservation } from './observation.js';
/** Floor of the equity ratio in the log reward, so that a wipe-out gives a large finite penalty (log 1e-6 ≈ −13.8). */
const MIN_EQUITY_RATIO = 1e-6;

/** The bar range episodes are drawn from, resolved against the dataset. */
export interface EpisodeRange {
  /** First bar of the split (inclusive) and its end (exclusive). */
  readonly start: number;
  readonly end: number;
  /** Earliest and latest bar a random episode starts at (the latest leaves room for a full episode). */
  readonly firstStart: number;
  readonly lastStart: number;
  /** The last bar an action can be decided at (its fill needs the next bar). */
  readonly lastDecision: number;
}

export function resolveEpisodeRange(config: TradingEnvConfig, dataset: TradingDataset): EpisodeRange {
  const n = dataset.bars.length;
  const { split } = config;
  let start = 0;
  let end = n;
  if (split === 'all') {
    start = 0;
  } else if ('part' in split) {
    const cut = Math.floor(n * split.trainFraction);
    [start, end] = split.part === 'train' ? [0, cut] : [cut, n];
  } else {
    if (split.endIndex > n) throw new RangeError(`split.endIndex: must be <= the number of bars ${n}, got ${split.endIndex}`);
    if (split.startIndex >= split.endIndex) {
      throw new RangeError(`split.startIndex: must be < endIndex ${split.endIndex}, got ${split.startIndex}`);
    }
    [start, end] = [split.startIndex, split.endIndex];
  }
  // The first observation's whole window must lie after the feature warm-up.
  const firstStart = Math.max(start, dataset.features.warmup + config.windowSize - 1);
  const lastDecision = end - 2;
  if (dataset.features.warmup >= n) {
    // The feature matrix clips its warm-up to the data, so the true need is unknown here: say what is known.
    throw new RangeError(
      `split: all ${n} bars are feature warm-up; the features, the window (${config.windowSize} bars) and one step need more bars`,
    );
  }
  if (firstStart > lastDecision) {
    throw new RangeError(
      `split: bars [${start}, ${end}) leave no step after the feature warm-up (${dataset.features.warmup} bars) ` +
        `and the window (${config.windowSize} bars); need at least ${firstStart + 2 - start} bars in the split`,
    );
  }
  const lastStart = Math.max(firstStart, end - 1 - config.episodeLength);
  return { start, end, firstStart, lastStart, lastDecision };
}

export class TradingSim {
  readonly dataset: TradingDataset;
  readonly config: TradingEnvConfig;
  readonly range: EpisodeRange;
  readonly actions: readonly ActionSpec[];
  readonly ledger: Ledger;
  readonly state: TradingEnvState;
  readonly fill = new FillResult();
  readonly rng: Rng;
  readonly obsDim: number;
  readonly featureWindowSize: number;

  // -- outputs of the last step (read them before the next call) --
  reward = 0;
  cost = 0;
  /** The last step's cost signals (0 while the limit holds), as `writeCostSignals` wrote them. */
  get costDrawdown(): number {
    return this.costSignals[0];
  }
  get costPosition(): number {
    return this.costSignals[1];
  }
  get costDailyLoss(): number {
    return this.costSignals[2];
  }
  terminated = false;
  truncated = false;
  /** Fee paid in this step, in quote currency. */
  stepFee = 0;
  /** Bar index of the current decision point. */
  t = 0;
  /** Steps taken in this episode. */
  steps = 0;
  /** Bar index the episode started at. */
  startIndex = 0;

  // -- cached for the hot loop --
  private readonly sim: CompiledSimFill;
  private readonly open: Float64Array;
  private readonly close: Float64Array;
  private readonly time: Float64Array;
  private readonly volume: Float64Array;
  private readonly windowSize: number;
  private readonly intervalMs: number;
  private readonly ruinEquity: number;
  private readonly episodeLength: number;
  private readonly logReward: boolean;
  private readonly costs: CostConfig;
  /** The last step's cost signals, in COST_NAMES order (read through costDrawdown, …). */
  private readonly costSignals = new Float64Array(COST_NAMES.length);
  private readonly boxLow: number;
  private day = 0;

  constructor(dataset: TradingDataset, config: TradingEnvConfig, rng: Rng) {
    this.dataset = dataset;
    this.config = config;
    this.range = resolveEpisodeRange(config, dataset);
    this.actions = config.actionList;
    this.ledger = new Ledger(config.initialCash);
    this.state = createEnvState(config.initialCash);
    this.rng = rng;
    this.sim = compileSimFill(config.fill, dataset.instrument);
    const { bars, features } = dataset;
    this.open = bars.open;
    this.close = bars.close;
    this.time = bars.time;
    this.volume = bars.volume;
    this.windowSize = config.windowSize;
    this.featureWindowSize = config.windowSize * features.nFeatures;
    this.obsDim = observationSize(config.windowSize, features.nFeatures);
    this.intervalMs = dataset.intervalMs;
    this.ruinEquity = config.ruinFraction * config.initialCash;
    this.episodeLength = config.episodeLength;
    this.logReward = config.reward === 'log';
    this.costs = config.costs;
    this.boxLow = config.boxRange === 'long-only' ? 0 : -1;
  }

  /** Names of the observation's entries, in order (feature × lag, then portfolio). */
  obsNames(): string[] {
    const names: string[] = [];
    for (let lag = this.windowSize - 1; lag >= 0; lag--) {
      for (const f of this.dataset.features.names) names.push(lag === 0 ? `${f}@t` : `${f}@t-${lag}`);
    }
    return [...names, ...PORTFOLIO_OBS_NAMES];
  }

  /** Starts an episode at a bar drawn from the env's RNG within the split. */
  reset(): void {
    const { firstStart, lastStart } = this.range;
    this.resetAt(firstStart + this.rng.nextInt(lastStart - firstStart + 1));
  }

  /** Starts an episode at bar `t0` in [range.firstStart, range.lastDecision] (late starts end at the data's end). */
  resetAt(t0: number): void {
    if (!(t0 >= this.range.firstStart && t0 <= this.range.lastDecision) || !Number.isInteger(t0)) {
      throw new RangeError(`startIndex: must be a bar index in [${this.range.firstStart}, ${this.range.lastDecision}], got ${t0}`);
    }
    this.startIndex = t0;
    this.t = t0;
    this.steps = 0;
    const timeMs = this.time[t0] + this.intervalMs;
    this.ledger.reset(timeMs, this.close[t0]);
    this.day = Math.floor(timeMs / MS_PER_DAY);
    this.reward = 0;
    this.cost = 0;
    this.costSignals.fill(0);
    this.terminated = false;
    this.truncated = false;
    this.stepFee = 0;
    this.fill.clear();
    const s = this.state;
    s.tradesToday = 0;
    s.barsSinceLastTrade = NO_TRADE_YET;
    this.syncState(timeMs);
  }

  /** Steps with discrete action `a` (an index into `actions`). */
  stepDiscrete(a: number): void {
    const spec = this.actions[a];
    if (spec === undefined) throw new RangeError(`action: must be an integer in [0, ${this.actions.length}), got ${a}`);
    const l = this.ledger;
    this.stepOrder(actionOrderQty(spec, l.positionQty, l.equity, this.close[this.t]));
  }

  /** Steps towards a target position worth `target` × equity (clipped to the box range). */
  stepTarget(target: number): void {
    if (Number.isNaN(target)) throw new RangeError('action: target position must be a number, got NaN');
    const l = this.ledger;
    this.stepOrder(targetOrderQty(target, this.boxLow, l.positionQty, l.equity, this.close[this.t]));
  }

  /** Steps without an order: a Box target that keeps the position as it is (no rounding-noise order). */
  stepHold(): void {
    this.stepOrder(0);
  }

  private stepOrder(signedQty: number): void {
    if (this.terminated || this.truncated) throw new Error('step: the episode has ended; call reset() first');
    const l = this.ledger;
    const next = this.t + 1;
    const eqBefore = l.equity;
    const fill = fillMarketOrderInto(this.fill, signedQty, this.open[next], this.volume[next], this.sim);
    const traded = fill.signedQty !== 0;
    if (traded) l.applyFill(fill.signedQty, fill.price, fill.fee);
    this.stepFee = fill.fee;
    const timeMs = this.time[next] + this.intervalMs;
    l.mark(this.close[next], timeMs);
    this.t = next;
    this.steps++;

    const s = this.state;
    const day = Math.floor(timeMs / MS_PER_DAY);
    if (day !== this.day) {
      this.day = day;
      s.tradesToday = 0;
    }
    if (traded) {
      s.tradesToday++;
      s.barsSinceLastTrade = 0;
    } else if (s.barsSinceLastTrade < NO_TRADE_YET) {
      s.barsSinceLastTrade++;
    }
    this.syncState(timeMs);

    // -- reward: change in (log) equity after fees --
    const eq = s.equity;
    if (this.logReward) {
      const ratio = eq / eqBefore;
      this.reward = Math.log(ratio > MIN_EQUITY_RATIO ? ratio : MIN_EQUITY_RATIO);
    } else {
      this.reward = (eq - eqBefore) / eqBefore;
    }

    // -- cost signals: 0 when the limit holds --
    this.cost = writeCostSignals(this.costSignals, 0, s, this.costs);

    // -- episode end: ruin terminates; the length limit or the end of the split truncates --
    this.terminated = eq < this.ruinEquity || eq <= 0;
    this.truncated = !this.terminated && (this.steps >= this.episodeLength || next >= this.range.end - 1);
  }

  private syncState(timeMs: number): void {
    const l = this.ledger;
    const s = this.state;
    s.equity = l.equity;
    s.peakEquity = l.peakEquity;
    s.positionQty = l.positionQty;
    s.price = l.markPrice;
    s.dayStartEquity = l.dayStartEquity;
    s.dayPnl = s.equity - l.dayStartEquity;
    s.timeMs = timeMs;
  }

  /** Writes the observation at the current bar into `out[offset … offset + obsDim)`. Allocates nothing. */
  writeObs(out: Float32Array, offset: number): void {
    writeObservation(out, offset, this.dataset.features, this.t, this.windowSize, this.ledger);
  }
}
