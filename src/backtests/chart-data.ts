/**
 * The series the HTML report plots, reduced to at most `maxPoints` points per chart so that a
 * million-bar run still gives a report that opens instantly. Each point stands for a bucket of bars:
 * levels take the bucket's last value, drawdown its worst value, and a trade or event anywhere in the
 * bucket shows as a marker on that point (events are never dropped by the reduction).
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
  buys: (number | null)[];
  sells: (number | null)[];
  /** Timeline rows: value = row height where the event happened, null elsewhere (`masked` also marks a Box run's clipped targets). */
  masked: (number | null)[];
  denied: (number | null)[];
  kill: (number | null)[];
  /** Trading state per point: 0 ACTIVE, 1 REDUCING, 2 HALTED. */
  state: number[];
}

export function buildChartData(rec: BacktestRecord, maxPoints = 4000): ChartData {
  const n = rec.equity.length;
  const bucket = Math.max(1, Math.ceil(n / Math.max(1, maxPoints)));
  const dd = drawdownSeries(rec.equity);
  const fillSide = new Int8Array(n);
  const fillPrice = new Float64Array(n);
  for (let f = 0; f < rec.fills.length; f++) {
    const b = rec.fills.bar[f];
    if (b < 0 || b >= n) continue;
    fillSide[b] = rec.fills.qty[f] > 0 ? 1 : -1;
    fillPrice[b] = rec.fills.price[f];
  }
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
    let buy: number | null = null;
    let sell: number | null = null;
    let masked = false;
    let denied = false;
    let kill = false;
    let state = 0;
    for (let i = start; i < end; i++) {
      if (dd[i] > worstDd) worstDd = dd[i];
      if (fillSide[i] > 0) buy = fillPrice[i];
      if (fillSide[i] < 0) sell = fillPrice[i];
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
    out.buys.push(buy);
    out.sells.push(sell);
    out.masked.push(masked ? 3 : null);
    out.denied.push(denied ? 2 : null);
    out.kill.push(kill ? 1 : null);
    out.state.push(state);
  }
  return out;
}
