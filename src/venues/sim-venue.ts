/**
 * `SimVenue`: the fill model behind the venue port (`ExecutionVenue`). Orders submitted after bar t are matched
 * when the caller feeds bar t+1 to `onBar`, in submission order (time priority). Denials are results and events
 * with a reason from one closed list, never exceptions. A bar with nothing working allocates nothing, so the
 * trading env can step through it millions of times a second.
 */
import {
  type BarRecord,
  type Fill,
  type Instrument,
  type Liquidity,
  type Order,
  type OrderType,
  type ReasonFields,
  type Side,
  type TimeInForce,
  ceilToTick,
  floorToTick,
  isMultipleOf,
  renderReason,
} from '../core/index.js';
import type { AccountModel } from './account-model.js';
import { FillResult, FillStatus, fillLimitOrderInto, fillMarketOrderInto, fillQuoteOrderInto, floorLotCompiled } from './fill-model.js';
import { type CompiledSimFill, type SimFillConfigInput, compileSimFill, parseSimFillConfig } from './sim-config.js';
import type {
  ExecutionVenue,
  OpenOrder,
  SequencedFill,
  SubmitResult,
  VenueCancelReason,
  VenueEvent,
  VenuePositionRecord,
  VenueRejectReason,
} from './venue.js';

/**
 * An accepted order as the venue works it: the order's fields copied into a pooled slot (the venue never keeps
 * a caller's object, so a caller may reuse its order record), plus the fill state.
 */
class WorkingOrder {
  clientOrderId = '';
  symbol = '';
  side: Side = 'BUY';
  type: OrderType = 'MARKET';
  timeInForce: TimeInForce = 'IOC';
  createdAtMs = 0;
  reduceOnly = false;
  agentId: string | undefined = undefined;
  /** Quote amount of a quote-sized market order; 0 otherwise. */
  quoteQuantity = 0;
  /** Quantity after lot rounding. */
  quantity = 0;
  /** Limit price after tick rounding; 0 for a market order. */
  limitPrice = 0;
  filledQty = 0;
  remainingQty = 0;
  /** `remainingQty` in units of 1/lotScale (an integer), as counted in the venue's running totals. */
  remainingUnits = 0;

  load(order: Order, quantity: number, limitPrice: number): void {
    this.clientOrderId = order.clientOrderId;
    this.symbol = order.symbol;
    this.side = order.side;
    this.type = order.type;
    this.timeInForce = order.timeInForce;
    this.createdAtMs = order.createdAtMs;
    this.reduceOnly = order.reduceOnly === true;
    this.agentId = order.agentId;
    this.quoteQuantity = order.quoteQuantity ?? 0;
    this.quantity = quantity;
    this.limitPrice = limitPrice;
    this.filledQty = 0;
    this.remainingQty = quantity;
  }

  /** The order as submitted (after rounding), as a new record. */
  toOrder(): Order {
    return {
      clientOrderId: this.clientOrderId,
      symbol: this.symbol,
      side: this.side,
      type: this.type,
      quantity: this.quantity,
      ...(this.type === 'LIMIT' ? { limitPrice: this.limitPrice } : {}),
      ...(this.quoteQuantity > 0 ? { quoteQuantity: this.quoteQuantity } : {}),
      timeInForce: this.timeInForce,
      createdAtMs: this.createdAtMs,
      ...(this.reduceOnly ? { reduceOnly: true } : {}),
      ...(this.agentId === undefined ? {} : { agentId: this.agentId }),
    };
  }
}

/** A fill event rewritten in place by each `onBar` (events are the venue's until the next call). */
class FillEventSlot {
  readonly type = 'FILL' as const;
  remainingQty = 0;
  /** True for the venue's own closing order of a liquidation (absent otherwise, as in the port's event type). */
  liquidation: true | undefined = undefined;
  readonly fill: {
    clientOrderId: string;
    symbol: string;
    side: Side;
    quantity: number;
    price: number;
    fee: number;
    liquidity: Liquidity;
    timeMs: number;
  } = { clientOrderId: '', symbol: '', side: 'BUY', quantity: 0, price: 0, fee: 0, liquidity: 'TAKER', timeMs: 0 };
}

