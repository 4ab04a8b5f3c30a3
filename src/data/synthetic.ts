/**
 * Seeded synthetic markets: geometric Brownian motion, bull/bear/crash regime switching and Merton jump
 * diffusion. Every bar is built from an intrabar Brownian path: open = previous close, close = open·e^r, and the
 * high and low are drawn from the exact distribution of the maximum / minimum of a Brownian bridge from 0 to r,
 * so high ≥ max(open, close) and low ≤ min(open, close) hold by construction.
 */
import { allocateBars, type Bars, Rng } from '../core/index.js';
import {
  resolveSynthSpec,
  type ResolvedRegimeSpec,
  type ResolvedSyntheticSpec,
  type SyntheticSpec,
} from './synthetic-spec.js';

const MS_PER_YEAR = 365.25 * 86_400_000;

export const REGIME_NAMES = ['bull', 'bear', 'crash'] as const;
export type RegimeName = (typeof REGIME_NAMES)[number];

/** Bars plus a per-bar label saying what generated each bar (regime, or diffusion vs jump). */
export interface SyntheticMarket {
  readonly spec: ResolvedSyntheticSpec;
  readonly bars: Bars;
  /** Index into `labelNames` for every bar. */
  readonly labels: Uint8Array;
  /** gbm: ['diffusion']; regime: ['bull', 'bear', 'crash']; jump: ['diffusion', 'jump']. */
  readonly labelNames: readonly string[];
}

/** Deterministic for a seed: the same spec always yields the same bars, bit for bit. */
export function generateSynthetic(spec: SyntheticSpec): Bars {
  return generateSyntheticMarket(spec).bars;
}

/** As `generateSynthetic`, also returning each bar's regime (or jump) label. */
export function generateSyntheticMarket(spec: SyntheticSpec): SyntheticMarket {
  const resolved = resolveSynthSpec(spec);
  const rng = new Rng(resolved.seed);
  const dtYears = resolved.intervalMs / MS_PER_YEAR;
  const bars = allocateBars(resolved.bars);
  const labels = new Uint8Array(resolved.bars);
  const writer = new BarWriter(bars, resolved, rng);
  switch (resolved.model) {
    case 'gbm': {
      const sigma = resolved.volatility * Math.sqrt(dtYears);
      const mu = (resolved.drift - 0.5 * resolved.volatility ** 2) * dtYears;
      for (let i = 0; i < resolved.bars; i++) writer.write(i, mu + sigma * rng.normal(), sigma);
      return { spec: resolved, bars, labels, labelNames: ['diffusion'] };
    }
    case 'regime': {
      generateRegimes(resolved, rng, dtYears, writer, labels);
      return { spec: resolved, bars, labels, labelNames: REGIME_NAMES };
    }
    case 'jump': {
      const sigma = resolved.volatility * Math.sqrt(dtYears);
      const lambda = resolved.jumpsPerYear * dtYears;
      // Compensator: subtracting λκ keeps the expected arithmetic return at `drift` with jumps included.
      const kappa = Math.exp(resolved.jumpMean + 0.5 * resolved.jumpStd ** 2) - 1;
      const mu = (resolved.drift - 0.5 * resolved.volatility ** 2 - resolved.jumpsPerYear * kappa) * dtYears;
      for (let i = 0; i < resolved.bars; i++) {
        let r = mu + sigma * rng.normal();
        const jumps = lambda > 0 ? rng.poisson(lambda) : 0;
        for (let j = 0; j < jumps; j++) r += resolved.jumpMean + resolved.jumpStd * rng.normal();
        labels[i] = jumps > 0 ? 1 : 0;
        writer.write(i, r, sigma);
      }
      return { spec: resolved, bars, labels, labelNames: ['diffusion', 'jump'] };
    }
  }
}

