/**
 * Bars whose move is far outside the series' own volatility (issue 15: a 1e9 price spike in a CSV was accepted and
 * gave a 100 % drawdown and a Sortino of 55 million). Judged on the series itself, robustly, so one bad tick cannot
 * hide itself by inflating the yardstick:
 *
 *   σ = 1.4826 × median |r − median(r)|   over the log close-to-close returns r (MAD, the normal-consistent scale)
 *
 * A bar is an outlier when
 * - its close is more than `k` σ (log) from the last good close and the next bar does not confirm the new level
 *   (a single-bar spike that reverts; a real jump to a level the next bar keeps is not flagged), or
 * - its high or low reaches more than `k` σ beyond the bar's own body (max/min of open and close): a wick spike.
 *
 * `k` is OUTLIER_K (12): with Gaussian returns a 12 σ move happens essentially never; heavy-tailed markets still
 * make 6-8 σ moves, which stay below it.
 */
import { type Bars, allocateBars, copyBar } from '../core/index.js';
import { CsvLoadError } from './csv-errors.js';
import { formatTimeMs } from './time-format.js';

/** How many σ (MAD-based, of log returns) a move must exceed to be an outlier. */
export const OUTLIER_K = 12;
/** Outlier bars listed in a report (all are counted). */
const LISTED = 10;

export type OutlierPolicy = 'error' | 'report' | 'drop';

export interface OutlierBar {
  readonly timeMs: number;
  readonly close: number;
  readonly high: number;
  readonly low: number;
  /** How many σ the bar's worst move was (close against the last good close, or a wick against the body). */
  readonly sigmas: number;
  readonly kind: 'spike' | 'wick';
}

export interface OutlierReport {
  readonly policy: OutlierPolicy;
  readonly k: number;
  /** σ of the log returns (MAD-based); 0 when the series has too few moves to judge. */
  readonly sigma: number;
  readonly count: number;
  /** The first outliers, in time order. */
  readonly bars: readonly OutlierBar[];
  readonly dropped: number;
}

function median(xs: Float64Array): number {
  if (xs.length === 0) return Number.NaN;
  const s = Float64Array.from(xs).sort();
  const m = s.length >> 1;
  return s.length % 2 === 1 ? s[m] : (s[m - 1] + s[m]) / 2;
}

/** σ of the log close-to-close returns, from their median absolute deviation. */
export function robustSigma(bars: Bars): number {
  if (bars.length < 3) return 0;
  const r = new Float64Array(bars.length - 1);
  for (let i = 1; i < bars.length; i++) r[i - 1] = Math.log(bars.close[i] / bars.close[i - 1]);
  const m = median(r);
  for (let i = 0; i < r.length; i++) r[i] = Math.abs(r[i] - m);
  return 1.4826 * median(r);
}

/** Indices of the outlier bars and what each one was. */
export function findOutliers(bars: Bars, k = OUTLIER_K): { sigma: number; found: { index: number; bar: OutlierBar }[] } {
  const sigma = robustSigma(bars);
  const found: { index: number; bar: OutlierBar }[] = [];
  // A flat series (σ = 0) has no volatility to judge a move by.
  if (!(sigma > 0)) return { sigma: 0, found };
  const limit = k * sigma;
  const at = (i: number, sigmas: number, kind: OutlierBar['kind']) =>
    found.push({ index: i, bar: { timeMs: bars.time[i], close: bars.close[i], high: bars.high[i], low: bars.low[i], sigmas, kind } });
  let good = 0; // index of the last good close
  for (let i = 1; i < bars.length; i++) {
    const move = Math.abs(Math.log(bars.close[i] / bars.close[good]));
    const bodyHigh = Math.max(bars.open[i], bars.close[i]);
    const bodyLow = Math.min(bars.open[i], bars.close[i]);
    const wick = Math.max(Math.log(bars.high[i] / bodyHigh), Math.log(bodyLow / bars.low[i]));
    if (move > limit) {
      const next = i + 1 < bars.length ? Math.abs(Math.log(bars.close[i + 1] / bars.close[i])) : Number.POSITIVE_INFINITY;
      // The next bar keeps the new level: a real jump, not a bad tick.
      if (next <= limit) {
        good = i;
        continue;
      }
      at(i, move / sigma, 'spike');
      continue;
    }
    if (wick > limit) at(i, wick / sigma, 'wick');
    else good = i;
  }
  return { sigma, found };
}

/** Applies the policy: `error` throws naming the first bar, `report` keeps them, `drop` removes them. */
export function applyOutlierPolicy(bars: Bars, policy: OutlierPolicy, file: string, k = OUTLIER_K): { bars: Bars; report: OutlierReport } {
  const { sigma, found } = findOutliers(bars, k);
  const listed = found.slice(0, LISTED).map((f) => f.bar);
  const report = (dropped: number): OutlierReport => ({ policy, k, sigma, count: found.length, bars: listed, dropped });
  if (found.length === 0) return { bars, report: report(0) };
  if (policy === 'error') {
    const b = found[0].bar;
    throw new CsvLoadError(
      file,
      null,
      null,
      `${found.length} outlier bar(s) far outside the series' volatility; first at ${formatTimeMs(b.timeMs)}: ` +
        `${describeOutlier(b)} (${b.sigmas.toFixed(0)} σ, limit ${k} σ of log returns); ` +
        `--outliers report loads it with a warning, --outliers drop removes them`,
    );
  }
  if (policy === 'report') return { bars, report: report(0) };
  const drop = new Set(found.map((f) => f.index));
  const out = allocateBars(bars.length - drop.size);
  for (let i = 0, j = 0; i < bars.length; i++) {
    if (drop.has(i)) continue;
    copyBar(bars, i, out, j);
    j++;
  }
  return { bars: out, report: report(drop.size) };
}

export function describeOutlier(b: OutlierBar): string {
  return b.kind === 'spike' ? `close ${b.close}` : `high ${b.high} / low ${b.low}`;
}

/** One note line for the load report. */
export function outlierNote(r: OutlierReport): string | null {
  if (r.count === 0) return null;
  const list = r.bars.map((b) => `${formatTimeMs(b.timeMs)} ${describeOutlier(b)} (${b.sigmas.toFixed(0)} σ)`).join('; ');
  const more = r.count > r.bars.length ? `; … ${r.count - r.bars.length} more` : '';
  const action = r.policy === 'drop' ? `dropped ${r.dropped} bar(s)` : 'kept (--outliers drop removes them, --outliers error refuses the file)';
  return `${r.count} outlier bar(s) beyond ${r.k} σ of the series' log-return volatility (σ ${r.sigma.toPrecision(3)}), ${action}: ${list}${more}`;
}
