import { describe, expect, it } from 'vitest';
import { Rng } from './rng.js';

describe('Rng', () => {
  it('gives the same sequence for the same seed and a different one for another seed', () => {
    const a = new Rng(42);
    const b = new Rng(42);
    const c = new Rng(43);
    const seqA = Array.from({ length: 8 }, () => a.nextUint32());
    const seqB = Array.from({ length: 8 }, () => b.nextUint32());
    const seqC = Array.from({ length: 8 }, () => c.nextUint32());
    expect(seqA).toEqual(seqB);
    expect(seqA).not.toEqual(seqC);
  });

  it('resumes bit-for-bit from a saved state, including a cached normal deviate', () => {
    const a = new Rng(7);
    a.normal(); // leaves a spare normal cached
    const state = a.getState();
    const expected = [a.normal(), a.next(), a.nextInt(10)];
    const b = new Rng(999);
    b.setState(state);
    expect([b.normal(), b.next(), b.nextInt(10)]).toEqual(expected);
  });

  it('draws uniforms in [0, 1) with a mean near one half', () => {
    const r = new Rng(1);
    let sum = 0;
    let min = 1;
    let max = 0;
    const n = 100_000;
    for (let i = 0; i < n; i++) {
      const u = r.next();
      sum += u;
      min = Math.min(min, u);
      max = Math.max(max, u);
    }
    expect(min).toBeGreaterThanOrEqual(0);
    expect(max).toBeLessThan(1);
    expect(Math.abs(sum / n - 0.5)).toBeLessThan(0.01);
  });

  it('draws normals with mean 0 and variance 1', () => {
    const r = new Rng(3);
    const n = 100_000;
    let s = 0;
    let s2 = 0;
    for (let i = 0; i < n; i++) {
      const x = r.normal();
      s += x;
      s2 += x * x;
    }
    expect(Math.abs(s / n)).toBeLessThan(0.02);
    expect(Math.abs(s2 / n - 1)).toBeLessThan(0.03);
  });

  it('rejects a non-finite seed and a bad range', () => {
    expect(() => new Rng(Number.NaN)).toThrow(/seed: must be a finite number/);
    expect(() => new Rng(1).nextInt(0)).toThrow(/n: must be a positive integer, got 0/);
  });
});
