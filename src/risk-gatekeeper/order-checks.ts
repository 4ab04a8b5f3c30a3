/**
 * The stateless part of the pre-trade checks: is the order well-formed, does it fit its instrument's
 * rules and limits, is its price inside the collar. Each pushes rejections into a caller-owned array.
 */
import { type Instrument, isMultipleOf } from '../core/index.js';
import type { InstrumentLimits } from './config.js';
import type { OrderIntent, TrustedPrice } from './context.js';
import type { Rejection } from './reasons.js';

function isPositiveFinite(x: unknown): x is number {
  return typeof x === 'number' && Number.isFinite(x) && x > 0;
}

/** Malformed orders: nothing else can be judged about them. Returns the number of rejections pushed. */
export function checkWellFormed(order: OrderIntent, instrument: Instrument | undefined, out: Rejection[]): number {
  const before = out.length;
  if (typeof order.clientOrderId !== 'string' || order.clientOrderId.length === 0) {
    out.push({ code: 'INVALID_ORDER', detail: { field: 'clientOrderId', problem: 'empty' } });
  }
  if (order.side !== 'BUY' && order.side !== 'SELL') {
    out.push({ code: 'INVALID_ORDER', detail: { field: 'side', got: String(order.side) } });
  }
  if (order.type !== 'MARKET' && order.type !== 'LIMIT') {
    out.push({ code: 'INVALID_ORDER', detail: { field: 'type', got: String(order.type) } });
  }
  if (!isPositiveFinite(order.quantity)) {
    out.push({ code: 'INVALID_QUANTITY', detail: { got: String(order.quantity) } });
  }
  if (order.type === 'LIMIT' && !isPositiveFinite(order.limitPrice)) {
    out.push({ code: 'INVALID_PRICE', detail: { field: 'limitPrice', got: String(order.limitPrice) } });
  } else if (order.type === 'MARKET' && order.limitPrice !== undefined) {
    out.push({ code: 'INVALID_PRICE', detail: { field: 'limitPrice', problem: 'set on a MARKET order' } });
  }
  if (order.referencePrice !== undefined && !isPositiveFinite(order.referencePrice)) {
    out.push({ code: 'INVALID_PRICE', detail: { field: 'referencePrice', got: String(order.referencePrice) } });
  }
  if (instrument === undefined) {
    out.push({ code: 'UNKNOWN_INSTRUMENT', detail: { symbol: String(order.symbol) } });
  }
  return out.length - before;
}

/**
 * The price an order's value is judged at against the per-order notional cap: the worse (higher) of its own
 * price and the trusted price, since a MARKET order and a SELL LIMIT below the market both fill near the
 * market whatever price the caller wrote on them. A BUY LIMIT is the one order whose own price bounds its fill
 * (it never pays more than its limit). NaN when neither price is known.
 */
export function notionalPrice(order: OrderIntent, trusted: number): number {
  if (order.type === 'LIMIT' && order.side === 'BUY' && order.limitPrice !== undefined) return order.limitPrice;
  const own = order.limitPrice ?? order.referencePrice;
  if (own === undefined) return trusted;
  return Number.isNaN(trusted) || own > trusted ? own : trusted;
}

/**
 * The price a venue judges the minimum notional at: a LIMIT order's own limit, a MARKET order's fill near the
 * trusted price (a caller-chosen reference price proves nothing). NaN when unknown.
 */
export function minNotionalPrice(order: OrderIntent, trusted: number): number {
  return order.type === 'LIMIT' && order.limitPrice !== undefined ? order.limitPrice : trusted;
}

/**
 * Lot, tick, min notional, per-order quantity and notional. `notionalQuote` prices the cap (`notionalPrice`),
 * `minQuote` the venue minimum (`minNotionalPrice`); either is NaN when unknown and its check is skipped (the
 * order is then refused for the missing trusted price anyway).
 */
