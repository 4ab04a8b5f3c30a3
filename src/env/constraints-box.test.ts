/** The Constraint Logic Engine wired into Box (target-position) envs: the allowed interval, strict and lenient. */
import { describe, expect, it } from 'vitest';
import { RULE_BIT, TargetOutsideIntervalError, allowedTargetInterval } from '../constraints/index.js';
import { FREE_FILL, handDataset } from './test-helpers/hand-data.js';
import { TradingEnv } from './trading-env.js';
import { TradingVecEnv } from './trading-vec-env.js';

const flat = handDataset(new Array(12).fill(100), new Array(12).fill(100));
// A margin account: these tests take short targets, which a (default) cash account refuses.
const config = { initialCash: 1_000, windowSize: 1, fill: FREE_FILL, episodeLength: 8, actionType: 'box' as const, account: { type: 'margin' as const, leverage: 2 } };
// The seed document's rules (position 20 %, drawdown 10 %, daily loss 3 %) are the defaults.
const seedRules = {};
// FREE_FILL has no spread or slippage; one tick of rounding (0.01 on 100) is the whole worst-case move: a buy
// filled and marked at 1.0001 may reach 20 %, a short sold at 0.9999 and marked at 1.0001 slightly less.
const HI = 0.2 / 1.0001;
const LO = -0.2 / (1.0001 * 1.2 - 0.2 * 0.9999);
const target = (x: number) => Float32Array.of(x);

