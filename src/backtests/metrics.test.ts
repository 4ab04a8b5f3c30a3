import { describe, expect, it } from 'vitest';
import { cvar, drawdownSeries, performanceMetrics, returnMetrics } from './metrics.js';
import type { Trade } from './trades.js';

/*
 * Hand computation for equity [100, 110, 99, 99, 118.8] at 4 bars per year:
 *   returns r = [0.1, −0.1, 0, 0.2], mean 0.05
 *   sample variance = (0.05² + 0.15² + 0.05² + 0.15²) / 3 = 0.05 / 3, std = 0.1290994
 *   volatility = std·√4 = 0.2581989;  sharpe = 0.05 / std · 2 = 0.7745967
 *   downside deviation = √((−0.1)² / 4) = 0.05;  sortino = 0.05·2 / 0.05 = 2
 *   total return = 118.8 / 100 − 1 = 0.188; 4 returns = 1 year, so cagr = 0.188
 *   max drawdown = (110 − 99) / 110 = 0.1, under water for bars 2 and 3 = 2 bars; calmar = 0.188 / 0.1
 *   cvar_95: worst ⌈0.05·4⌉ = 1 return, −0.1, reported as the loss 0.1
 */
const EQUITY = [100, 110, 99, 99, 118.8];

describe('returnMetrics', () => {
  it('matches the hand computation on a five-bar series', () => {
    const m = returnMetrics(EQUITY, 4);
    expect(m.total_return).toBeCloseTo(0.188, 12);
    expect(m.cagr).toBeCloseTo(0.188, 12);
    expect(m.volatility).toBeCloseTo(Math.sqrt(0.05 / 3) * 2, 12);
    expect(m.sharpe).toBeCloseTo((0.05 / Math.sqrt(0.05 / 3)) * 2, 12);
    expect(m.sortino).toBeCloseTo(2, 12);
    expect(m.max_drawdown).toBeCloseTo(0.1, 12);
    expect(m.max_drawdown_duration_bars).toBe(2);
    expect(m.calmar).toBeCloseTo(1.88, 12);
    expect(m.cvar_95).toBeCloseTo(0.1, 12);
  });

  it('cagr_compounds_over_the_elapsed_years_when_given_not_the_bar_count', () => {
    // The same five bars spread over two calendar years (a series with gaps): 18.8 % in two years.
    const m = returnMetrics(EQUITY, 4, 2);
    expect(m.cagr).toBeCloseTo(Math.sqrt(1.188) - 1, 12);
    expect(m.sharpe).toBeCloseTo((0.05 / Math.sqrt(0.05 / 3)) * 2, 12); // per-bar figures do not change
    expect(() => returnMetrics(EQUITY, 4, -1)).toThrow('elapsedYears: must be >= 0, got -1');
  });

  it('reports null, not Infinity, for ratios with a zero denominator', () => {
    const m = returnMetrics([100, 100, 100], 252);
    expect(m.sharpe).toBeNull();
    expect(m.sortino).toBeNull();
    expect(m.calmar).toBeNull();
    expect(m.total_return).toBe(0);
  });

  it('counts a drawdown that never recovers up to the last bar', () => {
    const m = returnMetrics([100, 90, 95, 80], 252);
    expect(m.max_drawdown).toBeCloseTo(0.2, 12);
    expect(m.max_drawdown_duration_bars).toBe(3);
  });

  it('rejects an empty series and a non-positive annualisation factor', () => {
    expect(() => returnMetrics([], 252)).toThrow(/equity: must have at least one value/);
    expect(() => returnMetrics([1, 2], 0)).toThrow(/barsPerYear: must be > 0, got 0/);
  });
});

describe('cvar and drawdownSeries', () => {
  it('averages the worst 5 % of returns: 2 of 40', () => {
    const r = new Float64Array(40).fill(0.01);
    r[3] = -0.05;
    r[17] = -0.03;
    expect(cvar(r, 0.95)).toBeCloseTo(0.04, 12);
  });

  it('gives the drawdown from the running peak at each bar', () => {
    const d = (110 - 99) / 110;
    expect(Array.from(drawdownSeries(EQUITY))).toEqual([0, 0, d, d, 0]);
  });
});

describe('performanceMetrics', () => {
  const trade = (pnl: number): Trade => ({
    id: 1, side: 'LONG', entryBar: 0, entryTimeMs: 0, entryPrice: 1, exitBar: 1, exitTimeMs: 0, exitPrice: 1,
    maxQty: 1, pnl, returnPct: 0, fees: 0, barsHeld: 1, open: false,
  });

  it('computes win rate, profit factor, exposure and turnover by hand', () => {
    // wins 10 and 20, loss 5: win rate 2/3, profit factor 30 / 5 = 6.
    // positions non-zero on 2 of 5 bars: exposure 0.4. Mean equity 105.36; notional 210.72 → turnover 2.
    const m = performanceMetrics(
      {
        equity: EQUITY,
        positionQty: [0, 1, 1, 0, 0],
        trades: [trade(10), trade(-5), trade(20)],
        tradedNotional: 210.72,
        feesPaid: 1.5,
      },
      4,
    );
    expect(m.win_rate).toBeCloseTo(2 / 3, 12);
    expect(m.profit_factor).toBeCloseTo(6, 12);
    expect(m.n_trades).toBe(3);
    expect(m.exposure).toBeCloseTo(0.4, 12);
    expect(m.turnover).toBeCloseTo(2, 12);
    expect(m.fees_paid).toBe(1.5);
    expect(m.final_equity).toBe(118.8);
  });

  it('has no win rate without trades and no profit factor without a losing trade', () => {
    const m = performanceMetrics({ equity: [1, 1], positionQty: [0, 0], trades: [], tradedNotional: 0, feesPaid: 0 }, 252);
    expect(m.win_rate).toBeNull();
    expect(m.profit_factor).toBeNull();
  });
});
