/**
 * Performance metrics as pure functions over an equity series and a trade list.
 *
 * Conventions (the same for every run, so runs compare):
 * - `equity[t]` is the account's equity marked at the close of bar t; `equity[0]` is the starting equity
 *   (nothing can have filled before the first close: orders fill at the next bar's open).
 * - Bar returns are r_t = equity[t] / equity[t−1] − 1 for t ≥ 1. Annualisation multiplies by
 *   `barsPerYear` (from the data's own calendar, `core/inferCalendar`); the risk-free rate is 0.
 * - CAGR compounds over the elapsed calendar time between the first and last bar when it is given
 *   (`elapsedYears`), not over a bar count: a weekday-only series is not shorter than it looks.
 * - Losses are reported as positive fractions: `max_drawdown` 0.2 and `cvar_95` 0.01 are losses.
 * - A ratio with a zero denominator (no volatility, no losing trade, no drawdown) is `null`, never
 *   Infinity: JSON cannot carry Infinity, and 0 would be a lie.
 */
import type { Trade } from './trades.js';

export type Ratio = number | null;

/** Metrics that depend on the equity series only (the ones reported for the buy-and-hold benchmark too). */
export interface ReturnMetrics {
  total_return: number;
  cagr: number;
  volatility: number;
  sharpe: Ratio;
  sortino: Ratio;
  calmar: Ratio;
  max_drawdown: number;
  max_drawdown_duration_bars: number;
  cvar_95: number;
}

export interface TradeMetrics {
  win_rate: Ratio;
  profit_factor: Ratio;
  n_trades: number;
  /** Share of bars that ended with an open position. */
  exposure: number;
  /** Traded notional over mean equity: how many times the account was turned over during the run. */
  turnover: number;
  fees_paid: number;
  final_equity: number;
}

export type PerformanceMetrics = ReturnMetrics & TradeMetrics;

/** Bar-to-bar simple returns of an equity series (length n − 1). */
export function barReturns(equity: ArrayLike<number>): Float64Array {
  const n = Math.max(0, equity.length - 1);
  const out = new Float64Array(n);
  for (let t = 1; t <= n; t++) out[t - 1] = equity[t] / equity[t - 1] - 1;
  return out;
}

function mean(xs: Float64Array): number {
  let s = 0;
  for (let i = 0; i < xs.length; i++) s += xs[i];
  return xs.length > 0 ? s / xs.length : 0;
}

/** Sample standard deviation (n − 1 in the denominator); 0 for fewer than two values. */
export function sampleStd(xs: Float64Array): number {
  if (xs.length < 2) return 0;
  const m = mean(xs);
  let s = 0;
  for (let i = 0; i < xs.length; i++) s += (xs[i] - m) * (xs[i] - m);
  return Math.sqrt(s / (xs.length - 1));
}

/** Root mean square of the negative returns over all returns (the Sortino downside deviation, target 0). */
export function downsideDeviation(xs: Float64Array): number {
  if (xs.length === 0) return 0;
  let s = 0;
  for (let i = 0; i < xs.length; i++) if (xs[i] < 0) s += xs[i] * xs[i];
  return Math.sqrt(s / xs.length);
}

/** Largest peak-to-trough loss as a fraction of the peak, and the longest time spent below a peak, in bars. */
export function drawdownStats(equity: ArrayLike<number>): { maxDrawdown: number; maxDurationBars: number } {
  let peak = Number.NEGATIVE_INFINITY;
  let maxDrawdown = 0;
  let run = 0;
  let maxDurationBars = 0;
  for (let t = 0; t < equity.length; t++) {
    const e = equity[t];
    if (e >= peak) {
      peak = e;
      run = 0;
      continue;
    }
    run++;
    if (run > maxDurationBars) maxDurationBars = run;
    const dd = (peak - e) / peak;
    if (dd > maxDrawdown) maxDrawdown = dd;
  }
  return { maxDrawdown, maxDurationBars };
}

/** The drawdown at each bar, as a positive fraction of the running peak. */
export function drawdownSeries(equity: ArrayLike<number>): Float64Array {
  const out = new Float64Array(equity.length);
  let peak = Number.NEGATIVE_INFINITY;
  for (let t = 0; t < equity.length; t++) {
    if (equity[t] > peak) peak = equity[t];
    out[t] = peak > 0 ? (peak - equity[t]) / peak : 0;
  }
  return out;
}