/** The result of an accepted submission, rewritten by the next one. */
interface AcceptedSlot {
  readonly accepted: true;
  clientOrderId: string;
  quantity: number;
  limitPrice?: number;
}

export interface SimVenueOptions {
  instrument: Instrument;
  /** Fill-model config (validated); defaults apply to missing fields. */
  fill?: SimFillConfigInput;
  /** Signed position the venue starts with, in base units (it tracks the position to honour reduce-only). */
  initialPositionQty?: number;
  /** Fills kept for `fills()` (oldest dropped first); default 10,000. */
  fillHistory?: number;
  /**
   * The account the venue keeps (account-model.ts): buying power, holdings, margin and liquidation are checked
   * against it. Absent: the venue checks no balance (fill-model tests only; every trading path passes one).
   */
  account?: AccountModel;
  /** Starting quote balance of the account; required with `account`. */
  initialCash?: number;
}

/** Slack for float noise when a balance is compared with what an order needs. */
const BALANCE_EPS = 1e-9;

const NO_EVENTS: readonly VenueEvent[] = Object.freeze([]);

export class SimVenue implements ExecutionVenue {
  readonly instrument: Instrument;
  readonly sim: CompiledSimFill;
  /** Signed position from this venue's fills, in base units. */
  positionQty: number;
  /** The last matching attempt's raw result (price, fee, status), rewritten by every `onBar`. */
  readonly lastFill = new FillResult();
  /** Working orders, oldest first (time priority). */
  private readonly working: WorkingOrder[] = [];
  /** The working orders by client order id: the duplicate check and cancel look up, not scan, a book of thousands. */
  private readonly workingById = new Map<string, WorkingOrder>();
  /** Slots of finished orders, reused by the next submissions. */
  private readonly freeSlots: WorkingOrder[] = [];
  private readonly matching: WorkingOrder[] = [];
  private readonly events: VenueEvent[] = [];
  private readonly fillSlots: FillEventSlot[] = [];
  private readonly acceptedMarket: AcceptedSlot = { accepted: true, clientOrderId: '', quantity: 0 };
  private readonly fillLog: SequencedFill[] = [];
  private readonly fillHistory: number;
  private fillSeq = 0;
  /** The account the venue checks orders against, or null (no balance checks). */
  readonly account: AccountModel | null;
  readonly startingCash: number;
  /** Quote-currency balance from this venue's fills: what a cash account may spend, a margin account's collateral. */
  quoteBalance: number;
  /** The last close the venue saw (or was reset at): orders without a reference price are valued at it. */
  private markPrice = 0;
  /** Client order id of the liquidation order working now, or ''. */
  private liquidationId = '';
  private liquidationCount = 0;
  /**
   * Running totals of the working orders' remaining quantity per side, in units of 1/lotScale: integers, so adding
   * and taking away is exact (a float total would drift). The gatekeeper reads them before every order, and a
   * scan of a book of thousands of orders per request was a measurable share of the gateway's CPU.
   */
  private buyUnits = 0;
  private sellUnits = 0;
  /**
   * Set when a total may have left the safe-integer range (an absurd quantity at a fine lot): the totals are then
   * not exact, so `workingQty` scans the book until it is empty again (fail closed: never an inexact total).
   */
  private unitsInexact = false;

  constructor(options: SimVenueOptions) {
    this.instrument = options.instrument;
    this.sim = compileSimFill(parseSimFillConfig(options.fill ?? {}, 'SimVenue fill'), options.instrument);
    this.positionQty = options.initialPositionQty ?? 0;
    this.account = options.account ?? null;
    const cash = options.initialCash ?? 0;
    if (this.account !== null && !(cash > 0 && Number.isFinite(cash))) {
      throw new RangeError(`initialCash: an account needs a finite starting balance > 0, got ${options.initialCash}`);
    }
    this.startingCash = cash;
    this.quoteBalance = cash;
    const history = options.fillHistory ?? 10_000;
    if (!(Number.isInteger(history) && history >= 0)) throw new RangeError(`fillHistory: must be a whole number >= 0, got ${history}`);
    this.fillHistory = history;
  }

