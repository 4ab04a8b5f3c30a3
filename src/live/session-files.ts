/**
 * The session directory holds the files a backtest's run directory holds: `metrics.json`, `equity.csv`,
 * `trades.csv`, `decisions.csv` and `report.html` (beside the session's own `audit.jsonl` and `journal.jsonl`).
 * They are rendered by the backtest's writers from the session's `RunRecorder`, so a paper session on a
 * `speed=max` replay and a backtest on the same file write the same decisions and trades.
 *
 * Each file is written to a temporary file in the same directory and renamed over the old one: a reader (or a
 * crash) sees the previous version or the new one, never half a file.
 */
import { renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { type Bars, type Instrument, sliceBars } from '../core/index.js';
import type { Rules } from '../constraints/index.js';
import { type GatekeeperConfig, parseGatekeeperConfig } from '../risk-gatekeeper/index.js';
import type { SimFillConfigInput } from '../venues/index.js';
import {
  type AnyBacktestAgent,
  type BacktestRecord,
  type RunRecorder,
  createRuleAgent,
  limitsInfo,
  renderReportHtml,
  runBacktest,
  runRecordOf,
  writeDecisionsCsv,
  writeEquityCsv,
  writeTradesCsv,
} from '../backtests/index.js';

/** The files, in the order they are written. */
export const SESSION_FILES = ['metrics.json', 'equity.csv', 'trades.csv', 'decisions.csv', 'report.html'] as const;

export interface SessionRecordInput {
  readonly sessionId: string;
  readonly feedSpec: string;
  readonly bars: Bars;
  readonly intervalMs: number;
  readonly recorder: RunRecorder;
  readonly feesPaid: number;
  readonly agent: AnyBacktestAgent;
  readonly seed: number;
  readonly instrument: Instrument;
  readonly initialCash: number;
  readonly fill: SimFillConfigInput;
  readonly rules: Rules | null;
  readonly risk: GatekeeperConfig | null;
}

/** The session so far as a run record: the same record a backtest of these bars makes (benchmark included). */
export async function sessionRecord(input: SessionRecordInput): Promise<BacktestRecord> {
  const { bars, recorder } = input;
  const benchmarkEquity =
    bars.length < 2
      ? null
      : (
          await runBacktest({
            bars,
            instrument: input.instrument,
            agent: createRuleAgent('buy-and-hold'),
            initialCash: input.initialCash,
            fill: input.fill,
            seed: input.seed,
            benchmark: false,
          })
        ).equity;
  const { rules, risk } = input;
  return runRecordOf({
    bars,
    intervalMs: input.intervalMs,
    recorder,
    columns: recorder.snapshot(),
    feesPaid: input.feesPaid,
    agent: input.agent,
    seed: input.seed,
    // A paper session always runs the gatekeeper (the kill-switch acts on it), with defaults when no --risk.
    limits: limitsInfo(rules, risk, risk ?? parseGatekeeperConfig({}, 'default gatekeeper config'), risk === null),
    benchmarkEquity,
  });
}

/** Writes the session files into `dir` (each atomically); returns their paths. Needs at least one bar. */
export async function writeSessionFiles(dir: string, input: SessionRecordInput): Promise<string[]> {
  if (input.bars.length === 0) return [];
  const rec = await sessionRecord({ ...input, bars: sliceBars(input.bars, 0, input.bars.length) });
  const last = rec.bars.time[rec.bars.length - 1];
  const notes = [
    `Feed ${input.feedSpec}; ${rec.bars.length} bars to ${new Date(last).toISOString()}; agent ${rec.agent}; seed ${input.seed}.`,
    rec.limits.note,
  ];
  const writers: Record<(typeof SESSION_FILES)[number], (path: string) => void> = {
    'metrics.json': (p) => writeFileSync(p, `${JSON.stringify({ ...rec.metrics, limits_note: rec.limits.note, session: input.sessionId }, null, 2)}\n`),
    'equity.csv': (p) => writeEquityCsv(p, rec),
    'trades.csv': (p) => writeTradesCsv(p, rec),
    'decisions.csv': (p) => writeDecisionsCsv(p, rec),
    'report.html': (p) => writeFileSync(p, renderReportHtml([rec], { title: `Paper session ${input.sessionId}`, notes })),
  };
  const written: string[] = [];
  for (const name of SESSION_FILES) {
    const path = join(dir, name);
    const tmp = `${path}.tmp-${process.pid}`;
    try {
      writers[name](tmp);
      renameSync(tmp, path);
    } catch (err) {
      rmSync(tmp, { force: true });
      throw err;
    }
    written.push(path);
  }
  return written;
}
