/**
 * Baseline agents behind the same `act` interface as trained policies. They act on the observation they are
 * given; what they need to read from it (position, price) comes through small adapters, so they work on any
 * env whose observation carries those values. `tradingObsAdapter` reads them from `TradingEnv` observations.
 */
import { type ActionSpec, Rng } from '../core/index.js';
import type { ActOptions, Agent } from './policy.js';

/** Reads what the baselines need from an observation. */
export interface ObsAdapter {
  /** Signed position value / equity. */
  positionOf(obs: Float32Array): number;
  /** Latest price, or any positive price index whose moving averages cross where the price's do. */
  priceOf(obs: Float32Array): number;
}

/** Picks the allowed action that best moves the position towards `target` (share of equity); HOLD if none helps. */
export function actionTowards(actions: readonly ActionSpec[], position: number, target: number, mask: Uint8Array | null | undefined, toleranceFraction = 0.025): number {
  const gap = target - position;
  if (Math.abs(gap) <= toleranceFraction) return 0;
  let best = 0;
  let bestGap = Math.abs(gap);
  actions.forEach((a, i) => {
    if (mask && mask[i] !== 1) return;
    const after =
      a.kind === 'BUY' ? position + a.fraction : a.kind === 'SELL' ? position - a.fraction : a.kind === 'TARGET' ? a.fraction : a.kind === 'CLOSE_POSITION' ? 0 : position;
    const g = Math.abs(target - after);
    if (g < bestGap - 1e-12) {
      best = i;
      bestGap = g;
    }
  });
  return best;
}

/** Buys up to `targetFraction` of equity, then holds. */
export class BuyAndHoldAgent implements Agent {
  readonly name = 'buy-and-hold';
  constructor(
    private readonly actions: readonly ActionSpec[],
    private readonly adapter: Pick<ObsAdapter, 'positionOf'>,
    private readonly targetFraction = 1,
  ) {}
  reset(): void {}
  act(obs: Float32Array, mask?: Uint8Array | null): number {
    return actionTowards(this.actions, this.adapter.positionOf(obs), this.targetFraction, mask);
  }
}

/** Uniformly random among the allowed actions (seeded). */
export class RandomAgent implements Agent {
  readonly name = 'random';
  private readonly rng: Rng;
  constructor(
    private readonly nActions: number,
    seed: number,
  ) {
    if (!Number.isInteger(nActions) || nActions < 1) throw new RangeError(`nActions: must be a whole number >= 1, got ${nActions}`);
    this.rng = new Rng(seed);
  }
  reset(): void {}
  act(_obs: Float32Array, mask?: Uint8Array | null, options?: ActOptions): number {
    if (options?.deterministic) return 0;
    let allowed = 0;
    for (let a = 0; a < this.nActions; a++) if (!mask || mask[a] === 1) allowed++;
    if (allowed === 0) throw new RangeError('mask: no action is allowed (HOLD must always be allowed)');
    let k = this.rng.nextInt(allowed);
    for (let a = 0; a < this.nActions; a++) {
      if (mask && mask[a] !== 1) continue;
      if (k-- === 0) return a;
    }
    return 0;
  }
}

/**
 * Long `targetFraction` while the fast simple moving average of the price is above the slow one, flat
 * otherwise; HOLD until `slowBars` prices have been seen. Keeps its own price history: call `reset()` at the
 * start of each episode.
 */
export class MovingAverageCrossoverAgent implements Agent {
  readonly name = 'sma-crossover';
  private readonly prices: Float64Array;
  private seen = 0;

  constructor(
    private readonly actions: readonly ActionSpec[],
    private readonly adapter: ObsAdapter,
    readonly fastBars = 10,
    readonly slowBars = 40,
    private readonly targetFraction = 1,
  ) {
    if (!(Number.isInteger(fastBars) && fastBars >= 1 && Number.isInteger(slowBars) && slowBars > fastBars)) {
      throw new RangeError(`fastBars/slowBars: need whole numbers with 1 <= fast < slow, got ${fastBars}/${slowBars}`);
    }
    this.prices = new Float64Array(slowBars);
  }

  reset(): void {
    this.seen = 0;
  }

  act(obs: Float32Array, mask?: Uint8Array | null): number {
    this.prices[this.seen % this.slowBars] = this.adapter.priceOf(obs);
    this.seen++;
    if (this.seen < this.slowBars) return 0;
    let fast = 0;
    let slow = 0;
    for (let k = 0; k < this.slowBars; k++) {
      const p = this.prices[(this.seen - 1 - k) % this.slowBars];
      slow += p;
      if (k < this.fastBars) fast += p;
    }
    const long = fast / this.fastBars > slow / this.slowBars;
    return actionTowards(this.actions, this.adapter.positionOf(obs), long ? this.targetFraction : 0, mask);
  }
}

/**
 * Adapter for `TradingEnv` observations ([window × features, position_value/equity, …]): the position is the
 * first portfolio entry; the price index is rebuilt by summing the latest bar's 1-bar log return, which the
 * features give as `ret_1` (return / per-bar σ) and `vol` (annualised σ): log return = ret_1 · vol / √barsPerYear.
 * Stateful (it integrates): use one adapter per agent and per env, and `resetIndex()` it with the agent.
 */
export class TradingObsAdapter implements ObsAdapter {
  private logIndex = 0;
  constructor(
    /** Number of feature values in the observation (window × features); the portfolio entries follow. */
    private readonly featureValues: number,
    /** Features per bar, and the positions of ret_1 and vol within a bar's features. */
    private readonly nFeatures: number,
    private readonly ret1Index: number,
    private readonly volIndex: number,
    private readonly barsPerYear: number,
  ) {}
  resetIndex(): void {
    this.logIndex = 0;
  }
  positionOf(obs: Float32Array): number {
    return obs[this.featureValues];
  }
  priceOf(obs: Float32Array): number {
    const last = this.featureValues - this.nFeatures;
    this.logIndex += (obs[last + this.ret1Index] * obs[last + this.volIndex]) / Math.sqrt(this.barsPerYear);
    return Math.exp(this.logIndex);
  }
}
