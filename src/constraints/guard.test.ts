import { describe, expect, it } from 'vitest';
import { MemoryAuditSink } from '../security/index.js';
import { TARGET_TOLERANCE } from './box.js';
import { ConstraintGuard, MaskedActionError, TargetOutsideIntervalError } from './guard.js';
import { RULE_BIT } from './rule-ids.js';
import { auditLockListener } from './locks.js';

const figures = (over: Partial<Record<string, number>> = {}) => ({
  equity: 10_000,
  peakEquity: 10_000,
  positionQty: 0,
  price: 100,
  dayPnl: 0,
  tradesToday: 0,
  barsSinceLastTrade: 100,
  timeMs: 0,
  ...over,
});

describe('ConstraintGuard', () => {
  it('strict mode when a masked action is admitted then throws naming the action and the rules', () => {
    const g = new ConstraintGuard({ rules: {} }, 1, { symbol: 'BTC/USDT' });
    g.syncEnv(0, figures({ positionQty: 15 }));
    const mask = new Uint8Array(6);
    g.writeMask(0, mask);
    expect([...mask]).toEqual([1, 1, 0, 1, 1, 1]);
    expect(g.admit(0, 1)).toBe(1);
    expect(() => g.admit(0, 2)).toThrow(new MaskedActionError(2, 'BUY_LARGE', ['MAX_POSITION_PCT']));
  });

  it('lenient mode when a masked action is admitted then runs HOLD and counts the violation', () => {
    const g = new ConstraintGuard({ rules: {}, mode: 'lenient' }, 2, { symbol: 'BTC/USDT' });
    g.syncEnv(0, figures({ positionQty: 15 }));
    g.syncEnv(1, figures());
    const masks = new Uint8Array(12);
    g.writeMasks(masks);
    expect(g.admit(0, 2)).toBe(0);
    expect(g.admit(1, 2)).toBe(2);
    expect([...g.violations]).toEqual([1, 0]);
    expect([...g.lastViolation]).toEqual([2, -1]);
    expect(g.reasonsOf(0, 2)).toEqual(['MAX_POSITION_PCT']);
    g.resetEnv(0);
    expect(g.violations[0]).toBe(0);
  });

  it('a drawdown breach when synced then emits the lock event to the audit sink once', () => {
    const sink = new MemoryAuditSink();
    const g = new ConstraintGuard({ rules: {}, onLockEvent: auditLockListener(sink) }, 1, { symbol: 'X' });
    g.syncEnv(0, figures({ equity: 8_000 }));
    g.syncEnv(0, figures({ equity: 8_000 }));
    expect(sink.events.map((e) => e.type)).toEqual(['CONSTRAINT_LOCK_ENGAGED']);
  });

  it('bad rules or mode when constructed then are refused, naming the field', () => {
    expect(() => new ConstraintGuard({ rules: { max_drawdown_pct: 2 } }, 1, { symbol: 'X' })).toThrow(
      /constraints\.rules: max_drawdown_pct: must be between 0 and 1, got 2/,
    );
    // As it arrives from a config file: unchecked JSON.
    expect(() => new ConstraintGuard(JSON.parse('{ "rules": {}, "mode": "loose" }'), 1, { symbol: 'X' })).toThrow(/constraints\.mode/);
  });

  it('admitTarget when a Box target is inside, just outside (float32 rounding) or beyond the interval then passes, snaps, or throws / projects', () => {
    const strict = new ConstraintGuard({ rules: {} }, 1, { symbol: 'BTC/USDT' });
    const lenient = new ConstraintGuard({ rules: {}, mode: 'lenient' }, 2, { symbol: 'BTC/USDT' });
    strict.syncEnv(0, figures({ positionQty: 10 }));
    strict.writeTargetInterval(0);
    lenient.syncEnv(1, figures({ positionQty: 10 }));
    lenient.writeTargetInterval(1);
    const [lo, hi] = strict.targetIntervals;
    expect([lo, hi, strict.currentTargets[0]]).toEqual([-0.2, 0.2, 0.1]);
    expect(strict.admitTarget(0, 0.15)).toBe(0.15);
    expect(strict.admitTarget(0, hi + TARGET_TOLERANCE / 2)).toBe(hi);
    expect(strict.targetViolationBits[0]).toBe(0);
    expect(() => strict.admitTarget(0, 0.3)).toThrow(new TargetOutsideIntervalError(0.3, -0.2, 0.2, ['MAX_POSITION_PCT']));
    expect(strict.violations[0]).toBe(0);

    expect(lenient.admitTarget(1, 0.3)).toBe(0.2);
    expect(lenient.admitTarget(1, Number.NaN)).toBe(0.1); // not a number: keep the position
    expect([lenient.proposedTargets[1], lenient.executedTargets[1]]).toEqual([Number.NaN, 0.1]);
    expect(lenient.targetViolationBits[1]).toBe(RULE_BIT.MAX_POSITION_PCT);
    expect([...lenient.violations]).toEqual([0, 2]);
    lenient.resetEnv(1);
    expect([lenient.violations[1], lenient.targetViolationBits[1]]).toEqual([0, 0]);
  });
});
