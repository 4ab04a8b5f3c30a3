/**
 * What the gatekeeper needs to know besides the order: the account, positions, trusted prices and open
 * orders. `PortfolioContext` is a mutable, allocation-free implementation for callers that keep it current.
 */
import type { Order } from '../core/index.js';

export interface TrustedPrice {
  /** Quote currency per base unit. */
  readonly price: number;
  /** When the price was observed, ms since epoch. */
  readonly timeMs: number;
}

/** Account-level figures; `Ledger` and `AccountSnapshot` from core satisfy it. */
export interface AccountRisk {
  readonly equity: number;
  readonly peakEquity: number;
  /** Equity at the start of the current UTC day. */
  readonly dayStartEquity: number;
  /** When the figures were taken, ms since epoch. */
  readonly timeMs: number;
}

export interface RiskContext {
  /** Undefined when the account cannot be read (the gatekeeper then refuses with NO_ACCOUNT). */
  account(): AccountRisk | undefined;
  /** Signed position in base units (0 when flat). */
  positionQty(symbol: string): number;
  trustedPrice(symbol: string): TrustedPrice | undefined;
  /** Symbols with a non-zero position (to value gross exposure). */
  positionSymbols(): Iterable<string>;
  openOrderCount(): number;
}

/** An order as it reaches the gatekeeper. */
export interface OrderIntent extends Order {
  /** For MARKET orders: the price the caller expects to trade at (checked against the collar). */
  readonly referencePrice?: number;
  /** Set only on the kill-switch's own flattening orders (which must also be reduceOnly and registered). */
  readonly flattening?: boolean;
}

interface MutablePrice {
  price: number;
  timeMs: number;
}

export class PortfolioContext implements RiskContext {
  private readonly positions = new Map<string, number>();
  private readonly prices = new Map<string, MutablePrice>();
  private accountRisk: AccountRisk | undefined;
  private openOrders = 0;

  account(): AccountRisk | undefined {
    return this.accountRisk;
  }
  positionQty(symbol: string): number {
    return this.positions.get(symbol) ?? 0;
  }
  trustedPrice(symbol: string): TrustedPrice | undefined {
    return this.prices.get(symbol);
  }
  positionSymbols(): Iterable<string> {
    return this.positions.keys();
  }
  openOrderCount(): number {
    return this.openOrders;
  }

  setAccount(account: AccountRisk | undefined): this {
    this.accountRisk = account;
    return this;
  }
  setPosition(symbol: string, qty: number): this {
    if (qty === 0) this.positions.delete(symbol);
    else this.positions.set(symbol, qty);
    return this;
  }
  /** Updates in place once a symbol is known, so a feed can call it every tick without allocating. */
  setPrice(symbol: string, price: number, timeMs: number): this {
    const p = this.prices.get(symbol);
    if (p) {
      p.price = price;
      p.timeMs = timeMs;
    } else {
      this.prices.set(symbol, { price, timeMs });
    }
    return this;
  }
  setOpenOrderCount(n: number): this {
    this.openOrders = n;
    return this;
  }
}
