/**
 * Property (issue 16): every action the discrete mask allows, and every target inside the Box interval, is
 * checked against brute-force fill and mark arithmetic in quote currency (not the engine's share algebra) on a
 * grid over the whole worst-case price range, with equities from 1e-6 to 1e15, positions from 1e-170 to 1e16
 * times equity, prices from 1e-8 to 1e9 and ticks up to (and past) the price itself. An allowed action that
 * grows |position| keeps the account within every position, order, leverage, margin and long-only limit at
 * every fill and mark in the range; a state the engine cannot judge is held by both forms.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { type ActionSpec, actionOrderQty } from '../core/index.js';
import { allowedTargetInterval } from './box.js';
import { compileRules } from './compile.js';
import { worstCasePriceRange } from './fill-bound.js';
import { computeActionMask } from './mask.js';
import { type Rules, type RulesInput, parseRules } from './rules-schema.js';
import { type ConstraintState, createConstraintState } from './state.js';
import { withLeverageDeclared } from '../test-support/leverage.js';

/** 10^x for x uniform in [lo, hi]: magnitudes spread over many decades. */
const decades = (lo: number, hi: number) => fc.double({ min: lo, max: hi, noNaN: true }).map((x) => 10 ** x);
const signed = (a: fc.Arbitrary<number>) => fc.tuple(a, fc.boolean()).map(([x, neg]) => (neg ? -x : x));

const rulesArb = fc.record({
  max_position_pct: fc.oneof(decades(-6, 2), fc.double({ min: 0.05, max: 3, noNaN: true })),
  max_order_pct: fc.option(decades(-6, 2), { nil: undefined }),
  max_leverage: fc.option(decades(-3, 3), { nil: undefined }),
  initial_margin_pct: fc.option(fc.double({ min: 0.01, max: 1, noNaN: true }), { nil: undefined }),
  long_only: fc.boolean(),
  fill_model: fc.record({
    spread_bps: fc.oneof(fc.constant(0), fc.double({ min: 0, max: 2_000, noNaN: true })),
    slippage_bound_bps: fc.oneof(fc.constant(0), fc.double({ min: 0, max: 2_000, noNaN: true })),
    fee_bps: fc.oneof(fc.constant(0), fc.double({ min: 0, max: 1_000, noNaN: true })),
  }),
}).map(withLeverageDeclared) satisfies fc.Arbitrary<RulesInput>;

const fractionArb = fc.oneof(decades(-12, 2), fc.double({ min: 0.001, max: 3, noNaN: true }));
const actionArb: fc.Arbitrary<ActionSpec> = fc.oneof(
  fractionArb.map((fraction) => ({ name: 'BUY', kind: 'BUY' as const, fraction })),
  fractionArb.map((fraction) => ({ name: 'SELL', kind: 'SELL' as const, fraction })),
  fc.constant({ name: 'CLOSE', kind: 'CLOSE_POSITION' as const, fraction: 0 }),
  fc
    .oneof(signed(fractionArb), signed(decades(-170, -150)), fc.constant(0))
    .map((fraction) => ({ name: 'TARGET', kind: 'TARGET' as const, fraction })),
);

const accountArb = fc.record({
  equity: fc.oneof(decades(-6, 15), fc.double({ min: 1_000, max: 1e6, noNaN: true })),
  price: fc.oneof(decades(-8, 9), fc.double({ min: 1, max: 1e5, noNaN: true })),
  // Position value / equity: flat, tiny, ordinary or absurdly large, either sign.
  share: fc.oneof(fc.constant(0), signed(decades(-170, 16)), signed(decades(-170, -150)), fc.double({ min: -3, max: 3, noNaN: true })),
  // Tick as a multiple of the price: none, negligible, or up to twice the price (the range then reaches zero).
  tickOverPrice: fc.oneof(fc.constant(0), decades(-12, 0.3)),
});

/** Where in the price range a fill or mark lands: both ends and three points between. */
const GRID = [0, 0.25, 0.5, 0.75, 1];
const REL = 1e-9;

interface Breach {
  readonly what: string;
  readonly got: number;
  readonly max: number;
}

/**
 * Executes `dq` (signed base units) on an account holding `s` with the fill and the next mark anywhere on the
 * grid over [lo, hi] (quote per unit), in plain quote-currency arithmetic, and returns the first breached limit.
 */
function bruteForceBreach(s: ConstraintState, dq: number, rules: Rules, lo: number, hi: number): Breach | null {
  const fee = rules.fill_model.fee_bps / 10_000;
  const qty = s.positionQty + dq;
  for (const zFill of GRID) {
    const fill = lo + (hi - lo) * zFill;
    for (const zMark of GRID) {
      const mark = lo + (hi - lo) * zMark;
      const equity = s.equity + s.positionQty * (mark - s.price) + dq * (mark - fill) - fee * Math.abs(dq) * fill;
      // Rounding of sums of this size is not a breach.
      const slack = REL * (s.equity + Math.abs(s.positionQty) * Math.max(s.price, hi) + Math.abs(dq) * hi);
      const exposure = Math.abs(qty) * mark;
      const limits: [string, number][] = [['max_position_pct', rules.max_position_pct]];
      if (rules.max_leverage !== undefined) limits.push(['max_leverage', rules.max_leverage]);
      if (rules.initial_margin_pct !== undefined) limits.push(['initial_margin_pct', 1 / rules.initial_margin_pct]);
      if (!(equity > -slack)) return { what: 'equity', got: equity, max: 0 };
      for (const [what, m] of limits) {
        if (exposure > m * equity + m * slack + REL * exposure) return { what, got: exposure / equity, max: m };
      }
      if (rules.max_order_pct !== undefined && Math.abs(dq) * fill > rules.max_order_pct * s.equity * (1 + REL)) {
        return { what: 'max_order_pct', got: (Math.abs(dq) * fill) / s.equity, max: rules.max_order_pct };
      }
    }
  }
  if (rules.long_only && qty < -REL * Math.abs(s.positionQty)) return { what: 'long_only', got: qty, max: 0 };
  return null;
}

