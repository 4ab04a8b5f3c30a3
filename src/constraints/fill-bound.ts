/**
 * The worst-case price for the next bar, in one place. Position and size rules judge the position an
 * action would leave at this price rather than at the last close.
 *
 * `src/venues/` had no exported worst-case function when this was written, so the bound is computed here
 * from the rule set's `fill_model` section (or the env's fill model, passed to `compileRules`): a taker
 * pays half the quoted spread plus at most the slippage bound, so every fill and the next mark lie in
 * [price × (1 − b), price × (1 + b)] with b = spread/2 + slippage bound.
 */
import type { FillModelBound } from './rules-schema.js';

/** b: the largest relative distance of the next bar's fill price from the reference price. */
export function worstCaseBoundFrac(fill: FillModelBound): number {
  return fill.spread_bps / 20_000 + fill.slippage_bound_bps / 10_000;
}

/** The price range the next bar's fill may land in. */
export function worstCasePriceRange(price: number, fill: FillModelBound): { lo: number; hi: number } {
  const b = worstCaseBoundFrac(fill);
  return { lo: price * (1 - b), hi: price * (1 + b) };
}
