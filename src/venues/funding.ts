/**
 * The seam for perpetual-swap funding. Nothing applies funding yet: the sim venue and the env trade spot
 * economics. A funding model plugs in here, and whoever books it (the env or a ledger owner) calls
 * `fundingPayment` at each funding time.
 */

/** Funding rate per funding interval (e.g. 0.0001 = 1 bp per 8 h), positive when longs pay shorts. */
export interface FundingRateSource {
  /** Interval between funding payments, in ms (8 h on most venues). */
  readonly intervalMs: number;
  /** The rate that applies at the funding time `timeMs`. */
  rateAt(timeMs: number): number;
}

/** Quote currency the position pays (> 0) or receives (< 0) at one funding time. */
export function fundingPayment(positionQty: number, markPrice: number, rate: number): number {
  return positionQty * markPrice * rate;
}
