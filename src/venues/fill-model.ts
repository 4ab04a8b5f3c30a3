/**
 * The bar-based fill model, as allocation-free primitives. An order decided at bar t is matched against
 * bar t+1 (the caller passes that bar's open, high, low and volume):
 *
 * - Market order: fills at the open, plus half the spread, plus fixed slippage, plus impact
 *   (`impactBps × √p` or `impactBps × p`, p = filled qty / bar volume), all as fractions of the open;
 *   a buyer's price is rounded up to the tick, a seller's down. Taker fee.
 * - Limit order: fills only if the bar trades through the limit (buy: low < limit; sell: high > limit),
 *   at the limit price with the maker fee; if the bar opens at or better than the limit, it fills at the
 *   open's bid/ask (open ± half spread) capped at the limit, with the taker fee. No slippage or impact:
 *   a limit never pays worse than its price.
 * - Both: at most `maxParticipation × volume` fills (floored to the lot); the caller decides what happens to
 *   the rest (IOC cancel, GTC rest). A fill whose notional after rounding is under the instrument's minimum
 *   is rejected, never silently filled.
 */
import { type Side, ceilToTick, floorToTick, renderReason } from '../core/index.js';
import type { CompiledSimFill, SimFillConfig } from './sim-config.js';

/** Outcome codes of one matching attempt. Numbers, so that the hot path compares integers. */
export const FillStatus = {
  /** Nothing was asked (quantity 0). */
  NONE: 0,
  FILLED: 1,
  /** Part filled: the participation cap bound it; `remainingQty` is what is left. */
  PARTIAL: 2,
  /** The quantity rounds down to zero lots. */
  QTY_BELOW_LOT: 3,
  /** The fill's notional after rounding is below the instrument's minimum. */
  BELOW_MIN_NOTIONAL: 4,
  /** The bar traded no volume: nothing can fill. */
  NO_VOLUME: 5,
  /** A limit order the bar did not trade through. */
  LIMIT_NOT_REACHED: 6,
} as const;
export type FillStatusCode = (typeof FillStatus)[keyof typeof FillStatus];

const STATUS_NAMES = [
  'NONE',
  'FILLED',
  'PARTIAL',
  'QTY_BELOW_LOT',
  'BELOW_MIN_NOTIONAL',
  'NO_VOLUME',
  'LIMIT_NOT_REACHED',
] as const;
export type FillStatusName = (typeof STATUS_NAMES)[number];

export function fillStatusName(code: FillStatusCode): FillStatusName {
  return STATUS_NAMES[code];
}

/** 1 = took liquidity (taker fee), 0 = rested on the book (maker fee). */
export const TAKER = 1;
export const MAKER = 0;

/** A reusable record the primitives write into. Read it before the next call overwrites it. */
export class FillResult {
  status: FillStatusCode = FillStatus.NONE;
  /** Filled quantity, signed: > 0 bought, < 0 sold, 0 when nothing filled. */
  signedQty = 0;
  /** Execution price in quote currency (0 when nothing filled). */
  price = 0;
  /** Fee in quote currency. */
  fee = 0;
  /** |signedQty| × price. */
  notional = 0;
  /** The order's quantity after lot rounding, unsigned. */
  requestedQty = 0;
  /** requestedQty − filled, unsigned (what IOC cancels or GTC leaves resting). */
  remainingQty = 0;
  /** The quantity this bar could take (after the participation cap), unsigned; set also when rejected. */
  attemptedQty = 0;
  liquidity = TAKER;
  /** Filled quantity / bar volume. */
  participation = 0;

  clear(): void {
    this.status = FillStatus.NONE;
    this.signedQty = 0;
    this.price = 0;
    this.fee = 0;
    this.notional = 0;
    this.requestedQty = 0;
    this.remainingQty = 0;
    this.attemptedQty = 0;
    this.liquidity = TAKER;
    this.participation = 0;
  }

