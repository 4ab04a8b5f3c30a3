import { describe, expect, it } from 'vitest';
import { stitchEquity, walkForwardWindows } from './walk-forward-windows.js';

describe('walkForwardWindows', () => {
  it('slides rolling windows by the test length and drops a partial last test', () => {
    const w = walkForwardWindows({ totalBars: 100, trainBars: 40, testBars: 20, mode: 'rolling' });
    expect(w.map((x) => [x.trainStart, x.trainEnd, x.testStart, x.testEnd])).toEqual([
      [0, 40, 40, 60],
      [20, 60, 60, 80],
      [40, 80, 80, 100],
    ]);
  });

  it('keeps expanding windows anchored at bar 0', () => {
    const w = walkForwardWindows({ totalBars: 95, trainBars: 40, testBars: 20, mode: 'expanding' });
    expect(w.map((x) => [x.trainStart, x.trainEnd, x.testEnd])).toEqual([
      [0, 40, 60],
      [0, 60, 80],
    ]);
  });

  it('rejects windows longer than the data, naming the fields', () => {
    expect(() => walkForwardWindows({ totalBars: 50, trainBars: 40, testBars: 20, mode: 'rolling' })).toThrow(
      /trainBars \+ testBars: 60 exceeds the 50 bars of data/,
    );
    expect(() => walkForwardWindows({ totalBars: 50, trainBars: 1, testBars: 20, mode: 'rolling' })).toThrow(/trainBars: must be/);
  });
});

describe('stitchEquity', () => {
  it('chains the segments by their returns', () => {
    // +10 % then −50 % then +100 %: 100 → 110 → 55 → 110.
    const out = stitchEquity([Float64Array.of(50, 55), Float64Array.of(1000, 500, 1000)], 100);
    expect(Array.from(out)).toEqual([100, 110, 55, 110]);
  });
});
