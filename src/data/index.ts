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
  FeatureStream,
} from './features.js';
export {
  type CsvLoadOptions,
  type CsvLoadReport,
  type CsvLoadResult,
  csvLoadOptionsSchema,
  loadBarsCsv,
  parseBarsCsv,
} from './csv-loader.js';
export {
  type FileOrder,
  type OrderReport,
  type DuplicatePolicy,
  type DuplicateReport,
  type GapPolicy,
  type GapReport,
  type GapRange,
} from './bar-order.js';
export { CsvLoadError } from './csv-errors.js';
export { type TimeUnit, parseDateText, epochUnitOf } from './csv-time.js';
export { BARS_CSV_HEADER, formatCandleLine, formatBarsCsv, writeBarsCsv, writeTextFileAtomic } from './csv-writer.js';
export { formatTimeMs, formatDurationMs } from './time-format.js';
export {
  FetchError,
  createExchange,
  timeframeMs,
  loadMarketsOrExplain,
  checkSymbol,
  explainExchangeError,
  isTransient,
  loadCcxt,
} from './exchange-client.js';
export { type FetchOhlcvOptions, type FetchOhlcvResult, type FetchProgress, fetchOhlcv } from './fetch-ohlcv.js';
export { formatCsvLoadReport, formatReturnStats } from './csv-report.js';
export { type ReturnStats, returnStats } from './return-stats.js';
export { benchData } from './bench-data.js';
export {
  type MarketSourceSpec,
  type LoadedMarket,
  MARKET_SOURCE_REQUIRED,
  loadMarketSource,
  parseUtcTime,
  selectRange,
} from './market-source.js';