  /** `CODE: key=value …`, for logs and rejections. */
  describe(minNotional = 0): string {
    switch (this.status) {
      case FillStatus.BELOW_MIN_NOTIONAL:
        return renderReason('BELOW_MIN_NOTIONAL', { notional: this.notional, min: minNotional });
      case FillStatus.QTY_BELOW_LOT:
        return renderReason('QTY_BELOW_LOT', { qty: this.requestedQty });
      case FillStatus.PARTIAL:
        return `PARTIAL: filled=${Math.abs(this.signedQty)}, remaining=${this.remainingQty}`;
      default:
        return fillStatusName(this.status);
    }
  }
}

// Rounding with the compiled scale (no string work per call, unlike core's general-purpose helpers).
// EPS absorbs binary fractions such as 0.3 / 0.1 = 2.9999999999999996.
const EPS = 1e-9;
function floorLot(qty: number, sim: CompiledSimFill): number {
  return Math.round(Math.floor(qty / sim.lotSize + EPS) * sim.lotSize * sim.lotScale) / sim.lotScale;
}

/** Largest multiple of the lot not above `qty`, with the compiled scale (the hot-path form of core `floorToLot`). */
export function floorLotCompiled(qty: number, sim: CompiledSimFill): number {
  return floorLot(qty, sim);
}
function ceilTick(price: number, sim: CompiledSimFill): number {
  return Math.round(Math.ceil(price / sim.tickSize - EPS) * sim.tickSize * sim.tickScale) / sim.tickScale;
}
function floorTick(price: number, sim: CompiledSimFill): number {
  return Math.round(Math.floor(price / sim.tickSize + EPS) * sim.tickSize * sim.tickScale) / sim.tickScale;
}

/**
 * Sizes a fill: lot rounding, participation cap, status. Returns the unsigned quantity to fill, or 0 with
 * `out.status` set to the reason nothing fills.
 */
function sizeFill(out: FillResult, absQty: number, volume: number, sim: CompiledSimFill): number {
  const requested = floorLot(absQty, sim);
  out.requestedQty = requested;
  if (requested <= 0) {
    out.status = FillStatus.QTY_BELOW_LOT;
    out.remainingQty = 0;
    return 0;
  }
  if (!(volume > 0)) {
    out.status = FillStatus.NO_VOLUME;
    out.remainingQty = requested;
    return 0;
  }
  const cap = sim.maxParticipation * volume;
  const qty = requested > cap ? floorLot(cap, sim) : requested;
  if (qty <= 0) {
    // The cap is under one lot: nothing of this bar's volume is ours to take.
    out.status = FillStatus.QTY_BELOW_LOT;
    out.remainingQty = requested;
    return 0;
  }
  out.attemptedQty = qty;
  out.remainingQty = qty < requested ? Math.round((requested - qty) * sim.lotScale) / sim.lotScale : 0;
  out.status = out.remainingQty > 0 ? FillStatus.PARTIAL : FillStatus.FILLED;
  out.participation = qty / volume;
  return qty;
}

/** Books price, fee and notional, or rejects the fill under the minimum notional. */
function finishFill(out: FillResult, sign: number, qty: number, price: number, feeFrac: number, sim: CompiledSimFill): void {
  const notional = qty * price;
  out.notional = notional;
  if (notional < sim.minNotional) {
    out.status = FillStatus.BELOW_MIN_NOTIONAL;
    out.remainingQty = out.requestedQty;
    return;
  }
  out.signedQty = sign * qty;
  out.price = price;
  out.fee = notional * feeFrac;
}

/**
 * Matches a market order of `signedQty` (> 0 buy, < 0 sell, unrounded) against the next bar's open and volume.
 * Writes into `out`; allocates nothing.
 */
export function fillMarketOrderInto(
  out: FillResult,
  signedQty: number,
  open: number,
  volume: number,
  sim: CompiledSimFill,
): FillResult {
  out.clear();
  if (signedQty === 0 || !Number.isFinite(signedQty) || !(open > 0)) return out;
  const sign = signedQty > 0 ? 1 : -1;
  const qty = sizeFill(out, sign * signedQty, volume, sim);
  if (qty === 0) return out;
  const p = out.participation;
  const adj = sim.halfSpreadFrac + sim.slippageFrac + sim.impactFrac * (sim.impactSqrt === 1 ? Math.sqrt(p) : p);
  const price = sign > 0 ? ceilTick(open * (1 + adj), sim) : floorTick(open * (1 - adj), sim);
  out.liquidity = TAKER;
  finishFill(out, sign, qty, price, sim.takerFeeFrac, sim);
  return out;
}

