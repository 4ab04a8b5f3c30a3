/**
 * The worst-case price for the next bar, in one place. Position and size rules judge the position an
 * action would leave at this price rather than at the last close.
 *
 * Two sources of the bound b (the largest adverse move of a fill from the reference price, as a fraction):
 * - the env's own fill model (`src/venues` `SimFillConfig`): b is venues' `slippageBoundFraction` at the
 *   participation cap (half spread + fixed slippage + the largest impact), plus one tick of rounding;
 * - standalone (the CLI, tests): the rule set's `fill_model` section, b = spread/2 + slippage bound.
 * Every fill and the next mark are then taken to lie in [price × (1 − b) − tick, price × (1 + b) + tick].
 * Gaps between the last close and the next open are outside the fill model, as in venues.
 */
import { type SimFillConfig, slippageBoundFraction } from '../venues/index.js';
import type { FillModelBound } from './rules-schema.js';

/** b from a rule set's `fill_model` section. */
export function worstCaseBoundFrac(fill: FillModelBound): number {
  return fill.spread_bps / 20_000 + fill.slippage_bound_bps / 10_000;
}

/** b from the sim venue's fill model: volume 0 takes the impact at the participation cap, its largest. */
export function simFillBoundFrac(config: SimFillConfig): number {
  return slippageBoundFraction(0, 0, config);
}

/** Lowest next-bar price as a multiple of `price`. */
export function worstMoveDown(boundFrac: number, tickSize: number, price: number): number {
  return 1 - boundFrac - tickSize / price;
}

/** Highest next-bar price as a multiple of `price`. */
export function worstMoveUp(boundFrac: number, tickSize: number, price: number): number {
  return 1 + boundFrac + tickSize / price;
}

/**
 * The rules can judge a next bar at `price` only when its lowest worst-case price stays above zero: the closed
 * forms of the Box interval and the mask's ratios assume it, and a price within about one tick (plus the bound)
 * of zero has no meaningful worst case. Such a state is judged like an unusable one: hold only.
 */
export function priceRangePositive(boundFrac: number, tickSize: number, price: number): boolean {
  return worstMoveDown(boundFrac, tickSize, price) > 0;
}

/** The price range the next bar's fill may land in. */
export function worstCasePriceRange(price: number, boundFrac: number, tickSize = 0): { lo: number; hi: number } {
  return { lo: price * worstMoveDown(boundFrac, tickSize, price), hi: price * worstMoveUp(boundFrac, tickSize, price) };
}
