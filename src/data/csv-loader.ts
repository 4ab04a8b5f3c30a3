/**
 * OHLCV CSV files as they come from vendors and exchanges: banners, headers in any spelling or none, epoch
 * times in any unit or dates in common layouts, newest-first order, scaled integer prices. What can be repaired
 * unambiguously (order, scale) is repaired and reported; what cannot be trusted (bad numbers, impossible candles,
 * duplicates, unreadable dates) is rejected with the file, line, column and problem.
 */
import { readFile } from 'node:fs/promises';
import { z } from 'zod';
import { type Bars, parseWithSchema } from '../core/index.js';
import {
  assembleBars,
  type DuplicateReport,
  dropDuplicates,
  type GapReport,
  type OrderReport,
  type RowColumns,
  timeOrder,
} from './bar-order.js';
import { type ColumnMap, looksLikeHeader, mapHeader, positionalColumns, splitCsvLine } from './csv-columns.js';
import { CsvLoadError } from './csv-errors.js';
import { detectTimeParser, type TimeParser } from './csv-time.js';
import { type OutlierPolicy, type OutlierReport, applyOutlierPolicy, outlierNote } from './outliers.js';
import { formatDurationMs, formatTimeMs } from './time-format.js';

export interface CsvLoadOptions {
  /** Name of the volume column (case and separators ignored), e.g. `Volume USD`. Default: `volume`, else the first volume-like column. */
  volumeColumn?: string;
  /** Every price is multiplied by this, e.g. 0.0001 for prices in 1/10000 dollar. Default 1. */
  priceScale?: number;
  /** Unit of epoch-number times. Default `auto`: from a unit in the column name (`time_ms`), else by magnitude. */
  timeUnit?: 'auto' | 's' | 'ms' | 'us' | 'ns';
  /** Rows sharing a timestamp: reject (default) or keep the first / last in the file. */
  duplicates?: 'error' | 'keep-first' | 'keep-last';
  /** Missing bars: list them in the report (default), reject the file, or fill them flat at the last close with zero volume. */
  gaps?: 'report' | 'error' | 'forward-fill';
  /** Bars far outside the series' own volatility (outliers.ts): warn and keep (default), refuse the file, or drop them. */
  outliers?: OutlierPolicy;
}

const optionsSchema = z.strictObject({
  volumeColumn: z.string().min(1).optional(),
  priceScale: z
    .number()
    .refine((v) => Number.isFinite(v) && v > 0, 'must be a finite number > 0')
    .default(1),
  timeUnit: z.enum(['auto', 's', 'ms', 'us', 'ns']).default('auto'),
  duplicates: z.enum(['error', 'keep-first', 'keep-last']).default('error'),
  gaps: z.enum(['report', 'error', 'forward-fill']).default('report'),
  outliers: z.enum(['error', 'report', 'drop']).default('report'),
});

/**
 * The loader options as a config file states them (a training config's `task.csv`): every field optional, no
 * defaults filled in, so a config records only what was chosen.
 */
export const csvLoadOptionsSchema = z.strictObject({
  volumeColumn: z.string().min(1).optional(),
  priceScale: z.number().refine((v) => Number.isFinite(v) && v > 0, 'must be a finite number > 0').optional(),
  timeUnit: z.enum(['auto', 's', 'ms', 'us', 'ns']).optional(),
  duplicates: z.enum(['error', 'keep-first', 'keep-last']).optional(),
  gaps: z.enum(['report', 'error', 'forward-fill']).optional(),
  outliers: z.enum(['error', 'report', 'drop']).optional(),
});

export interface CsvLoadReport {
  file: string;
  /** Bars returned (after dropping duplicates and filling gaps). */
  rows: number;
  /** Data lines read from the file. */
  dataLines: number;
  /** Lines above the header (or above the first data row) that were skipped. */
  bannerLines: number;
  /** Line of the header, or null for a header-less file read as `time,open,high,low,close[,volume]`. */
  headerLine: number | null;
  /** Which file column fed each field. */
  columns: { time: string; open: string; high: string; low: string; close: string; volume: string | null };
  timeFormat: string;
  priceScale: number;
  firstTimeMs: number | null;
  lastTimeMs: number | null;
  order: OrderReport;
  duplicates: DuplicateReport;
  gaps: GapReport;
  outliers: OutlierReport;
  /** What was done, one sentence each, in order. */
  notes: string[];
}

export interface CsvLoadResult {
  bars: Bars;
  report: CsvLoadReport;
}

/** Loads an OHLCV CSV file; see `parseBarsCsv`. */
export async function loadBarsCsv(path: string, options: CsvLoadOptions = {}): Promise<CsvLoadResult> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    const reason = err instanceof Error && 'code' in err ? String(err.code) : String(err);
    throw new CsvLoadError(path, null, null, `cannot read the file (${reason})`);
  }
  return parseBarsCsv(text, options, path);
}

