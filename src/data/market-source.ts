/**
 * Where a command's bars come from: `--data FILE` (a CSV, with the loader's options) or `--synth MODEL[:k=v,…]`,
 * cut to `--from`/`--to`. Plain data in, bars out, so the CLI, a sweep's worker thread and a queue worker on
 * another machine load a market the same way without importing the CLI.
 */
import { type Bars, sliceBars } from '../core/index.js';
import { type CsvLoadOptions, loadBarsCsv } from './csv-loader.js';
import { generateSynthetic } from './synthetic.js';
import { parseSynthSpec } from './synthetic-spec.js';

export interface MarketSourceSpec {
  /** OHLCV CSV file; exclusive with `synth`. */
  readonly data?: string;
  /** Synthetic market spec, e.g. `regime:bars=5000,seed=3`. */
  readonly synth?: string;
  /** Inclusive bounds on bar open time: ISO-8601 (UTC when no zone). */
  readonly from?: string;
  readonly to?: string;
  /** Options of the CSV loader (volume column, price scale, time unit, duplicates, gaps). */
  readonly csv?: CsvLoadOptions;
  /** Seed of a synthetic market whose spec names none (the spec's own seed wins). */
  readonly synthSeed?: number;
  /** Bars the cut must leave at least (default 2: a backtest needs a bar to decide on and one to fill on). */
  readonly minBars?: number;
}

export interface LoadedMarket {
  /** The bars in [from, to]. */
  readonly bars: Bars;
  /** The file, or `synthetic SPEC`. */
  readonly source: string;
  /** The whole loaded series and the index in it of `bars[0]` (learned agents warm their features up before --from). */
  readonly history: { readonly bars: Bars; readonly offset: number };
  /** What the CSV loader did (sorting, gaps …); empty for synthetic data. */
  readonly notes: readonly string[];
}

/** Parses `2021-05-12T14:00` (UTC when no zone is given) or ms since the epoch; NaN when invalid. */
export function parseUtcTime(value: string | number | Date): number {
  if (value instanceof Date) return value.getTime();
  if (typeof value === 'number') return value;
  const s = value.trim();
  const hasZone = /(Z|[+-]\d\d:?\d\d)$/i.test(s);
  const isoLike = /^\d{4}-\d\d-\d\d([T ]\d\d:\d\d(:\d\d(\.\d+)?)?)?/.test(s);
  if (!isoLike) return Number.NaN;
  const withTime = s.length === 10 ? `${s}T00:00` : s.replace(' ', 'T');
  return Date.parse(hasZone ? withTime : `${withTime}Z`);
}

function timeBound(text: string | undefined, flag: string): number | null {
  if (text === undefined) return null;
  const ms = parseUtcTime(text);
  if (Number.isNaN(ms)) throw new RangeError(`${flag}: must be an ISO-8601 date such as 2021-05-12 or 2021-05-12T14:00, got '${text}'`);
  return ms;
}

/** Index range [start, end) of the bars whose open time lies in [from, to]. */
function rangeIndices(bars: Bars, fromMs: number | null, toMs: number | null): [number, number] {
  let start = 0;
  let end = bars.length;
  if (fromMs !== null) while (start < end && bars.time[start] < fromMs) start++;
  if (toMs !== null) while (end > start && bars.time[end - 1] > toMs) end--;
  return [start, end];
}

/** Bars whose open time lies in [from, to]. */
export function selectRange(bars: Bars, fromMs: number | null, toMs: number | null): Bars {
  return sliceBars(bars, ...rangeIndices(bars, fromMs, toMs));
}

/** The message for a spec that names both sources or neither. */
export const MARKET_SOURCE_REQUIRED = 'give the market data with exactly one of --data FILE or --synth SPEC (e.g. --synth regime:bars=5000,seed=3)';

/** Loads the bars a spec names; every error names the flag at fault. */
export async function loadMarketSource(spec: MarketSourceSpec): Promise<LoadedMarket> {
  if ((spec.data === undefined) === (spec.synth === undefined)) throw new RangeError(`data: ${MARKET_SOURCE_REQUIRED}`);
  // Bounds are checked before the (possibly large) file is read.
  const fromMs = timeBound(spec.from, '--from');
  const toMs = timeBound(spec.to, '--to');
  if (fromMs !== null && toMs !== null && fromMs > toMs) {
    throw new RangeError(`--from ${spec.from ?? ''} is after --to ${spec.to ?? ''}: give a --from at or before --to`);
  }
  let bars: Bars;
  let source: string;
  let notes: readonly string[] = [];
  if (spec.data !== undefined) {
    const loaded = await loadBarsCsv(spec.data, spec.csv ?? {});
    bars = loaded.bars;
    notes = loaded.report.notes;
    source = spec.data;
  } else {
    const text = spec.synth ?? '';
    const parsed = parseSynthSpec(text);
    const namesSeed = /\bseed\s*=/.test(text);
    bars = generateSynthetic(namesSeed || spec.synthSeed === undefined ? parsed : { ...parsed, seed: spec.synthSeed });
    source = `synthetic ${text}`;
  }
  const [start, end] = rangeIndices(bars, fromMs, toMs);
  const minBars = spec.minBars ?? 2;
  if (end - start < minBars) {
    throw new RangeError(`--from/--to: leave ${end - start} bar(s) of ${bars.length}; at least ${minBars} are needed`);
  }
  return { bars: start === 0 && end === bars.length ? bars : sliceBars(bars, start, end), source, history: { bars, offset: start }, notes };
}