  /**
   * Back to a venue with nothing working and no fill history (a new episode): `positionQty` held, `cash` in the
   * account (the starting cash by default), marked at `price` (0: unknown until the next bar).
   */
  reset(positionQty = 0, cash = this.startingCash, price = 0): void {
    for (const w of this.working) this.freeSlots.push(w);
    this.working.length = 0;
    this.workingById.clear();
    this.clearUnits();
    this.positionQty = positionQty;
    this.quoteBalance = cash;
    this.markPrice = Number.isFinite(price) && price > 0 ? price : 0;
    this.liquidationId = '';
    this.fillLog.length = 0;
    this.fillSeq = 0;
    this.lastFill.clear();
  }

  /** Number of working orders (what `openOrders().length` would say, without building the list). */
  get openOrderCount(): number {
    return this.working.length;
  }

  /** Remaining quantity of the working orders on `side`, from the running totals (no scan). */
  workingQty(side: Side): number {
    if (this.unitsInexact) return this.scanWorkingQty(side);
    return (side === 'BUY' ? this.buyUnits : this.sellUnits) / this.sim.lotScale;
  }

  /** The same figure from a walk of the book: the fallback when the unit totals are not exact. */
  private scanWorkingQty(side: Side): number {
    let qty = 0;
    for (const w of this.working) if (w.side === side) qty += w.remainingQty;
    return qty;
  }

  /** Sets a working order's remaining quantity and moves its side's running total by the change. */
  private setRemaining(w: WorkingOrder, qty: number): void {
    const units = Math.round(qty * this.sim.lotScale);
    const delta = units - w.remainingUnits;
    w.remainingQty = qty;
    w.remainingUnits = units;
    if (w.side === 'BUY') this.buyUnits += delta;
    else this.sellUnits += delta;
    if (!Number.isSafeInteger(units) || !Number.isSafeInteger(this.buyUnits) || !Number.isSafeInteger(this.sellUnits)) this.unitsInexact = true;
  }

  /** Nothing working: both totals are exactly 0 again, and exact. */
  private clearUnits(): void {
    this.buyUnits = 0;
    this.sellUnits = 0;
    this.unitsInexact = false;
  }

  positions(): readonly VenuePositionRecord[] {
    return [{ symbol: this.instrument.symbol, quantity: this.positionQty }];
  }

  fills(fromSeq = 0): readonly SequencedFill[] {
    const log = this.fillLog;
    if (log.length === 0 || fromSeq <= log[0].seq) return log.slice();
    return log.slice(Math.min(log.length, fromSeq - log[0].seq));
  }

