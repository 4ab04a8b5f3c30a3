import { describe, expect, it } from 'vitest';
import { compileRules, computeActionMask, parseRules, updateLocks } from '../constraints/index.js';
import { AccountState } from './account-state.js';

const NEW_YORK_17 = { timezone: 'America/New_York', dayStartsAt: '17:00' };
const MINUTE = 60_000;
/** 2024-01-15 17:00 EST. */
const NY_ROLL = Date.UTC(2024, 0, 15, 22);

describe('AccountState: the trading day of the instrument', () => {
  it('fills at 16:59 and 17:01 New York time count on two trading days (max_trades_per_day 1 leaves the second free)', () => {
    const rules = compileRules(parseRules({ max_position_pct: 1, max_trades_per_day: 1 }));
    const ny = new AccountState(10_000, 'EUR/USD', NEW_YORK_17);
    ny.reset(NY_ROLL - 5 * MINUTE, 1);
    ny.applyFill(100, 1, 0, NY_ROLL - MINUTE); // 16:59 EST
    ny.mark(1, NY_ROLL - MINUTE);
    expect(ny.tradesToday).toBe(1);
    expect(computeActionMask(ny, rules).mask[1]).toBe(0);
    ny.mark(1, NY_ROLL + MINUTE); // 17:01: a new trading day
    expect(ny.tradesToday).toBe(0);
    expect(computeActionMask(ny, rules).mask[1]).toBe(1);
    ny.applyFill(100, 1, 0, NY_ROLL + MINUTE);
    expect(ny.tradesToday).toBe(1);
    // The same two fills on UTC days (21:59 and 22:01 UTC) are one day's two trades.
    const utc = new AccountState(10_000, 'EUR/USD');
    utc.reset(NY_ROLL - 5 * MINUTE, 1);
    utc.applyFill(100, 1, 0, NY_ROLL - MINUTE);
    utc.mark(1, NY_ROLL + MINUTE);
    expect(utc.tradesToday).toBe(1);
  });

  it('the day PnL and the daily-loss lock restart at 17:00 New York time, not at UTC midnight', () => {
    const rules = compileRules(parseRules({ max_position_pct: 1, daily_loss_limit_pct: 0.01 }));
    const s = new AccountState(10_000, 'EUR/USD', NEW_YORK_17);
    s.reset(NY_ROLL + MINUTE, 100); // 17:01 EST
    s.applyFill(50, 100, 0, NY_ROLL + MINUTE);
    s.mark(97, NY_ROLL + 60 * MINUTE); // −150 = −1.5 %: the lock engages
    expect(updateLocks(s, rules)).toBe(1);
    expect(s.dailyLossLockDay).toBe(s.tradingDay);
    s.mark(100, Date.UTC(2024, 0, 16, 0, 30)); // past UTC midnight, same New York day: still locked
    expect(updateLocks(s, rules)).toBe(0);
    expect(s.dailyLossLockDay).not.toBe(-1);
    expect(s.dayPnl).toBe(0);
    s.mark(100, NY_ROLL + 24 * 60 * MINUTE); // 17:00 EST the next day: cleared
    expect(updateLocks(s, rules)).toBe(1);
    expect(s.dailyLossLockDay).toBe(-1);
    expect(s.dayStartEquity).toBe(10_000);
  });

  it('refuses a session that is no trading day, naming the field', () => {
    expect(() => new AccountState(10_000, 'X', { timezone: 'New York', dayStartsAt: '17:00' })).toThrow(/timezone: must be an IANA time zone/);
    expect(() => new AccountState(10_000, 'X', { timezone: 'UTC', dayStartsAt: '17' })).toThrow(/dayStartsAt: must be a local time HH:MM/);
  });
});
