/**
 * Putting parsed rows into time order, and the decisions about duplicates and gaps. Rows keep their file line
 * numbers throughout, so every decision can be reported (and every rejection named) by line.
 */
import { allocateBars, type Bars, MS_PER_DAY, setBar } from '../core/index.js';
import { CsvLoadError } from './csv-errors.js';
import { formatDurationMs, formatTimeMs } from './time-format.js';

/** Parsed rows in file order: bar columns plus the 1-based line in the file of each row. */
export interface RowColumns extends Bars {
  readonly line: Int32Array;
}

export type DuplicatePolicy = 'error' | 'keep-first' | 'keep-last';
export type GapPolicy = 'report' | 'error' | 'forward-fill';

export type FileOrder = 'ascending' | 'newest-first' | 'unordered';

export interface OrderReport {
  /** How the file was ordered before loading. */
  fileOrder: FileOrder;
  /**
   * Rows out of order after any whole-file reversal: the fewest rows that must move to sort the file
   * (rows outside its longest time-ordered subsequence).
   */
  movedRows: number;
  /** Lines of the first few rows that were out of order. */
  movedLines: number[];
}

export interface DuplicateReport {
  policy: DuplicatePolicy;
  /** Rows dropped because another row had the same timestamp. */
  dropped: number;
  /** First few: the timestamp and the lines that had it. */
  examples: { timeMs: number; lines: number[] }[];
}

export interface GapRange {
  /** Time of the last bar before the gap and the first bar after it. */
  afterMs: number;
  beforeMs: number;
  missingBars: number;
  /** Line of the bar after the gap. */
  line: number;
}

export interface GapReport {
  policy: GapPolicy;
  /** Median spacing of bars, taken as the bar interval. */
  intervalMs: number;
  count: number;
  missingBars: number;
  /** Bars inserted by forward-fill (0 unless the policy is `forward-fill`). */
  filledBars: number;
  /**
   * Daily bars with none on a Saturday or Sunday (an exchange calendar): weekends are not counted as missing
   * and not filled.
   */
  weekdaysOnly: boolean;
  /** Spacings that are not a whole number of intervals (misaligned bars). */
  irregularIntervals: number;
  /** The first few gaps. */
  ranges: GapRange[];
}

const EXAMPLES = 5;

function isWeekend(timeMs: number): boolean {
  const day = new Date(timeMs).getUTCDay();
  return day === 0 || day === 6;
}

/** Indices of rows in time order (stable on ties by line), and how the file was ordered. */
export function timeOrder(rows: RowColumns): { index: Int32Array; report: OrderReport } {
  const n = rows.length;
  const t = rows.time;
  let descents = 0;
  for (let i = 1; i < n; i++) if (t[i] < t[i - 1]) descents++;
  const index = new Int32Array(n);
  if (descents === 0) {
    for (let i = 0; i < n; i++) index[i] = i;
    return { index, report: { fileOrder: 'ascending', movedRows: 0, movedLines: [] } };
  }
  // A newest-first file is reversed as a whole first, so that only its truly misplaced rows count as moved.
  const newestFirst = descents > (n - 1) / 2;
  for (let i = 0; i < n; i++) index[i] = newestFirst ? n - 1 - i : i;
  const inPlace = longestNonDecreasing(t, index);
  const lines = rows.line;
  const movedRow = new Uint8Array(n);
  let movedRows = 0;
  for (let i = 0; i < n; i++) {
    if (!inPlace[i]) {
      movedRow[index[i]] = 1;
      movedRows++;
    }
  }
  const movedLines: number[] = [];
  for (let r = 0; r < n && movedLines.length < EXAMPLES; r++) if (movedRow[r]) movedLines.push(lines[r]);
  index.sort((a, b) => t[a] - t[b] || lines[a] - lines[b]);
  const fileOrder: FileOrder = newestFirst ? 'newest-first' : 'unordered';
  return { index, report: { fileOrder, movedRows, movedLines } };
}

/**
 * Marks, for the sequence `t[order[0]], t[order[1]], …`, the members of one longest non-decreasing subsequence
 * (patience sorting, O(n log n)).
 */
function longestNonDecreasing(t: Float64Array, order: Int32Array): Uint8Array {
  const n = order.length;
  const tailPos = new Int32Array(n); // position in `order` of the tail of the best run of each length
  const prev = new Int32Array(n).fill(-1);
  let len = 0;
  for (let i = 0; i < n; i++) {
    const v = t[order[i]];
    // First run length whose tail is greater than v (upper bound keeps equal times in one run).
    let lo = 0;
    let hi = len;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (t[order[tailPos[mid]]] <= v) lo = mid + 1;
      else hi = mid;
    }
    if (lo > 0) prev[i] = tailPos[lo - 1];
    tailPos[lo] = i;
    if (lo === len) len++;
  }
  const member = new Uint8Array(n);
  for (let i = len > 0 ? tailPos[len - 1] : -1; i >= 0; i = prev[i]) member[i] = 1;
  return member;
}

