import { describe, expect, it } from 'vitest';
import { defineInstrument } from '../core/index.js';
import {
  FillResult,
  FillStatus,
  MAKER,
  TAKER,
  fillLimitOrderInto,
  fillMarketOrderInto,
  slippageBoundFraction,
  worstCaseFillPrice,
} from './fill-model.js';
import { compileSimFill, parseSimFillConfig } from './sim-config.js';

// Half spread 5 bps + slippage 5 bps = 10 bps before impact; impact 20 bps × √p (or × p); taker 10 bps, maker 2 bps.
const instrument = defineInstrument({ symbol: 'BTC/USD', tickSize: 0.01, lotSize: 0.001, minNotional: 10 });
const base = { spreadBps: 10, slippageBps: 5, impactBps: 20, makerFeeBps: 2, takerFeeBps: 10, maxParticipation: 0.1 };
const sqrtConfig = parseSimFillConfig({ ...base, impactModel: 'sqrt' });
const linearConfig = parseSimFillConfig({ ...base, impactModel: 'linear' });
const sqrtSim = compileSimFill(sqrtConfig, instrument);
const linearSim = compileSimFill(linearConfig, instrument);

describe('fillMarketOrderInto', () => {
  it('buys at the open plus half spread, slippage and square-root impact, rounded up to the tick', () => {
    const out = fillMarketOrderInto(new FillResult(), 50, 100, 1000, sqrtSim);
    // p = 50/1000 = 0.05; impact = 20 × √0.05 = 4.4721 bps; total 14.4721 bps → 100.144721 → ceil tick 100.15
    expect(out.status).toBe(FillStatus.FILLED);
    expect(out.signedQty).toBe(50);
    expect(out.price).toBe(100.15);
    expect(out.notional).toBeCloseTo(50 * 100.15, 9);
    expect(out.fee).toBeCloseTo(5007.5 * 0.001, 9); // taker 10 bps of 5,007.50
    expect(out.liquidity).toBe(TAKER);
    expect(out.participation).toBeCloseTo(0.05, 12);
  });

  it('uses linear impact when configured', () => {
    const out = fillMarketOrderInto(new FillResult(), 50, 100, 1000, linearSim);
    // impact = 20 × 0.05 = 1 bp; total 11 bps → 100.11 exactly
    expect(out.price).toBe(100.11);
  });

  it('sells at the open minus the same costs, rounded down to the tick', () => {
    const out = fillMarketOrderInto(new FillResult(), -50, 100, 1000, sqrtSim);
    // 100 × (1 − 0.00144721) = 99.855279 → floor tick 99.85
    expect(out.signedQty).toBe(-50);
    expect(out.price).toBe(99.85);
    expect(out.fee).toBeCloseTo(50 * 99.85 * 0.001, 9);
  });

  it('caps the fill at the participation limit and reports the remainder', () => {
    const out = fillMarketOrderInto(new FillResult(), 150, 100, 1000, sqrtSim);
    // cap = 0.1 × 1000 = 100; p = 0.1; impact = 20 × √0.1 = 6.3246 bps; total 16.3246 bps → 100.163246 → 100.17
    expect(out.status).toBe(FillStatus.PARTIAL);
    expect(out.signedQty).toBe(100);
    expect(out.remainingQty).toBe(50);
    expect(out.requestedQty).toBe(150);
    expect(out.price).toBe(100.17);
  });

  it('floors the quantity to the lot', () => {
    const out = fillMarketOrderInto(new FillResult(), 2.0009, 100, 1000, sqrtSim);
    expect(out.signedQty).toBe(2);
    expect(out.status).toBe(FillStatus.FILLED);
  });

  it('keeps lot-exact quantities exact (0.3 with a 0.1 lot is not floored to 0.2)', () => {
    const inst = defineInstrument({ symbol: 'X/USD', lotSize: 0.1 });
    const out = fillMarketOrderInto(new FillResult(), 0.1 + 0.2, 100, 1000, compileSimFill(sqrtConfig, inst));
    expect(out.signedQty).toBe(0.3);
    expect(out.status).toBe(FillStatus.FILLED);
  });

  it('rejects a fill under the minimum notional after rounding instead of filling it', () => {
    const out = fillMarketOrderInto(new FillResult(), 0.0999, 100, 1000, sqrtSim);
    // 0.0999 → 0.099 lots at ≈ 100.11 → notional ≈ 9.91 < 10
    expect(out.status).toBe(FillStatus.BELOW_MIN_NOTIONAL);
    expect(out.signedQty).toBe(0);
    expect(out.fee).toBe(0);
    expect(out.notional).toBeLessThan(10);
    expect(out.describe(10)).toMatch(/^BELOW_MIN_NOTIONAL: notional=9\.9\d+, min=10$/);
  });

  it('rejects a quantity under one lot', () => {
    const out = fillMarketOrderInto(new FillResult(), 0.0004, 100, 1000, sqrtSim);
    expect(out.status).toBe(FillStatus.QTY_BELOW_LOT);
    expect(out.signedQty).toBe(0);
  });

  it('fills nothing on a bar without volume', () => {
    const out = fillMarketOrderInto(new FillResult(), 1, 100, 0, sqrtSim);
    expect(out.status).toBe(FillStatus.NO_VOLUME);
    expect(out.remainingQty).toBe(1);
  });

  it('does nothing for a zero quantity', () => {
    const out = fillMarketOrderInto(new FillResult(), 0, 100, 1000, sqrtSim);
    expect(out.status).toBe(FillStatus.NONE);
  });
});

