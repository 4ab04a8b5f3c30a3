export { Discrete, Box, type Space } from './spaces.js';
export type { Env, EnvInfo, ResetResult, StepResult, VectorEnv, VectorResetResult, VectorStepResult } from './types.js';
export {
  type TradingEnvConfig,
  type TradingEnvConfigInput,
  tradingEnvConfigSchema,
  parseTradingEnvConfig,
} from './config.js';
export { type TradingDataset, type DatasetOptions, createDataset } from './dataset.js';
export type { TradingEnvState } from './env-state.js';
export { type EpisodeRange, resolveEpisodeRange } from './episode-range.js';
export { type SimSlot, TradingSim } from './trading-sim.js';
export { type ConstraintMode, type ConstraintsOption, ConstraintGuard } from './constraint-guard.js';
export { type CostConfig, type CostAccount, COST_NAMES, writeCostSignals } from './cost-signals.js';
export { type ObsAccount, PORTFOLIO_OBS_NAMES, observationSize, writeObservation } from './observation.js';
export {
  TradingEnv,
  type TradingEnvOptions,
  type TradingEnvInfo,
  type TradingStepResult,
  type TradingResetResult,
  type StepFillInfo,
} from './trading-env.js';
export {
  TradingVecEnv,
  type TradingVecEnvOptions,
  type TradingVecResetResult,
  type TradingVecStepResult,
} from './trading-vec-env.js';
export { benchEnv } from './bench.js';
