/**
 * The small state record the engine judges. The mask is a pure function of it; the lock fields are the
 * only part the engine itself updates (`updateLocks`). The env keeps one record per environment and
 * rewrites it in place each step, so the hot path allocates nothing.
 */
import { z } from 'zod';
import { type AccountSnapshot, parseWithSchema, utcDayIndex } from '../core/index.js';
import { readYamlDocumentFile } from './document-file.js';

export interface ConstraintState {
  /** Instrument traded, checked against `allowed_instruments`. */
  symbol: string;
  /** Quote currency, marked at `price`. */
  equity: number;
  peakEquity: number;
  /** Signed base units: > 0 long, < 0 short. */
  positionQty: number;
  /** Reference price orders are sized at (the last close). */
  price: number;
  /** Equity now minus equity at the start of the current trading day. */
  dayPnl: number;
  tradesToday: number;
  barsSinceLastTrade: number;
  /** ms since the Unix epoch. */
  timeMs: number;
  /** The drawdown lock is engaged (cleared by recovery or by an operator, per the rule set). */
  drawdownLocked: boolean;
  /** Trading-day index on which the daily-loss lock engaged, or −1 when it is not engaged. */
  dailyLossLockDay: number;
  /**
   * Index of the trading day that contains `timeMs` (core `TradingDayCalendar`), set by the account that owns
   * the record; when absent the day is the UTC day of `timeMs`.
   */
  tradingDay?: number;
}

/** The trading day of the record's time: its `tradingDay`, or the UTC day of `timeMs` when it has none. */
export function stateTradingDay(s: ConstraintState): number {
  return s.tradingDay ?? utcDayIndex(s.timeMs);
}

/**
 * A fresh record: flat, no trades yet, no locks, unless `fields` says otherwise. Every record is built with
 * the same fields in the same order, so the engine's hot path sees one object shape.
 */
export function createConstraintState(fields: Partial<ConstraintState> & Pick<ConstraintState, 'equity' | 'price'>): ConstraintState {
  return {
    symbol: fields.symbol ?? '',
    equity: fields.equity,
    peakEquity: fields.peakEquity ?? fields.equity,
    positionQty: fields.positionQty ?? 0,
    price: fields.price,
    dayPnl: fields.dayPnl ?? 0,
    tradesToday: fields.tradesToday ?? 0,
    barsSinceLastTrade: fields.barsSinceLastTrade ?? Number.MAX_SAFE_INTEGER,
    timeMs: fields.timeMs ?? 0,
    drawdownLocked: fields.drawdownLocked ?? false,
    dailyLossLockDay: fields.dailyLossLockDay ?? -1,
    tradingDay: fields.tradingDay,
  };
}

/** Copies the account figures of a ledger snapshot into `state` (in place; counters and locks untouched). */
export function syncStateFromAccount(state: ConstraintState, account: AccountSnapshot): void {
  state.equity = account.equity;
  state.peakEquity = account.peakEquity;
  state.positionQty = account.positionQty;
  state.price = account.markPrice;
  state.dayPnl = account.dayPnl;
  state.timeMs = account.timeMs;
}

const timeSchema = z.union([
  z.number({ error: 'must be ms since the epoch or an ISO-8601 time' }),
  z
    .string()
    .refine((s) => Number.isFinite(Date.parse(s)), 'must be ms since the epoch or an ISO-8601 time')
    .transform((s) => Date.parse(s)),
]);

/** A state document (YAML or JSON) as the `constraints explain` command reads it. */
export const stateSchema = z
  .object({
    symbol: z.string().default(''),
    equity: z.number({ error: 'must be a number' }),
    peakEquity: z.number({ error: 'must be a number' }).optional(),
    positionQty: z.number({ error: 'must be a number' }).default(0),
    price: z.number({ error: 'must be a number' }),
    dayPnl: z.number({ error: 'must be a number' }).default(0),
    tradesToday: z.number().int('must be a whole number').min(0, 'must be >= 0').default(0),
    barsSinceLastTrade: z.number().int('must be a whole number').min(0, 'must be >= 0').default(Number.MAX_SAFE_INTEGER),
    time: timeSchema.default(0),
    drawdownLocked: z.boolean({ error: 'must be true or false' }).default(false),
    /** Trading-day index (UTC days in a state document) of an engaged daily-loss lock; −1 when none. */
    dailyLossLockDay: z.number().int('must be a whole number').min(-1, 'must be >= -1').default(-1),
  })
  .strict();

