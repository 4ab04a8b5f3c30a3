/**
 * The trading task the experiment, the CLI and the bench train on: seeded regime-switching bars from
 * `data`, turned into a `TradingVecEnv` factory for `trainPpoLag`.
 */
import { generateSynthetic } from '../data/index.js';
import type { ConstraintsOption } from '../constraints/index.js';
import { createDataset, TradingVecEnv, type TradingDataset, type TradingEnvConfigInput, type VectorEnv } from '../env/index.js';

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

/** A `makeVecEnv` for trainPpoLag over one shared dataset; with `constraints`, the engine's masks apply. */
export function tradingVecEnvFactory(
  dataset: TradingDataset,
  env: TradingEnvConfigInput,
  constraints?: ConstraintsOption,
): (numEnvs: number) => TradingVecEnv {
  return (numEnvs) => new TradingVecEnv({ dataset, numEnvs, config: env, constraints });
}

export type { VectorEnv };