  /**
   * Validates and accepts an order (a refusal is a result, never an exception). The venue copies what it needs:
   * the caller may reuse its order record. An accepted MARKET result is rewritten by the next submission.
   */
  submit(order: Order): SubmitResult {
    const id = order.clientOrderId;
    const inst = this.instrument;
    if (order.symbol !== inst.symbol) return reject(id, 'UNKNOWN_SYMBOL', { symbol: order.symbol, venue: inst.symbol });
    if (this.workingById.has(id)) return reject(id, 'DUPLICATE_CLIENT_ORDER_ID', { clientOrderId: id });
    if (!(order.quantity > 0) || !Number.isFinite(order.quantity)) {
      return reject(id, 'INVALID_QUANTITY', { quantity: order.quantity });
    }
    const quote = order.quoteQuantity;
    if (quote !== undefined) {
      if (!(quote > 0) || !Number.isFinite(quote)) return reject(id, 'INVALID_QUANTITY', { quoteQuantity: quote });
      if (order.type !== 'MARKET' || order.timeInForce !== 'IOC') {
        return reject(id, 'INVALID_QUANTITY', { problem: 'quoteQuantity needs a MARKET IOC order', got: `${order.type} ${order.timeInForce}` });
      }
    }
    const quantity = floorLotCompiled(order.quantity, this.sim);
    if (!(quantity > 0)) return reject(id, 'QTY_BELOW_LOT', { quantity: order.quantity, lot: inst.lotSize });
    let limitPrice = 0;
    if (order.type === 'LIMIT') {
      const lp = order.limitPrice;
      if (lp === undefined || !(lp > 0) || !Number.isFinite(lp)) return reject(id, 'INVALID_PRICE', { limitPrice: String(lp) });
      limitPrice = isMultipleOf(lp, inst.tickSize)
        ? lp
        : order.side === 'BUY'
          ? floorToTick(lp, inst.tickSize)
          : ceilToTick(lp, inst.tickSize);
      if (!(limitPrice > 0)) return reject(id, 'INVALID_PRICE', { limitPrice: lp, tick: inst.tickSize });
      const notional = quantity * limitPrice;
      if (notional < inst.minNotional) {
        return reject(id, 'BELOW_MIN_NOTIONAL', { notional, min: inst.minNotional });
      }
    }
    // A reduce-only order (the kill-switch's flattening orders among them) never opens or grows a position: refused
    // when it cannot reduce now, clamped to the position when it matches (`match`). Sized in quote currency it
    // could buy more than the position at a lower fill price, so it must be sized in base units.
    if (order.reduceOnly && quote !== undefined) {
      return reject(id, 'REDUCE_ONLY_WOULD_INCREASE', { quoteQuantity: quote, problem: 'a reduce-only order is sized in base units' });
    }
    if (order.reduceOnly && !this.reduces(order.side === 'BUY' ? 1 : -1)) {
      return reject(id, 'REDUCE_ONLY_WOULD_INCREASE', { side: order.side, position: this.positionQty });
    }
    if (this.account !== null && !order.reduceOnly) {
      const refusal = this.checkBuyingPower(order, quantity, limitPrice);
      if (refusal !== null) return refusal;
    }
    const slot = this.freeSlots.pop() ?? new WorkingOrder();
    slot.load(order, quantity, limitPrice);
    this.addWorking(slot);
    if (order.type === 'LIMIT') return { accepted: true, clientOrderId: id, quantity, limitPrice };
    const accepted = this.acceptedMarket;
    accepted.clientOrderId = id;
    accepted.quantity = quantity;
    return accepted;
  }

  /**
   * Matches every working order against `bar` (the bar after they were decided), oldest first. The returned
   * list and its fill events belong to the venue and are rewritten by the next call: read them, do not keep them.
   */
  onBar(bar: BarRecord): readonly VenueEvent[] {
    checkBar(bar);
    this.markPrice = bar.close;
    const marginAtRisk = this.positionQty !== 0 && this.account !== null && this.account.type === 'margin';
    if (this.working.length === 0 && !marginAtRisk) {
      this.lastFill.clear();
      return NO_EVENTS;
    }
    const events = this.events;
    while (events.length > 0) events.pop();
    if (this.working.length === 0) this.lastFill.clear();
    else if (this.working.length === 1) this.match(this.working[0], bar, events, 0);
    else {
      // Matching may finish orders: walk a copy of the book.
      const matching = this.matching;
      for (const w of this.working) matching.push(w);
      let fills = 0;
      for (const w of matching) fills = this.match(w, bar, events, fills);
      while (matching.length > 0) matching.pop();
    }
    if (this.account !== null && this.account.type === 'margin') this.checkMaintenance(bar, events);
    return events.length === 0 ? NO_EVENTS : events;
  }

  /** True while the venue is closing the position of an account that fell below its maintenance margin. */
  get liquidating(): boolean {
    return this.liquidationId !== '';
  }

  /** Equity of the venue's account at `price`: quote balance plus the position's value. */
  equityAt(price: number): number {
    return this.quoteBalance + this.positionQty * price;
  }