export function parseConstraintState(input: unknown, source = 'state'): ConstraintState {
  const { time, ...s } = parseWithSchema(stateSchema, input, source);
  return createConstraintState({ ...s, peakEquity: s.peakEquity ?? Math.max(s.equity, 0), timeMs: time });
}

/** What a state field left out of a document is taken to be, for people (`constraints explain` lists them). */
const STATE_FIELD_DEFAULTS: Readonly<Record<string, string>> = {
  symbol: "'' (no symbol)",
  peakEquity: 'equity (no drawdown)',
  positionQty: '0 (flat)',
  dayPnl: '0 (no loss today)',
  tradesToday: '0',
  barsSinceLastTrade: 'never traded',
  time: '1970-01-01T00:00:00.000Z (the epoch)',
  drawdownLocked: 'false',
  dailyLossLockDay: 'none (no daily-loss lock)',
};

/** The optional fields a state document left out, each with the default that was used, in schema order. */
export function defaultedStateFields(input: unknown): { field: string; default: string }[] {
  const given = input !== null && typeof input === 'object' ? (input as Record<string, unknown>) : {};
  return Object.keys(STATE_FIELD_DEFAULTS)
    .filter((field) => given[field] === undefined)
    .map((field) => ({ field, default: STATE_FIELD_DEFAULTS[field] }));
}

/** Reads a state file; `source` (default: the path) starts every error message, e.g. `--state FILE`. */
export function loadStateFile(path: string, source = path): ConstraintState {
  return loadStateFileWithDefaults(path, source).state;
}

/** Reads a state file and says which optional fields it left out (filled with defaults). */
export function loadStateFileWithDefaults(
  path: string,
  source = path,
): { state: ConstraintState; defaulted: { field: string; default: string }[] } {
  const doc = readYamlDocumentFile(path, source);
  return { state: parseConstraintState(doc, source), defaulted: defaultedStateFields(doc) };
}

/**
 * The record can be judged: every number finite, equity, peak, price and the day's starting equity > 0.
 * Anything else masks every action but HOLD (fail closed).
 */
export function stateIsValid(s: ConstraintState): boolean {
  return (
    s.equity > 0 &&
    s.peakEquity > 0 &&
    s.price > 0 &&
    s.equity - s.dayPnl > 0 &&
    Number.isFinite(s.equity + s.peakEquity + s.price + s.positionQty + s.dayPnl + s.timeMs) &&
    s.tradesToday >= 0 &&
    s.barsSinceLastTrade >= 0
  );
}

/** The first field that makes the record unusable, with its value, for reasons and errors. */
export function invalidStateField(s: ConstraintState): { field: string; value: number } | null {
  const checks: [string, number, boolean][] = [
    ['equity', s.equity, s.equity > 0 && Number.isFinite(s.equity)],
    ['peakEquity', s.peakEquity, s.peakEquity > 0 && Number.isFinite(s.peakEquity)],
    ['price', s.price, s.price > 0 && Number.isFinite(s.price)],
    ['positionQty', s.positionQty, Number.isFinite(s.positionQty)],
    ['dayPnl', s.dayPnl, Number.isFinite(s.dayPnl) && s.equity - s.dayPnl > 0],
    ['timeMs', s.timeMs, Number.isFinite(s.timeMs)],
    ['tradesToday', s.tradesToday, s.tradesToday >= 0],
    ['barsSinceLastTrade', s.barsSinceLastTrade, s.barsSinceLastTrade >= 0],
  ];
  for (const [field, value, ok] of checks) if (!ok) return { field, value };
  return null;
}
