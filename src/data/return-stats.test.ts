import { describe, expect, it } from 'vitest';
import { barsFromRecords } from '../core/index.js';
import { returnStats } from './return-stats.js';

const DAY = 86_400_000;

function daily(closes: number[], t0 = Date.UTC(2024, 0, 1)) {
  return barsFromRecords(closes.map((c, i) => ({ time: t0 + i * DAY, open: c, high: c, low: c, close: c, volume: 1 })));
}

describe('returnStats', () => {
  it('mean and sample sd of log returns, annualised on the 24/7 calendar, and the largest absolute move', () => {
    const closes = [100, 110, 99, 108.9, 108.9];
    const r = [Math.log(1.1), Math.log(0.9), Math.log(1.1), 0];
    const mean = r.reduce((a, b) => a + b, 0) / 4;
    const sd = Math.sqrt(r.reduce((a, b) => a + (b - mean) ** 2, 0) / 3);
    const s = returnStats(daily(closes));
    expect(s.returns).toBe(4);
    expect(s.meanLogReturn).toBeCloseTo(mean, 12);
    expect(s.sdLogReturn).toBeCloseTo(sd, 12);
    expect(s.periodsPerYear).toBe(365.25);
    expect(s.annualisedVolatility).toBeCloseTo(sd * Math.sqrt(365.25), 12);
    // |log 0.9| > |log 1.1|: the fall is the largest move, at the bar where it closed.
    expect(s.largestMove).toEqual({ logReturn: Math.log(0.9), timeMs: Date.UTC(2024, 0, 3) });
  });

  it('weekday-only data annualises on 252 sessions; an override wins', () => {
    const records = [];
    for (let d = 0, t = Date.UTC(2024, 0, 1); records.length < 40; d++, t += DAY) {
      const wd = new Date(t).getUTCDay();
      if (wd !== 0 && wd !== 6) records.push({ time: t, open: 1, high: 1, low: 1, close: 100 + (d % 3), volume: 1 });
    }
    const bars = barsFromRecords(records);
    expect(returnStats(bars).periodsPerYear).toBe(252);
    expect(returnStats(bars, 12).periodsPerYear).toBe(12);
  });

  it('one bar: no returns, zero spread, no largest move (never NaN)', () => {
    const s = returnStats(daily([100]));
    expect(s).toMatchObject({ returns: 0, meanLogReturn: 0, sdLogReturn: 0, annualisedVolatility: 0, largestMove: null });
  });
});
