/**
 * The Box (target-position) form of the mask: the interval [lo, hi] of target position shares (signed
 * position value / equity, at the reference price) the rules allow, with the rules that bind each end,
 * and the projection of a proposed target onto it.
 *
 * It judges targets the way the discrete mask judges TARGET actions: the same worst-case price range,
 * the same exemption for reductions. In a lock, where the discrete mask keeps HOLD and CLOSE_POSITION,
 * the interval keeps every target between flat and the current position: none of them increases |position|.
 */
import type { CompiledRules } from './compile.js';
import { worstMoveDown, worstMoveUp } from './fill-bound.js';
import { dailyLossLockActive, drawdownLockActive } from './locks.js';
import { exposureBits } from './mask.js';
import { type RuleId, RULE_BIT, ruleIdsFromBits } from './rule-ids.js';
import { sessionOpenAt } from './session.js';
import { type ConstraintState, stateIsValid } from './state.js';

export interface TargetInterval {
  /** Lowest allowed target share. */
  readonly lo: number;
  /** Highest allowed target share. */
  readonly hi: number;
  /** The current position share (holding); always inside [lo, hi]. */
  readonly current: number;
  /** Rules that set `lo` (empty when nothing limits it below the reduction range). */
  readonly loReasons: RuleId[];
  readonly hiReasons: RuleId[];
}

/**
 * Upper end of the targets t ≥ max(0, u) whose exposure ratio stays ≤ m at next-bar price r × price.
 * Solves |t|·r ≤ m·(1 + u(r − 1) − f·|t − u|·r) with |t| = t and |t − u| = t − u.
 */
function ratioHi(m: number, u: number, r: number, f: number): number {
  return (m * (1 + u * (r - 1) + f * u * r)) / (r * (1 + m * f));
}

/** Lower end, for t ≤ min(0, u): |t| = −t and |t − u| = u − t. */
function ratioLo(m: number, u: number, r: number, f: number): number {
  return (-m * (1 + u * (r - 1) - f * u * r)) / (r * (1 + m * f));
}

export function allowedTargetInterval(s: ConstraintState, c: CompiledRules): TargetInterval {
  if (!stateIsValid(s)) {
    const u = s.equity > 0 && s.price > 0 && Number.isFinite(s.positionQty) ? (s.positionQty * s.price) / s.equity : 0;
    return { lo: u, hi: u, current: u, loReasons: ['INVALID_STATE'], hiReasons: ['INVALID_STATE'] };
  }
  const u = (s.positionQty * s.price) / s.equity;
  let activity = 0;
  if (c.allowedInstruments !== null && !c.allowedInstruments.has(s.symbol)) activity |= RULE_BIT.INSTRUMENT_ALLOW_LIST;
  if (c.sessionOpen !== null && !sessionOpenAt(c.sessionOpen, s.timeMs)) activity |= RULE_BIT.SESSION_WINDOWS;
  if (s.barsSinceLastTrade < c.minBarsBetweenTrades) activity |= RULE_BIT.MIN_BARS_BETWEEN_TRADES;
  if (s.tradesToday >= c.maxTradesPerDay) activity |= RULE_BIT.MAX_TRADES_PER_DAY;
  if (activity !== 0) {
    const ids = ruleIdsFromBits(activity);
    return { lo: u, hi: u, current: u, loReasons: ids, hiReasons: [...ids] };
  }
  // Reductions (between flat and the current position) are never limited by exposure rules.
  const redLo = Math.min(0, u);
  const redHi = Math.max(0, u);
  const locks: RuleId[] = [];
  if (drawdownLockActive(s, c)) locks.push('MAX_DRAWDOWN_PCT');
  if (dailyLossLockActive(s, c)) locks.push('DAILY_LOSS_LIMIT_PCT');
  if (locks.length > 0) return { lo: redLo, hi: redHi, current: u, loReasons: locks, hiReasons: [...locks] };

  let lo = Number.NEGATIVE_INFINITY;
  let hi = Number.POSITIVE_INFINITY;
  let loReasons: RuleId[] = [];
  let hiReasons: RuleId[] = [];
  const bound = (id: RuleId, ruleLo: number, ruleHi: number): void => {
    if (ruleHi < hi) [hi, hiReasons] = [ruleHi, [id]];
    else if (ruleHi === hi && ruleHi !== Number.POSITIVE_INFINITY) hiReasons.push(id);
    if (ruleLo > lo) [lo, loReasons] = [ruleLo, [id]];
    else if (ruleLo === lo && ruleLo !== Number.NEGATIVE_INFINITY) loReasons.push(id);
  };
  const f = c.feeFrac;
  const rLo = worstMoveDown(c.boundFrac, c.tickSize, s.price);
  const rHi = worstMoveUp(c.boundFrac, c.tickSize, s.price);
  const ratioRules: [RuleId, number][] = [
    ['MAX_POSITION_PCT', c.maxPositionPct],
    ['MAX_LEVERAGE', c.maxLeverage],
    ['INITIAL_MARGIN_PCT', c.marginLeverage],
  ];
  for (const [id, m] of ratioRules) {
    if (!Number.isFinite(m)) continue;
    const h = Math.min(ratioHi(m, u, rLo, f), ratioHi(m, u, rHi, f));
    const l = Math.max(ratioLo(m, u, rLo, f), ratioLo(m, u, rHi, f));
    bound(id, Math.min(redLo, l), Math.max(redHi, h));
  }
  if (Number.isFinite(c.maxOrderPct)) {
    const step = c.maxOrderPct / rHi;
    bound('MAX_ORDER_PCT', Math.min(redLo, u - step), Math.max(redHi, u + step));
  }
  if (c.longOnly) bound('LONG_ONLY', redLo, Number.POSITIVE_INFINITY);

  // The closed forms can land one rounding step outside what the mask's own check accepts; step inward
  // until the mask agrees, so that a projected target is always one the mask allows.
  for (let k = 0; k < 8 && hi > redHi && Number.isFinite(hi) && exposureBits(c, u, hi, rLo, rHi) !== 0; k++) {
    hi = Math.max(redHi, hi - Math.abs(hi) * Number.EPSILON * 2 ** k);
  }
  for (let k = 0; k < 8 && lo < redLo && Number.isFinite(lo) && exposureBits(c, u, lo, rLo, rHi) !== 0; k++) {
    lo = Math.min(redLo, lo + Math.abs(lo) * Number.EPSILON * 2 ** k);
  }
  return { lo, hi, current: u, loReasons, hiReasons };
}

/** The allowed target nearest to `target`; a non-finite proposal holds the current position. */
export function projectTarget(target: number, interval: TargetInterval): number {
  if (!Number.isFinite(target)) return interval.current;
  return target < interval.lo ? interval.lo : target > interval.hi ? interval.hi : target;
}
