/**
 * The arithmetic every check shares, in shares of current equity so that it needs no allocation and
 * no units beyond ratios. With u = current position value / equity and t = the position value / equity
 * the action aims at (both at the reference price), a next-bar price of r × price gives:
 *   position value' / equity = t × r
 *   equity'         / equity = 1 + u × (r − 1) − fee × |t − u| × r
 * Both are monotone in r, so checking the two ends of the worst-case range covers every price inside.
 */
import type { ActionKind } from '../core/index.js';

export const KIND_HOLD = 0;
export const KIND_BUY = 1;
export const KIND_SELL = 2;
export const KIND_CLOSE = 3;
export const KIND_TARGET = 4;

export function kindCode(kind: ActionKind): number {
  switch (kind) {
    case 'HOLD':
      return KIND_HOLD;
    case 'BUY':
      return KIND_BUY;
    case 'SELL':
      return KIND_SELL;
    case 'CLOSE_POSITION':
      return KIND_CLOSE;
    case 'TARGET':
      return KIND_TARGET;
  }
}

/** Position share the action leaves (at the reference price); mirrors core `actionOrderQty`. */
export function resultingShare(kind: number, fraction: number, u: number): number {
  if (kind === KIND_BUY) return u + fraction;
  if (kind === KIND_SELL) return u - fraction;
  if (kind === KIND_CLOSE) return 0;
  if (kind === KIND_TARGET) return fraction;
  return u;
}

/** Equity after the fill and a mark at r × price, as a share of equity now. */
export function equityShareAfter(u: number, t: number, r: number, feeFrac: number): number {
  return 1 + u * (r - 1) - feeFrac * Math.abs(t - u) * r;
}

/**
 * The action only shrinks the position without flipping it. Exposure rules never mask such a trade:
 * refusing to reduce a position that price drift pushed past a limit would keep the account riskier.
 */
export function isReduction(u: number, t: number): boolean {
  return t * u >= 0 && Math.abs(t) < Math.abs(u);
}

/**
 * Worst ratio of |position value'| to equity' over both ends of the price range (Infinity when equity'
 * could reach zero or below).
 */
export function worstExposureRatio(u: number, t: number, rLo: number, rHi: number, feeFrac: number): number {
  const eqLo = equityShareAfter(u, t, rLo, feeFrac);
  const eqHi = equityShareAfter(u, t, rHi, feeFrac);
  if (!(eqLo > 0) || !(eqHi > 0)) return Number.POSITIVE_INFINITY;
  const a = Math.abs(t);
  return Math.max((a * rLo) / eqLo, (a * rHi) / eqHi);
}
