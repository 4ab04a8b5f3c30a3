/**
 * Finding the columns of an OHLCV file: a header with names in any case and common variants, an optional banner
 * above it, or no header at all (positional `time,open,high,low,close[,volume]`).
 */

/** A field split out of a line, with quotes removed. Handles `"a,b"` and doubled quotes inside quotes. */
export function splitCsvLine(line: string): string[] {
  if (!line.includes('"')) return line.split(',');
  const out: string[] = [];
  let cur = '';
  let quoted = false;
  for (let i = 0; i < line.length; i++) {
    const ch = line[i];
    if (quoted) {
      if (ch === '"' && line[i + 1] === '"') {
        cur += '"';
        i++;
      } else if (ch === '"') quoted = false;
      else cur += ch;
    } else if (ch === '"') quoted = true;
    else if (ch === ',') {
      out.push(cur);
      cur = '';
    } else cur += ch;
  }
  out.push(cur);
  return out;
}

/** Lower case, without spaces, underscores, dashes, dots or brackets: `Volume USD` → `volumeusd`. */
export function normaliseName(name: string): string {
  return name.toLowerCase().replace(/[\s_\-.()[\]]/g, '');
}

/** Epoch-number names come first: when a file has both `unix` and `date`, the number is the exact one. */
const TIME_NAMES = [
  'unix', 'unixtime', 'unixtimestamp', 'timestamp', 'timestampms', 'timestamps', 'timems', 'times', 'ts',
  'opentime', 'opentimems', 'datetime', 'date', 'time', 'timeutc', 'dateutc', 'datetimeutc',
];
const OPEN_NAMES = ['open', 'o', 'openprice', 'opening'];
const HIGH_NAMES = ['high', 'h', 'highprice', 'max'];
const LOW_NAMES = ['low', 'l', 'lowprice', 'min'];
const CLOSE_NAMES = ['close', 'c', 'closeprice', 'closing', 'last'];

export interface ColumnMap {
  /** 0-based index of each field; `date` + `time` split across two columns is `timeSecond`. */
  time: number;
  timeSecond: number | null;
  open: number;
  high: number;
  low: number;
  close: number;
  volume: number | null;
  /** Names as written in the file (or positional names). */
  names: readonly string[];
}

export function isVolumeName(normalised: string): boolean {
  if (normalised.startsWith('volat')) return false; // volatility is not volume
  return normalised.startsWith('vol') || normalised === 'v';
}

function findFirst(norm: readonly string[], candidates: readonly string[]): number {
  for (const c of candidates) {
    const i = norm.indexOf(c);
    if (i >= 0) return i;
  }
  return -1;
}

/** True if the fields look like a header: they name open, high, low and close. */
export function looksLikeHeader(fields: readonly string[]): boolean {
  const norm = fields.map(normaliseName);
  return [OPEN_NAMES, HIGH_NAMES, LOW_NAMES, CLOSE_NAMES].every((names) => findFirst(norm, names) >= 0);
}

export type ColumnResult = { ok: true; map: ColumnMap } | { ok: false; problem: string };

/**
 * Maps header fields to columns. `volumeColumn` picks the volume column by name (case and separators ignored);
 * by default a column named exactly `volume` wins, else the first volume-like one.
 */
export function mapHeader(fields: readonly string[], volumeColumn?: string): ColumnResult {
  const names = fields.map((f) => f.trim());
  const norm = names.map(normaliseName);
  const open = findFirst(norm, OPEN_NAMES);
  const high = findFirst(norm, HIGH_NAMES);
  const low = findFirst(norm, LOW_NAMES);
  const close = findFirst(norm, CLOSE_NAMES);
  let time = findFirst(norm, TIME_NAMES);
  let timeSecond: number | null = null;
  if (time < 0) return { ok: false, problem: `no time column (looked for ${TIME_NAMES.join(', ')})` };
  // Separate `date` and `time` columns (e.g. MetaTrader exports) are joined into one value.
  const dateIdx = norm.indexOf('date');
  const timeIdx = norm.indexOf('time');
  if (norm[time] === 'date' || norm[time] === 'time') {
    if (dateIdx >= 0 && timeIdx >= 0) {
      time = dateIdx;
      timeSecond = timeIdx;
    }
  }
  const volumeIdx = norm.map((n, i) => (isVolumeName(n) ? i : -1)).filter((i) => i >= 0);
  let volume: number | null;
  if (volumeColumn !== undefined) {
    const want = normaliseName(volumeColumn);
    volume = norm.indexOf(want);
    if (volume < 0) {
      const offered = volumeIdx.map((i) => `'${names[i]}'`).join(', ') || 'none';
      return { ok: false, problem: `volume column '${volumeColumn}' not in the header (volume-like columns: ${offered})` };
    }
  } else {
    const exact = norm.indexOf('volume');
    volume = exact >= 0 ? exact : volumeIdx.length > 0 ? volumeIdx[0] : null;
  }
  return { ok: true, map: { time, timeSecond, open, high, low, close, volume, names } };
}

/** The positional layout of a header-less file. */
export function positionalColumns(fieldCount: number): ColumnMap {
  const hasVolume = fieldCount >= 6;
  return {
    time: 0,
    timeSecond: null,
    open: 1,
    high: 2,
    low: 3,
    close: 4,
    volume: hasVolume ? 5 : null,
    names: ['time', 'open', 'high', 'low', 'close', ...(hasVolume ? ['volume'] : [])],
  };
}
