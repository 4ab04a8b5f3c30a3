/**
 * Trading days: when "today" ends for the daily-loss limit, trades per day and the day's PnL.
 *
 * An instrument without a session counts UTC days (00:00 UTC to 00:00 UTC). A session names an IANA time zone
 * and the local wall-clock time at which its day starts (e.g. FX and CME futures: 17:00 America/New_York);
 * daylight saving is followed through `Intl`, so the day starts at 17:00 New York time in winter and summer.
 *
 * A trading day is labelled by the local calendar date on which it starts, as a day index (days since
 * 1970-01-01), so UTC sessions give the same index as `utcDayIndex`. Day d starts at the earliest instant whose
 * local wall time is at or past `date(d) + dayStartsAt`: in a DST gap (a start time that does not exist that
 * night) the day starts at the jump, in an overlap (a start time that happens twice) at its first occurrence,
 * so day indices never go backwards.
 *
 * The hot path (`TradingDayCalendar.dayIndex`) compares the time with the cached bounds of the current day:
 * two number comparisons, no `Intl` call and no allocation, until the day rolls over.
 */
import { MS_PER_DAY, utcDayIndex } from './clock.js';
import { ValidationError, type ValidationIssue, describeValue } from './validation.js';

export interface TradingSession {
  /** IANA time zone, e.g. `America/New_York` or `UTC`. */
  readonly timezone: string;
  /** Local wall-clock time at which a trading day starts, `HH:MM` on a 24-hour clock. */
  readonly dayStartsAt: string;
}

/** The default: days from 00:00 to 00:00 UTC. */
export const UTC_SESSION: TradingSession = { timezone: 'UTC', dayStartsAt: '00:00' };

const DAY_START_RE = /^([01]\d|2[0-3]):([0-5]\d)$/;
/** Times outside years 100 to 9998 count as UTC (offset 0): no zone rules reach there, and `Date.UTC` reads years 0-99 as 19xx. */
const MIN_ZONED_MS = Date.UTC(100, 0, 2);
const MAX_ZONED_MS = Date.UTC(9998, 11, 30);

/** Minutes after local midnight, or null when `text` is not `HH:MM` (00:00 to 23:59). */
function dayStartMinutes(text: string): number | null {
  const m = DAY_START_RE.exec(text);
  return m === null ? null : Number(m[1]) * 60 + Number(m[2]);
}

/** The canonical name of a time zone `Intl` knows (`utc` → `UTC`), or null. */
function canonicalZone(name: string): string | null {
  if (name.trim() === '') return null;
  try {
    return new Intl.DateTimeFormat('en-US', { timeZone: name }).resolvedOptions().timeZone;
  } catch {
    return null;
  }
}

/**
 * Checks a session as given in a config file or by flags; every problem names its field (`prefix` + name).
 * Returns the session with the zone's canonical name.
 */
export function parseTradingSession(input: { timezone?: unknown; dayStartsAt?: unknown }, source = 'session', prefix = ''): TradingSession {
  const issues: ValidationIssue[] = [];
  const zone = input.timezone ?? UTC_SESSION.timezone;
  const start = input.dayStartsAt ?? UTC_SESSION.dayStartsAt;
  const canonical = typeof zone === 'string' ? canonicalZone(zone) : null;
  if (canonical === null) {
    issues.push({ path: `${prefix}timezone`, message: `must be an IANA time zone such as "America/New_York" or "UTC", got ${describeValue(zone)}` });
  }
  if (typeof start !== 'string' || dayStartMinutes(start) === null) {
    issues.push({ path: `${prefix}dayStartsAt`, message: `must be a local time HH:MM on a 24-hour clock (00:00 to 23:59), got ${describeValue(start)}` });
  }
  if (issues.length > 0) throw new ValidationError(source, issues);
  return { timezone: canonical as string, dayStartsAt: start as string };
}

/** True for the zone names `Intl` gives UTC (no offset ever, so no `Intl` call is needed). */
function isUtcZone(timezone: string): boolean {
  return timezone === 'UTC' || timezone === 'Etc/UTC';
}

/** True for a session that is plain UTC days (no session, or UTC from 00:00). */
export function isUtcSession(session: TradingSession | undefined): boolean {
  return session === undefined || (isUtcZone(session.timezone) && session.dayStartsAt === '00:00');
}

/** True when two sessions give the same trading days (UTC spelled either way, or no session, counts as the same). */
export function sameTradingDay(a: TradingSession | undefined, b: TradingSession | undefined): boolean {
  if (isUtcSession(a) || isUtcSession(b)) return isUtcSession(a) && isUtcSession(b);
  return a?.timezone === b?.timezone && a?.dayStartsAt === b?.dayStartsAt;
}

/** The warning when a run's trading day is not the one a policy was trained on, or null when they agree. */
export function trainingDayWarning(trained: TradingSession | undefined, now: TradingSession | undefined, what = 'this run uses'): string | null {
  if (sameTradingDay(trained, now)) return null;
  return `Warning: trading day differs from training: trained on ${describeTradingSession(trained)}, ${what} ${describeTradingSession(now)} (the daily-loss limit and trades per day roll at another time).`;
}