  /**
   * Refuses an order the account cannot carry, valued at its limit price, its reference price (`referencePrice`,
   * set by the decision chain) or else the last close: a cash account's buys beyond its cash or sells beyond its
   * holdings, a margin account's growth beyond `leverage` × equity. Orders still working count against the
   * balance. Fees are left out here; a fill is capped to what the balance pays, fees included (`accountRoom`).
   */
  private checkBuyingPower(order: Order, quantity: number, limitPrice: number): SubmitResult | null {
    const account = this.account;
    const id = order.clientOrderId;
    if (account === null) return null;
    if (this.liquidationId !== '') return reject(id, 'ACCOUNT_LIQUIDATING', { liquidation: this.liquidationId, problem: 'no new orders until it is done' });
    const ref = limitPrice > 0 ? limitPrice : referencePriceOf(order) ?? this.markPrice;
    if (!(ref > 0)) return null; // nothing to value it at before the first bar: the fill-time cap still applies
    const sign = order.side === 'BUY' ? 1 : -1;
    const quote = order.quoteQuantity ?? 0;
    const qty = quote > 0 ? quote / ref : quantity;
    let workingBuyQuote = 0;
    let workingSellQty = 0;
    let workingSigned = 0;
    for (const w of this.working) {
      const px = w.type === 'LIMIT' ? w.limitPrice : ref;
      const remaining = w.quoteQuantity > 0 ? w.quoteQuantity / px : w.remainingQty;
      workingSigned += w.side === 'BUY' ? remaining : -remaining;
      if (w.side === 'BUY') workingBuyQuote += w.quoteQuantity > 0 ? w.quoteQuantity : remaining * px;
      else workingSellQty += remaining;
    }
    if (account.type === 'cash') {
      if (sign > 0) {
        const spend = quote > 0 ? quote : qty * ref;
        const available = this.quoteBalance - workingBuyQuote;
        if (spend > available * (1 + BALANCE_EPS) + BALANCE_EPS) {
          return reject(id, 'INSUFFICIENT_BALANCE', { cost: round6(spend), available: round6(available), account: 'cash (no borrowing)' });
        }
        return null;
      }
      const holdings = this.positionQty - workingSellQty;
      if (qty > holdings * (1 + BALANCE_EPS) + BALANCE_EPS) {
        return reject(id, 'INSUFFICIENT_BALANCE', { quantity: round6(qty), holdings: round6(Math.max(0, holdings)), account: 'cash (no short sales)' });
      }
      return null;
    }
    const before = this.positionQty + workingSigned;
    const after = before + sign * qty;
    if (Math.abs(after) <= Math.abs(before)) return null; // a reduction is always allowed
    const equity = this.equityAt(ref);
    const need = Math.abs(after) * ref;
    if (need > account.leverage * equity * (1 + BALANCE_EPS) + BALANCE_EPS) {
      return reject(
        id,
        'INSUFFICIENT_MARGIN',
        { position_value: round6(need), max: round6(Math.max(0, account.leverage * equity)), leverage: account.leverage, equity: round6(equity) },
      );
    }
    return null;
  }

  /**
   * Largest quantity of this fill the account can carry at its price and fee: a cash account's cash (fees
   * included) or holdings, a margin account's leverage × equity after the fill (a reduction always fits).
   */
  private accountRoom(sign: number, out: FillResult): number {
    const account = this.account;
    if (account === null) return Number.POSITIVE_INFINITY;
    const q = Math.abs(out.signedQty);
    const p = out.price;
    const feeFrac = q > 0 && p > 0 ? out.fee / (q * p) : 0;
    const pos = this.positionQty;
    if (account.type === 'cash') {
      return sign > 0 ? Math.max(0, this.quoteBalance / (p * (1 + feeFrac))) : Math.max(0, pos);
    }
    const held = Math.abs(pos);
    const equity = this.equityAt(p);
    const L = account.leverage;
    // Growing: (|pos| + q)·p ≤ L·(equity − fee·q·p); crossing zero: (q − |pos|)·p ≤ L·(equity − fee·q·p).
    const grows = pos === 0 || Math.sign(pos) === sign;
    const room = grows ? (L * Math.max(0, equity) / p - held) / (1 + L * feeFrac) : (L * Math.max(0, equity) / p + held) / (1 + L * feeFrac);
    return grows ? Math.max(0, room) : Math.max(held, room);
  }

