/**
 * The series the HTML report plots, reduced to at most `maxPoints` points per chart so that a
 * million-bar run still gives a report that opens instantly. Each point stands for a bucket of bars:
 * levels take the bucket's last value, drawdown its worst value, and a trade or event anywhere in the
 * bucket shows as a marker on that point (events are never dropped by the reduction).
 *
 * Fill markers are aggregated further when they are dense (a busy agent's fills would otherwise be a solid
 * carpet): at most `maxMarkers` buy and as many sell markers, each standing for the fills of a run of adjacent
 * points, drawn at the last of them at the group's quantity-weighted mean price, with the count written beside it.
 */
import { GATE_DENIED, GATE_MASKED, GATE_VENUE_REJECTED } from './decision-log.js';
import { drawdownSeries } from './metrics.js';
import type { BacktestRecord } from './run-record.js';

export interface ChartData {
  /** Unix seconds (uPlot's time axis). */
  x: number[];
  equity: number[];
  benchmark: (number | null)[];
  /** Percent (not a `Pct` fraction: the chart shows percent) below the running peak, negative so it hangs down from 0. */
  drawdownPercent: number[];
  position: number[];
  close: number[];
  /** Fill markers: the (mean) fill price where a marker is drawn, null elsewhere. */
  buys: (number | null)[];
  sells: (number | null)[];
  /** How many fills each marker stands for (null where there is no marker); above 1 only when aggregated. */
  buyCounts: (number | null)[];
  sellCounts: (number | null)[];
  /** Timeline rows: value = row height where the event happened, null elsewhere (`masked` also marks a Box run's clipped targets). */
  masked: (number | null)[];
  denied: (number | null)[];
  kill: (number | null)[];
  /** Trading state per point: 0 ACTIVE, 1 REDUCING, 2 HALTED. */
  state: number[];
}

/** Marker budget per side: about one per 6 pixels of an 1100-pixel chart. */
export const DEFAULT_MAX_MARKERS = 180;

export function buildChartData(rec: BacktestRecord, maxPoints = 4000, maxMarkers = DEFAULT_MAX_MARKERS): ChartData {
  const n = rec.equity.length;
  const bucket = Math.max(1, Math.ceil(n / Math.max(1, maxPoints)));
  const dd = drawdownSeries(rec.equity);
  const killBars = new Set(rec.killSwitchEvents.map((e) => e.bar));
  const out: ChartData = {
    x: [],
    equity: [],
    benchmark: [],
    drawdownPercent: [],
    position: [],
    close: [],
    buys: [],
    sells: [],
    buyCounts: [],
    sellCounts: [],
    masked: [],
    denied: [],
    kill: [],
    state: [],
  };
  const d = rec.decisions;
  // In a Box run a rule id at a bar means the target was clipped (the order may still have gone out).
  const clips = d.targets !== null;
  for (let start = 0; start < n; start += bucket) {
    const end = Math.min(n, start + bucket);
    const last = end - 1;
    let worstDd = 0;
    let masked = false;
    let denied = false;
    let kill = false;
    let state = 0;
    for (let i = start; i < end; i++) {
      if (dd[i] > worstDd) worstDd = dd[i];
      if (i < d.length) {
        if (d.gate[i] === GATE_MASKED || (clips && d.maskRule[i] >= 0)) masked = true;
        if (d.gate[i] === GATE_DENIED || d.gate[i] === GATE_VENUE_REJECTED) denied = true;
        if (d.state[i] > state) state = d.state[i];
      }
      if (killBars.has(i)) kill = true;
    }
    out.x.push(rec.bars.time[last] / 1000);
    out.equity.push(rec.equity[last]);
    out.benchmark.push(rec.benchmarkEquity ? rec.benchmarkEquity[last] : null);
    out.drawdownPercent.push(-100 * worstDd);
    out.position.push(rec.positionQty[last]);
    out.close.push(rec.bars.close[last]);
    out.masked.push(masked ? 3 : null);
    out.denied.push(denied ? 2 : null);
    out.kill.push(kill ? 1 : null);
    out.state.push(state);
  }
  const markers = fillMarkers(rec, bucket, out.x.length, maxMarkers);
  out.buys = markers.buys.price;
  out.buyCounts = markers.buys.count;
  out.sells = markers.sells.price;
  out.sellCounts = markers.sells.count;
  return out;
}

interface MarkerSeries {
  price: (number | null)[];
  count: (number | null)[];
}

/**
 * Buy and sell markers per chart point. When one side has more filled points than `maxMarkers`, adjacent
 * points are grouped (a fixed number of points per group) and each group with fills gets one marker.
 */
function fillMarkers(rec: BacktestRecord, bucket: number, points: number, maxMarkers: number): { buys: MarkerSeries; sells: MarkerSeries } {
  const side = (sign: 1 | -1): MarkerSeries => {
    const qty = new Float64Array(points);
    const notional = new Float64Array(points);
    const count = new Uint32Array(points);
    let pointsWithFills = 0;
    for (let f = 0; f < rec.fills.length; f++) {
      const b = rec.fills.bar[f];
      const q = rec.fills.qty[f];
      if (b < 0 || b >= rec.equity.length || Math.sign(q) !== sign) continue;
      const p = Math.floor(b / bucket);
      if (count[p] === 0) pointsWithFills++;
      count[p]++;
      qty[p] += Math.abs(q);
      notional[p] += Math.abs(q) * rec.fills.price[f];
    }
    const group = pointsWithFills > maxMarkers ? Math.ceil(points / Math.max(1, maxMarkers)) : 1;
    const out: MarkerSeries = { price: new Array<number | null>(points).fill(null), count: new Array<number | null>(points).fill(null) };
    for (let start = 0; start < points; start += group) {
      let q = 0;
      let value = 0;
      let c = 0;
      let at = -1;
      for (let p = start; p < Math.min(points, start + group); p++) {
        if (count[p] === 0) continue;
        q += qty[p];
        value += notional[p];
        c += count[p];
        at = p;
      }
      if (at < 0) continue;
      out.price[at] = q > 0 ? value / q : null;
      out.count[at] = c;
    }
    return out;
  };
  return { buys: side(1), sells: side(-1) };
}
