/** Small hand-made datasets for the env specs (excluded from the build with the tests). */
import { type Bars, allocateBars, defineInstrument } from '../../core/index.js';
import type { FeatureMatrix } from '../../data/index.js';
import { type TradingDataset, createDataset } from '../dataset.js';

export const HOUR_MS = 3_600_000;

/** A fill model with no spread, slippage, impact or fee and no participation cap, so that prices are exact. */
export const FREE_FILL = {
  spreadBps: 0,
  slippageBps: 0,
  impactBps: 0,
  makerFeeBps: 0,
  takerFeeBps: 0,
  maxParticipation: 1,
};

/** Hourly bars from `opens`/`closes` (high/low span both), plenty of volume, starting at `startTimeMs`. */
export function handBars(opens: readonly number[], closes: readonly number[], startTimeMs = 0): Bars {
  const bars = allocateBars(closes.length);
  for (let i = 0; i < closes.length; i++) {
    bars.time[i] = startTimeMs + i * HOUR_MS;
    bars.open[i] = opens[i];
    bars.close[i] = closes[i];
    bars.high[i] = Math.max(opens[i], closes[i]);
    bars.low[i] = Math.min(opens[i], closes[i]);
    bars.volume[i] = 1e9;
  }
  return bars;
}

/** A dataset whose single feature is the bar's close, with no warm-up: observations are easy to read. */
export function handDataset(opens: readonly number[], closes: readonly number[], startTimeMs = 0): TradingDataset {
  const bars = handBars(opens, closes, startTimeMs);
  const features: FeatureMatrix = {
    names: ['close'],
    nFeatures: 1,
    length: bars.length,
    data: Float32Array.from(closes),
    warmup: 0,
  };
  return createDataset({
    bars,
    features,
    instrument: defineInstrument({ symbol: 'T/USD', tickSize: 0.01, lotSize: 0.0001 }),
  });
}

