/**
 * The small per-env state record that the mask (and later the Constraint Logic Engine) reads. The env owns it
 * and rewrites it in place after every reset and step, so reading it allocates nothing.
 */
export interface TradingEnvState {
  /** Quote currency, marked at `price`. */
  equity: number;
  peakEquity: number;
  /** Signed base units: > 0 long, < 0 short. */
  positionQty: number;
  /** The last close: the price the next order is sized at. */
  price: number;
  /** Equity now minus equity at the start of the current UTC day. */
  dayPnl: number;
  /** Equity at the start of the current UTC day. */
  dayStartEquity: number;
  /** Fills booked since the start of the current UTC day. */
  tradesToday: number;
  /** Steps since the last fill; `Number.MAX_SAFE_INTEGER` before the first. */
  barsSinceLastTrade: number;
  /** Decision time: the close time of the current bar, ms since the Unix epoch. */
  timeMs: number;
}

export const NO_TRADE_YET = Number.MAX_SAFE_INTEGER;

export function createEnvState(equity: number): TradingEnvState {
  return {
    equity,
    peakEquity: equity,
    positionQty: 0,
    price: 0,
    dayPnl: 0,
    dayStartEquity: equity,
    tradesToday: 0,
    barsSinceLastTrade: NO_TRADE_YET,
    timeMs: 0,
  };
}
