/**
 * One sizing function for every path: a proposal (action or Box target) and the account → the order's signed
 * quantity, rounded down to whole lots, or a quote amount. The env, the backtest and live trading size here.
 *
 * The close nudge: a quantity meant to land a position exactly (a close, a target of 0) is scaled by
 * 1 + 10⁻¹² before lot flooring, so that floating-point noise in `qty / lot` cannot leave one lot behind.
 */
import { type ActionSpec, actionOrderQty, decimalsOf, targetOrderQty } from '../core/index.js';

/** How BUY and SELL actions are sized. */
export type Sizing =
  /** Each action's own `fraction` of equity at the reference price (the trading env's sizing). */
  | { readonly kind: 'action' }
  /** A share of cash, sent as a quote-sized market order (`Order.quoteQuantity`). */
  | { readonly kind: 'fraction'; readonly fraction: number }
  /** A fixed quantity in base units. */
  | { readonly kind: 'qty'; readonly qty: number };

export const ACTION_SIZING: Sizing = Object.freeze({ kind: 'action' });

export const CLOSE_NUDGE = 1e-12;

/** What the account looks like to the sizing function. */
export interface SizingAccount {
  readonly positionQty: number;
  readonly equity: number;
  readonly cash: number;
}

/** Where the sizing function writes its answer (reused: nothing allocates). */
export class OrderSize {
  /** Signed quantity in whole lots (0: no order). For a quote order: the estimate at the reference price. */
  qty = 0;
  /** Signed quote amount for a quote-sized order; 0 otherwise. */
  quote = 0;
}

/** A lot size with its decimal scale, computed once (core `floorToLot` re-derives the scale on every call). */
export interface Lot {
  readonly size: number;
  /** 10^decimals of the lot: results snap to it so that 0.1 + 0.2 lots stay 0.3. */
  readonly scale: number;
}

export function lotOf(lotSize: number): Lot {
  if (!(lotSize > 0) || !Number.isFinite(lotSize)) throw new RangeError(`lotSize: must be a finite number > 0, got ${lotSize}`);
  return { size: lotSize, scale: 10 ** Math.min(decimalsOf(lotSize), 12) };
}

/** Absorbs binary fractions such as 0.3 / 0.1 = 2.9999999999999996 (as core's rounding does). */
const EPS = 1e-9;

/** Rounds a signed quantity down to whole lots after the close nudge. */
export function lotQty(signedQty: number, lot: Lot): number {
  const q = signedQty * (1 + CLOSE_NUDGE);
  if (q === 0 || !Number.isFinite(q)) return 0;
  const lots = Math.round(Math.floor(Math.abs(q) / lot.size + EPS) * lot.size * lot.scale) / lot.scale;
  return q > 0 ? lots : -lots;
}

/** Sizes discrete action `spec` at `price` into `out`. */
export function sizeAction(out: OrderSize, spec: ActionSpec, sizing: Sizing, account: SizingAccount, price: number, lot: Lot): OrderSize {
  out.quote = 0;
  let raw = 0;
  if ((spec.kind === 'BUY' || spec.kind === 'SELL') && sizing.kind !== 'action') {
    const sign = spec.kind === 'BUY' ? 1 : -1;
    if (sizing.kind === 'qty') raw = sign * sizing.qty;
    else {
      out.quote = sign * Math.max(0, account.cash) * sizing.fraction;
      raw = out.quote / price;
    }
  } else {
    raw = actionOrderQty(spec, account.positionQty, account.equity, price);
  }
  out.qty = lotQty(raw, lot);
  if (out.qty === 0) out.quote = 0;
  return out;
}

/** Sizes a Box target (share of equity, clipped to [`boxLow`, 1]) at `price` into `out`. */
export function sizeTarget(out: OrderSize, target: number, boxLow: number, account: SizingAccount, price: number, lot: Lot): OrderSize {
  out.quote = 0;
  out.qty = lotQty(targetOrderQty(target, boxLow, account.positionQty, account.equity, price), lot);
  return out;
}
