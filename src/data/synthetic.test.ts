import { describe, expect, it } from 'vitest';
import { type Bars, ValidationError } from '../core/index.js';
import { generateSynthetic, generateSyntheticMarket, regimeTransitionMatrix } from './synthetic.js';
import { parseSynthSpec, resolveSynthSpec, type SyntheticModel } from './synthetic-spec.js';

const MODELS: SyntheticModel[] = ['gbm', 'regime', 'jump'];

function expectValidOhlcv(bars: Bars): void {
  for (let i = 0; i < bars.length; i++) {
    const { open, high, low, close, volume, time } = bars;
    if (!(high[i] >= Math.max(open[i], close[i]))) throw new Error(`bar ${i}: high ${high[i]} below body`);
    if (!(low[i] <= Math.min(open[i], close[i]))) throw new Error(`bar ${i}: low ${low[i]} above body`);
    if (!(low[i] > 0)) throw new Error(`bar ${i}: low ${low[i]} not positive`);
    if (!(volume[i] > 0) || !Number.isFinite(volume[i])) throw new Error(`bar ${i}: volume ${volume[i]}`);
    if (i > 0 && open[i] !== close[i - 1]) throw new Error(`bar ${i}: open does not continue the previous close`);
    if (i > 0 && !(time[i] > time[i - 1])) throw new Error(`bar ${i}: time not increasing`);
  }
}

function logReturns(bars: Bars): Float64Array {
  const r = new Float64Array(bars.length);
  for (let i = 0; i < bars.length; i++) r[i] = Math.log(bars.close[i] / bars.open[i]);
  return r;
}

function std(xs: Float64Array): number {
  let s = 0;
  let s2 = 0;
  for (const x of xs) {
    s += x;
    s2 += x * x;
  }
  const m = s / xs.length;
  return Math.sqrt(s2 / xs.length - m * m);
}

describe('generateSynthetic', () => {
  it.each(MODELS)('%s: same seed gives identical bars, another seed different bars', (model) => {
    const a = generateSynthetic({ model, bars: 2000, seed: 11 });
    const b = generateSynthetic({ model, bars: 2000, seed: 11 });
    const c = generateSynthetic({ model, bars: 2000, seed: 12 });
    expect(Array.from(a.close)).toEqual(Array.from(b.close));
    expect(Array.from(a.high)).toEqual(Array.from(b.high));
    expect(Array.from(a.volume)).toEqual(Array.from(b.volume));
    expect(Array.from(a.close)).not.toEqual(Array.from(c.close));
  });

  it.each(MODELS)('%s: every bar is valid OHLCV with an intrabar range around the body', (model) => {
    const bars = generateSynthetic({ model, bars: 20_000, seed: 3 });
    expectValidOhlcv(bars);
    let strictlyOutside = 0;
    for (let i = 0; i < bars.length; i++) {
      if (bars.high[i] > Math.max(bars.open[i], bars.close[i]) && bars.low[i] < Math.min(bars.open[i], bars.close[i])) {
        strictlyOutside++;
      }
    }
    // Wicks on both sides are the rule for a Brownian path, not the exception.
    expect(strictlyOutside / bars.length).toBeGreaterThan(0.9);
  });

  it('starts at the given price and time and steps by the interval', () => {
    const bars = generateSynthetic({ model: 'gbm', bars: 3, seed: 1, startPrice: 250, startTimeMs: 1_000, intervalMs: 60_000 });
    expect(bars.open[0]).toBe(250);
    expect(Array.from(bars.time)).toEqual([1_000, 61_000, 121_000]);
  });

  it('defaults to hourly bars from 2020-01-01T00:00Z at price 100', () => {
    const bars = generateSynthetic({ model: 'gbm', bars: 2, seed: 1 });
    expect(bars.time[0]).toBe(Date.UTC(2020, 0, 1));
    expect(bars.time[1] - bars.time[0]).toBe(3_600_000);
    expect(bars.open[0]).toBe(100);
  });

  it('gbm: realised volatility matches the annualised volatility scaled to the bar', () => {
    const bars = generateSynthetic({ model: 'gbm', bars: 50_000, seed: 5, volatility: 0.8, intervalMs: 86_400_000 });
    const realised = std(logReturns(bars)) * Math.sqrt(365.25);
    expect(realised).toBeGreaterThan(0.78);
    expect(realised).toBeLessThan(0.82);
  });

  it('gbm: zero volatility gives a deterministic exponential path', () => {
    const bars = generateSynthetic({ model: 'gbm', bars: 366, seed: 5, volatility: 0, drift: 0.1, intervalMs: 86_400_000 });
    const years = (365 * 86_400_000) / (365.25 * 86_400_000);
    expect(bars.close[364]).toBeCloseTo(100 * Math.exp(0.1 * years), 6);
  });

  it('regime: labels visit bull, bear and crash, and crash bars are more volatile than bull bars', () => {
    const market = generateSyntheticMarket({ model: 'regime', bars: 200_000, seed: 9 });
    expect(market.labelNames).toEqual(['bull', 'bear', 'crash']);
    const r = logReturns(market.bars);
    const byRegime = [0, 1, 2].map((k) => Float64Array.from(r.filter((_, i) => market.labels[i] === k)));
    for (const rs of byRegime) expect(rs.length).toBeGreaterThan(100);
    expect(std(byRegime[2])).toBeGreaterThan(2 * std(byRegime[0]));
    // Crashes are short: mean stay of 48 bars by default.
    let runs = 0;
    for (let i = 1; i < market.labels.length; i++) if (market.labels[i] === 2 && market.labels[i - 1] !== 2) runs++;
    expect(byRegime[2].length / runs).toBeGreaterThan(30);
    expect(byRegime[2].length / runs).toBeLessThan(70);
  });

  it('regime: an explicit transition matrix that never leaves bull keeps every label bull', () => {
    const market = generateSyntheticMarket({
      model: 'regime',
      bars: 5000,
      seed: 1,
      transitions: [
        [1, 0, 0],
        [0, 1, 0],
        [0, 0, 1],
      ],
    });
    expect(market.labels.every((l) => l === 0)).toBe(true);
  });

  it('regime: the derived transition matrix has rows summing to 1 and stays set by the mean durations', () => {
    const spec = resolveSynthSpec({ model: 'regime', bars: 10, seed: 1, bullMeanBars: 100 });
    if (spec.model !== 'regime') throw new Error('expected a regime spec');
    const m = regimeTransitionMatrix(spec);
    for (const row of m) expect(row.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 12);
    expect(m[0][0]).toBeCloseTo(0.99, 12);
  });

  it('jump: jump bars carry the fat tail and are labelled', () => {
    const market = generateSyntheticMarket({
      model: 'jump', bars: 100_000, seed: 4, jumpsPerYear: 50, jumpMean: -0.1, jumpStd: 0.02,
    });
    const r = logReturns(market.bars);
    const jumpIdx = [...market.labels.keys()].filter((i) => market.labels[i] === 1);
    // 50 jumps/yr over 100k hourly bars (11.4 yr): about 570.
    expect(jumpIdx.length).toBeGreaterThan(450);
    expect(jumpIdx.length).toBeLessThan(700);
    const meanJumpBar = jumpIdx.reduce((a, i) => a + r[i], 0) / jumpIdx.length;
    expect(meanJumpBar).toBeLessThan(-0.08);
  });

  it('jump: zero intensity draws no jumps', () => {
    const market = generateSyntheticMarket({ model: 'jump', bars: 10_000, seed: 4, jumpsPerYear: 0 });
    expect(market.labels.every((l) => l === 0)).toBe(true);
  });

  it('rejects bad specs naming each field', () => {
    expect(() => generateSynthetic({ model: 'gbm', bars: 0, seed: 1 })).toThrow(/bars/);
    expect(() => generateSynthetic({ model: 'gbm', bars: 10, seed: 1.5 })).toThrow(/seed: must be a whole number/);
    expect(() => generateSynthetic({ model: 'gbm', bars: 10, seed: 1, startPrice: -1 })).toThrow(/startPrice: must be > 0/);
    expect(() => generateSynthetic({ model: 'gbm', bars: 10, seed: 1, volatility: Number.NaN })).toThrow(/volatility/);
    expect(() =>
      generateSynthetic({ model: 'regime', bars: 10, seed: 1, transitions: [[0.5, 0.4, 0], [0, 1, 0], [0, 0, 1]] }),
    ).toThrow(/transitions\[0\]: each row must sum to 1/);
  });
});