/**
 * Expected shortfall at `level` (0.95): the mean loss over the worst ⌈(1 − level)·n⌉ bar returns,
 * reported as a positive loss (a negative number means even the worst bars gained).
 */
export function cvar(returns: Float64Array, level = 0.95): number {
  if (returns.length === 0) return 0;
  const sorted = Float64Array.from(returns).sort();
  const k = Math.max(1, Math.ceil((1 - level) * sorted.length - 1e-9));
  let s = 0;
  for (let i = 0; i < k; i++) s += sorted[i];
  return -s / k;
}

function ratio(num: number, den: number): Ratio {
  return den > 0 && Number.isFinite(num / den) ? num / den : null;
}

/**
 * `elapsedYears` (from the bars' timestamps) sets the CAGR horizon; without it the horizon is the bar count over
 * `barsPerYear`, which is right only for a series without gaps.
 */
export function returnMetrics(equity: ArrayLike<number>, barsPerYear: number, elapsedYears?: number): ReturnMetrics {
  if (equity.length === 0) throw new RangeError('equity: must have at least one value');
  if (!(barsPerYear > 0)) throw new RangeError(`barsPerYear: must be > 0, got ${barsPerYear}`);
  const first = equity[0];
  const last = equity[equity.length - 1];
  const r = barReturns(equity);
  const totalReturn = last / first - 1;
  if (elapsedYears !== undefined && !(elapsedYears >= 0)) throw new RangeError(`elapsedYears: must be >= 0, got ${elapsedYears}`);
  const years = elapsedYears ?? r.length / barsPerYear;
  // A run that lost everything has CAGR −100 %; a run of zero length has no growth rate to speak of.
  const cagr = years > 0 ? (last > 0 ? Math.pow(last / first, 1 / years) - 1 : -1) : 0;
  const annual = Math.sqrt(barsPerYear);
  const m = mean(r);
  const std = sampleStd(r);
  const dd = drawdownStats(equity);
  return {
    total_return: totalReturn,
    cagr,
    volatility: std * annual,
    sharpe: std > 0 ? (m / std) * annual : null,
    sortino: ratio(m * annual, downsideDeviation(r)),
    calmar: ratio(cagr, dd.maxDrawdown),
    max_drawdown: dd.maxDrawdown,
    max_drawdown_duration_bars: dd.maxDurationBars,
    cvar_95: cvar(r, 0.95),
  };
}

export interface TradeMetricsInput {
  equity: ArrayLike<number>;
  /** Signed position at each bar's close (same length as equity). */
  positionQty: ArrayLike<number>;
  trades: readonly Trade[];
  /** Sum of |quantity × price| over every fill, in quote currency. */
  tradedNotional: number;
  feesPaid: number;
}

export function tradeMetrics(input: TradeMetricsInput): TradeMetrics {
  const { equity, positionQty, trades } = input;
  let wins = 0;
  let grossWin = 0;
  let grossLoss = 0;
  for (const t of trades) {
    if (t.pnl > 0) {
      wins++;
      grossWin += t.pnl;
    } else if (t.pnl < 0) grossLoss -= t.pnl;
  }
  let exposed = 0;
  let eqSum = 0;
  for (let i = 0; i < equity.length; i++) {
    if (positionQty[i] !== 0) exposed++;
    eqSum += equity[i];
  }
  const meanEquity = equity.length > 0 ? eqSum / equity.length : 0;
  return {
    win_rate: trades.length > 0 ? wins / trades.length : null,
    profit_factor: ratio(grossWin, grossLoss),
    n_trades: trades.length,
    exposure: equity.length > 0 ? exposed / equity.length : 0,
    turnover: meanEquity > 0 ? input.tradedNotional / meanEquity : 0,
    fees_paid: input.feesPaid,
    final_equity: equity.length > 0 ? equity[equity.length - 1] : 0,
  };
}

export function performanceMetrics(input: TradeMetricsInput, barsPerYear: number, elapsedYears?: number): PerformanceMetrics {
  return { ...returnMetrics(input.equity, barsPerYear, elapsedYears), ...tradeMetrics(input) };
}
