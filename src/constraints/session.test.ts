import { describe, expect, it } from 'vitest';
import { compileSessionWindows, minuteOfWeek, sessionOpenAt } from './session.js';

describe('session windows', () => {
  it('minute of week when computed then counts from Sunday 00:00 UTC, before 1970 too', () => {
    expect(minuteOfWeek(Date.UTC(2024, 0, 7))).toBe(0); // a Sunday
    expect(minuteOfWeek(Date.UTC(2024, 0, 1, 9, 30))).toBe(1_440 + 570); // Monday 09:30
    expect(minuteOfWeek(Date.UTC(2024, 0, 6, 23, 59, 59, 999))).toBe(7 * 1_440 - 1); // Saturday 23:59
    expect(minuteOfWeek(0)).toBe(4 * 1_440); // Thursday 1970-01-01
    expect(minuteOfWeek(-1)).toBe(4 * 1_440 - 1);
  });

  it('a Saturday window past midnight when compiled then runs into Sunday morning', () => {
    const open = compileSessionWindows([{ days: ['sat'], start: '23:00', end: '01:00' }]);
    expect(sessionOpenAt(open, Date.UTC(2024, 0, 6, 23, 0))).toBe(true);
    expect(sessionOpenAt(open, Date.UTC(2024, 0, 7, 0, 59))).toBe(true);
    expect(sessionOpenAt(open, Date.UTC(2024, 0, 7, 1, 0))).toBe(false);
    expect(sessionOpenAt(open, Date.UTC(2024, 0, 6, 22, 59))).toBe(false);
  });

  it('a window until 24:00 when compiled then covers the last minute of the day', () => {
    const open = compileSessionWindows([{ days: ['mon'], start: '00:00', end: '24:00' }]);
    expect(sessionOpenAt(open, Date.UTC(2024, 0, 1, 23, 59))).toBe(true);
    expect(sessionOpenAt(open, Date.UTC(2024, 0, 2, 0, 0))).toBe(false);
  });
});