describe('parseSynthSpec', () => {
  it('parses a bare model name with default bars and seed', () => {
    const spec = parseSynthSpec('regime');
    expect(spec).toMatchObject({ model: 'regime', bars: 10_000, seed: 1 });
  });

  it('parses key=value parameters', () => {
    expect(parseSynthSpec('regime:bars=5000,seed=3,drift=0.1')).toMatchObject({ model: 'regime', bars: 5000, seed: 3, drift: 0.1 });
    expect(parseSynthSpec(' JUMP : jumpsPerYear=4, jumpMean=-0.2 ')).toMatchObject({ model: 'jump', jumpsPerYear: 4, jumpMean: -0.2 });
    expect(parseSynthSpec('gbm:bars=1_000_000')).toMatchObject({ bars: 1_000_000 });
    expect(parseSynthSpec('gbm:startTimeMs=2024-01-01')).toMatchObject({ startTimeMs: Date.UTC(2024, 0, 1) });
  });

  it('generates the same market as the equivalent object spec', () => {
    const a = generateSynthetic(parseSynthSpec('gbm:bars=100,seed=5,volatility=0.3'));
    const b = generateSynthetic({ model: 'gbm', bars: 100, seed: 5, volatility: 0.3 });
    expect(Array.from(a.close)).toEqual(Array.from(b.close));
  });

  it('rejects an unknown model, listing the models', () => {
    expect(() => parseSynthSpec('brownian')).toThrow(/model: unknown model 'brownian'; choose one of gbm, regime, jump/);
  });

  it('rejects unknown, repeated, malformed and non-numeric parameters, naming each', () => {
    expect(() => parseSynthSpec('gbm:jumpsPerYear=3')).toThrow(/jumpsPerYear: unknown parameter for model 'gbm'; accepted: /);
    expect(() => parseSynthSpec('gbm:seed=1,seed=2')).toThrow(/seed: given more than once/);
    expect(() => parseSynthSpec('gbm:bars')).toThrow(/bars: expected key=value/);
    expect(() => parseSynthSpec('gbm:drift=fast')).toThrow(/drift: expected a number, got 'fast'/);
    expect(() => parseSynthSpec('gbm:bars=-5')).toThrow(ValidationError);
  });
});