export function checkInstrumentRules(
  order: OrderIntent,
  instrument: Instrument,
  limits: InstrumentLimits,
  notionalQuote: number,
  minQuote: number,
  out: Rejection[],
): void {
  if (!isMultipleOf(order.quantity, instrument.lotSize)) {
    out.push({ code: 'LOT_SIZE', detail: { lot: instrument.lotSize, got: order.quantity } });
  }
  if (order.limitPrice !== undefined && !isMultipleOf(order.limitPrice, instrument.tickSize)) {
    out.push({ code: 'TICK_SIZE', detail: { tick: instrument.tickSize, got: order.limitPrice } });
  }
  if (order.quantity > limits.maxOrderQty) {
    out.push({ code: 'MAX_ORDER_QUANTITY', detail: { max: limits.maxOrderQty, got: order.quantity } });
  }
  if (!Number.isNaN(minQuote)) {
    const value = order.quantity * minQuote;
    if (value < instrument.minNotional) out.push({ code: 'MIN_NOTIONAL', detail: { min: instrument.minNotional, got: value } });
  }
  if (!Number.isNaN(notionalQuote)) {
    const notional = order.quantity * notionalQuote;
    if (notional > limits.maxOrderNotionalQuote) {
      out.push({ code: 'MAX_ORDER_NOTIONAL', detail: { max: limits.maxOrderNotionalQuote, got: notional, price: notionalQuote } });
    }
  }
}

/**
 * The trusted price, or undefined (after pushing NO_TRUSTED_PRICE) when there is none, it is older than
 * `maxPriceAgeMs`, or it is stamped more than `maxClockSkewMs` ahead of the clock (a future-dated price would
 * otherwise stay "fresh" until the clock caught up with it).
 */
export function trustedPriceOrReject(
  symbol: string,
  tp: TrustedPrice | undefined,
  nowMs: number,
  maxPriceAgeMs: number,
  maxClockSkewMs: number,
  out: Rejection[],
): TrustedPrice | undefined {
  if (tp === undefined || !isPositiveFinite(tp.price)) {
    out.push({ code: 'NO_TRUSTED_PRICE', detail: { symbol } });
    return undefined;
  }
  const ageMs = nowMs - tp.timeMs;
  if (!(ageMs <= maxPriceAgeMs)) {
    out.push({ code: 'NO_TRUSTED_PRICE', detail: { symbol, ageMs, maxAgeMs: maxPriceAgeMs } });
    return undefined;
  }
  if (-ageMs > maxClockSkewMs) {
    out.push({ code: 'NO_TRUSTED_PRICE', detail: { symbol, problem: 'stamped ahead of the clock', aheadMs: -ageMs, maxClockSkewMs } });
    return undefined;
  }
  return tp;
}

/** A limit price, or else a market order's reference price, must be within `collarPct` of the trusted price. */
export function checkCollar(order: OrderIntent, trusted: number, collarPct: number, out: Rejection[]): void {
  const p = order.limitPrice ?? order.referencePrice;
  if (p === undefined) return;
  const offPct = Math.abs(p - trusted) / trusted;
  // A tiny tolerance so that a price exactly on the collar's edge passes despite binary rounding.
  if (offPct > collarPct * (1 + 1e-12)) {
    out.push({ code: 'PRICE_COLLAR', detail: { trusted, got: p, offPct, maxPct: collarPct } });
  }
}

/**
 * Residue of a close smaller than this share of the instrument's lot is floating-point dust, not a position:
 * an order sized to the lot grid cannot leave it. Tied to the lot, never to the position, so that a flip of
 * a fraction of a lot out of a huge position is still a flip.
 */
export const LOT_DUST_FRACTION = 1e-6;

/** The position after the order, with floating-point dust (below LOT_DUST_FRACTION of a lot) snapped to zero. */
export function positionAfter(positionQty: number, order: OrderIntent, lotSize: number): number {
  const signed = order.side === 'BUY' ? order.quantity : -order.quantity;
  const after = positionQty + signed;
  return Math.abs(after) < lotSize * LOT_DUST_FRACTION ? 0 : after;
}

/** Whether the order reduces risk: |after| < |before| without crossing zero. Judged on the position, not the side. */
export function isReducing(before: number, after: number): boolean {
  return Math.abs(after) < Math.abs(before) && (after === 0 || Math.sign(after) === Math.sign(before));
}
