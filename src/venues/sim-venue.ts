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
  type Order,
  ceilToTick,
  floorToLot,
  floorToTick,
  isMultipleOf,
} from '../core/index.js';
import { FillResult, FillStatus, fillLimitOrderInto, fillMarketOrderInto, fillQuoteOrderInto } from './fill-model.js';
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

interface WorkingOrder {
  order: Order;
  quantity: number;
  limitPrice: number;
  filledQty: number;
  remainingQty: number;
}

export interface SimVenueOptions {
  instrument: Instrument;
  /** Fill-model config (validated); defaults apply to missing fields. */
  fill?: SimFillConfigInput;
  /** Signed position the venue starts with, in base units (it tracks the position to honour reduce-only). */
  initialPositionQty?: number;
  /** Fills kept for `fills()` (oldest dropped first); default 10,000. */
  fillHistory?: number;
}

const NO_EVENTS: readonly VenueEvent[] = Object.freeze([]);

export class SimVenue implements ExecutionVenue {
  readonly instrument: Instrument;
  readonly sim: CompiledSimFill;
  /** Signed position from this venue's fills, in base units. */
  positionQty: number;
  /** The last matching attempt's raw result (price, fee, status), rewritten by every `onBar`. */
  readonly lastFill = new FillResult();
  private readonly working = new Map<string, WorkingOrder>();
  private readonly matchOrder: WorkingOrder[] = [];
  private readonly events: VenueEvent[] = [];
  private readonly fillLog: SequencedFill[] = [];
  private readonly fillHistory: number;
  private fillSeq = 0;

  constructor(options: SimVenueOptions) {
    this.instrument = options.instrument;
    this.sim = compileSimFill(parseSimFillConfig(options.fill ?? {}, 'SimVenue fill'), options.instrument);
    this.positionQty = options.initialPositionQty ?? 0;
    const history = options.fillHistory ?? 10_000;
    if (!(Number.isInteger(history) && history >= 0)) throw new RangeError(`fillHistory: must be a whole number >= 0, got ${history}`);
    this.fillHistory = history;
  }

  /** Back to a flat venue with nothing working and no fill history (a new episode). */
  reset(positionQty = 0): void {
    this.working.clear();
    this.positionQty = positionQty;
    this.fillLog.length = 0;
    this.fillSeq = 0;
    this.lastFill.clear();
  }

  /** Number of working orders (what `openOrders().length` would say, without building the list). */
  get openOrderCount(): number {
    return this.working.size;
  }

  positions(): readonly VenuePositionRecord[] {
    return [{ symbol: this.instrument.symbol, quantity: this.positionQty }];
  }

  fills(fromSeq = 0): readonly SequencedFill[] {
    const log = this.fillLog;
    if (log.length === 0 || fromSeq <= log[0].seq) return log.slice();
    return log.slice(Math.min(log.length, fromSeq - log[0].seq));
  }

  submit(order: Order): SubmitResult {
    const id = order.clientOrderId;
    const reject = (reason: VenueRejectReason, detail: string): SubmitResult => ({
      accepted: false,
      clientOrderId: id,
      reason,
      message: `${reason}: ${detail}`,
    });
    const inst = this.instrument;
    if (order.symbol !== inst.symbol) return reject('UNKNOWN_SYMBOL', `symbol=${order.symbol}, venue=${inst.symbol}`);
    if (this.working.has(id)) return reject('DUPLICATE_CLIENT_ORDER_ID', `clientOrderId=${id}`);
    if (!(order.quantity > 0) || !Number.isFinite(order.quantity)) {
      return reject('INVALID_QUANTITY', `quantity=${order.quantity}`);
    }
    const quote = order.quoteQuantity;
    if (quote !== undefined) {
      if (!(quote > 0) || !Number.isFinite(quote)) return reject('INVALID_QUANTITY', `quoteQuantity=${quote}`);
      if (order.type !== 'MARKET' || order.timeInForce !== 'IOC') {
        return reject('INVALID_QUANTITY', `quoteQuantity needs a MARKET IOC order, got ${order.type} ${order.timeInForce}`);
      }
    }
    const quantity = floorToLot(order.quantity, inst.lotSize);
    if (!(quantity > 0)) return reject('QTY_BELOW_LOT', `quantity=${order.quantity}, lot=${inst.lotSize}`);
    let limitPrice = 0;
    if (order.type === 'LIMIT') {
      const lp = order.limitPrice;
      if (lp === undefined || !(lp > 0) || !Number.isFinite(lp)) return reject('INVALID_PRICE', `limitPrice=${lp}`);
      limitPrice = isMultipleOf(lp, inst.tickSize)
        ? lp
        : order.side === 'BUY'
          ? floorToTick(lp, inst.tickSize)
          : ceilToTick(lp, inst.tickSize);
      if (!(limitPrice > 0)) return reject('INVALID_PRICE', `limitPrice=${lp}, tick=${inst.tickSize}`);
      const notional = quantity * limitPrice;
      if (notional < inst.minNotional) {
        return reject('BELOW_MIN_NOTIONAL', `notional=${notional}, min=${inst.minNotional}`);
      }
    }
    if (order.reduceOnly && !this.reduces(order.side === 'BUY' ? 1 : -1)) {
      return reject('REDUCE_ONLY_WOULD_INCREASE', `side=${order.side}, position=${this.positionQty}`);
    }
    this.working.set(id, { order, quantity, limitPrice, filledQty: 0, remainingQty: quantity });
    return order.type === 'LIMIT'
      ? { accepted: true, clientOrderId: id, quantity, limitPrice }
      : { accepted: true, clientOrderId: id, quantity };
  }

