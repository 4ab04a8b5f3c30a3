/**
 * One trading episode's mechanics, shared by `TradingEnv` (one env) and `TradingVecEnv` (N of them), on the
 * one decision chain of `execution/`: an action decided at the close of bar t goes through the chain (mask,
 * sizing, venue), fills at bar t+1's open at the sim venue, the account is marked at t+1's close, and reward,
 * cost signals and episode end are computed. A backtest steps through exactly the same code. A step allocates
 * nothing when it sends no order, and only the order record when it does.
 */
import { type ActionSpec, Rng } from '../core/index.js';
import {
  AccountState,
  type Decision,
  DecisionChain,
  SimVenue,
  startEpisode,
  stepBar,
} from '../execution/index.js';
import type { FillResult } from '../venues/index.js';
import type { TradingEnvConfig } from './config.js';
import type { ConstraintGuard } from './constraint-guard.js';
import type { TradingDataset } from './dataset.js';
import { type CostConfig, COST_NAMES, writeCostSignals } from './cost-signals.js';
import { type EpisodeRange, resolveEpisodeRange } from './episode-range.js';
import { PORTFOLIO_OBS_NAMES, observationSize, writeObservation } from './observation.js';

/** Floor of the equity ratio in the log reward, so that a wipe-out gives a large finite penalty (log 1e-6 ≈ −13.8). */
const MIN_EQUITY_RATIO = 1e-6;

/** Where env i of a batch keeps its mask and interval (rows of the batch's buffers), and its engine. */
export interface SimSlot {
  readonly index: number;
  readonly guard: ConstraintGuard | null;
  readonly mask?: Uint8Array;
}

export class TradingSim {
  readonly dataset: TradingDataset;
  readonly config: TradingEnvConfig;
  readonly range: EpisodeRange;
  readonly actions: readonly ActionSpec[];
  readonly account: AccountState;
  readonly venue: SimVenue;
  readonly chain: DecisionChain;
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
  /** What the chain decided at the last step (rewritten by the next one). */
  lastDecision: Decision | null = null;

  // -- cached for the hot loop --
  private readonly windowSize: number;
  private readonly intervalMs: number;
  private readonly ruinEquity: number;
  private readonly episodeLength: number;
  private readonly logReward: boolean;
  private readonly costs: CostConfig;
  /** The last step's cost signals, in COST_NAMES order (read through costDrawdown, …). */
  private readonly costSignals = new Float64Array(COST_NAMES.length);

  constructor(dataset: TradingDataset, config: TradingEnvConfig, rng: Rng, slot: SimSlot = { index: 0, guard: null }) {
    this.dataset = dataset;
    this.config = config;
    this.range = resolveEpisodeRange(config, dataset);
    this.actions = config.actionList;
    this.rng = rng;
    const { instrument, features } = dataset;
    this.account = new AccountState(config.initialCash, instrument.symbol, instrument.session);
    // The env keeps no fill history: the trainer reads the account, not the venue's log.
    this.venue = new SimVenue({ instrument, fill: config.fill, fillHistory: 0, account: config.accountModel, initialCash: config.initialCash });
    const discrete = config.actionType === 'discrete';
    const guard = slot.guard;
    const i = slot.index;
    const nA = discrete ? config.actionList.length : 0;
    this.chain = new DecisionChain({
      instrument,
      account: this.account,
      venue: this.venue,
      actionType: discrete ? 'discrete' : 'box',
      actions: discrete ? config.actionList : [],
      boxLow: config.boxRange === 'long-only' ? 0 : -1,
      rules: guard === null ? null : guard.compiled,
      ...(guard?.onLockEvent ? { onLockEvent: guard.onLockEvent } : {}),
      ...(slot.mask ? { mask: slot.mask } : {}),
      ...(guard === null
        ? {}
        : {
            reasonBits: guard.reasonBits.subarray(i * nA, (i + 1) * nA),
            interval: guard.targetIntervals.subarray(2 * i, 2 * i + 2),
            intervalBits: guard.targetReasonBits.subarray(2 * i, 2 * i + 2),
          }),
    });
    this.windowSize = config.windowSize;
    this.featureWindowSize = config.windowSize * features.nFeatures;
    this.obsDim = observationSize(config.windowSize, features.nFeatures);
    this.intervalMs = dataset.intervalMs;
    this.ruinEquity = config.ruinFraction * config.initialCash;
    this.episodeLength = config.episodeLength;
    this.logReward = config.reward === 'log';
    this.costs = config.costs;
  }

  /** The account record the mask, the cost signals and the observation read (the chain's). */
  get state(): AccountState {
    return this.account;
  }

  get ledger(): AccountState['ledger'] {
    return this.account.ledger;
  }

  /** The venue's last matching attempt (price, fee, status; cleared when nothing was working). */
  get fill(): FillResult {
    return this.venue.lastFill;
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
    this.reward = 0;
    this.cost = 0;
    this.costSignals.fill(0);
    this.terminated = false;
    this.truncated = false;
    this.stepFee = 0;
    this.lastDecision = null;
    startEpisode(this.chain, this.venue, this.dataset.bars, t0, this.intervalMs);
  }

  /** Steps with discrete action `a` (an index into `actions`) through the chain. */
  stepDiscrete(a: number): void {
    this.checkRunning();
    if (this.actions[a] === undefined) throw new RangeError(`action: must be an integer in [0, ${this.actions.length}), got ${a}`);
    this.lastDecision = this.chain.decideAction(a, this.decisionMs());
    this.advance();
  }

  /** Steps towards a target position worth `target` × equity through the chain (clipped to the Box range). */
  stepTarget(target: number): void {
    if (Number.isNaN(target)) throw new RangeError('action: target position must be a number, got NaN');
    this.checkRunning();
    this.lastDecision = this.chain.decideTarget(target, this.decisionMs());
    this.advance();
  }

  private checkRunning(): void {
    if (this.terminated || this.truncated) throw new Error('step: the episode has ended; call reset() first');
  }

  private decisionMs(): number {
    return this.dataset.bars.time[this.t] + this.intervalMs;
  }

  /** The bar after the decision: fills, mark, reward, costs, episode end. */
  private advance(): void {
    const s = this.account;
    const eqBefore = s.equity;
    const next = this.t + 1;
    stepBar(this.chain, this.venue, this.dataset.bars, next, this.intervalMs);
    this.stepFee = this.chain.lastFees;
    this.t = next;
    this.steps++;

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
    this.terminated = eq < this.ruinEquity || eq <= 0 || this.chain.ruined;
    this.truncated = !this.terminated && (this.steps >= this.episodeLength || next >= this.range.end - 1);
  }

  /** Writes the observation at the current bar into `out[offset … offset + obsDim)`. Allocates nothing. */
  writeObs(out: Float32Array, offset: number): void {
    writeObservation(out, offset, this.dataset.features, this.t, this.windowSize, this.account.ledger);
  }
}
