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

/** Lot, tick, min notional, per-order quantity and notional. `priceQuote` is NaN when unknown. */
export function checkInstrumentRules(
  order: OrderIntent,
  instrument: Instrument,
  limits: InstrumentLimits,
  priceQuote: number,
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
  if (Number.isNaN(priceQuote)) return;
  const notional = order.quantity * priceQuote;
  if (notional < instrument.minNotional) {
    out.push({ code: 'MIN_NOTIONAL', detail: { min: instrument.minNotional, got: notional } });
  }
  if (notional > limits.maxOrderNotionalQuote) {
    out.push({ code: 'MAX_ORDER_NOTIONAL', detail: { max: limits.maxOrderNotionalQuote, got: notional } });
  }
}

/** The trusted price, or undefined (after pushing NO_TRUSTED_PRICE) when there is none or it is too old. */
export function trustedPriceOrReject(
  symbol: string,
  tp: TrustedPrice | undefined,
  nowMs: number,
  maxPriceAgeMs: number,
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
  return tp;
}

/** A limit price, or else a market order's reference price, must be within `collarPct` of the trusted price. */
export function checkCollar(order: OrderIntent, trusted: number, collarPct: number, out: Rejection[]): void {
  const p = order.limitPrice ?? order.referencePrice;
  if (p === undefined) return;
  const offPct = (Math.abs(p - trusted) / trusted) * 100;
  // A tiny tolerance so that a price exactly on the collar's edge passes despite binary rounding.
  if (offPct > collarPct * (1 + 1e-12)) {
    out.push({ code: 'PRICE_COLLAR', detail: { trusted, got: p, offPct, maxPct: collarPct } });
  }
}

/**
 * The position after the order, with floating-point dust snapped to zero, and whether the order
 * reduces risk: |after| < |before| without crossing zero. Judged on the position, not the side.
 */
export function positionAfter(positionQty: number, order: OrderIntent): number {
  const signed = order.side === 'BUY' ? order.quantity : -order.quantity;
  const after = positionQty + signed;
  return Math.abs(after) < 1e-9 * Math.max(1, Math.abs(positionQty)) ? 0 : after;
}

export function isReducing(before: number, after: number): boolean {
  return Math.abs(after) < Math.abs(before) && (after === 0 || Math.sign(after) === Math.sign(before));
}
