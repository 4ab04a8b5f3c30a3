/**
 * The trading task the experiment, the CLI and the bench train on: market bars from a data source (seeded
 * synthetic data from `data`'s generators, or an OHLCV CSV file through `loadBarsCsv`), turned into a
 * `TradingVecEnv` factory for `trainPpoLag`.
 */
import { isAbsolute, resolve } from 'node:path';
import { ValidationError } from '../core/index.js';
import { type CsvLoadOptions, generateSynthetic, loadMarketSource, parseSynthSpec, SYNTHETIC_MODELS, type ResolvedSyntheticSpec } from '../data/index.js';
import { type ConstraintsOption, createDataset, TradingVecEnv, type TradingDataset, type TradingEnvConfigInput, type VectorEnv } from '../env/index.js';

export interface TradingTaskSpec {
  /** Bars of synthetic regime-switching data. */
  bars: number;
  /** Seed of the market data (separate from the training seed, so seeds of a sweep share one market). */
  dataSeed: number;
  /** The env config (episode length, costs, actions, …); its `seed` is replaced by the trainer's epoch seeds. */
  env: TradingEnvConfigInput;
}

export function regimeDataset(bars: number, dataSeed: number): TradingDataset {
  return createDataset({ bars: generateSynthetic({ model: 'regime', bars, seed: dataSeed }) });
}

/** Where a task's bars come from: a synthetic spec (`regime:bars=20000,seed=3`) or an OHLCV CSV file. */
export type DataSource = { kind: 'synthetic'; spec: ResolvedSyntheticSpec; text: string } | { kind: 'csv'; path: string };

/**
 * Reads a data-source text: `MODEL[:key=value,…]` with MODEL one of gbm, regime, jump is a synthetic spec
 * (validated now, so a typo fails before training starts); anything else is a CSV path, resolved against
 * `baseDir`. `field` names the option in errors (`--data`, `task.data`).
 */
export function parseDataSource(text: string, field: string, baseDir = '.'): DataSource {
  const trimmed = text.trim();
  if (trimmed === '') throw new ValidationError(field, [{ path: '', message: 'empty; give a CSV file or a synthetic spec such as regime:bars=20000,seed=3' }]);
  const head = trimmed.split(':', 1)[0].toLowerCase();
  if (SYNTHETIC_MODELS.some((m) => m === head)) {
    try {
      return { kind: 'synthetic', spec: parseSynthSpec(trimmed), text: trimmed };
    } catch (err) {
      const message = err instanceof Error ? err.message : String(err);
      throw new ValidationError(field, [{ path: '', message }]);
    }
  }
  return { kind: 'csv', path: isAbsolute(trimmed) ? trimmed : resolve(baseDir, trimmed) };
}

/** The data-source text of the legacy `bars` / `dataSeed` fields. */
export function regimeSourceText(bars: number, dataSeed: number): string {
  return `regime:bars=${bars},seed=${dataSeed}`;
}

export interface LoadedDataset {
  dataset: TradingDataset;
  /** One line for logs: where the bars came from and how many there are. */
  description: string;
}

/** How a source's bars are loaded: the CSV loader's options (CSV sources only) and inclusive bounds on bar open time. */
export interface DatasetLoadOptions {
  readonly csv?: CsvLoadOptions;
  readonly from?: string;
  readonly to?: string;
}

/**
 * Builds the dataset of a source (cut to `from`/`to`, loaded with the `csv` options, as every command's CSV flags
 * do); CSV problems surface as `CsvLoadError`s naming file, line and column.
 */
export async function loadTradingDataset(source: DataSource, options: DatasetLoadOptions = {}): Promise<LoadedDataset> {
  const market = await loadMarketSource({
    ...(source.kind === 'csv' ? { data: source.path, ...(options.csv === undefined ? {} : { csv: options.csv }) } : { synth: source.text }),
    ...(options.from === undefined ? {} : { from: options.from }),
    ...(options.to === undefined ? {} : { to: options.to }),
  });
  const { bars } = market;
  const cut = market.bars.length === market.history.bars.length ? '' : `, ${new Date(bars.time[0]).toISOString()} to ${new Date(bars.time[bars.length - 1]).toISOString()} of ${market.history.bars.length}`;
  if (source.kind === 'synthetic') return { dataset: createDataset({ bars }), description: `synthetic ${source.text} (${bars.length} bars${cut})` };
  const notes = market.notes.length > 0 ? `; ${market.notes.join(' ')}` : '';
  return { dataset: createDataset({ bars }), description: `${source.path} (${bars.length} bars${cut}${notes})` };
}

/** A `makeVecEnv` for trainPpoLag over one shared dataset; with `constraints`, the engine's masks apply. */
export function tradingVecEnvFactory(
  dataset: TradingDataset,
  env: TradingEnvConfigInput,
  constraints?: ConstraintsOption,
): (numEnvs: number) => TradingVecEnv {
  return (numEnvs) => new TradingVecEnv({ dataset, numEnvs, config: env, constraints });
}

export type { VectorEnv };
