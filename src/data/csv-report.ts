/** The CSV load report as text for people (`bulwark data inspect`). */
import type { CsvLoadReport } from './csv-loader.js';
import type { ReturnStats } from './return-stats.js';
import { formatDurationMs, formatTimeMs } from './time-format.js';

export function formatCsvLoadReport(r: CsvLoadReport): string {
  const range =
    r.firstTimeMs === null || r.lastTimeMs === null ? 'none' : `${formatTimeMs(r.firstTimeMs)} → ${formatTimeMs(r.lastTimeMs)}`;
  const lines = [
    `file:      ${r.file}`,
    `bars:      ${r.rows} (from ${r.dataLines} data lines)`,
    `range:     ${range}`,
    `interval:  ${r.gaps.intervalMs > 0 ? formatDurationMs(r.gaps.intervalMs) : 'n/a'} (median spacing)`,
    `columns:   time=${r.columns.time} open=${r.columns.open} high=${r.columns.high} low=${r.columns.low} close=${r.columns.close} volume=${r.columns.volume ?? '(none)'}`,
    `time:      ${r.timeFormat}`,
    `order:     ${r.order.fileOrder}${r.order.movedRows > 0 ? `, ${r.order.movedRows} row(s) out of order` : ''}`,
    `duplicates: ${r.duplicates.dropped} dropped (policy ${r.duplicates.policy})`,
    `gaps:      ${r.gaps.count} gap(s), ${r.gaps.missingBars} missing bar(s)` +
      (r.gaps.filledBars > 0 ? `, ${r.gaps.filledBars} filled` : '') +
      ` (policy ${r.gaps.policy})`,
    `outliers:  ${r.outliers.count} beyond ${r.outliers.k} σ of log returns (σ ${r.outliers.sigma.toPrecision(3)})` +
      (r.outliers.dropped > 0 ? `, ${r.outliers.dropped} dropped` : '') +
      ` (policy ${r.outliers.policy})`,
  ];
  for (const g of r.gaps.ranges) {
    lines.push(`           ${formatTimeMs(g.afterMs)} → ${formatTimeMs(g.beforeMs)}: ${g.missingBars} missing (line ${g.line})`);
  }
  if (r.gaps.count > r.gaps.ranges.length) lines.push(`           … and ${r.gaps.count - r.gaps.ranges.length} more`);
  if (r.notes.length > 0) {
    lines.push('notes:');
    for (const n of r.notes) lines.push(`  - ${n}`);
  }
  return lines.join('\n');
}

/** Return and volatility statistics as text lines for `bulwark data inspect`. */
export function formatReturnStats(s: ReturnStats): string {
  const pct = (x: number, digits = 4): string => `${(x * 100).toFixed(digits)} %`;
  const largest =
    s.largestMove === null
      ? 'n/a'
      : `${s.largestMove.logReturn >= 0 ? '+' : ''}${pct(s.largestMove.logReturn, 2)} (log) in the bar at ${formatTimeMs(s.largestMove.timeMs)}`;
  return [
    `returns:   ${s.returns} close-to-close log returns, mean ${pct(s.meanLogReturn)}, sd ${pct(s.sdLogReturn)} per bar`,
    `volatility: ${pct(s.annualisedVolatility, 1)} annualised (sd × √${+s.periodsPerYear.toFixed(2)}; ${s.calendar})`,
    `largest move: ${largest}`,
  ].join('\n');
}
