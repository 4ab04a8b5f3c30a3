import { describe, expect, it } from 'vitest';
import { allocateBars, copyBars } from '../core/index.js';
import { computeFeatures, featureNames } from './features.js';
import { generateSynthetic } from './synthetic.js';

function row(m: ReturnType<typeof computeFeatures>, t: number): number[] {
  return Array.from(m.data.subarray(t * m.nFeatures, (t + 1) * m.nFeatures));
}

describe('computeFeatures', () => {
  const bars = generateSynthetic({ model: 'regime', bars: 3000, seed: 21 });

  it('is strictly causal: changing every bar after t leaves rows 0..t unchanged', () => {
    const base = computeFeatures(bars);
    for (const t of [base.warmup, 500, 1777, 2998]) {
      const changed = copyBars(bars);
      for (let i = t + 1; i < changed.length; i++) {
        changed.close[i] *= 1.5 + Math.sin(i);
        changed.open[i] *= 0.7;
        changed.high[i] *= 3;
        changed.low[i] *= 0.2;
        changed.volume[i] = changed.volume[i] * 40 + 1;
        changed.time[i] += 12_345 * i;
      }
      const after = computeFeatures(changed);
      expect(Array.from(after.data.subarray(0, (t + 1) * after.nFeatures))).toEqual(
        Array.from(base.data.subarray(0, (t + 1) * base.nFeatures)),
      );
      // ...and the change is visible at t+1, so the test would catch a leak.
      expect(row(after, t + 1)).not.toEqual(row(base, t + 1));
    }
  });

  it('names its columns and lays the matrix out row-major', () => {
    const m = computeFeatures(bars);
    expect(m.names).toEqual(['ret_1', 'ret_24', 'vol_24', 'ma_fast_12', 'ma_slow_48', 'rsi_14', 'volume_z_48']);
    expect(m.nFeatures).toBe(7);
    expect(m.length).toBe(3000);
    expect(m.data.length).toBe(3000 * 7);
    expect(m.warmup).toBe(47);
    expect(featureNames({ returnBars: 6, slowMaBars: 100 })).toContain('ret_6');
  });

  it('leaves warm-up rows at zero and fills every later row with finite values within the clip', () => {
    const m = computeFeatures(bars, { clip: 3 });
    for (let t = 0; t < m.warmup; t++) expect(row(m, t).every((v) => v === 0)).toBe(true);
    const bad = Array.from(m.data.subarray(m.warmup * m.nFeatures)).filter((v) => !(Math.abs(v) <= 3));
    expect(bad).toEqual([]);
  });

  it('matches a direct (non-rolling) computation at a sample row', () => {
    const m = computeFeatures(bars);
    const t = 1234;
    const r = (i: number) => Math.log(bars.close[i] / bars.close[i - 1]);
    const rets = Array.from({ length: 24 }, (_, k) => r(t - k));
    const mean = rets.reduce((a, b) => a + b, 0) / 24;
    const sigma = Math.sqrt(rets.reduce((a, b) => a + (b - mean) ** 2, 0) / 24);
    const slow = Array.from({ length: 48 }, (_, k) => bars.close[t - k]).reduce((a, b) => a + b, 0) / 48;
    const got = row(m, t);
    expect(got[0]).toBeCloseTo(r(t) / sigma, 4);
    expect(got[1]).toBeCloseTo(Math.log(bars.close[t] / bars.close[t - 24]) / (sigma * Math.sqrt(24)), 4);
    expect(got[2]).toBeCloseTo(sigma * Math.sqrt(8766), 4);
    expect(got[4]).toBeCloseTo(Math.log(bars.close[t] / slow) / (sigma * Math.sqrt(48)), 4);
  });

  it('gives RSI +1 on a steadily rising series and -1 on a falling one', () => {
    for (const [step, expected] of [[1.001, 1], [0.999, -1]] as const) {
      const b = allocateBars(100);
      for (let i = 0; i < 100; i++) {
        b.time[i] = i * 60_000;
        b.close[i] = 100 * step ** i;
        b.open[i] = b.low[i] = b.high[i] = b.close[i];
        b.volume[i] = 10;
      }
      const m = computeFeatures(b);
      expect(row(m, 99)[5]).toBeCloseTo(expected, 6);
      // Constant volume: z-score 0, not NaN.
      expect(row(m, 99)[6]).toBe(0);
    }
  });

  it('gives zeros, not NaN, on a perfectly flat series', () => {
    const b = allocateBars(80);
    for (let i = 0; i < 80; i++) {
      b.time[i] = i * 60_000;
      b.open[i] = b.high[i] = b.low[i] = b.close[i] = 50;
      b.volume[i] = 1;
    }
    const m = computeFeatures(b);
    expect(Array.from(m.data).every((v) => v === 0)).toBe(true);
  });

  it('handles series shorter than the warm-up', () => {
    const short = generateSynthetic({ model: 'gbm', bars: 10, seed: 1 });
    const m = computeFeatures(short);
    expect(m.warmup).toBe(10);
    expect(Array.from(m.data).every((v) => v === 0)).toBe(true);
  });

  it('rejects bad specs naming the field', () => {
    expect(() => computeFeatures(bars, { volatilityBars: 1 })).toThrow(/volatilityBars/);
    expect(() => computeFeatures(bars, { fastMaBars: 50, slowMaBars: 20 })).toThrow(/fastMaBars must be < slowMaBars/);
    expect(() => computeFeatures(bars, { clip: 0 })).toThrow(/clip: must be a finite number > 0/);
  });
});
