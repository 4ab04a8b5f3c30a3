export { initBackend, type BackendInfo, type BackendName, type BackendPreference } from './backend.js';
export {
  trainPpoLag,
  explainedVariance,
  type PpoLagConfig,
  type PpoLagResult,
  type EpochStats,
  type EpochProgress,
} from './lagrangian-ppo.js';
export {
  ppoHyperSchema,
  resolveHyperparams,
  deriveSizes,
  type PpoHyperparams,
  type PpoHyperparamsInput,
} from './ppo-config.js';
export { PpoPolicy, type Agent, type ActOptions } from './policy.js';
export {
  CHECKPOINT_FORMAT,
  readCheckpointFile,
  writeCheckpointFile,
  type PpoLagCheckpoint,
} from './checkpoint.js';
export { CpuPolicy, type DenseLayer } from './cpu-policy.js';
export {
  type TrainedEnv,
  trainedEnvSchema,
  describeTrainedEnv,
  parseTrainedEnv,
  checkObservationLayout,
} from './trained-env.js';
export { type LoadedPolicy, resolveCheckpointPath, loadPolicyCheckpoint, policyFromCheckpoint } from './policy-checkpoint.js';
export { computeGae, type GaeInput } from './gae.js';
export { LagrangeMultiplier, type LagrangeConfig, type LagrangeMethod, type LagrangeState } from './lagrange.js';
export { RunningMeanStd, type RunningStatsState } from './running-stats.js';
export { MASKED_LOGIT, maskedProbabilities, sampleMaskedCategorical } from './distributions.js';
export { EnvBatch } from './vector-adapter.js';
export { TwoArmedEnv, DEFAULT_TWO_ARMED, twoArmedOptimum, SAFE_ARM, RISKY_ARM, type TwoArmedConfig } from './two-armed.js';
export {
  regimeDataset,
  regimeSourceText,
  parseDataSource,
  loadTradingDataset,
  tradingVecEnvFactory,
  type DataSource,
  type LoadedDataset,
  type TradingTaskSpec,
} from './trading-setup.js';
export { benchTrain } from './bench.js';
export {
  runTrainJob,
  loadTrainFile,
  defaultTrainOut,
  METRIC_COLUMNS,
  WALL_CLOCK_COLUMNS,
  type MetricRow,
  type EvalColumns,
  type TrainFile,
  type TrainRunOptions,
  type TrainSummary,
} from './train-run.js';
export { learningCurveHtml } from './learning-curve.js';
export { evaluatePolicy, meanSd, type EvalOptions, type EvalSummary, type EpisodeScore, type MeanSd } from './evaluate-policy.js';
export {
  type TrainingProvenance,
  type DataIdentity,
  provenanceWarnings,
  trainedSession,
  recordProvenance,
  heldOutRange,
  csvIdentity,
  synthIdentity,
  rulesHash,
} from './provenance.js';
export { buildInfo, type BuildInfo } from './build-info.js';
export { runEvalJob, type EvalRunOptions, type EvalRunResult } from './eval-run.js';
export {
  runSafetyExperiment,
  summariseSafety,
  formatSafetyTable,
  formatSafetySettings,
  DEFAULT_SAFETY_OPTIONS,
  SAFETY_ARMS,
  type SafetyArm,
  type SafetyRun,
  type SafetyRow,
  type SafetyExperimentOptions,
} from './safety-experiment.js';