  /**
   * Matches every working order against `bar` (the bar after they were decided), oldest first. The returned
   * list belongs to the venue and is rewritten by the next call: read it, do not keep it.
   */
  onBar(bar: BarRecord): readonly VenueEvent[] {
    checkBar(bar);
    if (this.working.size === 0) return NO_EVENTS;
    const events = this.events;
    events.length = 0;
    const order = this.matchOrder;
    order.length = 0;
    for (const w of this.working.values()) order.push(w);
    for (const w of order) this.match(w, bar, events);
    order.length = 0;
    return events;
  }

  openOrders(): OpenOrder[] {
    return [...this.working.values()].map((w) => ({
      order: w.order,
      quantity: w.quantity,
      ...(w.order.type === 'LIMIT' ? { limitPrice: w.limitPrice } : {}),
      filledQty: w.filledQty,
      remainingQty: w.remainingQty,
    }));
  }

  /** Cancels one working order; returns its cancellation event, or null if no such order is working. */
  cancel(clientOrderId: string, timeMs = 0): VenueEvent | null {
    const w = this.working.get(clientOrderId);
    if (!w) return null;
    this.working.delete(clientOrderId);
    return { type: 'CANCELLED', clientOrderId, reason: 'USER', remainingQty: w.remainingQty, timeMs };
  }

  /** Cancels every working order (a hard kill's first step); returns one event per order. */
  cancelAll(timeMs = 0): VenueEvent[] {
    if (this.working.size === 0) return [];
    const events: VenueEvent[] = [];
    for (const id of [...this.working.keys()]) {
      const e = this.cancel(id, timeMs);
      if (e) events.push(e);
    }
    return events;
  }

  private recordFill(fill: Fill): void {
    const log = this.fillLog;
    if (this.fillHistory > 0) {
      log.push({ seq: this.fillSeq, fill });
      // Trim in blocks so that a long run pays O(1) per fill, not a shift per fill.
      if (log.length >= 2 * this.fillHistory) log.splice(0, log.length - this.fillHistory);
    }
    this.fillSeq++;
  }

  private reduces(sign: number): boolean {
    return this.positionQty !== 0 && Math.sign(this.positionQty) === -sign;
  }