/** How many lines at the top may be banners before a header or the first data row must appear. */
const MAX_PREAMBLE_LINES = 10;
const NUMBER_RE = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/;

/** Parses CSV text; `file` names the source in errors and the report. */
export function parseBarsCsv(text: string, options: CsvLoadOptions = {}, file = '<csv>'): CsvLoadResult {
  const opts = parseWithSchema(optionsSchema, options, 'csv load options');
  const lines = text.replace(/^\uFEFF/, '').split(/\r?\n/);
  const notes: string[] = [];

  // ---- find the header (or the first data row) ----
  let start = -1;
  let headerLine: number | null = null;
  let map: ColumnMap | null = null;
  let bannerLines = 0;
  for (let i = 0, seen = 0; i < lines.length && seen < MAX_PREAMBLE_LINES; i++) {
    if (lines[i].trim() === '') continue;
    seen++;
    const fields = splitCsvLine(lines[i]);
    if (looksLikeHeader(fields)) {
      const mapped = mapHeader(fields, opts.volumeColumn);
      if (!mapped.ok) throw new CsvLoadError(file, i + 1, null, `header: ${mapped.problem}`);
      map = mapped.map;
      headerLine = i + 1;
      start = i + 1;
      break;
    }
    if (looksLikeDataRow(fields)) {
      if (opts.volumeColumn !== undefined) {
        throw new CsvLoadError(file, i + 1, null, `volumeColumn '${opts.volumeColumn}' given, but the file has no header`);
      }
      map = positionalColumns(fields.length);
      start = i;
      break;
    }
    bannerLines++;
  }
  if (map === null || start < 0) {
    throw new CsvLoadError(
      file,
      1,
      null,
      `no header naming open, high, low and close, and no data row (time,open,high,low,close[,volume]) in the first ${MAX_PREAMBLE_LINES} lines`,
    );
  }
  if (bannerLines > 0) notes.push(`skipped ${bannerLines} banner line(s) above the ${headerLine === null ? 'data' : 'header'}`);
  if (headerLine === null) notes.push('no header: read columns as time,open,high,low,close' + (map.volume === null ? '' : ',volume'));

  const columns = {
    time: map.timeSecond === null ? map.names[map.time] : `${map.names[map.time]} + ${map.names[map.timeSecond]}`,
    open: map.names[map.open],
    high: map.names[map.high],
    low: map.names[map.low],
    close: map.names[map.close],
    volume: map.volume === null ? null : map.names[map.volume],
  };
  if (map.volume === null) notes.push('no volume column: volume set to 0');

  // ---- parse and check every row ----
  const rows = parseRows(lines, start, map, opts.priceScale, opts.timeUnit, file);
  if (rows.parser === null || rows.columns.length === 0) {
    throw new CsvLoadError(file, null, null, 'no data rows');
  }
  const timeFormat = rows.parser.format;
  notes.push(`time read as ${timeFormat} from column '${columns.time}'`);
  if (opts.priceScale !== 1) notes.push(`prices multiplied by ${opts.priceScale}`);

  // ---- order, duplicates, gaps ----
  const ordered = timeOrder(rows.columns);
  if (ordered.report.fileOrder === 'newest-first') notes.push('rows were newest first: reversed into time order');
  if (ordered.report.movedRows > 0) {
    notes.push(
      `${ordered.report.movedRows} row(s) out of order moved into time order (lines ${ordered.report.movedLines.join(', ')}${ordered.report.movedRows > ordered.report.movedLines.length ? ', …' : ''})`,
    );
  }
  const dedup = dropDuplicates(rows.columns, ordered.index, opts.duplicates, file, `${map.time + 1} (${columns.time})`);
  if (dedup.report.dropped > 0) {
    notes.push(`${dedup.report.dropped} duplicate-timestamp row(s) dropped, kept the ${opts.duplicates === 'keep-first' ? 'first' : 'last'} in the file`);
  }
  const assembled = assembleBars(rows.columns, dedup.index, opts.gaps, file, `${map.time + 1} (${columns.time})`);
  const g = assembled.report;
  if (g.count > 0) {
    const first = g.ranges
      .map((r) => `${formatTimeMs(r.afterMs)} → ${formatTimeMs(r.beforeMs)} (${r.missingBars})`)
      .join('; ');
    notes.push(
      `${g.count} gap(s), ${g.missingBars} missing bar(s) at interval ${formatDurationMs(g.intervalMs)}` +
        (g.filledBars > 0 ? `, forward-filled flat with zero volume` : ', not filled') +
        `; first: ${first}`,
    );
  }
  if (g.weekdaysOnly) notes.push('daily bars with none on weekends: weekends are not counted as gaps');
  if (g.irregularIntervals > 0) {
    notes.push(`${g.irregularIntervals} spacing(s) are not a whole number of ${formatDurationMs(g.intervalMs)} intervals`);
  }
  const checked = applyOutlierPolicy(assembled.bars, opts.outliers, file);
  const outlierLine = outlierNote(checked.report);
  if (outlierLine !== null) notes.push(outlierLine);
  const bars = checked.bars;
  return {
    bars,
    report: {
      file,
      rows: bars.length,
      dataLines: rows.columns.length,
      bannerLines,
      headerLine,
      columns,
      timeFormat,
      priceScale: opts.priceScale,
      firstTimeMs: bars.length > 0 ? bars.time[0] : null,
      lastTimeMs: bars.length > 0 ? bars.time[bars.length - 1] : null,
      order: ordered.report,
      duplicates: dedup.report,
      gaps: g,
      outliers: checked.report,
      notes,
    },
  };
}

