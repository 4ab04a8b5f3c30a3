/**
 * The account figures the env publishes in `info.state` and the cost signals read: the execution chain's
 * `AccountState` has all of them (it is the same record the mask is computed from), read-only here.
 */
export interface TradingEnvState {
  /** Quote currency, marked at `price`. */
  readonly equity: number;
  readonly peakEquity: number;
  /** Signed base units: > 0 long, < 0 short. */
  readonly positionQty: number;
  /** The last close: the price the next order is sized at. */
  readonly price: number;
  /** Equity now minus equity at the start of the current UTC day. */
  readonly dayPnl: number;
  /** Equity at the start of the current UTC day. */
  readonly dayStartEquity: number;
  /** Fills booked on the UTC day of the decision. */
  readonly tradesToday: number;
  /** Bars since the bar of the last fill; `NO_TRADE_YET` (execution) before the first. */
  readonly barsSinceLastTrade: number;
  /** Decision time: the close time of the current bar, ms since the Unix epoch. */
  readonly timeMs: number;
}
