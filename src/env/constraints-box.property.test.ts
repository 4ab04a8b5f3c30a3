/**
 * Property of the Box form end to end: through the real TradingEnv, its fill model (spread, slippage, impact,
 * fee, tick and lot rounding) and random price moves within the fill model's bound, a target the engine lets
 * through (projected in lenient mode) never leaves the next state beyond a position, leverage, margin, order
 * or long-only limit, and in a drawdown or daily-loss lock never increases |position|.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { RULE_BIT, parseRules, simFillBoundFrac } from '../constraints/index.js';
import { parseSimFillConfig } from '../venues/index.js';
import { handDataset } from './test-helpers/hand-data.js';
import { TradingEnv } from './trading-env.js';
import { withLeverageDeclared } from '../test-support/leverage.js';

const TOL = 1e-9;
const STEPS = 8;
const LOCK_BITS = RULE_BIT.MAX_DRAWDOWN_PCT | RULE_BIT.DAILY_LOSS_LIMIT_PCT;

const rulesArb = fc.record({
  max_position_pct: fc.double({ min: 0.05, max: 1.5, noNaN: true }),
  max_order_pct: fc.option(fc.double({ min: 0.02, max: 1, noNaN: true }), { nil: undefined }),
  max_leverage: fc.option(fc.double({ min: 0.3, max: 2, noNaN: true }), { nil: undefined }),
  initial_margin_pct: fc.option(fc.double({ min: 0.5, max: 1, noNaN: true }), { nil: undefined }),
  long_only: fc.boolean(),
  max_drawdown_pct: fc.double({ min: 0.002, max: 0.1, noNaN: true }),
  daily_loss_limit_pct: fc.double({ min: 0.002, max: 0.1, noNaN: true }),
}).map(withLeverageDeclared);

const fillArb = fc.record({
  spreadBps: fc.double({ min: 0, max: 40, noNaN: true }),
  slippageBps: fc.double({ min: 0, max: 30, noNaN: true }),
  impactBps: fc.double({ min: 0, max: 30, noNaN: true }),
  takerFeeBps: fc.double({ min: 0, max: 30, noNaN: true }),
  maxParticipation: fc.double({ min: 0.01, max: 1, noNaN: true }),
});

/** Uniform-ish values in [min, max] in steps of 1e-4 (fc.double piles up on edge values such as 0). */
const grid = (min: number, max: number) => fc.integer({ min: min * 10_000, max: max * 10_000 }).map((x) => x / 10_000);

const pathArb = fc.record({
  startPrice: fc.double({ min: 5, max: 5_000, noNaN: true }),
  // Each close as a multiple in [−1, 1] of the bound b away from the previous one; each open at the last close.
  moves: fc.array(grid(-1, 1), { minLength: STEPS + 1, maxLength: STEPS + 1 }),
  proposals: fc.array(grid(-1.5, 1.5), { minLength: STEPS, maxLength: STEPS }),
  // One close that gaps (up or down, beyond the fill model's bound) so that accounts reach the loss locks.
  gapAt: fc.integer({ min: 1, max: STEPS - 1 }),
  gap: grid(-0.3, 0.3),
});

describe('Box targets under the engine, end to end', () => {
  it('an executed target never leaves the next state beyond a limit at worst-case prices, nor grows |position| in a lock', () => {
    let grew = 0;
    let locked = 0;
    fc.assert(
      fc.property(rulesArb, fillArb, pathArb, (r, fillInput, path) => {
        const rules = parseRules(r);
        const fill = parseSimFillConfig(fillInput);
        const b = simFillBoundFrac(fill);
        const closes = [path.startPrice];
        path.moves.forEach((z, k) => closes.push(closes[k] * (k + 1 === path.gapAt ? 1 + path.gap : 1 + z * b)));
        const opens = [closes[0], ...closes.slice(0, -1)];
        const env = new TradingEnv({
          dataset: handDataset(opens, closes),
          config: { initialCash: 10_000, windowSize: 1, fill, episodeLength: STEPS, actionType: 'box' },
          constraints: { rules: r, mode: 'lenient' },
        });
        let info = env.reset({ startIndex: 0 }).info;
        for (let k = 0; k < STEPS && !env.sim.terminated && !env.sim.truncated; k++) {
          const [lo, hi] = info.targetInterval;
          const inLock = (info.targetReasonBits[1] & LOCK_BITS) !== 0;
          const qty0 = info.positionQty;
          const equity0 = info.equity;
          info = env.step(Float32Array.of(path.proposals[k])).info;
          expect(info.executedTarget).toBeGreaterThanOrEqual(lo);
          expect(info.executedTarget).toBeLessThanOrEqual(hi);
          const qty = info.positionQty;
          if (inLock) {
            locked++;
            expect(Math.abs(qty)).toBeLessThanOrEqual(Math.abs(qty0));
          }
          const grows = qty * qty0 < 0 || Math.abs(qty) > Math.abs(qty0);
          // The step marked at the gap's close is outside the fill model's bound: nothing to check there.
          if (!grows || k + 1 === path.gapAt) continue;
          grew++;
          expect(info.equity).toBeGreaterThan(0);
          const exposure = Math.abs(qty * info.price) / info.equity;
          expect(exposure).toBeLessThanOrEqual(rules.max_position_pct * (1 + TOL));
          if (rules.max_leverage !== undefined) expect(exposure).toBeLessThanOrEqual(rules.max_leverage * (1 + TOL));
          if (rules.initial_margin_pct !== undefined) expect(exposure * rules.initial_margin_pct).toBeLessThanOrEqual(1 + TOL);
          const orderValue = Math.abs(info.fill.qty * info.fill.price);
          if (rules.max_order_pct !== undefined) expect(orderValue / equity0).toBeLessThanOrEqual(rules.max_order_pct * (1 + TOL));
          if (rules.long_only) expect(qty).toBeGreaterThanOrEqual(0);
        }
      }),
      { numRuns: 300, seed: 20240717 },
    );
    // The property must have judged real position increases and real locks.
    expect(grew).toBeGreaterThan(500);
    expect(locked).toBeGreaterThan(100);
  });
});
