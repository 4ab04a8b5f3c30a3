/**
 * The self-contained report.html: uPlot's script and stylesheet are read from the installed package and
 * inlined, and the data travels as JSON in the page, so the file opens offline from anywhere.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { buildChartData, type ChartData } from './chart-data.js';
import type { BacktestRecord } from './run-record.js';
import { METRIC_COLUMNS, formatMetric } from './summary-table.js';

export interface ReportTable {
  readonly title: string;
  readonly columns: readonly string[];
  readonly rows: readonly (readonly (string | number | null)[])[];
}

export interface ReportOptions {
  readonly title: string;
  /** Lines shown under the title (data source, seed, what the limits were). */
  readonly notes?: readonly string[];
  /** Extra tables shown before the runs (e.g. walk-forward windows). */
  readonly tables?: readonly ReportTable[];
  /** Points per chart after reduction. */
  readonly maxPoints?: number;
}

let uplotAssets: { js: string; css: string } | null = null;

function loadUplot(): { js: string; css: string } {
  if (uplotAssets) return uplotAssets;
  const require = createRequire(import.meta.url);
  uplotAssets = {
    js: readFileSync(require.resolve('uplot/dist/uPlot.iife.min.js'), 'utf8'),
    css: readFileSync(require.resolve('uplot/dist/uPlot.min.css'), 'utf8'),
  };
  return uplotAssets;
}

