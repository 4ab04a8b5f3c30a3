/**
 * Observation features from bars, strictly causal (row t reads bars 0..t only) and O(n): every rolling
 * statistic is a running sum updated by one add and one subtract per bar. Features are scale-free (returns are
 * measured in units of recent volatility) and clipped, so a network sees roughly unit-scale inputs on any asset.
 */
import { z } from 'zod';
import { barIntervalMs, barsPerYear, type Bars, parseWithSchema, sliceBars } from '../core/index.js';

export interface FeatureSpec {
  /** Horizon of the multi-bar log return, in bars. Default 24. */
  returnBars?: number;
  /** Window of the rolling volatility of 1-bar log returns, in bars. Default 24. */
  volatilityBars?: number;
  /** Fast simple moving average of the close, in bars. Default 12. */
  fastMaBars?: number;
  /** Slow simple moving average of the close, in bars. Default 48. */
  slowMaBars?: number;
  /** RSI period (Wilder smoothing), in bars. Default 14. */
  rsiBars?: number;
  /** Window of the volume z-score (on log volume), in bars. Default 48. */
  volumeBars?: number;
  /** Every feature is clipped to [-clip, clip]. Default 5. */
  clip?: number;
  /**
   * Bar interval used to annualise `vol`, in ms. Default: the median interval of the warm-up bars (which
   * every defined row has already seen, so the matrix stays causal).
   */
  intervalMs?: number;
}

export interface FeatureMatrix {
  readonly names: readonly string[];
  readonly nFeatures: number;
  readonly length: number;
  /** Row-major [length × nFeatures]. Rows before `warmup` are zeros. */
  readonly data: Float32Array;
  /** First bar index at which every feature is defined. */
  readonly warmup: number;
}

const windowBars = z.number().int('must be a whole number of bars').min(2).max(1_000_000);
const featureSpecSchema = z.strictObject({
  returnBars: windowBars.default(24),
  volatilityBars: windowBars.default(24),
  fastMaBars: windowBars.default(12),
  slowMaBars: windowBars.default(48),
  rsiBars: windowBars.default(14),
  volumeBars: windowBars.default(48),
  clip: z.number().refine((v) => Number.isFinite(v) && v > 0, 'must be a finite number > 0').default(5),
  intervalMs: z.number().refine((v) => Number.isFinite(v) && v > 0, 'must be a finite number > 0').optional(),
});
export type ResolvedFeatureSpec = z.output<typeof featureSpecSchema>;

export function resolveFeatureSpec(spec: FeatureSpec = {}): ResolvedFeatureSpec {
  const resolved = parseWithSchema(featureSpecSchema, spec, 'feature spec');
  if (resolved.fastMaBars >= resolved.slowMaBars) {
    throw new RangeError(
      `feature spec: fastMaBars must be < slowMaBars, got ${resolved.fastMaBars} >= ${resolved.slowMaBars}`,
    );
  }
  return resolved;
}

/** Column names for a spec, in the order of the matrix columns. */
export function featureNames(spec: FeatureSpec = {}): readonly string[] {
  const s = resolveFeatureSpec(spec);
  return [
    'ret_1',
    `ret_${s.returnBars}`,
    `vol_${s.volatilityBars}`,
    `ma_fast_${s.fastMaBars}`,
    `ma_slow_${s.slowMaBars}`,
    `rsi_${s.rsiBars}`,
    `volume_z_${s.volumeBars}`,
  ];
}

/** Volatility floor so that a flat series gives large-but-finite (then clipped) values, never NaN. */
const MIN_SIGMA = 1e-12;

/**
 * Features, one row per bar:
 * - `ret_1`: 1-bar log return / rolling σ;            - `ret_k`: k-bar log return / (σ·√k);
 * - `vol_w`: rolling σ of 1-bar log returns, annualised (0.5 = 50 %/yr);
 * - `ma_fast_n`, `ma_slow_n`: log(close / SMA) / (σ·√n);  - `rsi_n`: (RSI − 50) / 50 in [−1, 1];
 * - `volume_z_w`: z-score of log(1 + volume) over the window.
 */