/**
 * Matches a limit order of `signedQty` at `limitPrice` against the next bar (open, high, low, volume).
 * Writes into `out`; allocates nothing.
 */
export function fillLimitOrderInto(
  out: FillResult,
  signedQty: number,
  limitPrice: number,
  open: number,
  high: number,
  low: number,
  volume: number,
  sim: CompiledSimFill,
): FillResult {
  out.clear();
  if (signedQty === 0 || !Number.isFinite(signedQty) || !(limitPrice > 0) || !(open > 0)) return out;
  const sign = signedQty > 0 ? 1 : -1;
  let price: number;
  let liquidity: number;
  if (sign > 0 ? open <= limitPrice : open >= limitPrice) {
    // Marketable at the open: it crosses the spread, but never past its limit.
    liquidity = TAKER;
    price =
      sign > 0
        ? Math.min(limitPrice, ceilTick(open * (1 + sim.halfSpreadFrac), sim))
        : Math.max(limitPrice, floorTick(open * (1 - sim.halfSpreadFrac), sim));
  } else if (sign > 0 ? low < limitPrice : high > limitPrice) {
    liquidity = MAKER;
    price = limitPrice;
  } else {
    out.status = FillStatus.LIMIT_NOT_REACHED;
    out.requestedQty = floorLot(sign * signedQty, sim);
    out.remainingQty = out.requestedQty;
    return out;
  }
  const qty = sizeFill(out, sign * signedQty, volume, sim);
  if (qty === 0) return out;
  out.liquidity = liquidity;
  finishFill(out, sign, qty, price, liquidity === TAKER ? sim.takerFeeFrac : sim.makerFeeFrac, sim);
  return out;
}

/**
 * The fill model's adverse price move for a taker order of `qty` on a bar of `volume`, as a fraction of
 * the reference price: half the spread + fixed slippage + impact at the participation the cap allows.
 * With no volume the impact is taken at the cap (the largest it can be).
 */
export function slippageBoundFraction(qty: number, volume: number, config: SimFillConfig): number {
  const cap = config.maxParticipation;
  const p = volume > 0 ? Math.min(Math.abs(qty) / volume, cap) : cap;
  const impact = (config.impactBps / 10_000) * (config.impactModel === 'sqrt' ? Math.sqrt(p) : p);
  return config.spreadBps / 20_000 + config.slippageBps / 10_000 + impact;
}

/**
 * The worst price a taker order of `qty` could fill at if the next bar opened at `refPrice`: half spread
 * plus the slippage bound, against the side (up for a buy, down for a sell), then rounded to the tick
 * against the side when `tickSize` is given. Gaps between `refPrice` and the next open are not included.
 */
export function worstCaseFillPrice(
  side: Side,
  refPrice: number,
  qty: number,
  volume: number,
  config: SimFillConfig,
  tickSize = 0,
): number {
  const adj = slippageBoundFraction(qty, volume, config);
  const raw = side === 'BUY' ? refPrice * (1 + adj) : refPrice * (1 - adj);
  if (!(tickSize > 0)) return raw;
  return side === 'BUY' ? ceilToTick(raw, tickSize) : floorToTick(raw, tickSize);
}

/**
 * Fills a market order sized in quote currency: `|quote| / fill price` units at whatever price it fills. A buy
 * leaves room for its fee, so that investing all cash never overdraws it. Writes into `out`.
 */
export function fillQuoteOrderInto(out: FillResult, quote: number, open: number, volume: number, sim: CompiledSimFill): FillResult {
  const sign = quote > 0 ? 1 : -1;
  const amount = Math.abs(quote);
  // First pass finds the fill price at the quantity the open suggests; the second fills at that price's quantity
  // (a smaller order never pays more impact, so the second price is at most the first).
  fillMarketOrderInto(out, (sign * amount) / open, open, volume, sim);
  if (out.signedQty === 0) return out;
  const feeFactor = sign > 0 ? 1 + sim.takerFeeFrac : 1;
  return fillMarketOrderInto(out, (sign * amount) / (out.price * feeFactor), open, volume, sim);
}
