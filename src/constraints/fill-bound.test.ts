/**
 * The engine's worst-case bound against the real sim fill model of `src/venues`: market orders filled by
 * `fillMarketOrderInto` (spread, slippage, impact, tick rounding, taker fee) never leave an allowed,
 * position-growing action beyond the position limit.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DEFAULT_ACTIONS, Ledger, actionOrderQty, defineInstrument } from '../core/index.js';
import { FillResult, compileSimFill, fillMarketOrderInto, parseSimFillConfig, slippageBoundFraction } from '../venues/index.js';
import { compileRules } from './compile.js';
import { simFillBoundFrac, worstCaseBoundFrac, worstCasePriceRange } from './fill-bound.js';
import { computeActionMask } from './mask.js';
import { parseRules } from './rules-schema.js';
import { createConstraintState } from './state.js';
import { withLeverageDeclared } from '../test-support/leverage.js';

describe('worst-case bound', () => {
  it('rule-file fill model when converted then is half the spread plus the slippage bound', () => {
    expect(worstCaseBoundFrac({ spread_bps: 10, slippage_bound_bps: 5, fee_bps: 0 })).toBeCloseTo(0.001, 15);
    expect(worstCasePriceRange(100, 0.001, 0.01)).toEqual({ lo: 100 * (1 - 0.001 - 0.0001), hi: 100 * (1 + 0.001 + 0.0001) });
  });

  it('sim fill model when compiled then takes the venue bound at the participation cap and the taker fee', () => {
    const sim = parseSimFillConfig({ spreadBps: 4, slippageBps: 2, impactBps: 20, maxParticipation: 0.25, takerFeeBps: 7 });
    const c = compileRules(parseRules({}), { simFill: sim, tickSize: 0.5 });
    expect(c.boundFrac).toBe(slippageBoundFraction(1e9, 1, sim));
    expect(simFillBoundFrac(sim)).toBeCloseTo(0.0002 + 0.0002 + 0.002 * 0.5, 15);
    expect(c.feeFrac).toBe(0.0007);
    expect(c.tickSize).toBe(0.5);
  });

  it('allowed growing actions when filled by the sim venue then stay within the position limit', () => {
    const inst = defineInstrument({ symbol: 'BTC/USDT', tickSize: 0.5, lotSize: 0.001 });
    let checked = 0;
    fc.assert(
      fc.property(
        fc.record({
          spreadBps: fc.double({ min: 0, max: 50, noNaN: true }),
          slippageBps: fc.double({ min: 0, max: 20, noNaN: true }),
          impactBps: fc.double({ min: 0, max: 50, noNaN: true }),
          takerFeeBps: fc.double({ min: 0, max: 20, noNaN: true }),
        }),
        fc.double({ min: 0.05, max: 2, noNaN: true }),
        fc.double({ min: -2, max: 2, noNaN: true }),
        fc.double({ min: 20, max: 5_000, noNaN: true }),
        fc.double({ min: 0, max: 1e6, noNaN: true }),
        (simInput, maxPos, share, price, volume) => {
          const sim = parseSimFillConfig(simInput);
          const c = compileRules(parseRules(withLeverageDeclared({ max_position_pct: maxPos })), { simFill: sim, tickSize: inst.tickSize });
          const equity = 100_000;
          const s = createConstraintState({ equity, price, positionQty: (share * equity) / price });
          const { mask } = computeActionMask(s, c);
          const fill = new FillResult();
          for (let a = 1; a < DEFAULT_ACTIONS.length; a++) {
            if (mask[a] !== 1) continue;
            const dq = actionOrderQty(DEFAULT_ACTIONS[a], s.positionQty, equity, price);
            fillMarketOrderInto(fill, dq, price, volume, compileSimFill(sim, inst));
            if (fill.signedQty === 0) continue;
            const ledger = new Ledger(equity);
            ledger.applyFill(s.positionQty, price, 0);
            ledger.applyFill(fill.signedQty, fill.price, fill.fee);
            ledger.mark(fill.price, 0);
            if (Math.abs(ledger.positionQty) <= Math.abs(s.positionQty) && ledger.positionQty * s.positionQty >= 0) continue;
            checked++;
            expect(Math.abs(ledger.positionValue) / ledger.equity).toBeLessThanOrEqual(maxPos * (1 + 1e-9));
          }
        },
      ),
      { numRuns: 300, seed: 99 },
    );
    expect(checked).toBeGreaterThan(50);
  });
});