function looksLikeDataRow(fields: readonly string[]): boolean {
  if (fields.length < 5) return false;
  for (let i = 1; i <= 4; i++) if (!NUMBER_RE.test(fields[i].trim())) return false;
  return detectTimeParser(fields[0]) !== null;
}

function parseRows(
  lines: readonly string[],
  start: number,
  map: ColumnMap,
  priceScale: number,
  timeUnit: CsvLoadOptions['timeUnit'],
  file: string,
): { columns: RowColumns; parser: TimeParser | null } {
  const capacity = lines.length - start;
  const time = new Float64Array(capacity);
  const open = new Float64Array(capacity);
  const high = new Float64Array(capacity);
  const low = new Float64Array(capacity);
  const close = new Float64Array(capacity);
  const volume = new Float64Array(capacity);
  const lineNo = new Int32Array(capacity);
  const needed = Math.max(map.time, map.timeSecond ?? 0, map.open, map.high, map.low, map.close, map.volume ?? 0) + 1;
  const col = (i: number) => `${i + 1} (${map.names[i]})`;
  let parser: TimeParser | null = null;
  let parserLine = 0;
  let n = 0;
  for (let i = start; i < lines.length; i++) {
    const raw = lines[i];
    if (raw.trim() === '') continue;
    const line = i + 1;
    const f = splitCsvLine(raw);
    if (f.length < needed) {
      throw new CsvLoadError(file, line, null, `expected at least ${needed} fields, got ${f.length}`);
    }
    const timeText = map.timeSecond === null ? f[map.time] : `${f[map.time].trim()} ${f[map.timeSecond].trim()}`;
    if (parser === null) {
      parser = detectTimeParser(timeText, timeUnit, map.names[map.time]);
      parserLine = line;
      if (parser === null) throw new CsvLoadError(file, line, col(map.time), `unreadable time '${timeText.trim()}'`);
    }
    const t = parser.parse(timeText);
    if (t === null || !Number.isFinite(t)) {
      throw new CsvLoadError(
        file,
        line,
        col(map.time),
        `unreadable time '${timeText.trim()}': expected ${parser.format} like line ${parserLine}`,
      );
    }
    const o = price(f[map.open], file, line, col(map.open)) * priceScale;
    const h = price(f[map.high], file, line, col(map.high)) * priceScale;
    const l = price(f[map.low], file, line, col(map.low)) * priceScale;
    const c = price(f[map.close], file, line, col(map.close)) * priceScale;
    if (h < o || h < c) {
      throw new CsvLoadError(file, line, col(map.high), `high ${h} is below ${h < o ? `open ${o}` : `close ${c}`}`);
    }
    if (l > o || l > c) {
      throw new CsvLoadError(file, line, col(map.low), `low ${l} is above ${l > o ? `open ${o}` : `close ${c}`}`);
    }
    let v = 0;
    if (map.volume !== null) {
      v = number(f[map.volume], file, line, col(map.volume));
      if (v < 0) throw new CsvLoadError(file, line, col(map.volume), `volume must be >= 0, got ${v}`);
    }
    time[n] = t;
    open[n] = o;
    high[n] = h;
    low[n] = l;
    close[n] = c;
    volume[n] = v;
    lineNo[n] = line;
    n++;
  }
  const columns: RowColumns = {
    length: n,
    time: time.subarray(0, n),
    open: open.subarray(0, n),
    high: high.subarray(0, n),
    low: low.subarray(0, n),
    close: close.subarray(0, n),
    volume: volume.subarray(0, n),
    line: lineNo.subarray(0, n),
  };
  return { columns, parser };
}

function number(text: string, file: string, line: number, column: string): number {
  const t = text.trim();
  if (t === '') throw new CsvLoadError(file, line, column, 'empty');
  if (/^[+-]?nan$/i.test(t)) throw new CsvLoadError(file, line, column, 'NaN');
  if (!NUMBER_RE.test(t)) throw new CsvLoadError(file, line, column, `not a number: '${t}'`);
  const v = Number(t);
  if (!Number.isFinite(v)) throw new CsvLoadError(file, line, column, `out of range: '${t}'`);
  return v;
}

function price(text: string, file: string, line: number, column: string): number {
  const v = number(text, file, line, column);
  if (!(v > 0)) throw new CsvLoadError(file, line, column, `price must be > 0, got ${v}`);
  return v;
}