describe('fillLimitOrderInto', () => {
  it('fills a buy at the limit price with the maker fee when the bar trades through it', () => {
    const out = fillLimitOrderInto(new FillResult(), 2, 99.5, 100, 101, 99.4, 1000, sqrtSim);
    expect(out.status).toBe(FillStatus.FILLED);
    expect(out.price).toBe(99.5);
    expect(out.liquidity).toBe(MAKER);
    expect(out.fee).toBeCloseTo(2 * 99.5 * 0.0002, 12); // maker 2 bps
  });

  it('does not fill a buy when the low only touches the limit', () => {
    const out = fillLimitOrderInto(new FillResult(), 2, 99.5, 100, 101, 99.5, 1000, sqrtSim);
    expect(out.status).toBe(FillStatus.LIMIT_NOT_REACHED);
    expect(out.signedQty).toBe(0);
    expect(out.remainingQty).toBe(2);
  });

  it('fills a sell at the limit when the high trades through it', () => {
    const out = fillLimitOrderInto(new FillResult(), -2, 100.5, 100, 100.6, 99, 1000, sqrtSim);
    expect(out.signedQty).toBe(-2);
    expect(out.price).toBe(100.5);
    expect(out.liquidity).toBe(MAKER);
  });

  it('fills a buy at the ask of the open when the bar gaps below the limit (taker)', () => {
    const out = fillLimitOrderInto(new FillResult(), 2, 101, 100, 100.5, 99.9, 1000, sqrtSim);
    // open 100 + half spread 5 bps = 100.05 < limit 101
    expect(out.price).toBe(100.05);
    expect(out.liquidity).toBe(TAKER);
    expect(out.fee).toBeCloseTo(2 * 100.05 * 0.001, 12);
  });

  it('never pays more than the limit when the open is inside the half spread', () => {
    const out = fillLimitOrderInto(new FillResult(), 2, 100.03, 100, 100.5, 99.9, 1000, sqrtSim);
    expect(out.price).toBe(100.03);
  });

  it('applies the participation cap to limit orders too', () => {
    const out = fillLimitOrderInto(new FillResult(), 30, 99.5, 100, 101, 99, 200, sqrtSim);
    expect(out.status).toBe(FillStatus.PARTIAL);
    expect(out.signedQty).toBe(20); // 0.1 × 200
    expect(out.remainingQty).toBe(10);
  });
});

describe('worstCaseFillPrice', () => {
  it('adds half spread, slippage and the impact bound against the side', () => {
    // 10 bps + 20 × √0.05 bps = 14.4721 bps
    expect(worstCaseFillPrice('BUY', 100, 50, 1000, sqrtConfig)).toBeCloseTo(100 * (1 + 0.001 + 0.002 * Math.sqrt(0.05)), 10);
    expect(worstCaseFillPrice('SELL', 100, 50, 1000, sqrtConfig)).toBeCloseTo(100 * (1 - 0.001 - 0.002 * Math.sqrt(0.05)), 10);
  });

  it('rounds against the side when given the tick, matching the fill model', () => {
    expect(worstCaseFillPrice('BUY', 100, 50, 1000, sqrtConfig, 0.01)).toBe(100.15);
    expect(worstCaseFillPrice('SELL', 100, 50, 1000, sqrtConfig, 0.01)).toBe(99.85);
  });

  it('bounds the impact at the participation cap, and assumes the cap when volume is unknown', () => {
    const atCap = 0.001 + 0.002 * Math.sqrt(0.1);
    expect(slippageBoundFraction(5000, 1000, sqrtConfig)).toBeCloseTo(atCap, 12);
    expect(slippageBoundFraction(1, 0, sqrtConfig)).toBeCloseTo(atCap, 12);
  });

  it('is never beaten by an actual market fill at the same reference price', () => {
    const out = new FillResult();
    for (const qty of [0.5, 5, 50, 100, 500]) {
      fillMarketOrderInto(out, qty, 100, 1000, sqrtSim);
      expect(out.price).toBeLessThanOrEqual(worstCaseFillPrice('BUY', 100, qty, 1000, sqrtConfig, 0.01));
      fillMarketOrderInto(out, -qty, 100, 1000, sqrtSim);
      expect(out.price).toBeGreaterThanOrEqual(worstCaseFillPrice('SELL', 100, qty, 1000, sqrtConfig, 0.01));
    }
  });
});

describe('parseSimFillConfig', () => {
  it('fills in defaults', () => {
    expect(parseSimFillConfig({})).toMatchObject({ spreadBps: 2, impactModel: 'sqrt', maxParticipation: 0.1 });
  });

  it('names every bad field and rejects unknown ones', () => {
    expect(() => parseSimFillConfig({ spreadBps: -1, maxParticipation: 2, feeBps: 3 })).toThrow(
      /spreadBps: .*got -1.*maxParticipation: .*got 2.*unknown field 'feeBps'/,
    );
  });
});
