import { TradingDayCalendar } from './trading-day.js';
import type { Position } from './position.js';

/** A read-only view of an account in one instrument, as every layer sees it. */
export interface AccountSnapshot {
  /** Quote currency. */
  readonly cash: number;
  /** Signed base units: > 0 long, < 0 short. */
  readonly positionQty: number;
  /** Volume-weighted entry price of the open position (0 when flat). */
  readonly avgEntryPrice: number;
  readonly realisedPnl: number;
  readonly unrealisedPnl: number;
  readonly equity: number;
  readonly peakEquity: number;
  /** (peak − equity) / peak, in [0, 1]. */
  readonly drawdown: number;
  /** Equity now minus equity at the start of the current trading day (UTC unless the instrument's session says otherwise). */
  readonly dayPnl: number;
  readonly dayStartEquity: number;
  readonly feesPaid: number;
  /** Price the account was last marked at. */
  readonly markPrice: number;
  readonly timeMs: number;
}

/**
 * Cash, one position, PnL and drawdown. Mutable and allocation-free on purpose: the env calls
 * `applyFill` and `mark` millions of times a second.
 */
export class Ledger implements AccountSnapshot {
  cash: number;
  positionQty = 0;
  avgEntryPrice = 0;
  realisedPnl = 0;
  feesPaid = 0;
  markPrice = 0;
  timeMs = 0;
  peakEquity: number;
  dayStartEquity: number;
  private dayIndex = Number.NaN;

  /** `days` decides when the day's PnL restarts (UTC days by default). */
  constructor(
    readonly initialCash: number,
    readonly days: TradingDayCalendar = new TradingDayCalendar(),
  ) {
    if (!(initialCash > 0) || !Number.isFinite(initialCash)) {
      throw new RangeError(`initialCash: must be a finite number > 0, got ${initialCash}`);
    }
    this.cash = initialCash;
    this.peakEquity = initialCash;
    this.dayStartEquity = initialCash;
  }

  reset(timeMs = 0, price = 0): void {
    this.cash = this.initialCash;
    this.positionQty = 0;
    this.avgEntryPrice = 0;
    this.realisedPnl = 0;
    this.feesPaid = 0;
    this.markPrice = price;
    this.timeMs = timeMs;
    this.peakEquity = this.initialCash;
    this.dayStartEquity = this.initialCash;
    this.dayIndex = this.days.dayIndex(timeMs);
  }

  get unrealisedPnl(): number {
    return this.positionQty === 0 ? 0 : this.positionQty * (this.markPrice - this.avgEntryPrice);
  }

  get equity(): number {
    return this.cash + this.positionQty * this.markPrice;
  }

  get drawdown(): number {
    const eq = this.equity;
    return this.peakEquity > 0 && eq < this.peakEquity ? (this.peakEquity - eq) / this.peakEquity : 0;
  }

  get dayPnl(): number {
    return this.equity - this.dayStartEquity;
  }

  /** Position value at the mark, signed, in quote currency. */
  get positionValue(): number {
    return this.positionQty * this.markPrice;
  }

  /**
   * Books a fill: `signedQty` > 0 buys, < 0 sells, at `price`, paying `fee` in quote currency.
   * Reducing a position realises PnL against the average entry; crossing zero opens the remainder at `price`.
   */
  applyFill(signedQty: number, price: number, fee: number): void {
    if (signedQty === 0) return;
    const pos = this.positionQty;
    this.cash -= signedQty * price + fee;
    this.feesPaid += fee;
    this.realisedPnl -= fee;
    if (pos === 0 || Math.sign(pos) === Math.sign(signedQty)) {
      const newPos = pos + signedQty;
      this.avgEntryPrice = (this.avgEntryPrice * pos + price * signedQty) / newPos;
      this.positionQty = newPos;
      return;
    }
    const closing = Math.abs(signedQty) <= Math.abs(pos) ? signedQty : -pos;
    this.realisedPnl += -closing * (price - this.avgEntryPrice);
    const newPos = pos + signedQty;
    // Snap dust from floating-point subtraction to an exact zero so that "flat" means flat.
    if (Math.abs(newPos) < 1e-12 * Math.max(1, Math.abs(pos))) {
      this.positionQty = 0;
      this.avgEntryPrice = 0;
    } else if (Math.sign(newPos) !== Math.sign(pos)) {
      this.positionQty = newPos;
      this.avgEntryPrice = price;
    } else {
      this.positionQty = newPos;
    }
  }

  /**
   * Marks the account at `price` at time `timeMs`: updates peak equity and rolls the trading day.
   * The day's PnL is measured from the equity at the first mark of the day.
   */
  mark(price: number, timeMs: number): void {
    const day = this.days.dayIndex(timeMs);
    if (day !== this.dayIndex) {
      // The new day starts from the equity carried over at the previous mark.
      this.dayStartEquity = this.equity;
      this.dayIndex = day;
    }
    this.markPrice = price;
    this.timeMs = timeMs;
    const eq = this.equity;
    if (eq > this.peakEquity) this.peakEquity = eq;
  }

  /** Resets the drawdown reference to the current equity (an operator's decision, never automatic). */
  resetPeak(): void {
    this.peakEquity = this.equity;
  }

  /** The open position as a plain record, for venues and the gatekeeper. */
  position(symbol: string): Position {
    return { symbol, quantity: this.positionQty, avgEntryPrice: this.avgEntryPrice };
  }

  snapshot(): AccountSnapshot {
    return {
      cash: this.cash,
      positionQty: this.positionQty,
      avgEntryPrice: this.avgEntryPrice,
      realisedPnl: this.realisedPnl,
      unrealisedPnl: this.unrealisedPnl,
      equity: this.equity,
      peakEquity: this.peakEquity,
      drawdown: this.drawdown,
      dayPnl: this.dayPnl,
      dayStartEquity: this.dayStartEquity,
      feesPaid: this.feesPaid,
      markPrice: this.markPrice,
      timeMs: this.timeMs,
    };
  }
}
