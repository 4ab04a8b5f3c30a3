/**
 * The self-contained report.html: uPlot's script and stylesheet are read from the installed package and
 * inlined, and the data travels as JSON in the page, so the file opens offline from anywhere.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { buildChartData, type ChartData } from './chart-data.js';
import type { RunAuditStatus } from './run-audit.js';
import type { BacktestRecord } from './run-record.js';
import { METRIC_COLUMNS, accountLine, countsTotal, formatMetric, metricCell, overLimitLine, ruinLine } from './summary-table.js';

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
  /**
   * Columns appended to the comparison table (one value per run, in run order; the benchmark row leaves them
   * empty), so that a caller's own figures join the one table instead of a second table restating the first.
   */
  readonly extraColumns?: readonly { readonly label: string; readonly values: readonly (string | number | null)[] }[];
  /** Each run's audit-log status (run order); a run without one says its log was not verified. */
  readonly audit?: readonly (RunAuditStatus | null)[];
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

/** The one comparison table: headline metrics, the chain's counts, then the caller's extra columns. */
function comparisonTable(runs: readonly BacktestRecord[], extra: NonNullable<ReportOptions['extraColumns']>): ReportTable {
  for (const c of extra) {
    if (c.values.length !== runs.length) throw new RangeError(`report column '${c.label}': ${c.values.length} values for ${runs.length} runs`);
  }
  const rows: (string | number | null)[][] = runs.map((r, i) => [
    r.agent,
    ...METRIC_COLUMNS.map((c) => metricCell(c.key, r.metrics)),
    countsTotal(r.metrics.proposals_blocked_by_rules),
    countsTotal(r.metrics.rejections),
    r.metrics.kill_switch_events,
    ...extra.map((c) => c.values[i]),
  ]);
  const bench = runs.find((r) => r.metrics.benchmark)?.metrics.benchmark;
  if (bench) {
    rows.push(['buy-and-hold (benchmark)', ...METRIC_COLUMNS.map((c) => formatMetric(c.key, bench)), '', '', '', ...extra.map(() => '')]);
  }
  return { title: 'Comparison', columns: ['run', ...METRIC_COLUMNS.map((c) => c.label), 'blocked by rules', 'rejected', 'kill events', ...extra.map((c) => c.label)], rows };
}

/** One line on the run's audit log: verified or why not, how far sealed, the sealing key's fingerprint. */
function auditLine(status: RunAuditStatus | null | undefined): string {
  if (status === null || status === undefined) return '<p class="note">Audit log: not verified for this report.</p>';
  const verdict = status.verified ? '<strong class="ok">verified</strong>' : `<strong class="bad">NOT verified</strong>: ${escapeHtml(status.problem)}`;
  const seal = `${status.events} events, sealed to seq ${status.sealedSeq}${status.closedCleanly ? ' (close checkpoint)' : ' (no close checkpoint)'}`;
  const witness = status.witness === '' ? 'no witness' : `witness ${escapeHtml(status.witness)}`;
  return `<p>Audit log: ${verdict}; ${escapeHtml(seal)}; key fingerprint <code>${escapeHtml(status.keyId)}</code>, trusted via ${escapeHtml(status.trustAnchor)}; ${witness}.</p>`;
}

function countsLine(counts: Record<string, number>): string {
  const parts = Object.entries(counts).map(([k, v]) => `${k}: ${v}`);
  return parts.length > 0 ? parts.join(', ') : 'none';
}

function runSection(rec: BacktestRecord, i: number, audit: RunAuditStatus | null | undefined): string {
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
<p class="note">${escapeHtml(accountLine(rec.metrics))}. ${escapeHtml(rec.limits.note)}</p>
${rec.metrics.ruined_at_bar === null ? '' : `<p class="note"><strong>${escapeHtml(ruinLine(rec.metrics))}</strong></p>`}
<p>Time under a drawdown or daily-loss lock: ${rec.metrics.bars_locked} of ${Math.max(1, rec.metrics.bars - 1)} decisions (${(100 * rec.metrics.time_locked_pct).toFixed(1)}%)${rec.metrics.liquidations > 0 ? `; liquidations: ${rec.metrics.liquidations}` : ''}.</p>
<p>${rec.decisions.targets === null ? 'Proposals blocked by rules' : 'Clipped targets'} per rule: ${escapeHtml(countsLine(rec.decisions.targets === null ? rec.metrics.proposals_blocked_by_rules : rec.metrics.clipped_targets))}.
Gatekeeper rejections per reason: ${escapeHtml(countsLine(rec.metrics.rejections))}.</p>
${auditLine(audit)}
<p>${escapeHtml(overLimitLine(rec) ?? (rec.metrics.limits_applied ? 'Never over a rule limit at a bar close.' : 'No rule limits applied.'))}</p>
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
    // Dense fills arrive aggregated: a marker with a count beside it stands for that many fills (mean price).
    var counts = function (u) {
      var ctx = u.ctx;
      ctx.save();
      ctx.font = (10 * devicePixelRatio) + 'px system-ui, sans-serif';
      [[1, d.buyCounts, d.buys], [2, d.sellCounts, d.sells]].forEach(function (s) {
        if (!u.series[s[0]].show) return;
        var stroke = u.series[s[0]].stroke;
        ctx.fillStyle = typeof stroke === 'function' ? stroke(u, s[0]) : stroke;
        for (var k = 0; k < s[1].length; k++) {
          if (s[1][k] === null || s[1][k] < 2) continue;
          ctx.fillText(String(s[1][k]), u.valToPos(d.x[k], 'x', true) + 5 * devicePixelRatio, u.valToPos(s[2][k], 'y', true) - 5 * devicePixelRatio);
        }
      });
      ctx.restore();
    };
    chart(el, 'Price with trades' + (d.buyCounts.concat(d.sellCounts).some(function (c) { return c !== null && c > 1; }) ? ' (dense fills grouped: the number is the fills a marker stands for)' : ''), [
      { label: 'close', stroke: '#555' },
      { label: 'buy', stroke: '#2ca02c', paths: function () { return null; }, points: dots('#2ca02c') },
      { label: 'sell', stroke: '#d62728', paths: function () { return null; }, points: dots('#d62728') }
    ], [d.close, d.buys, d.sells], 260, { hooks: { draw: [counts] } });
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
  const tables = [comparisonTable(runs, options.extraColumns ?? []), ...(options.tables ?? [])].map(table).join('\n');
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${escapeHtml(options.title)}</title>
<style>${css}
body { font-family: system-ui, sans-serif; margin: 20px; color: #222; }
table { border-collapse: collapse; margin: 8px 0 20px; font-size: 13px; }
th, td { border: 1px solid #ccc; padding: 3px 8px; text-align: right; }
th:first-child, td:first-child { text-align: left; }
.note { color: #555; }
.ok { color: #2ca02c; }
.bad { color: #d62728; }
section { border-top: 2px solid #ddd; margin-top: 24px; }
.charts > div { margin: 12px 0; }
</style></head>
<body>
<h1>${escapeHtml(options.title)}</h1>
${notes}
${tables}
${runs.map((r, i) => runSection(r, i, options.audit?.[i])).join('\n')}
<script id="bulwark-data" type="application/json">${scriptJson(data)}</script>
<script>${js}</script>
<script>${CLIENT_SCRIPT}</script>
</body></html>
`;
}

export function writeReportHtml(path: string, runs: readonly BacktestRecord[], options: ReportOptions): void {
  writeFileSync(path, renderReportHtml(runs, options));
}
