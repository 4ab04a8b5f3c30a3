import { describe, expect, it } from 'vitest';
import { Ledger } from './ledger.js';
import { positionValue, unrealisedPnl } from './position.js';

const DAY_MS = 86_400_000;

describe('Ledger', () => {
  it('buying moves cash into a position and charges the fee', () => {
    const l = new Ledger(10_000);
    l.reset(0, 100);
    l.applyFill(10, 100, 1); // 10 units at 100, fee 1
    expect(l.cash).toBe(10_000 - 1_000 - 1);
    expect(l.positionQty).toBe(10);
    expect(l.avgEntryPrice).toBe(100);
    expect(l.feesPaid).toBe(1);
    l.mark(110, 1000);
    expect(l.unrealisedPnl).toBe(100);
    expect(l.equity).toBe(8_999 + 1_100);
  });

  it('adding to a position averages the entry price', () => {
    const l = new Ledger(10_000);
    l.reset();
    l.applyFill(10, 100, 0);
    l.applyFill(30, 120, 0);
    expect(l.avgEntryPrice).toBeCloseTo((10 * 100 + 30 * 120) / 40, 12);
  });

  it('reducing a position realises PnL against the average entry and keeps the entry', () => {
    const l = new Ledger(10_000);
    l.reset();
    l.applyFill(10, 100, 0);
    l.applyFill(-4, 125, 0.5);
    expect(l.realisedPnl).toBeCloseTo(4 * 25 - 0.5, 12);
    expect(l.positionQty).toBe(6);
    expect(l.avgEntryPrice).toBe(100);
  });

  it('a sell larger than the long flips to a short opened at the fill price', () => {
    const l = new Ledger(10_000);
    l.reset();
    l.applyFill(10, 100, 0);
    l.applyFill(-15, 90, 0);
    expect(l.realisedPnl).toBeCloseTo(-100, 12);
    expect(l.positionQty).toBe(-5);
    expect(l.avgEntryPrice).toBe(90);
    l.mark(80, 0);
    expect(l.unrealisedPnl).toBeCloseTo(50, 12);
    expect(l.equity).toBeCloseTo(10_000 - 100 + 50, 9);
  });

  it('closing exactly leaves a flat position with zero entry price', () => {
    const l = new Ledger(1_000);
    l.reset();
    l.applyFill(0.3, 10, 0);
    l.applyFill(-0.1, 10, 0);
    l.applyFill(-0.2, 10, 0);
    expect(l.positionQty).toBe(0);
    expect(l.avgEntryPrice).toBe(0);
  });

  it('tracks peak equity and drawdown as a fraction of the peak', () => {
    const l = new Ledger(1_000);
    l.reset(0, 100);
    l.applyFill(10, 100, 0);
    l.mark(120, 1);
    expect(l.peakEquity).toBe(1_200);
    l.mark(90, 2);
    expect(l.drawdown).toBeCloseTo((1_200 - 900) / 1_200, 12);
    l.resetPeak();
    expect(l.drawdown).toBe(0);
  });

  it('measures day PnL from the equity at the start of the UTC day', () => {
    const l = new Ledger(1_000);
    l.reset(DAY_MS - 3_600_000, 100);
    l.applyFill(10, 100, 0);
    l.mark(95, DAY_MS - 1); // still day 0
    expect(l.dayPnl).toBeCloseTo(-50, 12);
    l.mark(96, DAY_MS); // first mark of day 1: the day starts from the equity carried over
    expect(l.dayStartEquity).toBeCloseTo(950, 12);
    expect(l.dayPnl).toBeCloseTo(10, 12);
  });

  it('reports its open position as a plain Position record', () => {
    const l = new Ledger(10_000);
    l.reset(0, 100);
    l.applyFill(-2, 150, 0);
    const pos = l.position('BTC/USD');
    expect(pos).toEqual({ symbol: 'BTC/USD', quantity: -2, avgEntryPrice: 150 });
    expect(positionValue(pos, 140)).toBe(-280);
    expect(unrealisedPnl(pos, 140)).toBe(20);
  });

  it('rejects a non-positive initial cash', () => {
    expect(() => new Ledger(0)).toThrow(/initialCash: must be a finite number > 0, got 0/);
  });
});
