import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { utcDayIndex } from './clock.js';
import { defineInstrument } from './instrument.js';
import { Ledger } from './ledger.js';
import { TradingDayCalendar, UTC_SESSION, parseTradingSession, tradingDayIndex } from './trading-day.js';
import { ValidationError } from './validation.js';

const NY = { timezone: 'America/New_York', dayStartsAt: '17:00' };
const HOUR = 3_600_000;
const MINUTE = 60_000;

describe('trading days', () => {
  it('UTC days by default: the same index as utcDayIndex, rolling at 00:00 UTC', () => {
    const cal = new TradingDayCalendar();
    const t = Date.UTC(2024, 0, 2);
    expect(cal.dayIndex(t - 1)).toBe(utcDayIndex(t) - 1);
    expect(cal.dayIndex(t)).toBe(utcDayIndex(t));
    expect(tradingDayIndex(t - 1)).toBe(utcDayIndex(t - 1));
    fc.assert(fc.property(fc.integer({ min: -1e13, max: 1e13 }), (ms) => cal.dayIndex(ms) === utcDayIndex(ms)));
  });

  it('a New York 17:00 day rolls at 22:00 UTC in winter (EST) and 21:00 UTC in summer (EDT)', () => {
    const cal = new TradingDayCalendar(NY);
    const winter = Date.UTC(2024, 0, 15, 22); // 17:00 EST
    expect(cal.dayIndex(winter - 1)).toBe(cal.dayIndex(winter) - 1);
    expect(cal.dayStartMs(cal.dayIndex(winter))).toBe(winter);
    const summer = Date.UTC(2024, 6, 15, 21); // 17:00 EDT
    expect(cal.dayIndex(summer - 1)).toBe(cal.dayIndex(summer) - 1);
    expect(cal.dayStartMs(cal.dayIndex(summer))).toBe(summer);
    // Labelled by the local date it starts on.
    expect(cal.dayIndex(summer)).toBe(utcDayIndex(Date.UTC(2024, 6, 15)));
    expect(tradingDayIndex(summer, NY)).toBe(cal.dayIndex(summer));
  });

  it('a DST change day: the day that spans the spring change is 23 hours, the autumn one 25', () => {
    const cal = new TradingDayCalendar(NY);
    // 2024-03-10 02:00 EST → 03:00 EDT. The day starting 03-09 17:00 EST (22:00 UTC) ends 03-10 17:00 EDT (21:00 UTC).
    const springDay = cal.dayIndex(Date.UTC(2024, 2, 10, 12));
    expect(cal.dayStartMs(springDay)).toBe(Date.UTC(2024, 2, 9, 22));
    expect(cal.dayStartMs(springDay + 1) - cal.dayStartMs(springDay)).toBe(23 * HOUR);
    // 2024-11-03 02:00 EDT → 01:00 EST.
    const autumnDay = cal.dayIndex(Date.UTC(2024, 10, 3, 12));
    expect(cal.dayStartMs(autumnDay + 1) - cal.dayStartMs(autumnDay)).toBe(25 * HOUR);
  });

  it('a start time that a DST change skips begins the day at the jump; one that happens twice at its first occurrence', () => {
    const gap = new TradingDayCalendar({ timezone: 'America/New_York', dayStartsAt: '02:30' });
    const springDay = utcDayIndex(Date.UTC(2024, 2, 10));
    // 02:30 does not exist on 2024-03-10: the day starts at the jump, 07:00 UTC (03:00 EDT).
    expect(gap.dayStartMs(springDay)).toBe(Date.UTC(2024, 2, 10, 7));
    expect(gap.dayIndex(Date.UTC(2024, 2, 10, 7) - 1)).toBe(springDay - 1);
    expect(gap.dayIndex(Date.UTC(2024, 2, 10, 7))).toBe(springDay);
    const overlap = new TradingDayCalendar({ timezone: 'America/New_York', dayStartsAt: '01:30' });
    const autumnDay = utcDayIndex(Date.UTC(2024, 10, 3));
    // 01:30 happens at 05:30 UTC (EDT) and again at 06:30 UTC (EST): the first one starts the day, and the
    // second does not send the index back.
    expect(overlap.dayStartMs(autumnDay)).toBe(Date.UTC(2024, 10, 3, 5, 30));
    expect(overlap.dayIndex(Date.UTC(2024, 10, 3, 6, 0))).toBe(autumnDay);
    expect(overlap.dayIndex(Date.UTC(2024, 10, 3, 6, 45))).toBe(autumnDay);
  });

  it('day indices never go backwards and agree with the uncached answer, in any zone and start time', () => {
    const zones = ['America/New_York', 'Europe/London', 'Australia/Lord_Howe', 'Asia/Kolkata', 'Pacific/Chatham', 'UTC'];
    fc.assert(
      fc.property(
        fc.constantFrom(...zones),
        fc.integer({ min: 0, max: 23 }),
        fc.constantFrom(0, 15, 30, 45),
        fc.integer({ min: Date.UTC(2000, 0, 1), max: Date.UTC(2040, 0, 1) }),
        fc.array(fc.integer({ min: 0, max: 6 * HOUR }), { minLength: 1, maxLength: 40 }),
        (timezone, h, m, start, steps) => {
          const session = { timezone, dayStartsAt: `${String(h).padStart(2, '0')}:${String(m).padStart(2, '0')}` };
          const cached = new TradingDayCalendar(session);
          let t = start;
          let last = -Infinity;
          for (const dt of steps) {
            t += dt;
            const d = cached.dayIndex(t);
            if (d < last) return false;
            if (d !== new TradingDayCalendar(session).dayIndex(t)) return false;
            if (!(cached.dayStartMs(d) <= t && t < cached.dayStartMs(d + 1))) return false;
            last = d;
          }
          return true;
        },
      ),
      { seed: 10, numRuns: 150 },
    );
  });

  it('refuses a bad zone or start time, naming the field', () => {
    expect(() => parseTradingSession({ timezone: 'Mars/Olympus', dayStartsAt: '17:00' })).toThrow(/timezone: must be an IANA time zone.*"Mars\/Olympus"/);
    expect(() => parseTradingSession({ timezone: 'UTC', dayStartsAt: '24:00' })).toThrow(/dayStartsAt: must be a local time HH:MM.*"24:00"/);
    expect(() => parseTradingSession({ timezone: 'UTC', dayStartsAt: '5pm' })).toThrow(ValidationError);
    expect(() => new TradingDayCalendar({ timezone: '', dayStartsAt: '17:00' })).toThrow(/timezone/);
    expect(() => defineInstrument({ symbol: 'EUR/USD', session: { timezone: 'America/New_York', dayStartsAt: '17:60' } })).toThrow(
      /instrument EUR\/USD: session\.dayStartsAt/,
    );
    expect(parseTradingSession({ timezone: 'america/new_york', dayStartsAt: '17:00' })).toEqual(NY);
    expect(parseTradingSession({})).toEqual(UTC_SESSION);
  });

  it('an instrument on UTC days carries no session; one on New York days keeps it', () => {
    expect(defineInstrument({ symbol: 'BTC/USD' }).session).toBeUndefined();
    expect(defineInstrument({ symbol: 'BTC/USD', session: UTC_SESSION }).session).toBeUndefined();
    expect(defineInstrument({ symbol: 'EUR/USD', session: NY }).session).toEqual(NY);
  });

  it('a time that is no number has no day', () => {
    expect(new TradingDayCalendar(NY).dayIndex(Number.NaN)).toBeNaN();
    expect(new TradingDayCalendar().dayIndex(Number.POSITIVE_INFINITY)).toBeNaN();
  });

  it("the ledger's day PnL restarts at the session's day start, not at UTC midnight", () => {
    const ledger = new Ledger(1_000, new TradingDayCalendar(NY));
    ledger.reset(Date.UTC(2024, 0, 15, 23), 100); // 18:00 EST: the day that started at 17:00
    ledger.applyFill(1, 100, 0);
    ledger.mark(110, Date.UTC(2024, 0, 15, 23, 30));
    expect(ledger.dayPnl).toBe(10);
    ledger.mark(110, Date.UTC(2024, 0, 16, 0)); // UTC midnight: still the same New York trading day
    expect(ledger.dayPnl).toBe(10);
    ledger.mark(120, Date.UTC(2024, 0, 16, 22) + MINUTE); // 17:01 EST: a new day, from the equity at the last mark
    expect(ledger.dayPnl).toBe(10);
    expect(ledger.dayStartEquity).toBe(1_010);
  });
});
