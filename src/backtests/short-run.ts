/**
 * Annualised figures (CAGR, volatility, Sharpe, Sortino, Calmar) extrapolate a run to a year; from a few days of
 * data they are noise (a 5-bar file once showed a benchmark CAGR of 580 %). Runs shorter than this are marked.
 */
import { MS_PER_DAY } from '../core/index.js';

export const SHORT_RUN_DAYS = 90;

/** The days a run of `bars` bars spans. */
export function runSpanDays(bars: number, barIntervalMs: number): number {
  return (bars * barIntervalMs) / MS_PER_DAY;
}

/** A caveat for the annualised figures of a run shorter than SHORT_RUN_DAYS, else null. */
export function annualisedCaveat(metrics: { readonly bars: number; readonly bar_interval_ms: number }): string | null {
  const days = runSpanDays(metrics.bars, metrics.bar_interval_ms);
  if (!(days < SHORT_RUN_DAYS)) return null;
  const span = days < 1 ? `${(days * 24).toFixed(1)} hours` : `${days.toFixed(1)} days`;
  return `* annualised from ${span} of data (under ${SHORT_RUN_DAYS} days): CAGR, volatility, Sharpe, Sortino and Calmar are extrapolations, not estimates`;
}
