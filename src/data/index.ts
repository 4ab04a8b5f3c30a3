/** Market data in: synthetic markets, features, CSV loading and writing, ccxt download. */
export {
  type SyntheticModel,
  type SyntheticSpec,
  type GbmSpec,
  type RegimeSpec,
  type JumpSpec,
  type ResolvedSyntheticSpec,
  SYNTHETIC_MODELS,
  DEFAULT_START_TIME_MS,
  MAX_SYNTHETIC_BARS,
  resolveSynthSpec,
  parseSynthSpec,
  synthParamNames,
} from './synthetic-spec.js';
export {
  type SyntheticMarket,
  type RegimeName,
  REGIME_NAMES,
  generateSynthetic,
  generateSyntheticMarket,
  regimeTransitionMatrix,
} from './synthetic.js';
export {
  type FeatureSpec,
  type FeatureMatrix,
  type ResolvedFeatureSpec,
  resolveFeatureSpec,
  featureNames,
  computeFeatures,
} from './features.js';
