/**
 * Regression specs for the engine holes an adversarial probe found (issue 16), each named after the bug it pins:
 * an invalid state meant "go flat" in the Box form, the two forms disagreed when the worst-case price reached
 * zero, huge and tiny shares slipped past the position and long-only rules, and a lock could trap a position.
 */
import { describe, expect, it } from 'vitest';
import { type ActionSpec, MS_PER_DAY } from '../core/index.js';
import { allowedTargetInterval, holdsPosition, projectTarget } from './box.js';
import { type CompileOptions, compileRules } from './compile.js';
import { explainActionMask } from './explain.js';
import { computeActionMask } from './mask.js';
import { type RuleId } from './rule-ids.js';
import { type RulesInput, parseRules } from './rules-schema.js';
import { type ConstraintState, createConstraintState } from './state.js';

const ACTIONS: readonly ActionSpec[] = [
  { name: 'HOLD', kind: 'HOLD', fraction: 0 },
  { name: 'BUY_5', kind: 'BUY', fraction: 0.05 },
  { name: 'SELL_5', kind: 'SELL', fraction: 0.05 },
  { name: 'CLOSE', kind: 'CLOSE_POSITION', fraction: 0 },
];
const [HOLD, BUY_5, SELL_5, CLOSE] = [0, 1, 2, 3];

const compiled = (rules: RulesInput, options: CompileOptions = {}) => compileRules(parseRules(rules), { actions: ACTIONS, ...options });

function masked(s: ConstraintState, rules: RulesInput, options: CompileOptions = {}): { allowed: number[]; reasons: (readonly RuleId[])[] } {
  const { mask, reasons } = computeActionMask(s, compiled(rules, options));
  return { allowed: [...mask].flatMap((m, i) => (m === 1 ? [i] : [])), reasons };
}

// Defect 5 (an invalid state means hold in the Box form too) is pinned where the Box form is acted on:
// src/execution/invalid-state.test.ts (the chain) and src/env/constraint-guard.test.ts (strict mode).

describe('defect 6: a worst-case next price at or below zero', () => {
  it('box_and_mask_disagreed_when_the_worst_case_price_reached_zero_now_both_hold_and_say_why', () => {
    // Price one tick above zero: the next bar's worst case is 0.01 × (1 − b) − 0.01 < 0.
    const rules = { fill_model: { spread_bps: 10, slippage_bound_bps: 10 } };
    for (const shareHeld of [0, 0.1, -0.1]) {
      const s = createConstraintState({ equity: 10_000, price: 0.01, positionQty: (shareHeld * 10_000) / 0.01 });
      const c = compiled(rules, { tickSize: 0.01 });
      expect(masked(s, rules, { tickSize: 0.01 }).allowed).toEqual([HOLD]);
      const interval = allowedTargetInterval(s, c);
      expect([interval.lo, interval.hi]).toEqual([Number.NaN, Number.NaN]);
      expect(holdsPosition(projectTarget(0.05, interval), interval.current)).toBe(true);
      const e = explainActionMask(s, c);
      expect(e.valid).toBe(false);
      expect(e.actions[BUY_5].reasons[0]).toMatch(/^INVALID_STATE: field=price, value=0\.01, worst_case_low=-[\d.e-]+, problem=worst-case next price <= 0$/);
    }
  });

  it('two_ticks_above_zero_the_state_is_judged_and_the_two_views_agree_at_the_interval_ends', () => {
    const rules = { max_position_pct: 0.5, fill_model: { spread_bps: 10, slippage_bound_bps: 10 } };
    const s = createConstraintState({ equity: 10_000, price: 0.02, positionQty: 0 });
    const c = compiled(rules, { tickSize: 0.01 });
    const { lo, hi } = allowedTargetInterval(s, c);
    expect(hi).toBeGreaterThan(0);
    expect(hi).toBeLessThan(0.5);
    const targets = compileRules(parseRules(rules), {
      tickSize: 0.01,
      actions: [ACTIONS[0], ...[lo, hi, hi * 1.001, lo * 1.001].map((fraction) => ({ name: 'T', kind: 'TARGET' as const, fraction }))],
    });
    expect([...computeActionMask(s, targets).mask]).toEqual([1, 1, 1, 0, 0]);
  });

  it('a_box_end_the_mask_refused_through_cancellation_a_rounding_error_above_zero_now_falls_back_to_the_reduction_range', () => {
    // tick = price × (1 − 1e-15): the worst-case low is ~1e-15 of the price; the closed form put lo at −2.4e-17
    // (a flip) that the mask's own arithmetic refuses. The end now falls back to flat, which the mask allows.
    const rules = { max_position_pct: 0.05 };
    const s = createConstraintState({ equity: 1_000, price: 1, positionQty: 1_000 });
    const c = compiled(rules, { tickSize: 0.999999999999999 });
    const { lo, hi } = allowedTargetInterval(s, c);
    const targets = compileRules(parseRules(rules), {
      tickSize: 0.999999999999999,
      actions: [ACTIONS[0], { name: 'LO', kind: 'TARGET', fraction: lo }, { name: 'HI', kind: 'TARGET', fraction: hi }],
    });
    expect([...computeActionMask(s, targets).mask]).toEqual([1, 1, 1]);
    expect(lo).toBe(0);
  });
});

