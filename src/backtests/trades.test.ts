import { describe, expect, it } from 'vitest';
import { FillLog, TradeBook } from './trades.js';

describe('TradeBook', () => {
  it('groups adds and trims into one trade and splits a flipping fill, by hand', () => {
    const book = new TradeBook();
    book.onFill(1, 1000, 10, 100, 1); // open long 10 @ 100
    book.onFill(2, 2000, 10, 110, 1); // add 10 @ 110 → entry 2100 / 20 = 105
    book.onFill(3, 3000, -5, 120, 0.5); // trim 5 @ 120
    book.onFill(4, 4000, -25, 90, 2); // close 15 @ 90 (fee 2·15/25 = 1.2), open short 10 @ 90 (fee 0.8)
    const trades = book.finish(5, 5000, 80);
    expect(trades).toHaveLength(2);
    const [long, short] = trades;
    expect(long.side).toBe('LONG');
    expect(long.entryPrice).toBeCloseTo(105, 12);
    expect(long.exitPrice).toBeCloseTo((5 * 120 + 15 * 90) / 20, 12); // 97.5
    expect(long.fees).toBeCloseTo(3.7, 12);
    expect(long.pnl).toBeCloseTo(1950 - 2100 - 3.7, 9);
    expect(long.maxQty).toBe(20);
    expect(long.barsHeld).toBe(3);
    expect(long.open).toBe(false);
    expect(short.side).toBe('SHORT');
    expect(short.entryPrice).toBe(90);
    expect(short.open).toBe(true);
    expect(short.exitPrice).toBe(80);
    expect(short.pnl).toBeCloseTo(900 - 800 - 0.8, 9);
    expect(short.returnPct).toBeCloseTo(99.2 / 900, 12);
  });

  it('closes a trade exactly at flat despite floating-point dust', () => {
    const book = new TradeBook();
    book.onFill(0, 0, 0.3, 10, 0);
    book.onFill(1, 0, -0.1, 10, 0);
    book.onFill(2, 0, -0.2, 10, 0);
    expect(book.positionQty).toBe(0);
    expect(book.finish(3, 0, 10)).toHaveLength(1);
  });
});

describe('FillLog', () => {
  it('grows past its initial capacity and sums traded notional', () => {
    const log = new FillLog();
    for (let i = 0; i < 100; i++) log.push(i, i % 2 === 0 ? 1 : -1, 10, 0);
    expect(log.length).toBe(100);
    expect(log.bar[99]).toBe(99);
    expect(log.tradedNotional()).toBe(1000);
  });
});
