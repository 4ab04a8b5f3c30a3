/**
 * Properties of the mask over random states, rule sets and next-bar prices within the fill model's bound.
 * The next state is computed independently with core's Ledger (fill at the moved price, fee, mark), not
 * with the engine's own share arithmetic.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { type ActionSpec, DEFAULT_ACTIONS, Ledger, actionOrderQty } from '../core/index.js';
import { allowedTargetInterval, projectTarget } from './box.js';
import { compileRules } from './compile.js';
import { computeActionMask } from './mask.js';
import { type RulesInput, parseRules } from './rules-schema.js';
import { type ConstraintState, createConstraintState } from './state.js';
import { withLeverageDeclared } from '../test-support/leverage.js';

const TOL = 1e-9;

const rulesArb = fc.record({
  max_position_pct: fc.double({ min: 0.05, max: 3, noNaN: true }),
  max_order_pct: fc.option(fc.double({ min: 0.01, max: 2, noNaN: true }), { nil: undefined }),
  max_leverage: fc.option(fc.double({ min: 0.5, max: 5, noNaN: true }), { nil: undefined }),
  initial_margin_pct: fc.option(fc.double({ min: 0.1, max: 1, noNaN: true }), { nil: undefined }),
  long_only: fc.boolean(),
  fill_model: fc.record({
    spread_bps: fc.double({ min: 0, max: 100, noNaN: true }),
    slippage_bound_bps: fc.double({ min: 0, max: 100, noNaN: true }),
    fee_bps: fc.double({ min: 0, max: 30, noNaN: true }),
  }),
}).map(withLeverageDeclared) satisfies fc.Arbitrary<RulesInput>;

const actionArb: fc.Arbitrary<ActionSpec> = fc.oneof(
  fc.constantFrom(...DEFAULT_ACTIONS.slice(1)),
  fc.double({ min: 0.001, max: 2, noNaN: true }).map((f) => ({ name: 'BUY_X', kind: 'BUY' as const, fraction: f })),
  fc.double({ min: 0.001, max: 2, noNaN: true }).map((f) => ({ name: 'SELL_X', kind: 'SELL' as const, fraction: f })),
  fc.double({ min: -3, max: 3, noNaN: true }).map((f) => ({ name: 'TARGET_X', kind: 'TARGET' as const, fraction: f })),
);

/** Where in the bound a price lands, as a multiple in [−1, 1] of b (ends included often). */
const moveArb = fc.oneof(fc.constantFrom(-1, 1), fc.double({ min: -1, max: 1, noNaN: true }));

const accountArb = fc.record({
  equity: fc.double({ min: 1_000, max: 1e6, noNaN: true }),
  price: fc.double({ min: 0.5, max: 1e5, noNaN: true }),
  share: fc.double({ min: -3, max: 3, noNaN: true }),
});

/**
 * Executes `action` on a ledger holding `s`, with the fill at `fillMove` × price and the next mark at
 * `markMove` × price (each anywhere in the bound, independently: a fill pays slippage the mark need not).
 */
function nextAccount(s: ConstraintState, action: ActionSpec, fillMove: number, markMove: number, feeBps: number) {
  const ledger = new Ledger(s.equity);
  ledger.applyFill(s.positionQty, s.price, 0);
  ledger.mark(s.price, 0);
  const dq = actionOrderQty(action, s.positionQty, s.equity, s.price);
  const fillPrice = s.price * fillMove;
  const markPrice = s.price * markMove;
  ledger.applyFill(dq, fillPrice, (Math.abs(dq) * fillPrice * feeBps) / 10_000);
  ledger.mark(markPrice, 1);
  return { qty: ledger.positionQty, equity: ledger.equity, orderValue: Math.abs(dq) * fillPrice, price: markPrice };
}

