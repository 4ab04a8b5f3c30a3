/** The terminal summary: one row per run, the headline metrics as columns. */
import type { PerformanceMetrics } from './metrics.js';
import type { BacktestMetrics, BacktestRecord } from './run-record.js';
import { annualisedCaveat } from './short-run.js';

type Format = 'pct' | 'ratio' | 'int' | 'money';

export type MetricKey = keyof PerformanceMetrics;

export interface MetricColumn {
  readonly key: MetricKey;
  readonly label: string;
  readonly format: Format;
}

export const METRIC_COLUMNS: readonly MetricColumn[] = [
  { key: 'total_return', label: 'return', format: 'pct' },
  { key: 'cagr', label: 'CAGR', format: 'pct' },
  { key: 'sharpe', label: 'Sharpe', format: 'ratio' },
  { key: 'sortino', label: 'Sortino', format: 'ratio' },
  { key: 'max_drawdown', label: 'max DD', format: 'pct' },
  { key: 'cvar_95', label: 'CVaR95', format: 'pct' },
  { key: 'n_trades', label: 'trades', format: 'int' },
  { key: 'win_rate', label: 'win rate', format: 'pct' },
  { key: 'exposure', label: 'exposure', format: 'pct' },
  { key: 'fees_paid', label: 'fees', format: 'money' },
  { key: 'final_equity', label: 'final equity', format: 'money' },
];

/** Formats one metric of a metrics object; absent or null values read `n/a`. */
export function formatMetric(key: MetricKey, metrics: Partial<PerformanceMetrics>): string {
  const col = METRIC_COLUMNS.find((c) => c.key === key);
  const value = metrics[key];
  if (typeof value !== 'number' || !Number.isFinite(value)) return 'n/a';
  switch (col?.format ?? 'ratio') {
    case 'pct':
      return `${(100 * value).toFixed(2)}%`;
    case 'ratio':
      return value.toFixed(2);
    case 'int':
      return String(Math.round(value));
    case 'money':
      return value.toFixed(2);
  }
}

/** Renders rows as an aligned text table (first column left, the rest right). */
export function textTable(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = header.map((h, c) => Math.max(h.length, ...rows.map((r) => (r[c] ?? '').length)));
  const line = (cells: readonly string[]): string =>
    cells.map((cell, c) => (c === 0 ? cell.padEnd(widths[c]) : cell.padStart(widths[c]))).join('  ');
  const rule = widths.map((w) => '-'.repeat(w)).join('  ');
  return [line(header), rule, ...rows.map(line)].join('\n');
}

/** The total of a per-rule or per-reason count record. */
export function countsTotal(counts: Record<string, number>): number {
  let total = 0;
  for (const v of Object.values(counts)) total += v;
  return total;
}

function countsText(counts: Record<string, number>): string {
  return String(countsTotal(counts));
}

/**
 * The summary table of a set of runs, with buy-and-hold on the same data as the last row. A `clipped` column
 * (Box targets clipped onto the engine's interval) appears when a run is a Box run.
 */
/** What the summary reads of a run: a whole record, or the summary a queue worker sent back for one. */
export interface SummaryRun {
  readonly agent: string;
  readonly metrics: BacktestRecord['metrics'];
  readonly limits: { readonly note: string };
  readonly bars: { readonly length: number };
  readonly decisions: { readonly targets: unknown };
}

export function summaryTable(runs: readonly SummaryRun[]): string {
  const box = runs.some((r) => r.decisions.targets !== null);
  // Shown when they say something: time under a lock (rules set), liquidations (a margin account).
  const locked = runs.some((r) => (r.metrics.bars_locked ?? 0) > 0);
  const liquidated = runs.some((r) => (r.metrics.liquidations ?? 0) > 0);
  const header = [
    'run',
    ...METRIC_COLUMNS.map((c) => c.label),
    'blocked by rules',
    ...(box ? ['clipped'] : []),
    'rejected',
    'kill events',
    ...(locked ? ['locked'] : []),
    ...(liquidated ? ['liquidations'] : []),
  ];
  const rows = runs.map((r) => [
    r.agent,
    ...METRIC_COLUMNS.map((c) => metricCell(c.key, r.metrics)),
    countsText(r.metrics.proposals_blocked_by_rules),
    ...(box ? [countsText(r.metrics.clipped_targets)] : []),
    countsText(r.metrics.rejections),
    String(r.metrics.kill_switch_events),
    ...(locked ? [`${(100 * (r.metrics.time_locked_pct ?? 0)).toFixed(1)}%`] : []),
    ...(liquidated ? [String(r.metrics.liquidations ?? 0)] : []),
  ]);
  const bench = runs.find((r) => r.metrics.benchmark)?.metrics.benchmark;
  const benchRun = runs.find((r) => r.metrics.benchmark)?.metrics;
  const mark = (key: MetricKey, text: string) => (benchRun === undefined ? text : markAnnualised(key, text, benchRun));
  if (bench) rows.push(['buy-and-hold (benchmark)', ...METRIC_COLUMNS.map((c) => mark(c.key, formatMetric(c.key, bench))), ...header.slice(1 + METRIC_COLUMNS.length).map(() => '')]);
  return textTable(header, rows);
}