  /**
   * At a bar's close: a margin account whose equity is below its maintenance requirement is liquidated — every
   * working order cancelled, and a reduce-only order for the whole position working from the next bar on
   * (it rests until the position is closed; no new order is accepted meanwhile).
   */
  private checkMaintenance(bar: BarRecord, events: VenueEvent[]): void {
    const account = this.account;
    const pos = this.positionQty;
    if (account === null || pos === 0 || this.liquidationId !== '') return;
    const equity = this.equityAt(bar.close);
    const requirement = account.maintenanceMargin * Math.abs(pos) * bar.close;
    if (equity >= requirement) return;
    for (const w of [...this.working]) this.cancelWorking(w, events, bar.time, 'LIQUIDATION');
    const id = `liquidation-${++this.liquidationCount}`;
    const order: Order = {
      clientOrderId: id,
      symbol: this.instrument.symbol,
      side: pos > 0 ? 'SELL' : 'BUY',
      type: 'MARKET',
      quantity: Math.abs(pos),
      timeInForce: 'GTC',
      createdAtMs: bar.time,
      reduceOnly: true,
    };
    const slot = this.freeSlots.pop() ?? new WorkingOrder();
    slot.load(order, Math.abs(pos), 0);
    this.addWorking(slot);
    this.liquidationId = id;
    events.push({ type: 'LIQUIDATION', clientOrderId: id, positionQty: pos, price: bar.close, equity, requirement, timeMs: bar.time });
  }

  openOrders(): OpenOrder[] {
    return this.working.map((w) => ({
      order: w.toOrder(),
      quantity: w.quantity,
      ...(w.type === 'LIMIT' ? { limitPrice: w.limitPrice } : {}),
      filledQty: w.filledQty,
      remainingQty: w.remainingQty,
    }));
  }

  /** Cancels one working order; returns its cancellation event, or null if no such order is working. */
  cancel(clientOrderId: string, timeMs = 0): VenueEvent | null {
    const w = this.workingById.get(clientOrderId);
    if (w === undefined) return null;
    this.finish(w);
    return { type: 'CANCELLED', clientOrderId, reason: 'USER', remainingQty: w.remainingQty, timeMs };
  }

  /** Cancels every working order (a hard kill's first step); returns one event per order. */
  cancelAll(timeMs = 0): VenueEvent[] {
    const events: VenueEvent[] = [];
    for (const w of [...this.working]) {
      const e = this.cancel(w.clientOrderId, timeMs);
      if (e) events.push(e);
    }
    return events;
  }

  /** Puts a loaded slot on the book (newest last) and counts its quantity in its side's total. */
  private addWorking(w: WorkingOrder): void {
    w.remainingUnits = 0;
    this.setRemaining(w, w.remainingQty);
    this.working.push(w);
    this.workingById.set(w.clientOrderId, w);
  }

  /** Takes a working order off the book, out of its side's total, and returns its slot to the pool. */
  private finish(w: WorkingOrder): void {
    if (w.clientOrderId === this.liquidationId) this.liquidationId = '';
    const working = this.working;
    // The common case (one order, or the newest) pops; others keep time priority with a splice.
    if (working[working.length - 1] === w) working.pop();
    else {
      const i = working.indexOf(w);
      if (i < 0) return;
      working.splice(i, 1);
    }
    this.workingById.delete(w.clientOrderId);
    // Its remaining quantity stays readable (cancel events report it); only the total forgets it.
    if (w.side === 'BUY') this.buyUnits -= w.remainingUnits;
    else this.sellUnits -= w.remainingUnits;
    w.remainingUnits = 0;
    if (working.length === 0) this.clearUnits();
    this.freeSlots.push(w);
  }

  private recordFill(w: WorkingOrder, filled: number, timeMs: number): void {
    if (this.fillHistory > 0) {
      const out = this.lastFill;
      const fill: Fill = {
        clientOrderId: w.clientOrderId,
        symbol: w.symbol,
        side: w.side,
        quantity: filled,
        price: out.price,
        fee: out.fee,
        liquidity: out.liquidity === 1 ? 'TAKER' : 'MAKER',
        timeMs,
      };
      const log = this.fillLog;
      log.push({ seq: this.fillSeq, fill });
      // Trim in blocks so that a long run pays O(1) per fill, not a shift per fill.
      if (log.length >= 2 * this.fillHistory) log.splice(0, log.length - this.fillHistory);
    }
    this.fillSeq++;
  }

  private reduces(sign: number): boolean {
    return this.positionQty !== 0 && Math.sign(this.positionQty) === -sign;
  }