describe('TradingEnv (Box) with constraints', () => {
  it('reset and step when the position changes then publish the engine interval and its rules in info', () => {
    const env = new TradingEnv({ dataset: flat, config, constraints: { rules: seedRules } });
    const { info } = env.reset({ startIndex: 0 });
    expect(info.actionMask.length).toBe(0);
    expect(info.targetInterval[0]).toBeCloseTo(LO, 12);
    expect(info.targetInterval[1]).toBeCloseTo(HI, 12);
    expect([...info.targetReasonBits]).toEqual([RULE_BIT.MAX_POSITION_PCT, RULE_BIT.MAX_POSITION_PCT]);
    expect(env.constraints?.targetReasonsOf(0)).toEqual({ lo: ['MAX_POSITION_PCT'], hi: ['MAX_POSITION_PCT'] });
    expect(info.proposedTarget).toBeNaN();
    const r = env.step(target(0.125));
    expect(r.info).toBe(info); // rewritten in place
    expect(r.info.positionQty).toBeCloseTo(1.25, 12);
    expect([r.info.proposedTarget, r.info.executedTarget, r.info.targetViolationBits]).toEqual([0.125, 0.125, 0]);
    // Holding 12.5 %: still about ±20 %, the ends moved a little by the held position's worst-case move.
    const guard = env.constraints;
    if (guard === null) throw new Error('the env has constraints');
    const engine = allowedTargetInterval(env.sim.account, guard.compiled);
    expect([...info.targetInterval]).toEqual([engine.lo, engine.hi]);
    expect(engine.current).toBe(0.125);
    expect(info.targetInterval[0]).toBeCloseTo(-0.2, 4);
    expect(info.targetInterval[1]).toBeCloseTo(0.2, 4);
  });

  it('long_only and max_order_pct when judged then bind their ends', () => {
    const env = new TradingEnv({ dataset: flat, config, constraints: { rules: { long_only: true, max_order_pct: 0.05 } } });
    const { info } = env.reset({ startIndex: 0 });
    expect(info.targetInterval[0]).toBe(0);
    expect(info.targetInterval[1]).toBeCloseTo(0.05 / 1.0001, 12);
    // The order limit alone would allow −5 %; long_only cuts that at flat.
    expect(env.constraints?.targetReasonsOf(0)).toEqual({ lo: ['LONG_ONLY'], hi: ['MAX_ORDER_PCT'] });
  });

  it('strict mode (the default) when a target beyond the interval is sent then throws naming it and leaves the env untouched', () => {
    const env = new TradingEnv({ dataset: flat, config, constraints: { rules: seedRules } });
    env.reset({ startIndex: 0 });
    expect(() => env.step(target(0.5))).toThrow(TargetOutsideIntervalError);
    expect(() => env.step(target(0.5))).toThrow('target 0.5 is outside the allowed interval [-0.199972, 0.19998]: MAX_POSITION_PCT');
    expect(() => env.step(target(Number.NaN))).toThrow(/target NaN is outside/);
    expect(env.sim.t).toBe(0);
    expect(env.constraints?.violations[0]).toBe(0);
  });

  it('strict mode when the float32 copy of an interval end is sent then snaps onto it rather than throwing', () => {
    const env = new TradingEnv({ dataset: flat, config, constraints: { rules: seedRules } });
    const { info } = env.reset({ startIndex: 0 });
    const hi = info.targetInterval[1];
    expect(Math.fround(hi)).toBeGreaterThan(hi); // the float32 end lies just outside
    const r = env.step(target(hi));
    expect(r.info.executedTarget).toBe(hi);
    expect(r.info.targetViolationBits).toBe(0);
    expect((r.info.positionQty * r.info.price) / r.info.equity).toBeLessThanOrEqual(0.2);
  });

  it('lenient mode when a target beyond the interval is sent then executes its projection and records the violation', () => {
    const env = new TradingEnv({ dataset: flat, config, constraints: { rules: seedRules, mode: 'lenient' } });
    env.reset({ startIndex: 0 });
    const r = env.step(target(0.5));
    expect(r.info.proposedTarget).toBe(0.5);
    expect(r.info.executedTarget).toBeCloseTo(HI, 12);
    expect(r.info.targetViolationBits).toBe(RULE_BIT.MAX_POSITION_PCT);
    expect(r.info.constraintViolations).toBe(1);
    expect(r.info.maskedAction).toBe(-1);
    // 0.19998 × 1000 / 100 = 1.9998 units, floored to the lot of 0.0001.
    expect(r.info.positionQty).toBeCloseTo(1.9998, 12);
    const r2 = env.step(target(-0.5));
    expect(r2.info.executedTarget).toBeCloseTo(-0.2, 4);
    expect(r2.info.positionQty).toBeCloseTo(r2.info.executedTarget * 10, 3);
    expect(r2.info.constraintViolations).toBe(2);
    const r3 = env.step(target(0));
    expect([r3.info.targetViolationBits, r3.info.constraintViolations, r3.info.positionQty]).toEqual([0, 2, 0]);
    expect(env.reset({ startIndex: 0 }).info.constraintViolations).toBe(0);
  });

  it('a drawdown lock when targets that would grow |position| are sent then shrinks the interval to [0, position] and never grows it', () => {
    const crash = handDataset([100, 100, 100, 30, 30, 30, 30, 30], [100, 100, 100, 30, 30, 30, 30, 30]);
    const strict = new TradingEnv({ dataset: crash, config, constraints: { rules: seedRules } });
    const lenient = new TradingEnv({ dataset: crash, config, constraints: { rules: seedRules, mode: 'lenient' } });
    for (const env of [strict, lenient]) {
      env.reset({ startIndex: 0 });
      env.step(target(0.15)); // 1.5 units
      env.step(target(0.15));
      const { info } = env.step(target(0.15)); // 1.5 units lose 70 each: equity 895, drawdown 10.5 %
      expect(info.equity).toBeCloseTo(895, 9);
      const held = (1.5 * 30) / 895;
      expect(info.targetInterval[0]).toBe(0);
      expect(info.targetInterval[1]).toBeCloseTo(held, 12);
      expect(info.targetReasonBits[1]).toBe(RULE_BIT.MAX_DRAWDOWN_PCT | RULE_BIT.DAILY_LOSS_LIMIT_PCT);
    }
    expect(() => strict.step(target(0.1))).toThrow('MAX_DRAWDOWN_PCT, DAILY_LOSS_LIMIT_PCT');
    expect(() => strict.step(target(-0.01))).toThrow(TargetOutsideIntervalError);

    let qty = lenient.state.positionQty;
    for (const proposal of [1, 0.3, -1, 0.2]) {
      const info = lenient.step(target(proposal)).info;
      expect(Math.abs(info.positionQty)).toBeLessThanOrEqual(Math.abs(qty));
      qty = info.positionQty;
    }
    // 1 and 0.3 hold (no order at all), −1 closes to flat, 0.2 then stays flat.
    expect(qty).toBe(0);
    expect(lenient.constraints?.violations[0]).toBe(4);
  });

  it('no constraints when reset then publishes the Box range as the interval', () => {
    const env = new TradingEnv({ dataset: flat, config: { ...config, boxRange: 'long-only' } });
    expect([...env.reset({ startIndex: 0 }).info.targetInterval]).toEqual([0, 1]);
  });
});

