import { describe, expect, it } from 'vitest';
import { barsFromRecords, copyBars, sliceBars } from './bars.js';

const bars = barsFromRecords([
  { time: 0, open: 10, high: 11, low: 9, close: 10.5, volume: 5 },
  { time: 60_000, open: 10.5, high: 12, low: 10, close: 11, volume: 7 },
]);

describe('copyBars', () => {
  it('copies every column into new buffers that later writes to the original do not reach', () => {
    const copy = copyBars(bars);
    expect(copy.length).toBe(2);
    for (const key of ['time', 'open', 'high', 'low', 'close', 'volume'] as const) {
      expect(Array.from(copy[key])).toEqual(Array.from(bars[key]));
      expect(copy[key].buffer).not.toBe(bars[key].buffer);
    }
    const source = copyBars(bars);
    const fromSource = copyBars(source);
    source.close[1] = 99;
    expect(fromSource.close[1]).toBe(11);
  });

  it('copies only the viewed range of a slice', () => {
    const copy = copyBars(sliceBars(bars, 1));
    expect(copy.length).toBe(1);
    expect(Array.from(copy.open)).toEqual([10.5]);
    expect(copy.open.buffer.byteLength).toBe(8);
  });
});
