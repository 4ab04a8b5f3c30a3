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
  /** Equity at the start of the current trading day (the account's: UTC unless the instrument's session says otherwise). */
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
  /** Symbols with a non-zero position or open orders (to value gross exposure). */
  positionSymbols(): Iterable<string>;
  openOrderCount(): number;
  /**
   * Unfilled quantity (base units, >= 0; 0 when none) of the symbol's open BUY orders that could still fill.
   * The gatekeeper judges REDUCING and the post-trade limits as if every open order on the new order's side
   * filled (the worst case); a NaN, infinite or negative value is refused with NO_ACCOUNT.
   */
  pendingBuyQty(symbol: string): number;
  /** Same as `pendingBuyQty`, for the symbol's open SELL orders (a positive quantity, not signed). */
  pendingSellQty(symbol: string): number;
}

/**
 * Who sent an order, as the transport authenticated it (a capability token, a session, a sandbox channel).
 * Wherever an order comes from outside the process, its agent id is this, never the order body's `agentId`:
 * `gatekeeper.check(order, ctx, caller)` keys throttles, the circuit breaker and `agent:` scopes on it and
 * refuses an order whose body names another agent (AGENT_MISMATCH).
 */
export interface CallerIdentity {
  readonly agentId: string;
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

interface MutablePending {
  buyQty: number;
  sellQty: number;
}

export class PortfolioContext implements RiskContext {
  private readonly positions = new Map<string, number>();
  private readonly prices = new Map<string, MutablePrice>();
  private readonly pending = new Map<string, MutablePending>();
  /** Symbols with a position or open orders: what gross exposure must value. */
  private readonly exposed = new Set<string>();
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
    return this.exposed.values();
  }
  openOrderCount(): number {
    return this.openOrders;
  }
  pendingBuyQty(symbol: string): number {
    return this.pending.get(symbol)?.buyQty ?? 0;
  }
  pendingSellQty(symbol: string): number {
    return this.pending.get(symbol)?.sellQty ?? 0;
  }

  setAccount(account: AccountRisk | undefined): this {
    this.accountRisk = account;
    return this;
  }
  setPosition(symbol: string, qty: number): this {
    if (qty === 0) this.positions.delete(symbol);
    else this.positions.set(symbol, qty);
    this.updateExposed(symbol);
    return this;
  }
  /**
   * The unfilled quantities (base units, both >= 0) of the symbol's open BUY and SELL orders. Updates in
   * place once a symbol is known, so a caller can set it before every check without allocating.
   */
  setPendingOrders(symbol: string, buyQty: number, sellQty: number): this {
    const p = this.pending.get(symbol);
    if (p) {
      p.buyQty = buyQty;
      p.sellQty = sellQty;
    } else if (buyQty !== 0 || sellQty !== 0) {
      this.pending.set(symbol, { buyQty, sellQty });
    }
    this.updateExposed(symbol);
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

  private updateExposed(symbol: string): void {
    const p = this.pending.get(symbol);
    // `!== 0` keeps a NaN entry listed, so the gatekeeper sees it and fails closed.
    if (this.positions.has(symbol) || (p !== undefined && (p.buyQty !== 0 || p.sellQty !== 0))) this.exposed.add(symbol);
    else this.exposed.delete(symbol);
  }
}
