/**
 * Return and volatility statistics of a bar series (`bulwark data inspect`): what a person checks before trusting
 * a data set — the typical bar move, its spread, the volatility it implies over a year, and the single largest move
 * (a bad print or a real crash, either worth a look).
 */
import { type Bars, type Calendar, inferCalendar } from '../core/index.js';

export interface ReturnStats {
  /** Log returns close→close (bars − 1). */
  readonly returns: number;
  readonly meanLogReturn: number;
  /** Sample standard deviation (n − 1) of the log returns; 0 with fewer than two returns. */
  readonly sdLogReturn: number;
  /** sd × √(periods per year) from the data's inferred calendar. */
  readonly annualisedVolatility: number;
  readonly periodsPerYear: number;
  readonly calendar: string;
  /** The bar whose close-to-close log return is largest in absolute value; null with no returns. */
  readonly largestMove: { readonly logReturn: number; readonly timeMs: number } | null;
}

/** Statistics of close-to-close log returns; `periodsPerYearOverride` replaces the inferred calendar. */
export function returnStats(bars: Bars, periodsPerYearOverride?: number): ReturnStats {
  const calendar: Calendar = inferCalendar(bars, periodsPerYearOverride);
  const n = Math.max(0, bars.length - 1);
  let sum = 0;
  let largest: { logReturn: number; timeMs: number } | null = null;
  const r = new Float64Array(n);
  for (let i = 1; i < bars.length; i++) {
    const x = Math.log(bars.close[i] / bars.close[i - 1]);
    r[i - 1] = x;
    sum += x;
    if (largest === null || Math.abs(x) > Math.abs(largest.logReturn)) largest = { logReturn: x, timeMs: bars.time[i] };
  }
  const mean = n > 0 ? sum / n : 0;
  let ss = 0;
  for (let i = 0; i < n; i++) ss += (r[i] - mean) ** 2;
  const sd = n > 1 ? Math.sqrt(ss / (n - 1)) : 0;
  return {
    returns: n,
    meanLogReturn: mean,
    sdLogReturn: sd,
    annualisedVolatility: sd * Math.sqrt(calendar.periodsPerYear),
    periodsPerYear: calendar.periodsPerYear,
    calendar: calendar.description,
    largestMove: largest,
  };
}
