/**
 * The CSV flags, defined once: every command that loads an OHLCV CSV (`backtest`, `sweep`, `walk-forward`, `eval`,
 * `train --data`, `env inspect`, `data inspect`) takes the same ones, so an error that suggests `--duplicates
 * keep-last` is answered by a flag the command has (issue 15). Unset flags take the loader's defaults.
 */
import type { Command } from 'commander';
import type { CsvLoadOptions } from '../data/index.js';
import { parseNumberFlag } from './flags.js';

const TIME_UNITS = ['auto', 's', 'ms', 'us', 'ns'] as const;
const DUPLICATE_POLICIES = ['error', 'keep-first', 'keep-last'] as const;
const GAP_POLICIES = ['report', 'error', 'forward-fill'] as const;
const OUTLIER_POLICIES = ['report', 'error', 'drop'] as const;

export interface CsvFlags {
  volumeColumn?: string;
  priceScale?: string;
  timeUnit?: string;
  duplicates?: string;
  gaps?: string;
  outliers?: string;
}

/** Adds the CSV loader's flags to a command. */
export function addCsvOptions(cmd: Command): Command {
  return cmd
    .option('--volume-column <name>', 'CSV: which column is the volume (e.g. "Volume USD")')
    .option('--price-scale <x>', 'CSV: multiply prices by this (e.g. 0.0001 for prices in 1/10000 dollar)')
    .option('--time-unit <unit>', 'CSV: unit of epoch times: auto, s, ms, us, ns (default: auto)')
    .option('--duplicates <policy>', 'CSV: rows sharing a timestamp: error | keep-first | keep-last (default: error)')
    .option('--gaps <policy>', 'CSV: missing bars: report | error | forward-fill (default: report)')
    .option('--outliers <policy>', "CSV: bars beyond 12 σ of the series' own log-return volatility: report | error | drop (default: report)");
}

export function oneOf<T extends string>(value: string, allowed: readonly T[], flag: string): T {
  const found = allowed.find((a) => a === value);
  if (found === undefined) throw new RangeError(`${flag}: must be one of ${allowed.join(', ')}, got '${value}'`);
  return found;
}

/** The loader options the flags set (unset flags left out: the loader's defaults apply). */
export function csvOptionsFromFlags(f: CsvFlags): CsvLoadOptions {
  return {
    ...(f.volumeColumn === undefined ? {} : { volumeColumn: f.volumeColumn }),
    ...(f.priceScale === undefined ? {} : { priceScale: parseNumberFlag(f.priceScale, '--price-scale', { above: 0 }) }),
    ...(f.timeUnit === undefined ? {} : { timeUnit: oneOf(f.timeUnit, TIME_UNITS, '--time-unit') }),
    ...(f.duplicates === undefined ? {} : { duplicates: oneOf(f.duplicates, DUPLICATE_POLICIES, '--duplicates') }),
    ...(f.gaps === undefined ? {} : { gaps: oneOf(f.gaps, GAP_POLICIES, '--gaps') }),
    ...(f.outliers === undefined ? {} : { outliers: oneOf(f.outliers, OUTLIER_POLICIES, '--outliers') }),
  };
}
