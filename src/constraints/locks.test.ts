import { describe, expect, it } from 'vitest';
import { FakeClock, MS_PER_DAY } from '../core/index.js';
import { MemoryAuditSink } from '../security/index.js';
import { compileRules } from './compile.js';
import { type LockEvent, auditLockListener, resetDrawdownLock, updateLocks } from './locks.js';
import { computeActionMask } from './mask.js';
import { type RulesInput, parseRules } from './rules-schema.js';
import { createConstraintState } from './state.js';

const rules = (r: RulesInput = {}) => compileRules(parseRules({ max_position_pct: 1, ...r }));

describe('drawdown lock', () => {
  it('drawdown past the limit when updated then engages once and emits one event', () => {
    const clock = new FakeClock(5 * MS_PER_DAY);
    const c = rules();
    const s = createConstraintState({ symbol: 'BTC/USDT', equity: 10_000, price: 100, positionQty: 10, timeMs: clock.nowMs() });
    const events: LockEvent[] = [];
    expect(updateLocks(s, c, (e) => events.push(e))).toBe(0);
    s.equity = 8_900;
    expect(updateLocks(s, c, (e) => events.push(e))).toBe(1);
    expect(updateLocks(s, c, (e) => events.push(e))).toBe(0);
    expect(s.drawdownLocked).toBe(true);
    expect(events).toEqual([
      {
        type: 'CONSTRAINT_LOCK_ENGAGED',
        lock: 'DRAWDOWN',
        rule: 'MAX_DRAWDOWN_PCT',
        symbol: 'BTC/USDT',
        timeMs: 5 * MS_PER_DAY,
        actor: 'system',
        reason: 'MAX_DRAWDOWN_PCT: max=0.1, drawdown=0.11, release=recovery, release_at=0.1',
      },
    ]);
  });

  it('recovery mode when equity climbs back to the release level then clears, with hysteresis', () => {
    const c = rules({ drawdown_release_pct: 0.05 });
    const s = createConstraintState({ equity: 8_900, peakEquity: 10_000, price: 100, positionQty: 10 });
    const events: LockEvent[] = [];
    updateLocks(s, c, (e) => events.push(e));
    s.equity = 9_400; // drawdown 6 %: below the lock level, above the release level
    updateLocks(s, c, (e) => events.push(e));
    expect(s.drawdownLocked).toBe(true);
    expect(computeActionMask(s, c).mask[1]).toBe(0);
    s.equity = 9_500; // exactly the release level
    updateLocks(s, c, (e) => events.push(e));
    expect(s.drawdownLocked).toBe(false);
    expect(events.map((e) => e.type)).toEqual(['CONSTRAINT_LOCK_ENGAGED', 'CONSTRAINT_LOCK_CLEARED']);
    expect(computeActionMask(s, c).mask[1]).toBe(1);
  });

  it('operator mode when equity recovers then stays locked until an operator resets it', () => {
    const c = rules({ drawdown_lock_release: 'operator' });
    const s = createConstraintState({ equity: 8_000, peakEquity: 10_000, price: 100, positionQty: 10 });
    const sink = new MemoryAuditSink();
    const listener = auditLockListener(sink);
    updateLocks(s, c, listener);
    s.equity = 9_990;
    updateLocks(s, c, listener);
    expect(s.drawdownLocked).toBe(true);
    expect(computeActionMask(s, c).reasons[1]).toEqual(['MAX_DRAWDOWN_PCT']);
    resetDrawdownLock(s, c, 'alice', listener);
    expect(s.drawdownLocked).toBe(false);
    expect(s.peakEquity).toBe(9_990);
    expect(computeActionMask(s, c).mask[1]).toBe(1);
    expect(sink.events.map((e) => [e.type, e.actor])).toEqual([
      ['CONSTRAINT_LOCK_ENGAGED', 'system'],
      ['CONSTRAINT_LOCK_CLEARED', 'operator:alice'],
    ]);
    expect(sink.events[1].payload).toMatchObject({ lock: 'DRAWDOWN', rule: 'MAX_DRAWDOWN_PCT' });
  });

  it('operator reset without an operator id then is refused', () => {
    const c = rules();
    const s = createConstraintState({ equity: 8_000, peakEquity: 10_000, price: 100 });
    expect(() => resetDrawdownLock(s, c, '')).toThrow(/operatorId/);
  });
});

describe('daily loss lock', () => {
  it('loss past 3 % when updated then locks for the rest of the UTC day, even after a rebound', () => {
    const clock = new FakeClock(10 * MS_PER_DAY + 3_600_000);
    const c = rules();
    const s = createConstraintState({ equity: 9_600, dayPnl: -400, price: 100, positionQty: 5, timeMs: clock.nowMs() });
    const events: LockEvent[] = [];
    updateLocks(s, c, (e) => events.push(e));
    expect(s.dailyLossLockDay).toBe(10);
    // Rebound within the day: the lock holds.
    clock.advance(3_600_000);
    Object.assign(s, { equity: 10_100, dayPnl: 100, timeMs: clock.nowMs() });
    updateLocks(s, c, (e) => events.push(e));
    expect(computeActionMask(s, c).reasons[1]).toEqual(['DAILY_LOSS_LIMIT_PCT']);
    expect(computeActionMask(s, c).mask[5]).toBe(1); // CLOSE_POSITION with a position open
    // Next UTC day, at its first millisecond: cleared.
    clock.set(11 * MS_PER_DAY);
    Object.assign(s, { dayPnl: 0, timeMs: clock.nowMs() });
    expect(computeActionMask(s, c).mask[1]).toBe(1);
    updateLocks(s, c, (e) => events.push(e));
    expect(s.dailyLossLockDay).toBe(-1);
    expect(events.map((e) => `${e.type} ${e.lock} ${e.timeMs}`)).toEqual([
      `CONSTRAINT_LOCK_ENGAGED DAILY_LOSS ${10 * MS_PER_DAY + 3_600_000}`,
      `CONSTRAINT_LOCK_CLEARED DAILY_LOSS ${11 * MS_PER_DAY}`,
    ]);
  });

  it('a lock one ms before midnight when the day rolls with a new loss then clears and engages again', () => {
    const c = rules();
    const s = createConstraintState({ equity: 9_600, dayPnl: -400, price: 100, timeMs: 2 * MS_PER_DAY - 1 });
    updateLocks(s, c);
    Object.assign(s, { equity: 9_000, dayPnl: -600, timeMs: 2 * MS_PER_DAY });
    const events: LockEvent[] = [];
    expect(updateLocks(s, c, (e) => events.push(e))).toBe(2);
    expect(events.map((e) => e.type)).toEqual(['CONSTRAINT_LOCK_CLEARED', 'CONSTRAINT_LOCK_ENGAGED']);
    expect(s.dailyLossLockDay).toBe(2);
  });

  it('an unusable state when updated then changes no lock', () => {
    const s = createConstraintState({ equity: Number.NaN, price: 100 });
    expect(updateLocks(s, rules())).toBe(0);
    expect(s.drawdownLocked).toBe(false);
  });
});