/** The per-bar transition matrix [from][to] of a regime spec (given, or derived from the mean stays). */
export function regimeTransitionMatrix(spec: ResolvedRegimeSpec): number[][] {
  if (spec.transitions) return spec.transitions.map((row) => [...row]);
  const stay = [spec.bullMeanBars, spec.bearMeanBars, spec.crashMeanBars].map((m) => 1 - 1 / m);
  // Where a regime goes when it ends: bull mostly into bear, bear mostly back to bull, a crash into a bear market.
  const exits = [
    [0, 0.8, 0.2],
    [0.7, 0, 0.3],
    [0.4, 0.6, 0],
  ];
  return exits.map((row, from) => row.map((p, to) => (to === from ? stay[from] : p * (1 - stay[from]))));
}

function generateRegimes(
  spec: ResolvedRegimeSpec,
  rng: Rng,
  dtYears: number,
  writer: BarWriter,
  labels: Uint8Array,
): void {
  const drifts = [spec.bullDrift, spec.bearDrift, spec.crashDrift].map((d) => d + spec.drift);
  const vols = [spec.bullVolatility, spec.bearVolatility, spec.crashVolatility];
  const sigma = vols.map((v) => v * Math.sqrt(dtYears));
  const mu = drifts.map((d, k) => (d - 0.5 * vols[k] ** 2) * dtYears);
  // Cumulative rows, so that one uniform draw picks the next regime.
  const cumulative = regimeTransitionMatrix(spec).map((row) => {
    let acc = 0;
    return row.map((p) => (acc += p));
  });
  let regime = 0;
  for (let i = 0; i < spec.bars; i++) {
    labels[i] = regime;
    writer.write(i, mu[regime] + sigma[regime] * rng.normal(), sigma[regime]);
    const u = rng.next();
    const row = cumulative[regime];
    regime = u < row[0] ? 0 : u < row[1] ? 1 : 2;
  }
}

/** Turns a bar's log return into OHLCV, walking the price forward. */
class BarWriter {
  private price: number;
  private readonly startTimeMs: number;
  private readonly intervalMs: number;
  private readonly baseVolume: number;
  private readonly volumeVolatility: number;

  constructor(
    private readonly bars: Bars,
    spec: ResolvedSyntheticSpec,
    private readonly rng: Rng,
  ) {
    this.price = spec.startPrice;
    this.startTimeMs = spec.startTimeMs;
    this.intervalMs = spec.intervalMs;
    this.baseVolume = spec.baseVolume;
    this.volumeVolatility = spec.volumeVolatility;
  }

  /** @param logReturn the bar's close-to-open log return. @param sigmaBar the bar's diffusion volatility. */
  write(i: number, logReturn: number, sigmaBar: number): void {
    const open = this.price;
    const close = open * Math.exp(logReturn);
    // Max and min of a Brownian bridge 0 → r with variance σ²: (r ± sqrt(r² − 2σ² ln U)) / 2.
    const s2 = 2 * sigmaBar * sigmaBar;
    const r2 = logReturn * logReturn;
    const up = 0.5 * (logReturn + Math.sqrt(r2 - s2 * Math.log(1 - this.rng.next())));
    const down = 0.5 * (logReturn - Math.sqrt(r2 - s2 * Math.log(1 - this.rng.next())));
    const b = this.bars;
    b.time[i] = this.startTimeMs + i * this.intervalMs;
    b.open[i] = open;
    b.close[i] = close;
    // max/min guard against rounding in exp() putting the extreme a hair inside the body.
    b.high[i] = Math.max(open * Math.exp(up), open, close);
    b.low[i] = Math.min(open * Math.exp(down), open, close);
    // Volume rises with the size of the move (in units of the bar's volatility), with log-normal noise.
    const moveSigmas = sigmaBar > 0 ? Math.abs(logReturn) / sigmaBar : 0;
    const noise = Math.exp(this.volumeVolatility * this.rng.normal() - 0.5 * this.volumeVolatility ** 2);
    b.volume[i] = this.baseVolume * noise * (0.5 + 0.5 * Math.min(moveSigmas, 20));
    this.price = close;
  }
}