export function computeFeatures(bars: Bars, spec: FeatureSpec = {}): FeatureMatrix {
  const s = resolveFeatureSpec(spec);
  const names = featureNames(s);
  const nf = names.length;
  const n = bars.length;
  const data = new Float32Array(n * nf);
  const close = bars.close;
  const clip = s.clip;
  // ret_1 needs 1 bar back; σ needs volatilityBars returns; the rest their windows.
  const warmup = Math.min(
    n,
    Math.max(s.returnBars, s.volatilityBars, s.slowMaBars - 1, s.fastMaBars - 1, s.rsiBars, s.volumeBars - 1),
  );
  const intervalMs = s.intervalMs ?? barIntervalMs(sliceBars(bars, 0, warmup + 1));
  const annualise = Math.sqrt(barsPerYear(intervalMs));

  // Running sums. Returns are centred near zero, so plain sums of squares are accurate; log volume is
  // shifted by its first value to avoid cancellation in E[x²] − E[x]².
  let retSum = 0;
  let retSq = 0;
  let fastSum = 0;
  let slowSum = 0;
  let volShift = n > 0 ? Math.log1p(bars.volume[0]) : 0;
  let lvSum = 0;
  let lvSq = 0;
  let avgGain = 0;
  let avgLoss = 0;
  const volW = s.volatilityBars;
  const rsiN = s.rsiBars;
  if (!Number.isFinite(volShift)) volShift = 0;

  for (let t = 0; t < n; t++) {
    const c = close[t];
    const r1 = t > 0 ? Math.log(c / close[t - 1]) : 0;
    if (t > 0) {
      retSum += r1;
      retSq += r1 * r1;
      if (t > volW) {
        const old = Math.log(close[t - volW] / close[t - volW - 1]);
        retSum -= old;
        retSq -= old * old;
      }
    }
    fastSum += c;
    if (t >= s.fastMaBars) fastSum -= close[t - s.fastMaBars];
    slowSum += c;
    if (t >= s.slowMaBars) slowSum -= close[t - s.slowMaBars];
    const lv = Math.log1p(bars.volume[t]) - volShift;
    lvSum += lv;
    lvSq += lv * lv;
    if (t >= s.volumeBars) {
      const old = Math.log1p(bars.volume[t - s.volumeBars]) - volShift;
      lvSum -= old;
      lvSq -= old * old;
    }
    // Wilder's RSI: simple average over the first n changes, exponential smoothing after.
    if (t > 0) {
      const gain = r1 > 0 ? c - close[t - 1] : 0;
      const loss = r1 < 0 ? close[t - 1] - c : 0;
      if (t <= rsiN) {
        avgGain += gain / rsiN;
        avgLoss += loss / rsiN;
      } else {
        avgGain = (avgGain * (rsiN - 1) + gain) / rsiN;
        avgLoss = (avgLoss * (rsiN - 1) + loss) / rsiN;
      }
    }
    if (t < warmup) continue;

    const m = retSum / volW;
    const sigmaRaw = Math.sqrt(Math.max(retSq / volW - m * m, 0));
    const sigma = Math.max(sigmaRaw, MIN_SIGMA);
    const rk = Math.log(c / close[t - s.returnBars]);
    const fastMa = fastSum / s.fastMaBars;
    const slowMa = slowSum / s.slowMaBars;
    const rsDen = avgGain + avgLoss;
    const rsi = rsDen > 0 ? (avgGain - avgLoss) / rsDen : 0; // = (RSI − 50) / 50
    const lvMean = lvSum / s.volumeBars;
    const lvStd = Math.sqrt(Math.max(lvSq / s.volumeBars - lvMean * lvMean, 0));
    const row = t * nf;
    data[row] = clamp(r1 / sigma, clip);
    data[row + 1] = clamp(rk / (sigma * Math.sqrt(s.returnBars)), clip);
    data[row + 2] = clamp(sigmaRaw * annualise, clip);
    data[row + 3] = clamp(Math.log(c / fastMa) / (sigma * Math.sqrt(s.fastMaBars)), clip);
    data[row + 4] = clamp(Math.log(c / slowMa) / (sigma * Math.sqrt(s.slowMaBars)), clip);
    data[row + 5] = rsi;
    data[row + 6] = lvStd > 1e-9 ? clamp((lv - lvMean) / lvStd, clip) : 0;
  }
  return { names, nFeatures: nf, length: n, data, warmup };
}

function clamp(x: number, limit: number): number {
  if (Number.isNaN(x)) return 0;
  return x > limit ? limit : x < -limit ? -limit : x;
}
