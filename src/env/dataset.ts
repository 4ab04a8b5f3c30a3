/**
 * A market dataset as the envs consume it: bars, their features computed once, and the instrument. Many envs
 * (a whole VecEnv) share one dataset; none of them copies or recomputes it.
 */
import { type Bars, type Instrument, barIntervalMs, defineInstrument } from '../core/index.js';
import { type FeatureMatrix, type FeatureSpec, computeFeatures } from '../data/index.js';

export interface TradingDataset {
  readonly bars: Bars;
  readonly features: FeatureMatrix;
  readonly instrument: Instrument;
  /** Median bar interval, ms (a bar's close time is its open time plus this). */
  readonly intervalMs: number;
}

export interface DatasetOptions {
  bars: Bars;
  /** Default: a synthetic `SYN/USD` spot instrument with tick 0.01, lot 0.0001, no minimum notional. */
  instrument?: Instrument;
  /** Precomputed features for exactly these bars; computed with `featureSpec` when absent. */
  features?: FeatureMatrix;
  featureSpec?: FeatureSpec;
}

export function createDataset(options: DatasetOptions): TradingDataset {
  const { bars } = options;
  if (bars.length < 2) throw new RangeError(`bars: need at least 2 bars, got ${bars.length}`);
  for (let i = 0; i < bars.length; i++) {
    // Fail at construction rather than produce NaN rewards a million steps later.
    if (!(bars.open[i] > 0) || !(bars.close[i] > 0) || !Number.isFinite(bars.open[i]) || !Number.isFinite(bars.close[i])) {
      throw new RangeError(`bars[${i}]: open and close must be finite prices > 0, got ${bars.open[i]}, ${bars.close[i]}`);
    }
    if (!(bars.volume[i] >= 0)) throw new RangeError(`bars[${i}].volume: must be >= 0, got ${bars.volume[i]}`);
  }
  const features = options.features ?? computeFeatures(bars, options.featureSpec);
  if (features.length !== bars.length) {
    throw new RangeError(`features.length: must equal bars.length ${bars.length}, got ${features.length}`);
  }
  if (features.data.length !== features.length * features.nFeatures) {
    throw new RangeError(`features.data: must hold length × nFeatures = ${features.length * features.nFeatures} values`);
  }
  return {
    bars,
    features,
    instrument: options.instrument ?? defineInstrument({ symbol: 'SYN/USD', tickSize: 0.01, lotSize: 0.0001 }),
    intervalMs: barIntervalMs(bars),
  };
}