  /** Matches one working order; returns the number of fill events used so far. */
  private match(w: WorkingOrder, bar: BarRecord, events: VenueEvent[], fills: number): number {
    const sign = w.side === 'BUY' ? 1 : -1;
    let qty = w.remainingQty;
    let clamped = false;
    if (w.reduceOnly) {
      if (!this.reduces(sign)) {
        this.reject(w, events, bar.time, 'REDUCE_ONLY_WOULD_INCREASE', { position: this.positionQty });
        return fills;
      }
      if (qty > Math.abs(this.positionQty)) {
        qty = Math.abs(this.positionQty);
        clamped = true;
      }
    }
    const out = this.lastFill;
    const quote = w.quoteQuantity;
    if (w.type === 'LIMIT') {
      fillLimitOrderInto(out, sign * qty, w.limitPrice, bar.open, bar.high, bar.low, bar.volume, this.sim);
    } else if (quote > 0 && !clamped && !w.reduceOnly) {
      fillQuoteOrderInto(out, sign * quote, bar.open, bar.volume, this.sim);
    } else {
      fillMarketOrderInto(out, sign * qty, bar.open, bar.volume, this.sim);
    }
    const gtc = w.timeInForce === 'GTC';
    let capped: VenueCancelReason | null = null;
    if (this.account !== null && !w.reduceOnly && (out.status === FillStatus.FILLED || out.status === FillStatus.PARTIAL)) {
      const room = this.accountRoom(sign, out);
      if (Math.abs(out.signedQty) > room * (1 + BALANCE_EPS) + BALANCE_EPS) {
        const reason = this.account.type === 'cash' ? 'INSUFFICIENT_BALANCE' : 'INSUFFICIENT_MARGIN';
        const detail = { quantity: Math.abs(out.signedQty), room: round6(room), price: out.price };
        const fit = floorLotCompiled(room * (1 - BALANCE_EPS), this.sim);
        if (fit > 0) {
          if (w.type === 'LIMIT') fillLimitOrderInto(out, sign * fit, w.limitPrice, bar.open, bar.high, bar.low, bar.volume, this.sim);
          else fillMarketOrderInto(out, sign * fit, bar.open, bar.volume, this.sim);
        }
        if (!(fit > 0) || (out.status !== FillStatus.FILLED && out.status !== FillStatus.PARTIAL)) {
          this.reject(w, events, bar.time, reason, detail);
          return fills;
        }
        capped = reason;
      }
    }
    switch (out.status) {
      case FillStatus.FILLED:
      case FillStatus.PARTIAL: {
        const filled = Math.abs(out.signedQty);
        w.filledQty += filled;
        // A quote-sized order is done once it filled: what it buys is set by its quote amount, not a quantity.
        this.setRemaining(w, quote > 0 ? 0 : Math.max(0, Math.round((w.remainingQty - filled) * this.sim.lotScale) / this.sim.lotScale));
        this.positionQty += out.signedQty;
        this.quoteBalance -= out.signedQty * out.price + out.fee;
        this.recordFill(w, filled, bar.time);
        const e = this.fillSlots[fills] ?? (this.fillSlots[fills] = new FillEventSlot());
        const f = e.fill;
        f.clientOrderId = w.clientOrderId;
        f.symbol = w.symbol;
        f.side = w.side;
        f.quantity = filled;
        f.price = out.price;
        f.fee = out.fee;
        f.liquidity = out.liquidity === 1 ? 'TAKER' : 'MAKER';
        f.timeMs = bar.time;
        e.remainingQty = w.remainingQty;
        e.liquidation = w.clientOrderId === this.liquidationId ? true : undefined;
        events.push(e);
        if (w.remainingQty <= 0) this.finish(w);
        else if (capped !== null) this.cancelWorking(w, events, bar.time, capped);
        else if (clamped) this.cancelWorking(w, events, bar.time, 'REDUCE_ONLY_REMAINDER');
        else if (!gtc) this.cancelWorking(w, events, bar.time, 'IOC_REMAINDER');
        return fills + 1;
      }
      case FillStatus.BELOW_MIN_NOTIONAL: {
        // The whole remainder is too small to ever fill: reject. A capped slice too small: wait (GTC) or cancel.
        const whole = out.attemptedQty >= qty;
        if (whole) {
          this.reject(w, events, bar.time, 'BELOW_MIN_NOTIONAL', { notional: out.notional, min: this.sim.minNotional });
        } else if (!gtc) this.cancelWorking(w, events, bar.time, 'BELOW_MIN_NOTIONAL');
        return fills;
      }
      case FillStatus.QTY_BELOW_LOT:
        if (!gtc) this.cancelWorking(w, events, bar.time, 'QTY_BELOW_LOT');
        return fills;
      case FillStatus.NO_VOLUME:
        if (!gtc) this.cancelWorking(w, events, bar.time, 'NO_VOLUME');
        return fills;
      case FillStatus.LIMIT_NOT_REACHED:
        if (!gtc) this.cancelWorking(w, events, bar.time, 'LIMIT_NOT_REACHED');
        return fills;
      case FillStatus.NONE:
        this.finish(w);
        return fills;
    }
    return fills;
  }