/**
 * Drops rows whose timestamp repeats, per policy; `keep-first` / `keep-last` mean first / last in the file.
 * Throws a CsvLoadError under `error`.
 */
export function dropDuplicates(
  rows: RowColumns,
  index: Int32Array,
  policy: DuplicatePolicy,
  file: string,
  timeColumn: string,
): { index: Int32Array; report: DuplicateReport } {
  const t = rows.time;
  const lines = rows.line;
  const keep = new Int32Array(index.length);
  let kept = 0;
  const examples: { timeMs: number; lines: number[] }[] = [];
  let dropped = 0;
  for (let i = 0; i < index.length; ) {
    let j = i + 1;
    while (j < index.length && t[index[j]] === t[index[i]]) j++;
    if (j - i > 1) {
      // Within a run of equal times the sort left rows in line order.
      const runLines = Array.from(index.subarray(i, j), (r) => lines[r]);
      if (policy === 'error') {
        throw new CsvLoadError(
          file,
          runLines[1],
          timeColumn,
          `duplicate timestamp ${formatTimeMs(t[index[i]])} (also on line ${runLines[0]}); ` +
            `choose duplicates 'keep-first' or 'keep-last' to load it anyway`,
        );
      }
      if (examples.length < EXAMPLES) examples.push({ timeMs: t[index[i]], lines: runLines });
      dropped += j - i - 1;
      keep[kept++] = policy === 'keep-first' ? index[i] : index[j - 1];
    } else {
      keep[kept++] = index[i];
    }
    i = j;
  }
  return { index: keep.slice(0, kept), report: { policy, dropped, examples } };
}

/** Median of the spacings between consecutive ordered rows, in ms (0 for fewer than two rows). */
export function medianSpacingMs(rows: RowColumns, index: Int32Array): number {
  if (index.length < 2) return 0;
  const gaps = new Float64Array(index.length - 1);
  for (let i = 1; i < index.length; i++) gaps[i - 1] = rows.time[index[i]] - rows.time[index[i - 1]];
  gaps.sort();
  return gaps[gaps.length >> 1];
}

/** Builds the final bars, finding gaps and filling them if the policy says so. */
export function assembleBars(
  rows: RowColumns,
  index: Int32Array,
  policy: GapPolicy,
  file: string,
  timeColumn: string,
): { bars: Bars; report: GapReport } {
  const t = rows.time;
  const intervalMs = medianSpacingMs(rows, index);
  const weekdaysOnly = intervalMs === MS_PER_DAY && index.length > 1 && !index.some((r) => isWeekend(t[r]));
  // The bar slots strictly between two bars that should have had a bar.
  const missingBetween = (fromMs: number, toMs: number): number[] => {
    const slots: number[] = [];
    const steps = Math.round((toMs - fromMs) / intervalMs);
    for (let m = 1; m < steps; m++) {
      const slot = fromMs + m * intervalMs;
      if (!(weekdaysOnly && isWeekend(slot))) slots.push(slot);
    }
    return slots;
  };
  let count = 0;
  let missingBars = 0;
  let irregularIntervals = 0;
  const ranges: GapRange[] = [];
  for (let i = 1; i < index.length && intervalMs > 0; i++) {
    const spacing = t[index[i]] - t[index[i - 1]];
    const steps = spacing / intervalMs;
    if (Math.abs(steps - Math.round(steps)) > 1e-9) irregularIntervals++;
    if (Math.round(steps) < 2) continue;
    const missing = missingBetween(t[index[i - 1]], t[index[i]]).length;
    if (missing < 1) continue;
    const range = { afterMs: t[index[i - 1]], beforeMs: t[index[i]], missingBars: missing, line: rows.line[index[i]] };
    if (policy === 'error') {
      throw new CsvLoadError(
        file,
        range.line,
        timeColumn,
        `gap of ${missing} missing bar(s) at interval ${formatDurationMs(intervalMs)} between ` +
          `${formatTimeMs(range.afterMs)} and ${formatTimeMs(range.beforeMs)}; choose gaps 'report' or 'forward-fill' to load it anyway`,
      );
    }
    count++;
    missingBars += missing;
    if (ranges.length < EXAMPLES) ranges.push(range);
  }
  const fill = policy === 'forward-fill' ? missingBars : 0;
  const bars = allocateBars(index.length + fill);
  let k = 0;
  for (let i = 0; i < index.length; i++) {
    const r = index[i];
    if (fill > 0 && i > 0) {
      const prev = index[i - 1];
      const c = rows.close[prev];
      // A missing bar is a bar in which nothing traded: flat at the last close, zero volume.
      for (const slot of missingBetween(t[prev], t[r])) {
        setBar(bars, k, slot, c, c, c, c, 0);
        k++;
      }
    }
    setBar(bars, k, t[r], rows.open[r], rows.high[r], rows.low[r], rows.close[r], rows.volume[r]);
    k++;
  }
  return {
    bars,
    report: { policy, intervalMs, count, missingBars, filledBars: fill, weekdaysOnly, irregularIntervals, ranges },
  };
}
