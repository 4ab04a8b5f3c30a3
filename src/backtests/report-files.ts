/**
 * The machine-readable outputs of a run: metrics.json, equity.csv, trades.csv and decisions.csv.
 * CSV rows are written in chunks so that a million-bar run never builds one giant string.
 */
import { closeSync, mkdirSync, openSync, writeFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { GATE_OUTCOMES, TRADING_STATES, maskAllows } from './decision-log.js';
import { drawdownSeries } from './metrics.js';
import type { BacktestRecord } from './run-record.js';
import type { Bars } from '../core/index.js';
import type { WalkForwardResult } from './walk-forward.js';

const CHUNK_ROWS = 8192;

function iso(timeMs: number): string {
  return Number.isFinite(timeMs) ? new Date(timeMs).toISOString() : '';
}

/** Quotes a CSV field only when it needs it (RFC 4180). */
export function csvField(value: string | number | boolean): string {
  const s = typeof value === 'number' ? (Number.isFinite(value) ? String(value) : '') : String(value);
  return /[",\n\r]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

function writeCsv(path: string, header: readonly string[], rows: number, row: (i: number) => string): void {
  const fd = openSync(path, 'w');
  try {
    writeSync(fd, `${header.join(',')}\n`);
    let chunk: string[] = [];
    for (let i = 0; i < rows; i++) {
      chunk.push(row(i));
      if (chunk.length === CHUNK_ROWS) {
        writeSync(fd, `${chunk.join('\n')}\n`);
        chunk = [];
      }
    }
    if (chunk.length > 0) writeSync(fd, `${chunk.join('\n')}\n`);
  } finally {
    closeSync(fd);
  }
}

export function writeEquityCsv(path: string, rec: BacktestRecord): void {
  const dd = drawdownSeries(rec.equity);
  const { bars, benchmarkEquity } = rec;
  writeCsv(
    path,
    ['bar', 'time', 'open', 'close', 'equity', 'benchmark_equity', 'position_qty', 'drawdown'],
    rec.equity.length,
    (i) =>
      [
        i,
        iso(bars.time[i]),
        bars.open[i],
        bars.close[i],
        rec.equity[i],
        benchmarkEquity ? benchmarkEquity[i] : '',
        rec.positionQty[i],
        dd[i],
      ].join(','),
  );
}

export function writeTradesCsv(path: string, rec: BacktestRecord): void {
  writeCsv(
    path,
    [
      'id',
      'side',
      'entry_bar',
      'entry_time',
      'entry_price',
      'exit_bar',
      'exit_time',
      'exit_price',
      'max_qty',
      'pnl',
      'return_pct',
      'fees',
      'bars_held',
      'open',
    ],
    rec.trades.length,
    (i) => {
      const t = rec.trades[i];
      return [
        t.id,
        t.side,
        t.entryBar,
        iso(t.entryTimeMs),
        t.entryPrice,
        t.exitBar,
        iso(t.exitTimeMs),
        t.exitPrice,
        t.maxQty,
        t.pnl,
        t.returnPct,
        t.fees,
        t.barsHeld,
        t.open,
      ].join(',');
    },
  );
}

/** The columns of decisions.csv, in order; Box runs add TARGET_COLUMNS after them. */
export const DECISION_COLUMNS = ['bar', 'time', 'trading_state', 'proposed', 'allowed', 'mask_rule', 'gate', 'reason', 'order_qty', 'position_qty', 'equity'] as const;
/** Box runs: the target proposed, the allowed interval [lo, hi] and the target executed (shares of equity). */
export const TARGET_COLUMNS = ['proposed_target', 'allowed_lo', 'allowed_hi', 'executed_target'] as const;

/**
 * One row per bar: what the agent proposed, what the mask allowed, what the gatekeeper said. For a Box run
 * `proposed` and `allowed` are empty (there is no action list), `mask_rule` names the rule that clipped the
 * target, and TARGET_COLUMNS follow (empty where nothing was decided).
 */
export function writeDecisionsCsv(path: string, rec: BacktestRecord): void {
  const d = rec.decisions;
  const targets = d.targets;
  const names = rec.actions.map((a) => a.name);
  const header: readonly string[] = targets === null ? DECISION_COLUMNS : [...DECISION_COLUMNS, ...TARGET_COLUMNS];
  writeCsv(path, header, d.length, (i) => {
    const allowed = names.filter((_, a) => maskAllows(d.maskBits[i], a)).join('|');
    const row = [
      i,
      iso(rec.bars.time[i]),
      TRADING_STATES[d.state[i]],
      d.proposed[i] >= 0 ? names[d.proposed[i]] : '',
      csvField(allowed),
      csvField(d.strings.name(d.maskRule[i])),
      GATE_OUTCOMES[d.gate[i]],
      csvField(d.strings.name(d.gateReason[i])),
      d.orderQty[i],
      rec.positionQty[i],
      rec.equity[i],
    ].join(',');
    if (targets === null) return row;
    return `${row},${csvField(targets.proposed[i])},${csvField(targets.lo[i])},${csvField(targets.hi[i])},${csvField(targets.executed[i])}`;
  });
}

export interface WrittenFiles {
  readonly dir: string;
  readonly files: readonly string[];
}

/**
 * The stitched out-of-sample equity of a walk-forward, one row per point: point 0 is the first test window's
 * first bar; every later point is a test bar, from the window named. Each window's test run starts flat at its
 * first bar, which carries no return of its own, so later windows' first bars are left out (as stitchEquity does).
 */
export function writeStitchedEquityCsv(path: string, result: WalkForwardResult, bars: Bars): void {
  const points: { bar: number; window: number }[] = [];
  result.windows.forEach((w, i) => {
    if (i === 0) points.push({ bar: w.window.testStart, window: w.window.index + 1 });
    for (let b = w.window.testStart + 1; b < w.window.testEnd; b++) points.push({ bar: b, window: w.window.index + 1 });
  });
  if (points.length !== result.stitchedEquity.length) {
    throw new Error(`stitched equity: ${result.stitchedEquity.length} points for ${points.length} test bars`);
  }
  const dd = drawdownSeries(result.stitchedEquity);
  writeCsv(path, ['bar', 'time', 'window', 'close', 'equity', 'drawdown'], points.length, (i) =>
    [points[i].bar, iso(bars.time[points[i].bar]), points[i].window, bars.close[points[i].bar], result.stitchedEquity[i], dd[i]].join(','),
  );
}

/** Writes metrics.json and the three CSVs into `dir` (created if missing). */
export function writeRunFiles(dir: string, rec: BacktestRecord): WrittenFiles {
  mkdirSync(dir, { recursive: true });
  const files = ['metrics.json', 'equity.csv', 'trades.csv', 'decisions.csv'].map((f) => join(dir, f));
  writeFileSync(files[0], `${JSON.stringify({ ...rec.metrics, limits_note: rec.limits.note }, null, 2)}\n`);
  writeEquityCsv(files[1], rec);
  writeTradesCsv(files[2], rec);
  writeDecisionsCsv(files[3], rec);
  return { dir, files };
}
