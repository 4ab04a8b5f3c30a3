export type Side = 'BUY' | 'SELL';
export type OrderType = 'MARKET' | 'LIMIT';
/** GTC: rests until filled or cancelled. IOC: fills what it can on the next bar, the rest is cancelled. */
export type TimeInForce = 'GTC' | 'IOC';
export type Liquidity = 'MAKER' | 'TAKER';

export interface Order {
  readonly clientOrderId: string;
  readonly symbol: string;
  readonly side: Side;
  readonly type: OrderType;
  /** In base units, > 0. */
  readonly quantity: number;
  /**
   * MARKET orders only: the order spends (BUY) or raises (SELL) this much quote currency, and fills as many
   * base units as that buys at the fill price (a buy leaves room for its fee, so it never overdraws). `quantity`
   * is then the estimate at the reference price, which pre-trade checks judge (Binance's `quoteOrderQty`).
   */
  readonly quoteQuantity?: number;
  /** Required for LIMIT orders, in quote currency. */
  readonly limitPrice?: number;
  readonly timeInForce: TimeInForce;
  /** When the order was decided, ms since epoch. */
  readonly createdAtMs: number;
  /** Marks orders that may only shrink the position (e.g. the flattening orders of a hard kill). */
  readonly reduceOnly?: boolean;
  readonly agentId?: string;
}

export interface Fill {
  readonly clientOrderId: string;
  readonly symbol: string;
  readonly side: Side;
  /** In base units, > 0. */
  readonly quantity: number;
  /** Execution price after spread and slippage, in quote currency. */
  readonly price: number;
  /** Fee paid, in quote currency. */
  readonly fee: number;
  readonly liquidity: Liquidity;
  readonly timeMs: number;
}

export function sideSign(side: Side): 1 | -1 {
  return side === 'BUY' ? 1 : -1;
}
