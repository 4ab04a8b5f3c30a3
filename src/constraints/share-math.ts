/**
 * The arithmetic every check shares, in shares of current equity so that it needs no allocation and
 * no units beyond ratios. With u = current position value / equity and t = the position value / equity
 * the action aims at (both at the reference price), a fill at rF × price and a next mark at rM × price give:
 *   position value' / equity = t × rM
 *   equity'         / equity = 1 + u × (rM − 1) + (t − u) × (rM − rF) − fee × |t − u| × rF
 * The fill and the mark each lie anywhere in the worst-case range [rLo, rHi], independently: a taker fill
 * pays spread and slippage against its side while the mark need not. The worst fill is rHi for a buy and rLo
 * for a sell (equity' falls as the fill moves against the side); the ratio is then monotone in rM, so
 * checking both ends of the range covers every mark inside.
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

/** Equity after the fill at rFill × price and a mark at rMark × price, as a share of equity now. */
export function equityShareAfter(u: number, t: number, rFill: number, rMark: number, feeFrac: number): number {
  return 1 + u * (rMark - 1) + (t - u) * (rMark - rFill) - feeFrac * Math.abs(t - u) * rFill;
}

/**
 * The action only shrinks the position without flipping it. Exposure rules never mask such a trade:
 * refusing to reduce a position that price drift pushed past a limit would keep the account riskier.
 */
export function isReduction(u: number, t: number): boolean {
  return t * u >= 0 && Math.abs(t) < Math.abs(u);
}

/**
 * Worst ratio of |position value'| to equity' for the worst fill of the trade's side and a mark at either
 * end of the price range (Infinity when equity' could reach zero or below).
 */
export function worstExposureRatio(u: number, t: number, rLo: number, rHi: number, feeFrac: number): number {
  const rFill = t > u ? rHi : rLo;
  const eqLo = equityShareAfter(u, t, rFill, rLo, feeFrac);
  const eqHi = equityShareAfter(u, t, rFill, rHi, feeFrac);
  if (!(eqLo > 0) || !(eqHi > 0)) return Number.POSITIVE_INFINITY;
  const a = Math.abs(t);
  return Math.max((a * rLo) / eqLo, (a * rHi) / eqHi);
}
