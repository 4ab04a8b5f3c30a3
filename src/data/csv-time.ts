/**
 * Time columns of real CSV files: epoch numbers in s / ms / µs / ns, or dates in the handful of layouts data
 * vendors use. The layout is detected once from the first data row, then every row must match it, so that a
 * file cannot silently mix seconds and milliseconds.
 */

/** How epoch numbers are read: detected by magnitude (`auto`) or fixed. */
export type TimeUnit = 'auto' | 's' | 'ms' | 'us' | 'ns';

export interface TimeParser {
  /** Human-readable layout, for the load report (e.g. `unix seconds`, `YYYY-MM-DD HH:MM:SS`). */
  readonly format: string;
  /** Ms since the epoch (UTC), or null if the text does not match this layout. */
  parse(text: string): number | null;
}

const NUMBER_RE = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/;
const EIGHT_DIGITS_RE = /^\d{8}$/;
/**
 * YYYY-MM-DD, YYYY/MM/DD or YYYYMMDD; optional time `HH:MM[:SS[.fff]]` after a space or T, or an hour with AM/PM
 * (`09-AM`, `9 PM`, `09:30 PM`); optional `Z` or `±HH[:MM]` offset.
 */
const DATE_RE =
  /^(\d{4})([-/]?)(\d{2})\2(\d{2})(?:[T ](\d{1,2})(?::(\d{2})(?::(\d{2})(\.\d{1,9})?)?)?(?:[ -]?([AaPp])[Mm])?)?\s*(Z|[+-]\d{2}(?::?\d{2})?)?$/;

const UNIT_MS: Record<Exclude<TimeUnit, 'auto'>, number> = { s: 1000, ms: 1, us: 1e-3, ns: 1e-6 };
const UNIT_NAME: Record<Exclude<TimeUnit, 'auto'>, string> = {
  s: 'unix seconds',
  ms: 'unix milliseconds',
  us: 'unix microseconds',
  ns: 'unix nanoseconds',
};

/** The epoch unit a number most plausibly has: dates 1973..5138 in seconds, milliseconds, and so on. */
export function epochUnitOf(value: number): Exclude<TimeUnit, 'auto'> {
  const v = Math.abs(value);
  if (v < 1e11) return 's';
  if (v < 1e14) return 'ms';
  if (v < 1e17) return 'us';
  return 'ns';
}

/** A unit implied by a column name such as `time_ms`, `timestamp_s` or `open_time_us`, if any. */
export function unitFromColumnName(name: string): Exclude<TimeUnit, 'auto'> | null {
  const m = /[_\s(-](s|sec|ms|us|ns)\)?$/i.exec(name.trim());
  if (!m) return null;
  const u = m[1].toLowerCase();
  return u === 'sec' ? 's' : u === 's' || u === 'ms' || u === 'us' || u === 'ns' ? u : null;
}

export function parseDateText(text: string): number | null {
  const m = DATE_RE.exec(text.trim());
  if (!m) return null;
  const year = Number(m[1]);
  const month = Number(m[3]);
  const day = Number(m[4]);
  let hour = m[5] === undefined ? 0 : Number(m[5]);
  const minute = m[6] === undefined ? 0 : Number(m[6]);
  const second = m[7] === undefined ? 0 : Number(m[7]);
  const fracMs = m[8] === undefined ? 0 : Number(m[8]) * 1000;
  const ampm = m[9]?.toLowerCase();
  if (ampm !== undefined) {
    if (hour < 1 || hour > 12) return null;
    hour = (hour % 12) + (ampm === 'p' ? 12 : 0);
  } else if (m[5] !== undefined && m[6] === undefined) {
    return null; // a bare hour without minutes or AM/PM is not a layout anyone writes on purpose
  }
  if (month < 1 || month > 12 || day < 1 || hour > 23 || minute > 59 || second > 59) return null;
  let ms = Date.UTC(year, month - 1, day, hour, minute, second) + fracMs;
  // Date.UTC rolls 31 Feb over into March; a real date survives the round trip.
  if (new Date(ms).getUTCDate() !== day) return null;
  const offset = m[10];
  if (offset !== undefined && offset !== 'Z') {
    const sign = offset[0] === '-' ? -1 : 1;
    const digits = offset.slice(1).replace(':', '');
    const offMin = Number(digits.slice(0, 2)) * 60 + (digits.length > 2 ? Number(digits.slice(2)) : 0);
    ms -= sign * offMin * 60_000;
  }
  return Math.round(ms);
}

function describeDateLayout(text: string): string {
  const m = DATE_RE.exec(text.trim());
  if (!m) return 'date';
  const sep = m[2];
  let out = sep === '' ? 'YYYYMMDD' : `YYYY${sep}MM${sep}DD`;
  if (m[5] !== undefined) {
    const t = text.includes('T') ? 'T' : ' ';
    out += m[9] !== undefined ? `${t}HH${m[6] !== undefined ? ':MM' : ''} AM/PM` : `${t}HH:MM${m[7] !== undefined ? ':SS' : ''}`;
  }
  if (m[10] !== undefined) out += m[10] === 'Z' ? 'Z' : '±HH:MM';
  return out;
}

/**
 * Chooses how to read a time column from its first value (and the column name, which may carry a unit).
 * Returns null if the first value is in no known layout.
 */
export function detectTimeParser(first: string, unit: TimeUnit = 'auto', columnName = ''): TimeParser | null {
  const text = first.trim();
  // 8 digits read as YYYYMMDD, not as seconds in August 1970.
  if (unit === 'auto' && EIGHT_DIGITS_RE.test(text) && parseDateText(text) !== null) {
    return { format: 'YYYYMMDD', parse: parseDateText };
  }
  if (NUMBER_RE.test(text)) {
    const fixed = unit !== 'auto' ? unit : unitFromColumnName(columnName);
    const u = fixed ?? epochUnitOf(Number(text));
    const scale = UNIT_MS[u];
    return {
      format: UNIT_NAME[u],
      parse: (s: string) => {
        const t = s.trim();
        if (!NUMBER_RE.test(t)) return null;
        const v = Number(t);
        // A detected unit binds the whole file: a row in another magnitude is a mixed file, not a date.
        if (fixed === null && epochUnitOf(v) !== u) return null;
        return Math.round(v * scale);
      },
    };
  }
  if (parseDateText(text) !== null) {
    return { format: `${describeDateLayout(text)} (UTC unless an offset is given)`, parse: parseDateText };
  }
  return null;
}
