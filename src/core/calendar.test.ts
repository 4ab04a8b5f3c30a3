import { describe, expect, it } from 'vitest';
import { allocateBars, type Bars } from './bars.js';
import { elapsedYears, inferCalendar } from './calendar.js';
import { MS_PER_DAY } from './clock.js';

const HOUR = 3_600_000;
const MONDAY_2021_01_04 = Date.UTC(2021, 0, 4);

function barsAt(times: number[]): Bars {
  const b = allocateBars(times.length);
  times.forEach((t, i) => {
    b.time[i] = t;
    b.open[i] = b.high[i] = b.low[i] = b.close[i] = 100;
  });
  return b;
}

/** Weekday daily bars (no holidays) from a Monday, `count` of them. */
function weekdayDaily(count: number): Bars {
  const times: number[] = [];
  for (let t = MONDAY_2021_01_04; times.length < count; t += MS_PER_DAY) {
    const d = new Date(t).getUTCDay();
    if (d !== 0 && d !== 6) times.push(t);
  }
  return barsAt(times);
}

describe('inferCalendar', () => {
  it('weekday_only_daily_bars_annualise_over_252_sessions_not_365_days', () => {
    const cal = inferCalendar(weekdayDaily(756));
    expect(cal.basis).toBe('weekdays');
    expect(cal.periodsPerYear).toBe(252);
    expect(cal.description).toMatch(/no bar on a weekend/);
  });

  it('hourly_bars_every_day_annualise_over_365_25_days_of_24_bars', () => {
    const cal = inferCalendar(barsAt(Array.from({ length: 24 * 30 }, (_, i) => MONDAY_2021_01_04 + i * HOUR)));
    expect(cal.basis).toBe('24/7');
    expect(cal.periodsPerYear).toBeCloseTo(365.25 * 24, 9);
  });

  it('hourly_bars_in_weekday_sessions_count_bars_per_session_not_24', () => {
    // 7 hourly bars a weekday (14:30..20:30 UTC), four weeks.
    const times: number[] = [];
    for (let d = 0; d < 28; d++) {
      const day = MONDAY_2021_01_04 + d * MS_PER_DAY;
      const wd = new Date(day).getUTCDay();
      if (wd === 0 || wd === 6) continue;
      for (let h = 0; h < 7; h++) times.push(day + 14.5 * HOUR + h * HOUR);
    }
    const cal = inferCalendar(barsAt(times));
    expect(cal.basis).toBe('weekdays');
    expect(cal.periodsPerYear).toBe(7 * 252);
  });

  it('a_series_shorter_than_two_weeks_cannot_show_a_weekday_calendar_and_counts_every_day', () => {
    expect(inferCalendar(weekdayDaily(5)).basis).toBe('24/7');
  });

  it('an_override_wins_and_a_bad_override_is_refused_naming_it', () => {
    expect(inferCalendar(weekdayDaily(100), 260)).toMatchObject({ periodsPerYear: 260, basis: 'override' });
    expect(() => inferCalendar(weekdayDaily(100), 0)).toThrow('periods per year: must be a number > 0, got 0');
    expect(() => inferCalendar(weekdayDaily(100), Number.NaN)).toThrow('got NaN');
  });

  it('elapsed_years_is_the_calendar_time_between_the_first_and_last_bar', () => {
    const b = weekdayDaily(756);
    expect(elapsedYears(b.time)).toBeCloseTo((b.time[755] - b.time[0]) / (365.25 * MS_PER_DAY), 12);
    expect(elapsedYears(b.time)).toBeGreaterThan(2.8);
    expect(elapsedYears(new Float64Array([5]))).toBe(0);
  });
});