/** One line for a person: `UTC days` or `days from 17:00 America/New_York`. */
export function describeTradingSession(session: TradingSession | undefined): string {
  return isUtcSession(session) ? 'UTC days' : `days from ${session?.dayStartsAt} ${session?.timezone}`;
}

const zoneFormats = new Map<string, Intl.DateTimeFormat>();

function zoneFormat(timezone: string): Intl.DateTimeFormat {
  let f = zoneFormats.get(timezone);
  if (f === undefined) {
    f = new Intl.DateTimeFormat('en-US', {
      timeZone: timezone,
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
    });
    zoneFormats.set(timezone, f);
  }
  return f;
}

/**
 * Maps times to trading-day indices for one session. Keep one per account (it caches the current day's
 * bounds); it is cheap to make.
 */
export class TradingDayCalendar {
  readonly session: TradingSession;
  private readonly format: Intl.DateTimeFormat | null;
  private readonly startMs: number;
  private day = Number.NaN;
  private dayStartAt = Number.NaN;
  private nextDayStartAt = Number.NaN;

  constructor(session: TradingSession = UTC_SESSION) {
    const checked = parseTradingSession(session);
    this.session = checked;
    this.startMs = (dayStartMinutes(checked.dayStartsAt) ?? 0) * 60_000;
    this.format = isUtcZone(checked.timezone) ? null : zoneFormat(checked.timezone);
  }

  /** Index of the trading day that contains `timeMs` (NaN for a time that is no number). */
  dayIndex(timeMs: number): number {
    if (timeMs >= this.dayStartAt && timeMs < this.nextDayStartAt) return this.day;
    return this.locate(timeMs);
  }

  /** The instant (ms since the epoch) at which trading day `dayIndex` starts. */
  dayStartMs(dayIndex: number): number {
    const wall = dayIndex * MS_PER_DAY + this.startMs;
    if (this.format === null || !(wall >= MIN_ZONED_MS && wall <= MAX_ZONED_MS)) return wall;
    const before = this.offsetMs(wall - MS_PER_DAY);
    const after = this.offsetMs(wall + MS_PER_DAY);
    if (before === after) return wall - before;
    // A DST change within a day of the start: the offset is `before` until the change, `after` from it on.
    const early = wall - before;
    if (this.offsetMs(early) === before) return early;
    const late = wall - after;
    if (this.offsetMs(late) === after) return late;
    // The start time does not exist that night (a gap): the day starts at the jump.
    return this.changeInstant(late, early, after);
  }

  private locate(timeMs: number): number {
    if (!Number.isFinite(timeMs)) return Number.NaN;
    let d = Math.floor((timeMs + this.offsetMs(timeMs) - this.startMs) / MS_PER_DAY);
    let start = this.dayStartMs(d);
    while (start > timeMs) start = this.dayStartMs(--d);
    let next = this.dayStartMs(d + 1);
    while (next <= timeMs) {
      start = next;
      next = this.dayStartMs(++d + 1);
    }
    this.day = d;
    this.dayStartAt = start;
    this.nextDayStartAt = next;
    return d;
  }

  /** Local wall time minus UTC at `timeMs`, in ms. */
  private offsetMs(timeMs: number): number {
    if (this.format === null || !(timeMs >= MIN_ZONED_MS - MS_PER_DAY && timeMs <= MAX_ZONED_MS + MS_PER_DAY)) return 0;
    let y = 0;
    let mo = 0;
    let d = 0;
    let h = 0;
    let mi = 0;
    let s = 0;
    for (const p of this.format.formatToParts(timeMs)) {
      if (p.type === 'year') y = Number(p.value);
      else if (p.type === 'month') mo = Number(p.value);
      else if (p.type === 'day') d = Number(p.value);
      else if (p.type === 'hour') h = Number(p.value);
      else if (p.type === 'minute') mi = Number(p.value);
      else if (p.type === 'second') s = Number(p.value);
    }
    const wholeSecond = timeMs - (((timeMs % 1000) + 1000) % 1000);
    return Date.UTC(y, mo - 1, d, h, mi, s) - wholeSecond;
  }

  /** The first instant in (lo, hi] whose offset is `after`, given that `lo` has another offset and `hi` has it. */
  private changeInstant(lo: number, hi: number, after: number): number {
    while (hi - lo > 1) {
      const mid = Math.floor((lo + hi) / 2);
      if (this.offsetMs(mid) === after) hi = mid;
      else lo = mid;
    }
    return hi;
  }
}

const sharedCalendars = new Map<string, TradingDayCalendar>();

/**
 * Index of the trading day that contains `timeMs` under `session` (UTC days when none). For one-off questions;
 * a path that asks every bar keeps its own `TradingDayCalendar`.
 */
export function tradingDayIndex(timeMs: number, session?: TradingSession): number {
  if (isUtcSession(session)) return utcDayIndex(timeMs);
  const key = `${session?.timezone} ${session?.dayStartsAt}`;
  let cal = sharedCalendars.get(key);
  if (cal === undefined) {
    cal = new TradingDayCalendar(session);
    sharedCalendars.set(key, cal);
  }
  return cal.dayIndex(timeMs);
}
