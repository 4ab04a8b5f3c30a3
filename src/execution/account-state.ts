/**
 * `AccountState`: the one account record of a trading path. The env, the backtest, the gatekeeper link and
 * the Constraint Logic Engine all read this object (it *is* the engine's `ConstraintState`), instead of five
 * records copied into each other by hand. It wraps the `Ledger` (cash, position, PnL, peak, day start) and
 * keeps the trade counters beside it. Every field is a number rewritten in place: nothing allocates.
 *
 * Day boundaries, in one place: a day is the instrument's trading day (`core` `TradingDayCalendar`: UTC days
 * unless the instrument's session says otherwise, e.g. from 17:00 America/New_York). A fill counts on the
 * trading day of its fill time; at every mark (the decision time) the count rolls over if the mark's day is a
 * new one. So a fill at 23:00 counts for that day, and a decision at 00:00 the next day sees `tradesToday = 0`
 * (issue 10's named regression). The ledger's day start and the engine's daily-loss lock roll on the same
 * calendar (`tradingDay`), so env, backtest, paper and the gatekeeper agree on what "today" is.
 */
import { Ledger, TradingDayCalendar, type TradingSession } from '../core/index.js';
import type { ConstraintState } from '../constraints/index.js';

/** `barsSinceLastTrade` before the first fill of an episode. */
export const NO_TRADE_YET = Number.MAX_SAFE_INTEGER;

export class AccountState implements ConstraintState {
  readonly ledger: Ledger;
  symbol: string;
  /** Quote currency, marked at `price`. */
  equity: number;
  peakEquity: number;
  cash: number;
  /** Signed base units: > 0 long, < 0 short. */
  positionQty = 0;
  /** The last mark: the price the next order is sized at. */
  price = 0;
  /** Equity now minus equity at the start of the current trading day. */
  dayPnl = 0;
  /** Equity at the start of the current trading day. */
  dayStartEquity: number;
  /** Fills booked on the trading day of the last mark. */
  tradesToday = 0;
  /** Bars since the bar of the last fill (0 on the bar it filled); `NO_TRADE_YET` before the first. */
  barsSinceLastTrade = NO_TRADE_YET;
  /** Time of the last mark (the decision time), ms since the Unix epoch. */
  timeMs = 0;
  /** The engine's drawdown lock (the engine's `updateLocks` sets and clears it). */
  drawdownLocked = false;
  /** Trading-day index on which the daily-loss lock engaged, or −1. */
  dailyLossLockDay = -1;
  /** Trading-day index of the last mark (`timeMs`). */
  tradingDay = Number.NaN;
  /** Trading-day index the fill counter counts for. */
  private tradeDay = Number.NaN;
  private readonly days: TradingDayCalendar;

  /** `session`: the instrument's trading day (`Instrument.session`); UTC days when absent. */
  constructor(initialCash: number, symbol = '', session?: TradingSession) {
    this.days = new TradingDayCalendar(session);
    this.ledger = new Ledger(initialCash, this.days);
    this.symbol = symbol;
    this.equity = initialCash;
    this.peakEquity = initialCash;
    this.cash = initialCash;
    this.dayStartEquity = initialCash;
  }

  get initialCash(): number {
    return this.ledger.initialCash;
  }

  /** A fresh account marked at `price` at `timeMs`: flat, no trades, no locks. */
  reset(timeMs: number, price: number): void {
    this.ledger.reset(timeMs, price);
    this.tradesToday = 0;
    this.barsSinceLastTrade = NO_TRADE_YET;
    this.tradeDay = this.days.dayIndex(timeMs);
    this.drawdownLocked = false;
    this.dailyLossLockDay = -1;
    this.sync(timeMs);
  }

  /** A new bar began: one more bar since the last trade (a fill in this bar sets it back to 0). */
  startBar(): void {
    if (this.barsSinceLastTrade < NO_TRADE_YET) this.barsSinceLastTrade++;
  }

  /** Books a fill (`signedQty` > 0 bought) at `price` paying `fee`, at `timeMs`; counts it on that trading day. */
  applyFill(signedQty: number, price: number, fee: number, timeMs: number): void {
    if (signedQty === 0) return;
    this.ledger.applyFill(signedQty, price, fee);
    this.rollTradeDay(timeMs);
    this.tradesToday++;
    this.barsSinceLastTrade = 0;
    this.sync(this.timeMs);
  }

  /** Marks the account at `price` at `timeMs` (the decision time): peak, day start and trade day roll here. */
  mark(price: number, timeMs: number): void {
    this.ledger.mark(price, timeMs);
    this.rollTradeDay(timeMs);
    this.sync(timeMs);
  }

  /** An operator reset the drawdown reference (never automatic). */
  resetPeak(): void {
    this.ledger.resetPeak();
    this.sync(this.timeMs);
  }

  private rollTradeDay(timeMs: number): void {
    const day = this.days.dayIndex(timeMs);
    if (day !== this.tradeDay) {
      this.tradeDay = day;
      this.tradesToday = 0;
    }
  }

  private sync(timeMs: number): void {
    const l = this.ledger;
    const eq = l.equity;
    this.equity = eq;
    this.peakEquity = l.peakEquity;
    this.cash = l.cash;
    this.positionQty = l.positionQty;
    this.price = l.markPrice;
    this.dayStartEquity = l.dayStartEquity;
    this.dayPnl = eq - l.dayStartEquity;
    this.timeMs = timeMs;
    this.tradingDay = this.days.dayIndex(timeMs);
  }
}