  private cancelWorking(w: WorkingOrder, events: VenueEvent[], timeMs: number, reason: VenueCancelReason): void {
    this.finish(w);
    events.push({ type: 'CANCELLED', clientOrderId: w.clientOrderId, reason, remainingQty: w.remainingQty, timeMs });
  }

  private reject(w: WorkingOrder, events: VenueEvent[], timeMs: number, reason: VenueRejectReason, detail: ReasonFields): void {
    this.finish(w);
    events.push({ type: 'REJECTED', clientOrderId: w.clientOrderId, reason, message: renderReason(reason, detail), timeMs });
  }
}

/** The price the decision chain valued an order at (`OrderIntent.referencePrice`), when the order carries one. */
function referencePriceOf(order: Order): number | undefined {
  const ref = (order as { readonly referencePrice?: number }).referencePrice;
  return ref !== undefined && ref > 0 && Number.isFinite(ref) ? ref : undefined;
}

function round6(x: number): number {
  return Math.round(x * 1e6) / 1e6;
}

/**
 * A refusal at submission whose message is rendered when it is first read, not when the order is refused: a
 * training env's random actions meet a refusal on most steps (a sell from a flat cash account) and read none of
 * the texts, and rendering the numbers was a third of such a step. The message is the same string either way.
 */
export class SubmitRefusal {
  readonly accepted = false as const;
  readonly clientOrderId: string;
  readonly reason: VenueRejectReason;
  #detail: ReasonFields | null;
  #message = '';

  constructor(clientOrderId: string, reason: VenueRejectReason, detail: ReasonFields) {
    this.clientOrderId = clientOrderId;
    this.reason = reason;
    this.#detail = detail;
  }

  get message(): string {
    if (this.#detail !== null) {
      this.#message = renderReason(this.reason, this.#detail);
      this.#detail = null;
    }
    return this.#message;
  }

  /** The plain record (`JSON.stringify` would otherwise leave the message out). */
  toJSON(): { accepted: false; clientOrderId: string; reason: VenueRejectReason; message: string } {
    return { accepted: false, clientOrderId: this.clientOrderId, reason: this.reason, message: this.message };
  }
}

function reject(clientOrderId: string, reason: VenueRejectReason, detail: ReasonFields): SubmitResult {
  return new SubmitRefusal(clientOrderId, reason, detail);
}

function badBar(field: string, rule: string, value: number): never {
  throw new RangeError(`bar.${field}: ${rule}, got ${value}`);
}

/**
 * A bar nothing can be matched against (a missing or non-positive price, NaN volume) is the feed's fault, not
 * the orders': refuse it before matching, leaving every working order as it was, rather than drop orders silently.
 */
function checkBar(bar: BarRecord): void {
  if (!Number.isFinite(bar.time)) badBar('time', 'must be a finite time in ms', bar.time);
  if (!(bar.open > 0) || !Number.isFinite(bar.open)) badBar('open', 'must be a finite price > 0', bar.open);
  if (!(bar.high > 0) || !Number.isFinite(bar.high)) badBar('high', 'must be a finite price > 0', bar.high);
  if (!(bar.low > 0) || !Number.isFinite(bar.low)) badBar('low', 'must be a finite price > 0', bar.low);
  if (bar.high < bar.low) badBar('high', `must be >= low ${bar.low}`, bar.high);
  if (!(bar.volume >= 0)) badBar('volume', 'must be >= 0', bar.volume);
}
