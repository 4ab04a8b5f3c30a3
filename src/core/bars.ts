/**
 * OHLCV bars as typed-array columns: one Float64Array per field, so that a million bars are six flat
 * buffers, not a million objects. `time` is the bar's open time in ms since the Unix epoch (UTC).
 */
export interface Bars {
  readonly length: number;
  readonly time: Float64Array;
  readonly open: Float64Array;
  readonly high: Float64Array;
  readonly low: Float64Array;
  readonly close: Float64Array;
  readonly volume: Float64Array;
}

export function allocateBars(length: number): Bars {
  if (!Number.isInteger(length) || length < 0) throw new RangeError(`length: must be a whole number >= 0, got ${length}`);
  return {
    length,
    time: new Float64Array(length),
    open: new Float64Array(length),
    high: new Float64Array(length),
    low: new Float64Array(length),
    close: new Float64Array(length),
    volume: new Float64Array(length),
  };
}

export interface BarRecord {
  time: number;
  open: number;
  high: number;
  low: number;
  close: number;
  volume: number;
}

/** Writes bar `i` in place (the one place that knows a bar's six columns). */
export function setBar(bars: Bars, i: number, time: number, open: number, high: number, low: number, close: number, volume: number): void {
  bars.time[i] = time;
  bars.open[i] = open;
  bars.high[i] = high;
  bars.low[i] = low;
  bars.close[i] = close;
  bars.volume[i] = volume;
}

/** Copies bar `i` of `from` to bar `j` of `to`. */
export function copyBar(from: Bars, i: number, to: Bars, j: number): void {
  setBar(to, j, from.time[i], from.open[i], from.high[i], from.low[i], from.close[i], from.volume[i]);
}

export function barsFromRecords(records: readonly BarRecord[]): Bars {
  const bars = allocateBars(records.length);
  records.forEach((r, i) => setBar(bars, i, r.time, r.open, r.high, r.low, r.close, r.volume));
  return bars;
}

export function barAt(bars: Bars, i: number): BarRecord {
  return {
    time: bars.time[i],
    open: bars.open[i],
    high: bars.high[i],
    low: bars.low[i],
    close: bars.close[i],
    volume: bars.volume[i],
  };
}

/** A deep copy: new buffers holding the same values. */
export function copyBars(bars: Bars): Bars {
  return {
    length: bars.length,
    time: bars.time.slice(),
    open: bars.open.slice(),
    high: bars.high.slice(),
    low: bars.low.slice(),
    close: bars.close.slice(),
    volume: bars.volume.slice(),
  };
}

/** Bars [start, end) as views on the same buffers (no copy). */
export function sliceBars(bars: Bars, start: number, end = bars.length): Bars {
  const s = Math.max(0, Math.min(start, bars.length));
  const e = Math.max(s, Math.min(end, bars.length));
  return {
    length: e - s,
    time: bars.time.subarray(s, e),
    open: bars.open.subarray(s, e),
    high: bars.high.subarray(s, e),
    low: bars.low.subarray(s, e),
    close: bars.close.subarray(s, e),
    volume: bars.volume.subarray(s, e),
  };
}

/** The typical bar interval: the median gap between consecutive bars, in ms (0 for fewer than 2 bars). */
export function barIntervalMs(bars: Bars): number {
  if (bars.length < 2) return 0;
  const n = Math.min(bars.length - 1, 10_001);
  const gaps = new Float64Array(n);
  for (let i = 0; i < n; i++) gaps[i] = bars.time[i + 1] - bars.time[i];
  gaps.sort();
  return gaps[n >> 1];
}

/** Number of bars in a year at this interval (for annualising returns and volatility). */
export function barsPerYear(intervalMs: number): number {
  return intervalMs > 0 ? (365.25 * 86_400_000) / intervalMs : 252;
}