describe('mask properties', () => {
  it('an allowed action that grows |position| never leaves it beyond the position, order, leverage or margin limit', () => {
    let checked = 0;
    fc.assert(
      fc.property(rulesArb, accountArb, fc.array(actionArb, { minLength: 1, maxLength: 6 }), moveArb, moveArb, (r, a, acts, zFill, zMark) => {
        const rules = parseRules(r);
        const c = compileRules(rules, { actions: [DEFAULT_ACTIONS[0], ...acts] });
        const s = createConstraintState({ equity: a.equity, price: a.price, positionQty: (a.share * a.equity) / a.price });
        const fillMove = 1 + zFill * c.boundFrac;
        const markMove = 1 + zMark * c.boundFrac;
        const { mask } = computeActionMask(s, c);
        acts.forEach((action, k) => {
          if (mask[k + 1] !== 1) return;
          const next = nextAccount(s, action, fillMove, markMove, rules.fill_model.fee_bps);
          const grows = next.qty * s.positionQty < 0 || Math.abs(next.qty) > Math.abs(s.positionQty) * (1 + TOL);
          if (!grows) return;
          checked++;
          expect(next.equity).toBeGreaterThan(0);
          const exposure = Math.abs(next.qty * next.price) / next.equity;
          expect(exposure).toBeLessThanOrEqual(rules.max_position_pct * (1 + TOL));
          if (rules.max_leverage !== undefined) expect(exposure).toBeLessThanOrEqual(rules.max_leverage * (1 + TOL));
          if (rules.initial_margin_pct !== undefined) expect(exposure * rules.initial_margin_pct).toBeLessThanOrEqual(1 + TOL);
          if (rules.max_order_pct !== undefined) expect(next.orderValue / s.equity).toBeLessThanOrEqual(rules.max_order_pct * (1 + TOL));
          if (rules.long_only) expect(next.qty).toBeGreaterThanOrEqual(-TOL * Math.abs(s.positionQty));
        });
      }),
      { numRuns: 400, seed: 20240601 },
    );
    // The property must have judged real position increases, not only masked or shrinking actions.
    expect(checked).toBeGreaterThan(100);
  });

  it('in a drawdown or daily-loss lock no allowed action increases |position|', () => {
    let closes = 0;
    const lockArb = fc.oneof(
      fc.record({ drawdown: fc.double({ min: 0.1001, max: 0.9, noNaN: true }), dayLoss: fc.constant(0) }),
      fc.record({ drawdown: fc.constant(0), dayLoss: fc.double({ min: 0.0301, max: 0.9, noNaN: true }) }),
    );
    fc.assert(
      fc.property(rulesArb, accountArb, fc.array(actionArb, { minLength: 1, maxLength: 6 }), lockArb, (r, a, acts, lock) => {
        const c = compileRules(parseRules(r), { actions: [DEFAULT_ACTIONS[0], ...acts] });
        const s = createConstraintState({
          equity: a.equity,
          peakEquity: a.equity / (1 - lock.drawdown),
          dayPnl: -(a.equity * lock.dayLoss) / (1 - lock.dayLoss),
          price: a.price,
          positionQty: (a.share * a.equity) / a.price,
        });
        const { mask } = computeActionMask(s, c);
        acts.forEach((action, k) => {
          if (mask[k + 1] !== 1) return;
          const after = s.positionQty + actionOrderQty(action, s.positionQty, s.equity, s.price);
          if (after === 0) closes++;
          expect(Math.abs(after)).toBeLessThanOrEqual(Math.abs(s.positionQty));
        });
      }),
      { numRuns: 300, seed: 7 },
    );
    expect(closes).toBeGreaterThan(10);
  });

  it('HOLD is allowed in every state, even an unusable one', () => {
    fc.assert(
      fc.property(rulesArb, fc.record({ equity: fc.double(), price: fc.double(), positionQty: fc.double(), dayPnl: fc.double() }), (r, st) => {
        const s = createConstraintState({ ...st, peakEquity: Math.abs(st.equity) });
        expect(computeActionMask(s, compileRules(parseRules(r))).mask[0]).toBe(1);
      }),
      { numRuns: 200, seed: 11 },
    );
  });

  it('a target projected onto the Box interval is one the discrete mask allows, and the mask agrees with the interval', () => {
    fc.assert(
      fc.property(rulesArb, accountArb, fc.oneof(fc.constantFrom(-5, 5), fc.double({ min: -5, max: 5, noNaN: true })), (r, a, proposal) => {
        const c = compileRules(parseRules(r));
        const s = createConstraintState({ equity: a.equity, price: a.price, positionQty: (a.share * a.equity) / a.price });
        const interval = allowedTargetInterval(s, c);
        expect(interval.lo).toBeLessThanOrEqual(interval.current);
        expect(interval.hi).toBeGreaterThanOrEqual(interval.current);
        const projected = projectTarget(proposal, interval);
        const targets = compileRules(parseRules(r), {
          actions: [DEFAULT_ACTIONS[0], { name: 'P', kind: 'TARGET', fraction: projected }, { name: 'Q', kind: 'TARGET', fraction: proposal }],
        });
        const { mask } = computeActionMask(s, targets);
        expect(mask[1]).toBe(1);
        // The projection often sits exactly on an end: the limit must hold there at every fill/mark corner.
        const grows = projected * interval.current < 0 || Math.abs(projected) > Math.abs(interval.current);
        if (grows) {
          const rules = parseRules(r);
          for (const [zFill, zMark] of [[-1, -1], [-1, 1], [1, -1], [1, 1]]) {
            const target = { name: 'P', kind: 'TARGET' as const, fraction: projected };
            const next = nextAccount(s, target, 1 + zFill * c.boundFrac, 1 + zMark * c.boundFrac, rules.fill_model.fee_bps);
            expect(Math.abs(next.qty * next.price) / next.equity).toBeLessThanOrEqual(rules.max_position_pct * (1 + TOL));
          }
        }
        const inside = proposal >= interval.lo && proposal <= interval.hi;
        // Away from the interval's ends the two forms must agree exactly.
        const nearEnd = Math.min(Math.abs(proposal - interval.lo), Math.abs(proposal - interval.hi)) < 1e-9;
        if (!nearEnd) expect(mask[2]).toBe(inside ? 1 : 0);
      }),
      { numRuns: 400, seed: 3 },
    );
  });
});
