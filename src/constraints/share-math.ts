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
 * Judged on signs, not on `t × u >= 0`: that product underflows to −0 for tiny shares (1e-163 × −1e-163),
 * which let a long-to-short flip pass as a reduction.
 */
export function isReduction(u: number, t: number): boolean {
  return Math.abs(t) < Math.abs(u) && (t === 0 || Math.sign(t) === Math.sign(u));
}

/**
 * `isReduction` for an action: a BUY or SELL is judged on its fraction against the position, since at a huge
 * share u ± fraction rounds back to u and would no longer look like the reduction it is.
 */
export function actionReduces(kind: number, fraction: number, u: number, t: number): boolean {
  if (kind === KIND_BUY) return u < 0 && fraction <= -u;
  if (kind === KIND_SELL) return u > 0 && fraction <= u;
  return isReduction(u, t);
}

/**
 * Whether the action places an order. Decided by its kind, not by `t !== u`: at a position worth ~1e15 ×
 * equity, u + fraction rounds back to u, and a BUY that still orders fraction × equity looked like no trade.
 */
export function actionTrades(kind: number, u: number, t: number, positionOpen: boolean): boolean {
  if (kind === KIND_BUY || kind === KIND_SELL) return true;
  if (kind === KIND_CLOSE) return positionOpen;
  if (kind === KIND_TARGET) return t !== u;
  return false;
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
