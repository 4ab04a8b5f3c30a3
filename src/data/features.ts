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
  const n = bars.length;
  const stream = new FeatureStream(s);
  const nf = stream.nFeatures;
  const data = new Float32Array(n * nf);
  // The default interval is the median of the warm-up bars; a series shorter than the warm-up emits no row.
  if (s.intervalMs === undefined && n > stream.warmup) stream.setIntervalMs(barIntervalMs(sliceBars(bars, 0, stream.warmup + 1)));
  for (let t = 0; t < n; t++) stream.push(bars.close[t], bars.volume[t], data, t * nf);
  return { names: stream.names, nFeatures: nf, length: n, data, warmup: Math.min(n, stream.warmup) };
}

/**
 * The features of `computeFeatures` one bar at a time, in constant memory and time per bar: the running sums and
 * Wilder averages are carried from bar to bar and the few closes and volumes the windows drop are kept in rings.
 * Row t is computed with the very operations, in the same order, as `computeFeatures` over bars 0..t, so the
 * two agree to the bit (a live session's policy sees the backtest's observation without recomputing the history).
 */
export class FeatureStream {
  readonly names: readonly string[];
  readonly nFeatures: number;
  /** First bar index at which every feature is defined (rows before it are zeros). */
  readonly warmup: number;
  private readonly s: ResolvedFeatureSpec;
  /** Bars pushed so far. */
  private n = 0;
  private annualise = Number.NaN;
  private readonly closes: Float64Array;
  private readonly volumes: Float64Array;
  private retSum = 0;
  private retSq = 0;
  private fastSum = 0;
  private slowSum = 0;
  private volShift = 0;
  private lvSum = 0;
  private lvSq = 0;
  private avgGain = 0;
  private avgLoss = 0;

  constructor(spec: FeatureSpec = {}) {
    const s = resolveFeatureSpec(spec);
    this.s = s;
    this.names = featureNames(s);
    this.nFeatures = this.names.length;
    this.warmup = Math.max(s.returnBars, s.volatilityBars, s.slowMaBars - 1, s.fastMaBars - 1, s.rsiBars, s.volumeBars - 1);
    // The furthest close any window reads back is volatilityBars + 1 bars (the return leaving the σ window).
    this.closes = new Float64Array(Math.max(s.volatilityBars + 2, s.fastMaBars + 1, s.slowMaBars + 1, s.returnBars + 1));
    this.volumes = new Float64Array(s.volumeBars + 1);
    if (s.intervalMs !== undefined) this.annualise = Math.sqrt(barsPerYear(s.intervalMs));
  }

  /** The close `k` bars before bar `t` (k ≤ the ring's reach). */
  private back(t: number, k: number): number {
    return this.closes[(t - k) % this.closes.length];
  }

  /** Bars pushed so far (the next push is bar `length`). */
  get length(): number {
    return this.n;
  }

  /** The bar interval `vol` is annualised with, when the spec names none (before the first row is computed). */
  setIntervalMs(intervalMs: number): void {
    this.annualise = Math.sqrt(barsPerYear(intervalMs));
  }

  /**
   * Adds the next bar and writes its row into `out` at `offset` (`nFeatures` values; left as they are before the
   * warm-up, where `computeFeatures` leaves zeros). Returns whether the row is defined.
   */
  push(close: number, volume: number, out: Float32Array, offset: number): boolean {
    const s = this.s;
    const t = this.n++;
    const closes = this.closes;
    const volumes = this.volumes;
    const vl = volumes.length;
    closes[t % closes.length] = close;
    volumes[t % vl] = volume;
    const c = close;
    if (t === 0) {
      this.volShift = Math.log1p(volume);
      if (!Number.isFinite(this.volShift)) this.volShift = 0;
    }
    const volShift = this.volShift;
    const volW = s.volatilityBars;
    const rsiN = s.rsiBars;
    const r1 = t > 0 ? Math.log(c / this.back(t, 1)) : 0;
    if (t > 0) {
      this.retSum += r1;
      this.retSq += r1 * r1;
      if (t > volW) {
        const old = Math.log(this.back(t, volW) / this.back(t, volW + 1));
        this.retSum -= old;
        this.retSq -= old * old;
      }
    }
    this.fastSum += c;
    if (t >= s.fastMaBars) this.fastSum -= this.back(t, s.fastMaBars);
    this.slowSum += c;
    if (t >= s.slowMaBars) this.slowSum -= this.back(t, s.slowMaBars);
    const lv = Math.log1p(volume) - volShift;
    this.lvSum += lv;
    this.lvSq += lv * lv;
    if (t >= s.volumeBars) {
      const old = Math.log1p(volumes[(t - s.volumeBars) % vl]) - volShift;
      this.lvSum -= old;
      this.lvSq -= old * old;
    }
    // Wilder's RSI: simple average over the first n changes, exponential smoothing after.
    if (t > 0) {
      const prev = this.back(t, 1);
      const gain = r1 > 0 ? c - prev : 0;
      const loss = r1 < 0 ? prev - c : 0;
      if (t <= rsiN) {
        this.avgGain += gain / rsiN;
        this.avgLoss += loss / rsiN;
      } else {
        this.avgGain = (this.avgGain * (rsiN - 1) + gain) / rsiN;
        this.avgLoss = (this.avgLoss * (rsiN - 1) + loss) / rsiN;
      }
    }
    if (t < this.warmup) return false;
    if (Number.isNaN(this.annualise)) throw new Error('FeatureStream: the bar interval is unknown (set intervalMs in the spec, or setIntervalMs before the warm-up ends)');

    const clip = s.clip;
    const m = this.retSum / volW;
    const sigmaRaw = Math.sqrt(Math.max(this.retSq / volW - m * m, 0));
    const sigma = Math.max(sigmaRaw, MIN_SIGMA);
    const rk = Math.log(c / this.back(t, s.returnBars));
    const fastMa = this.fastSum / s.fastMaBars;
    const slowMa = this.slowSum / s.slowMaBars;
    const rsDen = this.avgGain + this.avgLoss;
    const rsi = rsDen > 0 ? (this.avgGain - this.avgLoss) / rsDen : 0; // = (RSI − 50) / 50
    const lvMean = this.lvSum / s.volumeBars;
    const lvStd = Math.sqrt(Math.max(this.lvSq / s.volumeBars - lvMean * lvMean, 0));
    const row = offset;
    out[row] = clamp(r1 / sigma, clip);
    out[row + 1] = clamp(rk / (sigma * Math.sqrt(s.returnBars)), clip);
    out[row + 2] = clamp(sigmaRaw * this.annualise, clip);
    out[row + 3] = clamp(Math.log(c / fastMa) / (sigma * Math.sqrt(s.fastMaBars)), clip);
    out[row + 4] = clamp(Math.log(c / slowMa) / (sigma * Math.sqrt(s.slowMaBars)), clip);
    out[row + 5] = rsi;
    out[row + 6] = lvStd > 1e-9 ? clamp((lv - lvMean) / lvStd, clip) : 0;
    return true;
  }
}

function clamp(x: number, limit: number): number {
  if (Number.isNaN(x)) return 0;
  return x > limit ? limit : x < -limit ? -limit : x;
}
