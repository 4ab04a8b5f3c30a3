/** The Constraint Logic Engine wired into TradingEnv and TradingVecEnv (the `constraints` option). */
import { describe, expect, it } from 'vitest';
import { MaskedActionError, auditLockListener } from '../constraints/index.js';
import { MemoryAuditSink } from '../security/index.js';
import { FREE_FILL, handDataset } from './test-helpers/hand-data.js';
import { TradingEnv } from './trading-env.js';
import { TradingVecEnv } from './trading-vec-env.js';

// Default actions: 0 HOLD, 1 BUY_SMALL (5 %), 2 BUY_LARGE (10 %), 3 SELL_SMALL, 4 SELL_LARGE, 5 CLOSE_POSITION.
const [HOLD, BUY_SMALL, BUY_LARGE, , , CLOSE] = [0, 1, 2, 3, 4, 5];
const flat = handDataset(new Array(12).fill(100), new Array(12).fill(100));
const config = { initialCash: 1_000, windowSize: 1, fill: FREE_FILL, episodeLength: 8 };
// The seed document's rules: position 20 %, drawdown 10 %, daily loss 3 % (the defaults).
const seedRules = {};

describe('TradingEnv with constraints', () => {
  it('info.actionMask when the next buy would pass 20 % then comes from the engine', () => {
    const env = new TradingEnv({ dataset: flat, config, constraints: { rules: seedRules } });
    expect([...env.reset({ startIndex: 0 }).info.actionMask]).toEqual([1, 1, 1, 1, 1, 1]);
    const r = env.step(BUY_LARGE);
    // 10 % held; another 10 % reaches 20 %, which one tick of fill rounding (0.01 on 100) would pass.
    expect([...r.info.actionMask]).toEqual([1, 1, 0, 1, 1, 1]);
    expect(env.constraints?.reasonsOf(0, BUY_LARGE)).toEqual(['MAX_POSITION_PCT']);
  });

  it('strict mode (the default) when a masked action is sent then throws and leaves the env untouched', () => {
    const env = new TradingEnv({ dataset: flat, config, constraints: { rules: seedRules } });
    env.reset({ startIndex: 0 });
    env.step(BUY_LARGE);
    const barIndex = env.sim.t;
    expect(() => env.step(BUY_LARGE)).toThrow(MaskedActionError);
    expect(() => env.step(BUY_LARGE)).toThrow('action 2 (BUY_LARGE) is masked: MAX_POSITION_PCT');
    expect(env.sim.t).toBe(barIndex);
    expect(env.step(BUY_SMALL).info.positionQty).toBeCloseTo(1.5, 12);
  });

  it('lenient mode when a masked action is sent then runs HOLD and records the violation', () => {
    const env = new TradingEnv({ dataset: flat, config, constraints: { rules: seedRules, mode: 'lenient' } });
    env.reset({ startIndex: 0 });
    env.step(BUY_LARGE);
    const r = env.step(BUY_LARGE);
    expect(r.info.positionQty).toBe(1);
    expect(r.info.fill.status).toBe('NONE');
    expect(r.info.maskedAction).toBe(BUY_LARGE);
    expect(r.info.constraintViolations).toBe(1);
    const r2 = env.step(HOLD);
    expect(r2.info.maskedAction).toBe(-1);
    expect(r2.info.constraintViolations).toBe(1);
    expect(env.reset({ startIndex: 0 }).info.constraintViolations).toBe(0);
  });

  it('a crash past 10 % drawdown when stepped then locks to HOLD, reductions and CLOSE and audits the lock events', () => {
    const crash = handDataset([100, 100, 100, 30, 30, 30, 30], [100, 100, 100, 30, 30, 30, 30]);
    const sink = new MemoryAuditSink();
    const env = new TradingEnv({ dataset: crash, config, constraints: { rules: seedRules, onLockEvent: auditLockListener(sink) } });
    env.reset({ startIndex: 0 });
    env.step(BUY_LARGE);
    env.step(BUY_SMALL);
    const r = env.step(HOLD); // 1.5 units lose 70 each: equity 895, drawdown 10.5 %, day loss 10.5 %
    expect(r.info.equity).toBeCloseTo(895, 9);
    // Long 45 of 895 (5.03 %): SELL_SMALL (5 %) reduces toward flat and stays allowed; SELL_LARGE would flip short.
    expect([...r.info.actionMask]).toEqual([1, 0, 0, 1, 0, 1]);
    expect(env.constraints?.reasonsOf(0, BUY_SMALL)).toEqual(['MAX_DRAWDOWN_PCT', 'DAILY_LOSS_LIMIT_PCT']);
    expect(sink.events.map((e) => `${e.type} ${String(e.payload.lock)}`)).toEqual([
      'CONSTRAINT_LOCK_ENGAGED DRAWDOWN',
      'CONSTRAINT_LOCK_ENGAGED DAILY_LOSS',
    ]);
    expect([...env.step(CLOSE).info.actionMask]).toEqual([1, 0, 0, 0, 0, 0]);
  });
});

describe('TradingVecEnv with constraints', () => {
  it('masks when stepped then match a TradingEnv at the same start, row by row', () => {
    const vec = new TradingVecEnv({ dataset: flat, numEnvs: 2, config, constraints: { rules: seedRules, mode: 'lenient' } });
    vec.reset();
    const single = vec.sims.map((sim) => {
      const e = new TradingEnv({ dataset: flat, config, constraints: { rules: seedRules, mode: 'lenient' } });
      e.reset({ startIndex: sim.startIndex });
      return e;
    });
    const plan = [
      [BUY_LARGE, HOLD],
      [BUY_LARGE, BUY_SMALL],
      [BUY_SMALL, BUY_SMALL],
    ];
    for (const step of plan) {
      const { masks } = vec.step(Int32Array.from(step));
      if (masks === null) throw new Error('a discrete VecEnv has masks');
      single.forEach((e, i) => {
        const info = e.step(step[i]).info;
        expect([...masks.subarray(i * 6, (i + 1) * 6)]).toEqual([...info.actionMask]);
        expect(vec.constraints?.violations[i]).toBe(info.constraintViolations);
      });
    }
    // Env 0 sent BUY_LARGE at 10 % held: one violation, replaced by HOLD.
    expect(vec.constraints?.violations[0]).toBe(1);
    expect(vec.sims[0].state.positionQty).toBeCloseTo(1.5, 12);
  });

  it('strict mode when one env sends a masked action then throws before stepping any env', () => {
    const vec = new TradingVecEnv({ dataset: flat, numEnvs: 2, config, constraints: { rules: seedRules } });
    vec.reset();
    vec.step(Int32Array.from([BUY_LARGE, HOLD]));
    const bars = vec.sims.map((s) => s.t);
    expect(() => vec.step(Int32Array.from([BUY_LARGE, HOLD]))).toThrow(MaskedActionError);
    expect(vec.sims.map((s) => s.t)).toEqual(bars);
  });
});