/**
 * Bars over each limit and drift trims of one run, one line (null when never over a limit): a limit the
 * position drifts past is otherwise invisible, since the rules judge only the actions.
 */
export function overLimitLine(rec: Pick<SummaryRun, 'agent' | 'metrics'>): string | null {
  const over = Object.entries(rec.metrics.bars_over_limit);
  if (over.length === 0) return null;
  const n = rec.metrics.bars;
  const parts = over.map(([id, bars]) => `${id} ${bars} of ${n} bars (${((100 * bars) / n).toFixed(1)}%)`);
  const trims = Object.entries(rec.metrics.drift_trims).map(([id, k]) => `${id} ${k}`);
  return `${rec.agent}: over a limit at the close: ${parts.join(', ')}${trims.length > 0 ? `; drift trims: ${trims.join(', ')}` : ''}.`;
}

/** The terminal output of a run: where the data came from, which limits applied, the table, and any ruin. */
export function renderSummary(runs: readonly SummaryRun[], source: string): string {
  const notes = [...new Set(runs.map((r) => r.limits.note))];
  const accounts = [...new Set(runs.map((r) => accountLine(r.metrics)))];
  const caveats = [...new Set(runs.map((r) => annualisedCaveat(r.metrics)).filter((c) => c !== null))];
  const over = runs.map(overLimitLine).filter((l) => l !== null);
  const ruins = runs.filter((r) => r.metrics.ruined_at_bar != null).map((r) => ruinLine(r.metrics));
  return [`Data: ${source}, ${runs[0]?.bars.length ?? 0} bars`, ...accounts, ...notes, '', summaryTable(runs), ...over, ...caveats, ...ruins, ''].join('\n');
}

/** `Account: cash (spot: …)` or `Account: margin 3x, maintenance …`. */
export function accountLine(m: Pick<BacktestMetrics, 'account'>): string {
  const a = m.account ?? { type: 'cash' };
  return a.type === 'cash'
    ? 'Account: cash (spot: no shorts, no borrowing)'
    : `Account: margin ${a.leverage ?? 1}x, maintenance ${+(100 * (a.maintenance_margin ?? 0)).toFixed(3)}% of position value (liquidated below it)`;
}

/** What a ruined run says instead of its risk ratios. */
export function ruinLine(m: Pick<BacktestMetrics, 'agent' | 'ruined_at_bar' | 'ruined_at'>): string {
  return `RUINED: ${m.agent} was ruined at bar ${m.ruined_at_bar ?? '?'} (${m.ruined_at ?? '?'}): equity fell to zero or below the smallest order, and trading stopped there.`;
}

/** A metric's table cell: a ruined run reads `ruined at bar N` where its Sharpe would be, `-` for the other ratios. */
export function metricCell(key: MetricKey, metrics: BacktestMetrics): string {
  if (metrics.ruined_at_bar != null && RUIN_HIDES.has(key)) return key === 'sharpe' ? `ruined at bar ${metrics.ruined_at_bar}` : '-';
  return markAnnualised(key, formatMetric(key, metrics), metrics);
}

const RUIN_HIDES: ReadonlySet<MetricKey> = new Set(['sharpe', 'sortino', 'calmar']);

const ANNUALISED: ReadonlySet<MetricKey> = new Set(['cagr', 'volatility', 'sharpe', 'sortino', 'calmar']);

/** An annualised figure of a short run, marked `*` (the caveat under the table says why). */
function markAnnualised(key: MetricKey, text: string, metrics: { readonly bars: number; readonly bar_interval_ms: number }): string {
  return ANNUALISED.has(key) && annualisedCaveat(metrics) !== null ? `${text}*` : text;
}
