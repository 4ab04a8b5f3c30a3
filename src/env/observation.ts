/**
 * The env's observation layout, as one pure function: the feature window (oldest row first) followed by the
 * portfolio entries. The env writes its observations with it and a backtest of a trained policy does too, so
 * the policy sees the same numbers in both. Allocation-free: it writes into the caller's buffer.
 */
import { MS_PER_DAY } from '../core/index.js';
import type { FeatureMatrix } from '../data/index.js';

/** Portfolio entries appended to the feature window in every observation. */
export const PORTFOLIO_OBS_NAMES = ['position_value/equity', 'unrealised_pnl/equity', 'drawdown', 'time_of_day'] as const;

/** What the portfolio entries read from the account (a core `Ledger` has these fields). */
export interface ObsAccount {
  readonly equity: number;
  readonly peakEquity: number;
  /** Signed base units. */
  readonly positionQty: number;
  readonly markPrice: number;
  readonly unrealisedPnl: number;
  /** Time of the last mark, ms since the Unix epoch. */
  readonly timeMs: number;
}

/** Entries of one observation: `windowSize` rows of features, then the portfolio entries. */
export function observationSize(windowSize: number, nFeatures: number): number {
  return windowSize * nFeatures + PORTFOLIO_OBS_NAMES.length;
}

/**
 * Writes the observation at feature row `row` into `out[offset … offset + observationSize)`: rows
 * `row − windowSize + 1 … row` of `features`, then position value / equity, unrealised PnL / equity,
 * drawdown from the peak and the time of day (fraction of the UTC day). Allocates nothing.
 */
export function writeObservation(
  out: Float32Array,
  offset: number,
  features: FeatureMatrix,
  row: number,
  windowSize: number,
  account: ObsAccount,
): void {
  const nf = features.nFeatures;
  if (!(row >= windowSize - 1 && row < features.length)) {
    throw new RangeError(`row: must be a feature row in [${windowSize - 1}, ${features.length}) for a window of ${windowSize}, got ${row}`);
  }
  const data = features.data;
  const n = windowSize * nf;
  const src = (row - windowSize + 1) * nf;
  for (let k = 0; k < n; k++) out[offset + k] = data[src + k];
  const eq = account.equity;
  const o = offset + n;
  if (eq > 0) {
    out[o] = (account.positionQty * account.markPrice) / eq;
    out[o + 1] = account.unrealisedPnl / eq;
  } else {
    out[o] = 0;
    out[o + 1] = -1;
  }
  const peak = account.peakEquity;
  out[o + 2] = eq < peak ? (peak - eq) / peak : 0;
  out[o + 3] = (account.timeMs % MS_PER_DAY) / MS_PER_DAY;
}