describe('defect 7: huge and tiny shares', () => {
  it('at_a_position_worth_1e15_times_equity_a_buy_looked_like_no_trade_and_skipped_the_position_rule_now_masked', () => {
    // 1e15 + 0.05 rounds back to 1e15: the old `t !== u` said "does not trade".
    const s = createConstraintState({ equity: 1, price: 1, positionQty: 1e15 });
    const { allowed, reasons } = masked(s, { max_position_pct: 1 });
    expect(allowed).toEqual([HOLD, SELL_5, CLOSE]);
    expect(reasons[BUY_5]).toContain('MAX_POSITION_PCT');
    // The frequency rules see it as a trade too.
    const busy = masked(createConstraintState({ equity: 1, price: 1, positionQty: 1e15, tradesToday: 3 }), { max_position_pct: 1, max_trades_per_day: 3 });
    expect(busy.reasons[SELL_5]).toEqual(['MAX_TRADES_PER_DAY']);
    const short = masked(createConstraintState({ equity: 1, price: 1, positionQty: -1e15 }), { max_position_pct: 1 });
    expect(short.reasons[SELL_5]).toContain('MAX_POSITION_PCT');
  });

  it('a_long_to_short_flip_of_1e_minus_163_underflowed_past_long_only_now_masked_in_both_views', () => {
    // u × t = 1e-163 × −5e-164 underflows to −0, and −0 >= 0 made the flip look like a reduction.
    const s = createConstraintState({ equity: 1, price: 1, positionQty: 1e-163 });
    const rules = { long_only: true };
    const flip = compileRules(parseRules(rules), { actions: [ACTIONS[0], { name: 'FLIP', kind: 'TARGET', fraction: -5e-164 }] });
    const { mask, reasons } = computeActionMask(s, flip);
    expect(mask[1]).toBe(0);
    expect(reasons[1]).toEqual(['LONG_ONLY']);
    expect(allowedTargetInterval(s, compiled(rules)).lo).toBe(0);
  });
});

describe('design: a lock never traps a position', () => {
  // Equity 10,000 against a peak of 12,000: a drawdown of 16.7 % beyond max_drawdown_pct 0.1, long 20 %.
  const locked = (extra: Partial<ConstraintState>) =>
    createConstraintState({ equity: 10_000, peakEquity: 12_000, price: 100, positionQty: 20, ...extra });
  const MONDAY_0900 = Date.UTC(2024, 0, 1, 9, 0);

  it('a_trades_per_day_or_session_rule_masked_close_during_a_drawdown_lock_trapping_a_losing_position_now_close_stays_allowed', () => {
    const cases: [RulesInput, Partial<ConstraintState>][] = [
      [{ max_trades_per_day: 2 }, { tradesToday: 2 }],
      [{ session_windows: [{ start: '13:00', end: '20:00' }] }, { timeMs: MONDAY_0900 }],
      [{ min_bars_between_trades: 5 }, { barsSinceLastTrade: 1 }],
      [{ allowed_instruments: ['ETH/USD'] }, { symbol: 'BTC/USD' }],
    ];
    for (const [rules, extra] of cases) {
      const s = locked(extra);
      const { allowed, reasons } = masked(s, rules);
      // Closing and the partial reduction (20 % → 15 %) stay allowed; adding does not.
      expect(allowed).toEqual([HOLD, SELL_5, CLOSE]);
      expect(reasons[BUY_5]).toContain('MAX_DRAWDOWN_PCT');
      // The Box form keeps every target between flat and the position, as the mask does.
      const interval = allowedTargetInterval(s, compiled(rules));
      expect([interval.lo, interval.hi]).toEqual([0, 0.2]);
    }
  });

  it('the_rule_set_may_say_explicitly_that_activity_rules_bind_closes_in_a_lock_too', () => {
    const rules = { max_trades_per_day: 2, close_in_lock: 'when_trading_allowed' } as const;
    const s = locked({ tradesToday: 2 });
    const { allowed, reasons } = masked(s, rules);
    expect(allowed).toEqual([HOLD]);
    expect(reasons[CLOSE]).toEqual(['MAX_TRADES_PER_DAY']);
    const interval = allowedTargetInterval(s, compiled(rules));
    expect([interval.lo, interval.hi]).toEqual([0.2, 0.2]);
    expect(interval.hiReasons).toEqual(['MAX_DRAWDOWN_PCT', 'MAX_TRADES_PER_DAY']);
  });

  it('without_a_lock_the_activity_rules_still_mask_closes', () => {
    const s = createConstraintState({ equity: 10_000, price: 100, positionQty: 20, tradesToday: 2, timeMs: 3 * MS_PER_DAY });
    expect(masked(s, { max_trades_per_day: 2 }).allowed).toEqual([HOLD]);
  });
});
