/** Parsing of command-line flag values shared by the commands. */
import type { Command } from 'commander';
import { type TradingSession, ValidationError, parseTradingSession } from '../core/index.js';

/**
 * A whole-number flag (a seed, a count) at least `min`; the error names the flag, the bound and the text
 * given. Numbers past 2^53 are refused: they cannot be told apart from their neighbours.
 */
export function parseWholeNumberFlag(text: string, flag: string, min: number): number {
  const n = Number(text);
  if (text.trim() === '' || !Number.isInteger(n) || n < min) throw new RangeError(`${flag}: must be a whole number >= ${min}, got '${text}'`);
  if (!Number.isSafeInteger(n)) throw new RangeError(`${flag}: must be a whole number below 2^53, got '${text}'`);
  return n;
}

/** A comma-separated list of whole numbers, each at least `min` (e.g. `--seeds 1,2,3`). */
export function parseWholeNumberListFlag(text: string, flag: string, min: number): number[] {
  return text.split(',').map((part) => {
    try {
      return parseWholeNumberFlag(part.trim(), flag, min);
    } catch {
      throw new RangeError(`${flag}: must be whole numbers >= ${min} separated by commas, got '${text}'`);
    }
  });
}

/**
 * A finite number flag, either `> above` or `>= atLeast`; the error names the flag, the bound and the text
 * given (an empty text is refused, not read as 0).
 */
export function parseNumberFlag(text: string, flag: string, bound: { readonly above: number } | { readonly atLeast: number }): number {
  const x = Number(text);
  const within = 'above' in bound ? x > bound.above : x >= bound.atLeast;
  if (text.trim() === '' || !Number.isFinite(x) || !within) {
    const limit = 'above' in bound ? `> ${bound.above}` : `>= ${bound.atLeast}`;
    throw new RangeError(`${flag}: must be a number ${limit}, got '${text}'`);
  }
  return x;
}

/** `--day-start HH:MM` and `--timezone ZONE`: the instrument's trading day (UTC days when neither is given). */
export interface SessionFlags {
  dayStart?: string;
  timezone?: string;
}

/** Adds `--day-start` and `--timezone` to a command. */
export function addSessionOptions(cmd: Command): Command {
  return cmd
    .option('--day-start <HH:MM>', "local time the trading day starts (daily-loss limit, trades per day, the day's PnL); default 00:00")
    .option('--timezone <zone>', 'IANA time zone of --day-start, e.g. America/New_York (DST followed); default UTC');
}

/**
 * The trading session the flags give, or undefined for plain UTC days; an error names the flag
 * (`--timezone: must be an IANA time zone …, got "Mars/Base"`).
 */
export function sessionFromFlags(f: SessionFlags): TradingSession | undefined {
  if (f.dayStart === undefined && f.timezone === undefined) return undefined;
  try {
    return parseTradingSession({ timezone: f.timezone, dayStartsAt: f.dayStart });
  } catch (err) {
    if (!(err instanceof ValidationError)) throw err;
    const flag = (path: string): string => (path === 'timezone' ? '--timezone' : '--day-start');
    throw new RangeError(err.issues.map((i) => `${flag(i.path)}: ${i.message}`).join('; '));
  }
}
