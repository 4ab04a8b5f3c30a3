/** An open position in one instrument, as a venue or a ledger reports it. */
export interface Position {
  readonly symbol: string;
  /** Signed base units: > 0 long, < 0 short, 0 flat. */
  readonly quantity: number;
  /** Volume-weighted entry price of the open quantity, in quote currency (0 when flat). */
  readonly avgEntryPrice: number;
}

/** Value of the position at `markPrice`, signed, in quote currency. */
export function positionValue(position: Position, markPrice: number): number {
  return position.quantity * markPrice;
}

/** PnL of the open quantity at `markPrice` against its entry, in quote currency. */
export function unrealisedPnl(position: Position, markPrice: number): number {
  return position.quantity === 0 ? 0 : position.quantity * (markPrice - position.avgEntryPrice);
}
