import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { type Bars, barIntervalMs, barsPerYear, sliceBars } from '../core/index.js';
import { type FeatureMatrix, type FeatureSpec, FeatureStream, computeFeatures, featureNames, resolveFeatureSpec } from './features.js';
import { generateSynthetic } from './synthetic.js';

describe('FeatureStream (the features one bar at a time, constant memory)', () => {
  it('computeFeatures gives, bit for bit, what the whole-history loop it replaced gave (the oracle below), on random series and specs', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 400 }),
        fc.integer({ min: 1, max: 1_000_000 }),
        fc.record({ returnBars: fc.integer({ min: 2, max: 30 }), volatilityBars: fc.integer({ min: 2, max: 30 }), rsiBars: fc.integer({ min: 2, max: 30 }), volumeBars: fc.integer({ min: 2, max: 30 }), fast: fc.integer({ min: 2, max: 20 }), extra: fc.integer({ min: 1, max: 30 }), interval: fc.boolean() }),
        (n, seed, r) => {
          const bars = generateSynthetic({ model: 'regime', bars: n, seed });
          const spec: FeatureSpec = { returnBars: r.returnBars, volatilityBars: r.volatilityBars, rsiBars: r.rsiBars, volumeBars: r.volumeBars, fastMaBars: r.fast, slowMaBars: r.fast + r.extra, ...(r.interval ? { intervalMs: 3_600_000 } : {}) };
          const got = computeFeatures(bars, spec);
          const want = computeFeaturesReference(bars, spec);
          expect(got.warmup).toBe(want.warmup);
          expect(Buffer.from(got.data.buffer).equals(Buffer.from(want.data.buffer))).toBe(true);
        },
      ),
      { numRuns: 60, seed: 12 },
    );
  });

  it('row t pushed one bar at a time equals row t of computeFeatures over bars 0..t (what a live policy used to recompute every bar)', () => {
    const bars = generateSynthetic({ model: 'regime', bars: 600, seed: 4 });
    const spec = { intervalMs: 3_600_000 };
    const stream = new FeatureStream(spec);
    const row = new Float32Array(stream.nFeatures);
    for (let t = 0; t < bars.length; t++) {
      const defined = stream.push(bars.close[t], bars.volume[t], row, 0);
      expect(defined).toBe(t >= stream.warmup);
      if (!defined || t % 37 !== 0) continue;
      const whole = computeFeatures(sliceBars(bars, 0, t + 1), spec);
      expect([...row]).toEqual([...whole.data.subarray(t * stream.nFeatures, (t + 1) * stream.nFeatures)]);
    }
  });

  it('refuses to emit a row when it cannot annualise (no intervalMs and none set before the warm-up ended)', () => {
    const stream = new FeatureStream({});
    const out = new Float32Array(stream.nFeatures);
    expect(() => {
      for (let t = 0; t <= stream.warmup; t++) stream.push(100 + t, 10, out, 0);
    }).toThrow(/bar interval is unknown/);
  });
});

/** The loop `computeFeatures` ran before the stream (every running sum from bar 0 over whole arrays): the oracle. */
function computeFeaturesReference(bars: Bars, spec: FeatureSpec = {}): FeatureMatrix {
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

const MIN_SIGMA = 1e-12;
function clamp(x: number, limit: number): number {
  if (Number.isNaN(x)) return 0;
  return x > limit ? limit : x < -limit ? -limit : x;
}