/**
 * |position| grows (or flips), judged on base units. An order that is rounding noise of the position (a target
 * equal to the current share, sized as f × equity / price − position) is not a trade.
 */
function grows(s: ConstraintState, dq: number): boolean {
  if (!(Math.abs(dq) > REL * Math.abs(s.positionQty))) return false;
  const qty = s.positionQty + dq;
  return (qty !== 0 && Math.sign(qty) !== Math.sign(s.positionQty)) || Math.abs(qty) > Math.abs(s.positionQty);
}

function stateOf(a: { equity: number; price: number; share: number }): ConstraintState {
  return createConstraintState({ equity: a.equity, price: a.price, positionQty: (a.share * a.equity) / a.price });
}

describe('mask and Box against brute-force arithmetic at extreme values', () => {
  it('every allowed action that grows |position| stays within every limit at every fill and mark of the worst-case range', () => {
    let grew = 0;
    let held = 0;
    fc.assert(
      fc.property(rulesArb, accountArb, fc.array(actionArb, { minLength: 1, maxLength: 6 }), (r, a, acts) => {
        const rules = parseRules(r);
        const tickSize = a.tickOverPrice * a.price;
        const c = compileRules(rules, { actions: [{ name: 'HOLD', kind: 'HOLD', fraction: 0 }, ...acts], tickSize });
        const s = stateOf(a);
        const { mask, reasons } = computeActionMask(s, c);
        const { lo, hi } = worstCasePriceRange(s.price, c.boundFrac, tickSize);
        if (!(lo > 0)) {
          // No worst case to judge: hold only, with the reason, in both forms.
          held++;
          expect([...mask].slice(1).every((m) => m === 0)).toBe(true);
          expect(reasons.slice(1).every((ids) => ids.includes('INVALID_STATE'))).toBe(true);
          expect(Number.isNaN(allowedTargetInterval(s, c).hi)).toBe(true);
          return;
        }
        acts.forEach((action, k) => {
          if (mask[k + 1] !== 1) return;
          const dq = actionOrderQty(action, s.positionQty, s.equity, s.price);
          if (!grows(s, dq)) return;
          grew++;
          expect({ action, breach: bruteForceBreach(s, dq, rules, lo, hi) }).toEqual({ action, breach: null });
        });
      }),
      { numRuns: 1_500, seed: 16_2026 },
    );
    expect(grew).toBeGreaterThan(300);
    expect(held).toBeGreaterThan(20);
  });

  it('every target in the Box interval that grows |position| stays within every limit, and the mask allows the ends', () => {
    let grew = 0;
    fc.assert(
      fc.property(rulesArb, accountArb, fc.double({ min: 0, max: 1, noNaN: true }), (r, a, z) => {
        const rules = parseRules(r);
        const tickSize = a.tickOverPrice * a.price;
        const c = compileRules(rules, { tickSize });
        const s = stateOf(a);
        const interval = allowedTargetInterval(s, c);
        const { lo, hi } = worstCasePriceRange(s.price, c.boundFrac, tickSize);
        if (!(lo > 0)) {
          expect([interval.lo, interval.hi, interval.current]).toEqual([Number.NaN, Number.NaN, Number.NaN]);
          return;
        }
        expect(interval.lo).toBeLessThanOrEqual(interval.current);
        expect(interval.hi).toBeGreaterThanOrEqual(interval.current);
        const inside = interval.lo + (interval.hi - interval.lo) * z;
        const targets = [interval.lo, interval.hi, inside].filter(Number.isFinite);
        const asActions = targets.map((fraction) => ({ name: 'T', kind: 'TARGET' as const, fraction }));
        const { mask } = computeActionMask(s, compileRules(rules, { tickSize, actions: [{ name: 'HOLD', kind: 'HOLD', fraction: 0 }, ...asActions] }));
        targets.forEach((target, k) => {
          // The two forms agree: a target the interval allows is one the discrete mask allows.
          expect({ target, allowed: mask[k + 1] }).toEqual({ target, allowed: 1 });
          const dq = actionOrderQty(asActions[k], s.positionQty, s.equity, s.price);
          if (!grows(s, dq)) return;
          grew++;
          expect({ target, breach: bruteForceBreach(s, dq, rules, lo, hi) }).toEqual({ target, breach: null });
        });
      }),
      { numRuns: 1_500, seed: 2026_16 },
    );
    expect(grew).toBeGreaterThan(300);
  });
});
