/**
 * How many bars make a year, read from the data's own calendar, for annualising returns and volatility.
 *
 * A 24/7 market (crypto) trades 365.25 days a year; a market that never trades on a weekend trades about
 * 252 days a year (the usual count of exchange sessions). Bars per day come from the data too: an equity
 * market's hourly bars are about 7 a session, not 24. So periods per year = bars per active day × active days
 * per year, where a day is "active" when it has a bar. An explicit override (`--periods-per-year`) wins.
 */
import { barIntervalMs, type Bars } from './bars.js';
import { MS_PER_DAY } from './clock.js';

export type CalendarBasis = 'override' | '24/7' | 'weekdays' | 'interval';

export interface Calendar {
  readonly periodsPerYear: number;
  readonly basis: CalendarBasis;
  /** One line for a person: which calendar annualised the figures, and why. */
  readonly description: string;
}

/** Trading days in a year of a market closed on weekends (the usual exchange convention). */
export const WEEKDAY_SESSIONS_PER_YEAR = 252;
const DAYS_PER_YEAR = 365.25;
const MS_PER_YEAR = DAYS_PER_YEAR * MS_PER_DAY;

function isWeekendUtc(timeMs: number): boolean {
  const d = new Date(timeMs).getUTCDay();
  return d === 0 || d === 6;
}

/** Years between the first and the last bar's timestamp (0 for fewer than two bars). */
export function elapsedYears(time: ArrayLike<number>): number {
  return time.length < 2 ? 0 : (time[time.length - 1] - time[0]) / MS_PER_YEAR;
}

/**
 * The calendar of a bar series. `override` (bars per year, > 0) wins; otherwise a series with no bar on a UTC
 * weekend that spans at least two weeks counts 252 sessions a year, any other 365.25 days; bars per active day
 * are the median count of bars per UTC day (for bars shorter than a day) or one bar per interval.
 */
export function inferCalendar(bars: Bars, override?: number): Calendar {
  if (override !== undefined) {
    if (!(Number.isFinite(override) && override > 0)) {
      throw new RangeError(`periods per year: must be a number > 0, got ${String(override)}`);
    }
    return { periodsPerYear: override, basis: 'override', description: `${override} periods a year (given)` };
  }
  const intervalMs = barIntervalMs(bars);
  if (!(intervalMs > 0)) {
    return { periodsPerYear: WEEKDAY_SESSIONS_PER_YEAR, basis: 'interval', description: 'too few bars to read a calendar: 252 periods a year assumed' };
  }
  const spanMs = bars.length >= 2 ? bars.time[bars.length - 1] - bars.time[0] : 0;
  let weekend = false;
  for (let i = 0; i < bars.length && !weekend; i++) weekend = isWeekendUtc(bars.time[i]);
  // A week has a weekend; a shorter series cannot show that its market closes on weekends.
  const weekdays = !weekend && spanMs >= 14 * MS_PER_DAY && intervalMs <= MS_PER_DAY;
  const activeDays = weekdays ? WEEKDAY_SESSIONS_PER_YEAR : DAYS_PER_YEAR;
  const barsPerDay = intervalMs >= MS_PER_DAY ? MS_PER_DAY / intervalMs : medianBarsPerDay(bars);
  const periodsPerYear = barsPerDay * activeDays;
  const fmt = (x: number): string => String(Math.round(x * 100) / 100);
  return weekdays
    ? {
        periodsPerYear,
        basis: 'weekdays',
        description: `${fmt(periodsPerYear)} periods a year: no bar on a weekend, so ${WEEKDAY_SESSIONS_PER_YEAR} sessions × ${fmt(barsPerDay)} bars a session`,
      }
    : {
        periodsPerYear,
        basis: '24/7',
        description: `${fmt(periodsPerYear)} periods a year: bars on every day, so 365.25 days × ${fmt(barsPerDay)} bars a day`,
      };
}

/** Median number of bars per UTC day, over the days that have a bar, leaving out the first and last (partial) days. */
function medianBarsPerDay(bars: Bars): number {
  const counts: number[] = [];
  let day = Math.floor(bars.time[0] / MS_PER_DAY);
  let count = 0;
  for (let i = 0; i < bars.length; i++) {
    const d = Math.floor(bars.time[i] / MS_PER_DAY);
    if (d !== day) {
      counts.push(count);
      day = d;
      count = 0;
    }
    count++;
  }
  counts.push(count);
  const inner = counts.length > 2 ? counts.slice(1, -1) : counts;
  inner.sort((a, b) => a - b);
  return inner[inner.length >> 1];
}