export function escapeHtml(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

/** JSON that is safe inside a <script> element (no `</script>` can close it early). */
function scriptJson(value: unknown): string {
  return JSON.stringify(value).replace(/</g, '\\u003c').replace(/\u2028/g, '\\u2028').replace(/\u2029/g, '\\u2029');
}

function table(t: ReportTable): string {
  const head = t.columns.map((c) => `<th>${escapeHtml(c)}</th>`).join('');
  const body = t.rows
    .map((r) => `<tr>${r.map((v) => `<td>${escapeHtml(v === null ? 'n/a' : String(v))}</td>`).join('')}</tr>`)
    .join('\n');
  return `<h2>${escapeHtml(t.title)}</h2><table><thead><tr>${head}</tr></thead><tbody>${body}</tbody></table>`;
}

function comparisonTable(runs: readonly BacktestRecord[]): ReportTable {
  const rows: (string | number | null)[][] = runs.map((r) => [
    r.agent,
    ...METRIC_COLUMNS.map((c) => formatMetric(c.key, r.metrics)),
  ]);
  const bench = runs.find((r) => r.metrics.benchmark)?.metrics.benchmark;
  if (bench) {
    rows.push(['buy-and-hold (benchmark)', ...METRIC_COLUMNS.map((c) => formatMetric(c.key, bench))]);
  }
  return { title: 'Comparison', columns: ['run', ...METRIC_COLUMNS.map((c) => c.label)], rows };
}

function countsLine(counts: Record<string, number>): string {
  const parts = Object.entries(counts).map(([k, v]) => `${k}: ${v}`);
  return parts.length > 0 ? parts.join(', ') : 'none';
}

function runSection(rec: BacktestRecord, i: number): string {
  const events = rec.killSwitchEvents.map((e) => [
    new Date(e.timeMs).toISOString(),
    e.bar,
    `${e.from} → ${e.to}`,
    e.actor,
    e.reason,
  ]);
  const eventsTable =
    events.length > 0
      ? table({ title: 'Kill-switch events', columns: ['time', 'bar', 'state', 'actor', 'reason'], rows: events })
      : '<p>No kill-switch events.</p>';
  return `<section>
<h2>${escapeHtml(rec.agent)}</h2>
<p class="note">${escapeHtml(rec.limits.note)}</p>
<p>${rec.decisions.targets === null ? 'Masked proposals' : 'Clipped targets'} per rule: ${escapeHtml(countsLine(rec.decisions.targets === null ? rec.metrics.masked_actions : rec.metrics.clipped_targets))}.
Gatekeeper rejections per reason: ${escapeHtml(countsLine(rec.metrics.rejections))}.</p>
${eventsTable}
<div class="charts" id="run-${i}"></div>
</section>`;
}

// Runs in the browser: draws five uPlot charts per run from the embedded data.
const CLIENT_SCRIPT = `
(function () {
  var runs = JSON.parse(document.getElementById('bulwark-data').textContent);
  var width = Math.min(1100, document.body.clientWidth - 40);
  var dots = function (color) { return { show: true, size: 8, stroke: color, fill: color }; };
  function chart(el, title, series, data, height, extra) {
    var div = document.createElement('div');
    el.appendChild(div);
    // A wide value axis so that equity figures such as 10,000 are not clipped.
    var opts = Object.assign({ title: title, width: width, height: height || 220, series: [{}].concat(series), axes: [{}, { size: 80 }] }, extra || {});
    return new uPlot(opts, [runs[el.dataset.i].x].concat(data), div);
  }
  runs.forEach(function (d, i) {
    var el = document.getElementById('run-' + i);
    el.dataset.i = i;
    var eq = [{ label: 'equity', stroke: '#1f77b4', width: 2 }];
    var eqData = [d.equity];
    if (d.benchmark.some(function (v) { return v !== null; })) {
      eq.push({ label: 'buy-and-hold', stroke: '#999', dash: [6, 4] });
      eqData.push(d.benchmark);
    }
    chart(el, 'Equity vs buy-and-hold', eq, eqData, 260);
    var ddSeries = [{ label: 'drawdown %', stroke: '#d62728', fill: 'rgba(214,39,40,0.15)' }];
    var ddData = [d.drawdownPercent];
    if (d.ddLimitPercent !== null) {
      ddSeries.push({ label: 'limit %', stroke: '#000', dash: [4, 4] });
      ddData.push(d.x.map(function () { return -d.ddLimitPercent; }));
    }
    chart(el, 'Drawdown (limit dashed)', ddSeries, ddData);
    chart(el, 'Position (base units)', [{ label: 'position', stroke: '#2ca02c', paths: uPlot.paths.stepped({ align: 1 }) }], [d.position], 180);
    chart(el, 'Price with trades', [
      { label: 'close', stroke: '#555' },
      { label: 'buy', stroke: '#2ca02c', paths: function () { return null; }, points: dots('#2ca02c') },
      { label: 'sell', stroke: '#d62728', paths: function () { return null; }, points: dots('#d62728') }
    ], [d.close, d.buys, d.sells], 260);
    chart(el, 'Timeline: masks, rejections, kill-switch', [
      { label: 'masked proposal / clipped target', stroke: '#ff7f0e', paths: function () { return null; }, points: dots('#ff7f0e') },
      { label: 'rejection', stroke: '#9467bd', paths: function () { return null; }, points: dots('#9467bd') },
      { label: 'kill-switch', stroke: '#000', paths: function () { return null; }, points: dots('#000') },
      { label: 'state (0 active, 1 reducing, 2 halted)', stroke: '#8c564b', paths: uPlot.paths.stepped({ align: 1 }) }
    ], [d.masked, d.denied, d.kill, d.state], 180, { scales: { y: { range: [-0.5, 3.5] } } });
  });
})();
`;

export function renderReportHtml(runs: readonly BacktestRecord[], options: ReportOptions): string {
  const { js, css } = loadUplot();
  const data: (ChartData & { ddLimitPercent: number | null })[] = runs.map((r) => ({
    ...buildChartData(r, options.maxPoints ?? 4000),
    ddLimitPercent: r.limits.maxDrawdown === null ? null : 100 * r.limits.maxDrawdown,
  }));
  const notes = (options.notes ?? []).map((n) => `<p class="note">${escapeHtml(n)}</p>`).join('\n');
  const tables = [comparisonTable(runs), ...(options.tables ?? [])].map(table).join('\n');
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${escapeHtml(options.title)}</title>
<style>${css}
body { font-family: system-ui, sans-serif; margin: 20px; color: #222; }
table { border-collapse: collapse; margin: 8px 0 20px; font-size: 13px; }
th, td { border: 1px solid #ccc; padding: 3px 8px; text-align: right; }
th:first-child, td:first-child { text-align: left; }
.note { color: #555; }
section { border-top: 2px solid #ddd; margin-top: 24px; }
.charts > div { margin: 12px 0; }
</style></head>
<body>
<h1>${escapeHtml(options.title)}</h1>
${notes}
${tables}
${runs.map(runSection).join('\n')}
<script id="bulwark-data" type="application/json">${scriptJson(data)}</script>
<script>${js}</script>
<script>${CLIENT_SCRIPT}</script>
</body></html>
`;
}

export function writeReportHtml(path: string, runs: readonly BacktestRecord[], options: ReportOptions): void {
  writeFileSync(path, renderReportHtml(runs, options));
}
