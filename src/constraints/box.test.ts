import { describe, expect, it } from 'vitest';
import { allowedTargetInterval, holdsPosition, projectTarget, writeTargetInterval } from './box.js';
import { RULE_BIT } from './rule-ids.js';
import { compileRules } from './compile.js';
import { type RulesInput, parseRules } from './rules-schema.js';
import { type ConstraintState, createConstraintState } from './state.js';

const c = (r: RulesInput) => compileRules(parseRules(r));
const state = (shareHeld: number, extra: Partial<ConstraintState> = {}) =>
  createConstraintState({ equity: 10_000, price: 100, positionQty: shareHeld * 100, ...extra });

describe('allowedTargetInterval', () => {
  it('flat account when judged then allows ±max_position_pct, both ends set by that rule', () => {
    const i = allowedTargetInterval(state(0), c({ max_position_pct: 0.25 }));
    expect([i.lo, i.hi, i.current]).toEqual([-0.25, 0.25, 0]);
    expect(i.loReasons).toEqual(['MAX_POSITION_PCT']);
    expect(i.hiReasons).toEqual(['MAX_POSITION_PCT']);
  });

  it('worst-case price bound of 1 % when judged then shrinks the long end to max / 1.01 and the short end further', () => {
    const i = allowedTargetInterval(state(0), c({ max_position_pct: 0.25, fill_model: { slippage_bound_bps: 100 } }));
    expect(i.hi).toBeCloseTo(0.25 / 1.01, 12);
    // A short sold at 0.99 and marked at 1.01 loses 2 % of its size in equity: −t·1.01 ≤ 0.25·(1 + t·0.02).
    expect(i.lo).toBeCloseTo(-0.25 / (1.01 * 1.25 - 0.25 * 0.99), 12);
  });

  it('tighter order limit and long_only when judged then bind their ends', () => {
    const i = allowedTargetInterval(state(0.125), c({ max_position_pct: 1, max_order_pct: 0.125, long_only: true }));
    expect([i.lo, i.hi]).toEqual([0, 0.25]);
    expect(i.loReasons).toEqual(['MAX_ORDER_PCT', 'LONG_ONLY']); // both end at flat
    expect(i.hiReasons).toEqual(['MAX_ORDER_PCT']);
  });

  it('position past the limit when judged then keeps every reduction allowed', () => {
    const i = allowedTargetInterval(state(0.5), c({ max_position_pct: 0.25 }));
    expect([i.lo, i.hi]).toEqual([-0.25, 0.5]);
  });

  it('a lock when judged then allows only targets between flat and the current position', () => {
    const i = allowedTargetInterval(state(0.125, { peakEquity: 12_000 }), c({}));
    expect([i.lo, i.hi]).toEqual([0, 0.125]);
    expect(i.hiReasons).toEqual(['MAX_DRAWDOWN_PCT']);
  });

  it('outside the trading session when judged then allows only the current position', () => {
    const rules = { session_windows: [{ start: '09:00', end: '10:00' }] };
    const i = allowedTargetInterval(state(-0.125, { timeMs: 0 }), c(rules));
    expect([i.lo, i.hi]).toEqual([-0.125, -0.125]);
    expect(i.loReasons).toEqual(['SESSION_WINDOWS']);
  });

  it('an unusable state when judged then has no interval (NaN ends) and every projection holds, with INVALID_STATE', () => {
    const i = allowedTargetInterval(state(0, { price: Number.NaN }), c({}));
    expect([i.lo, i.hi, i.current]).toEqual([Number.NaN, Number.NaN, Number.NaN]);
    expect(i.hiReasons).toEqual(['INVALID_STATE']);
    expect(holdsPosition(projectTarget(0.5, i), i.current)).toBe(true);
  });
});

describe('writeTargetInterval', () => {
  it('several states written as rows of one buffer then match allowedTargetInterval row by row', () => {
    const rules = c({ max_position_pct: 0.25, max_order_pct: 0.2, long_only: true, fill_model: { slippage_bound_bps: 50 } });
    const states = [state(0), state(0.125), state(0.5), state(0.125, { peakEquity: 12_000 }), state(0, { price: 0 })];
    const out = new Float64Array(2 * states.length + 2).fill(7);
    const reasons = new Uint32Array(2 * states.length + 2);
    states.forEach((s, i) => {
      const current = writeTargetInterval(s, rules, out, reasons, 2 * i + 2);
      const ref = allowedTargetInterval(s, rules);
      expect([out[2 * i + 2], out[2 * i + 3], current]).toEqual([ref.lo, ref.hi, ref.current]);
      expect([reasons[2 * i + 2], reasons[2 * i + 3]]).toEqual([
        ref.loReasons.reduce((b, id) => b | RULE_BIT[id], 0),
        ref.hiReasons.reduce((b, id) => b | RULE_BIT[id], 0),
      ]);
    });
    expect([out[0], out[1]]).toEqual([7, 7]); // nothing written outside the rows asked for
    expect(reasons[2 * 3 + 3]).toBe(RULE_BIT.MAX_DRAWDOWN_PCT);
    expect(reasons[2 * 4 + 2]).toBe(RULE_BIT.INVALID_STATE);
  });
});

describe('projectTarget', () => {
  const interval = { lo: -0.25, hi: 0.25, current: 0.1, loReasons: [], hiReasons: [] };
  it.each([
    [0.4, 0.25],
    [-1, -0.25],
    [0.25, 0.25],
    [0.2, 0.2],
    [Number.NaN, 0.1],
    [Number.POSITIVE_INFINITY, 0.1],
  ])('proposal %s when projected then becomes %s', (proposal, expected) => {
    expect(projectTarget(proposal, interval)).toBe(expected);
  });
});