  private match(w: WorkingOrder, bar: BarRecord, events: VenueEvent[]): void {
    const { order } = w;
    const id = order.clientOrderId;
    const sign = order.side === 'BUY' ? 1 : -1;
    let qty = w.remainingQty;
    let clamped = false;
    if (order.reduceOnly) {
      if (!this.reduces(sign)) {
        this.reject(w, events, bar.time, 'REDUCE_ONLY_WOULD_INCREASE', `position=${this.positionQty}`);
        return;
      }
      if (qty > Math.abs(this.positionQty)) {
        qty = Math.abs(this.positionQty);
        clamped = true;
      }
    }
    const out = this.lastFill;
    const quote = order.quoteQuantity;
    if (order.type === 'LIMIT') {
      fillLimitOrderInto(out, sign * qty, w.limitPrice, bar.open, bar.high, bar.low, bar.volume, this.sim);
    } else if (quote !== undefined && !clamped) {
      fillQuoteOrderInto(out, sign * quote, bar.open, bar.volume, this.sim);
    } else {
      fillMarketOrderInto(out, sign * qty, bar.open, bar.volume, this.sim);
    }
    const gtc = order.timeInForce === 'GTC';
    switch (out.status) {
      case FillStatus.FILLED:
      case FillStatus.PARTIAL: {
        const filled = Math.abs(out.signedQty);
        w.filledQty += filled;
        // A quote-sized order is done once it filled: what it buys is set by its quote amount, not a quantity.
        w.remainingQty =
          quote !== undefined ? 0 : Math.max(0, Math.round((w.remainingQty - filled) * this.sim.lotScale) / this.sim.lotScale);
        this.positionQty += out.signedQty;
        const fill: Fill = {
          clientOrderId: id,
          symbol: order.symbol,
          side: order.side,
          quantity: filled,
          price: out.price,
          fee: out.fee,
          liquidity: out.liquidity === 1 ? 'TAKER' : 'MAKER',
          timeMs: bar.time,
        };
        this.recordFill(fill);
        events.push({ type: 'FILL', fill, remainingQty: w.remainingQty });
        if (w.remainingQty <= 0) this.working.delete(id);
        else if (clamped) this.cancelWorking(w, events, bar.time, 'REDUCE_ONLY_REMAINDER');
        else if (!gtc) this.cancelWorking(w, events, bar.time, 'IOC_REMAINDER');
        return;
      }
      case FillStatus.BELOW_MIN_NOTIONAL: {
        // The whole remainder is too small to ever fill: reject. A capped slice too small: wait (GTC) or cancel.
        const whole = out.attemptedQty >= qty;
        if (whole) {
          this.reject(w, events, bar.time, 'BELOW_MIN_NOTIONAL', `notional=${out.notional}, min=${this.sim.minNotional}`);
        } else if (!gtc) this.cancelWorking(w, events, bar.time, 'BELOW_MIN_NOTIONAL');
        return;
      }
      case FillStatus.QTY_BELOW_LOT:
        if (!gtc) this.cancelWorking(w, events, bar.time, 'QTY_BELOW_LOT');
        return;
      case FillStatus.NO_VOLUME:
        if (!gtc) this.cancelWorking(w, events, bar.time, 'NO_VOLUME');
        return;
      case FillStatus.LIMIT_NOT_REACHED:
        if (!gtc) this.cancelWorking(w, events, bar.time, 'LIMIT_NOT_REACHED');
        return;
      case FillStatus.NONE:
        this.working.delete(id);
        return;
    }
  }

  private cancelWorking(w: WorkingOrder, events: VenueEvent[], timeMs: number, reason: VenueCancelReason): void {
    const id = w.order.clientOrderId;
    this.working.delete(id);
    events.push({ type: 'CANCELLED', clientOrderId: id, reason, remainingQty: w.remainingQty, timeMs });
  }

  private reject(w: WorkingOrder, events: VenueEvent[], timeMs: number, reason: VenueRejectReason, detail: string): void {
    const id = w.order.clientOrderId;
    this.working.delete(id);
    events.push({ type: 'REJECTED', clientOrderId: id, reason, message: `${reason}: ${detail}`, timeMs });
  }
}

/**
 * A bar nothing can be matched against (a missing or non-positive price, NaN volume) is the feed's fault, not
 * the orders': refuse it before matching, leaving every working order as it was, rather than drop orders silently.
 */
function checkBar(bar: BarRecord): void {
  const problem = (field: string, rule: string, value: number): never => {
    throw new RangeError(`bar.${field}: ${rule}, got ${value}`);
  };
  if (!Number.isFinite(bar.time)) problem('time', 'must be a finite time in ms', bar.time);
  for (const field of ['open', 'high', 'low'] as const) {
    const v = bar[field];
    if (!(v > 0) || !Number.isFinite(v)) problem(field, 'must be a finite price > 0', v);
  }
  if (bar.high < bar.low) problem('high', `must be >= low ${bar.low}`, bar.high);
  if (!(bar.volume >= 0)) problem('volume', 'must be >= 0', bar.volume);
}