describe('TradingVecEnv (Box) with constraints', () => {
  it('targetIntervals when stepped in lenient mode then match a TradingEnv at the same start, row by row', () => {
    const rules = { max_order_pct: 0.08 };
    const vec = new TradingVecEnv({ dataset: flat, numEnvs: 2, config, constraints: { rules, mode: 'lenient' } });
    const reset = vec.reset();
    const single = vec.sims.map((sim) => {
      const e = new TradingEnv({ dataset: flat, config, constraints: { rules, mode: 'lenient' } });
      e.reset({ startIndex: sim.startIndex });
      return e;
    });
    const plan = [
      [0.05, 0.5],
      [0.15, -0.5],
      [0.3, 0.25],
    ];
    for (const step of plan) {
      const { targetIntervals } = vec.step(Float32Array.from(step));
      expect(targetIntervals).toBe(reset.targetIntervals);
      if (targetIntervals === null) throw new Error('a Box VecEnv has target intervals');
      single.forEach((e, i) => {
        const info = e.step(target(step[i])).info;
        expect([...targetIntervals.subarray(2 * i, 2 * i + 2)]).toEqual([...info.targetInterval]);
        expect(vec.constraints?.targetReasonBits[2 * i + 1]).toBe(info.targetReasonBits[1]);
        expect(vec.constraints?.executedTargets[i]).toBe(info.executedTarget);
        expect(vec.constraints?.violations[i]).toBe(info.constraintViolations);
        expect(vec.sims[i].state.positionQty).toBe(info.positionQty);
      });
    }
    // Env 0 went over the 8 % order limit twice, env 1 three times.
    expect([...(vec.constraints?.violations ?? [])]).toEqual([2, 3]);
  });

  it('strict mode when one env sends a target beyond its interval then throws before stepping any env', () => {
    const vec = new TradingVecEnv({ dataset: flat, numEnvs: 2, config, constraints: { rules: seedRules } });
    vec.reset();
    const bars = vec.sims.map((s) => s.t);
    expect(() => vec.step(Float32Array.from([0.1, 0.9]))).toThrow('target 0.89999998 is outside the allowed interval');
    expect(vec.sims.map((s) => s.t)).toEqual(bars);
    expect(vec.sims.map((s) => s.state.positionQty)).toEqual([0, 0]);
  });

  it('no constraints when built then targetIntervals holds the Box range per env, and discrete envs have none', () => {
    const vec = new TradingVecEnv({ dataset: flat, numEnvs: 2, config });
    expect([...(vec.reset().targetIntervals ?? [])]).toEqual([-1, 1, -1, 1]);
    expect(new TradingVecEnv({ dataset: flat, numEnvs: 2, config: { ...config, actionType: 'discrete' } }).targetIntervals).toBeNull();
  });
});
