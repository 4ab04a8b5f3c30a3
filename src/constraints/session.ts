/**
 * Trading session windows, compiled once into a bitmap of the 10,080 minutes of a UTC week so that the
 * per-mask check is one array read.
 */
import { WEEKDAYS, type SessionWindow } from './rules-schema.js';

const MIN_PER_DAY = 1_440;
const MS_PER_MIN = 60_000;
const MIN_PER_WEEK = 7 * MIN_PER_DAY;
/** 1970-01-01 was a Thursday: weekday (Sunday = 0) of UTC day index 0. */
const EPOCH_WEEKDAY = 4;

function minutesOf(hhmm: string): number {
  const [h, m] = hhmm.split(':').map(Number);
  return h * 60 + m;
}

/** 1 for each minute of the UTC week (Sunday 00:00 = 0) in which trading is allowed. */
export function compileSessionWindows(windows: readonly SessionWindow[]): Uint8Array {
  const open = new Uint8Array(7 * MIN_PER_DAY);
  for (const w of windows) {
    const start = minutesOf(w.start);
    const end = minutesOf(w.end);
    const days = w.days ?? WEEKDAYS;
    for (const day of days) {
      const d = WEEKDAYS.indexOf(day);
      if (end > start) {
        open.fill(1, d * MIN_PER_DAY + start, d * MIN_PER_DAY + end);
      } else {
        // Past midnight: the window closes on the next day (Saturday's runs into Sunday).
        open.fill(1, d * MIN_PER_DAY + start, (d + 1) * MIN_PER_DAY);
        const next = (d + 1) % 7;
        open.fill(1, next * MIN_PER_DAY, next * MIN_PER_DAY + end);
      }
    }
  }
  return open;
}

/** Minute of the UTC week (Sunday 00:00 = 0) containing `timeMs`. */
export function minuteOfWeek(timeMs: number): number {
  // Floor-based modulo (`%` on doubles is a slow library call here, and wrong before 1970).
  const w = Math.floor(timeMs / MS_PER_MIN) + EPOCH_WEEKDAY * MIN_PER_DAY;
  return w - MIN_PER_WEEK * Math.floor(w / MIN_PER_WEEK);
}

export function sessionOpenAt(openMinutes: Uint8Array, timeMs: number): boolean {
  return openMinutes[minuteOfWeek(timeMs)] === 1;
}
