/**
 * The Box (target-position) form of the mask: the interval [lo, hi] of target position shares (signed
 * position value / equity, at the reference price) the rules allow, with the rules that bind each end,
 * and the projection of a proposed target onto it.
 *
 * It judges targets the way the discrete mask judges TARGET actions: the same worst-case price range,
 * the same exemption for reductions. In a lock both keep exactly the targets between flat and the current
 * position (the mask: HOLD, CLOSE_POSITION and partial reductions): none of them increases |position|
 * (and, like closing, they stay open when an activity rule would hold the position, unless the rule set
 * says `close_in_lock: when_trading_allowed`). A state the rules cannot judge (`stateJudgeable`) has no
 * interval: [NaN, NaN] with current NaN, which every caller reads as "hold" (`holdsPosition`), as the
 * discrete mask allows only HOLD there.
 */
import type { CompiledRules } from './compile.js';
import { worstMoveDown, worstMoveUp } from './fill-bound.js';
import { activityBits, exposureBits, lockBits, stateJudgeable } from './mask.js';
import { RULE_BIT, type RuleId, ruleIdsFromBits } from './rule-ids.js';
import type { ConstraintState } from './state.js';

export interface TargetInterval {
  /** Lowest allowed target share. */
  readonly lo: number;
  /** Highest allowed target share. */
  readonly hi: number;
  /** The current position share (holding); inside [lo, hi]. NaN (as are lo and hi) when the state cannot be judged. */
  readonly current: number;
  /** Rules that set `lo` (empty when nothing limits it below the reduction range), in `RULE_IDS` order. */
  readonly loReasons: RuleId[];
  readonly hiReasons: RuleId[];
}

/**
 * Upper end of the targets t ≥ max(0, u) whose exposure ratio stays ≤ m when the buy fills at rHi × price
 * (its worst) and the account is marked at r × price (share-math.ts). Solves
 * t·r ≤ m·(1 + u(r − 1) + (t − u)(r − rHi) − f·(t − u)·rHi); the denominator is > 0 for every m as r ≤ rHi.
 */
function ratioHi(m: number, u: number, r: number, rHi: number, f: number): number {
  const fill = rHi * (1 + f);
  return (m * (1 + u * (fill - 1))) / (r * (1 - m) + m * fill);
}

/** Lower end, for t ≤ min(0, u): the sell fills at rLo; solves −t·r ≤ m·(1 + u(r − 1) + (t − u)(r − rLo) − f·(u − t)·rLo). */
function ratioLo(m: number, u: number, r: number, rLo: number, f: number): number {
  const fill = rLo * (1 - f);
  return (-m * (1 + u * (fill - 1))) / (r * (1 + m) - m * fill);
}

/** The interval being narrowed, rule by rule; module scratch so that writing an interval allocates nothing. */
const acc = { lo: 0, hi: 0, loBits: 0, hiBits: 0 };

/** Narrows `acc` to a rule's [ruleLo, ruleHi]; a rule that ties an end (finite) joins its reasons. */
function bound(bit: number, ruleLo: number, ruleHi: number): void {
  if (ruleHi < acc.hi) {
    acc.hi = ruleHi;
    acc.hiBits = bit;
  } else if (ruleHi === acc.hi && ruleHi !== Number.POSITIVE_INFINITY) acc.hiBits |= bit;
  if (ruleLo > acc.lo) {
    acc.lo = ruleLo;
    acc.loBits = bit;
  } else if (ruleLo === acc.lo && ruleLo !== Number.NEGATIVE_INFINITY) acc.loBits |= bit;
}

/** An exposure-ratio rule (|position value'| / equity' ≤ m) judged at both ends of the price range. */
function ratioBound(bit: number, m: number, u: number, rLo: number, rHi: number, f: number, redLo: number, redHi: number): void {
  if (!Number.isFinite(m)) return;
  const h = Math.min(ratioHi(m, u, rLo, rHi, f), ratioHi(m, u, rHi, rHi, f));
  const l = Math.max(ratioLo(m, u, rLo, rLo, f), ratioLo(m, u, rHi, rLo, f));
  bound(bit, Math.min(redLo, l), Math.max(redHi, h));
}

/**
 * The allocation-free form of `allowedTargetInterval`: writes lo and hi into `out[offset]`, `out[offset + 1]`
 * and the bits (`RULE_BIT`) of the rules setting them into `reasons` at the same positions. Returns the
 * current position share (always inside [lo, hi]).
 */
export function writeTargetInterval(
  s: ConstraintState,
  c: CompiledRules,
  out: Float64Array,
  reasons: Uint32Array,
  offset: number,
): number {
  if (!stateJudgeable(s, c)) {
    // No share can be computed (or trusted): hold. Not [0, 0], which a projection would read as "go flat".
    return writeRow(out, reasons, offset, Number.NaN, Number.NaN, RULE_BIT.INVALID_STATE, RULE_BIT.INVALID_STATE, Number.NaN);
  }
  const u = (s.positionQty * s.price) / s.equity;
  const activity = activityBits(s, c);
  // Reductions (between flat and the current position) are never limited by exposure rules.
  const redLo = Math.min(0, u);
  const redHi = Math.max(0, u);
  const locks = lockBits(s, c);
  if (locks !== 0 && (activity === 0 || c.lockCloseExempt)) return writeRow(out, reasons, offset, redLo, redHi, locks, locks, u);
  if (activity !== 0) return writeRow(out, reasons, offset, u, u, activity | locks, activity | locks, u);

  acc.lo = Number.NEGATIVE_INFINITY;
  acc.hi = Number.POSITIVE_INFINITY;
  acc.loBits = 0;
  acc.hiBits = 0;
  const f = c.feeFrac;
  const rLo = worstMoveDown(c.boundFrac, c.tickSize, s.price);
  const rHi = worstMoveUp(c.boundFrac, c.tickSize, s.price);
  ratioBound(RULE_BIT.MAX_POSITION_PCT, c.maxPositionPct, u, rLo, rHi, f, redLo, redHi);
  ratioBound(RULE_BIT.MAX_LEVERAGE, c.maxLeverage, u, rLo, rHi, f, redLo, redHi);
  ratioBound(RULE_BIT.INITIAL_MARGIN_PCT, c.marginLeverage, u, rLo, rHi, f, redLo, redHi);
  if (Number.isFinite(c.maxOrderPct)) {
    const step = c.maxOrderPct / rHi;
    bound(RULE_BIT.MAX_ORDER_PCT, Math.min(redLo, u - step), Math.max(redHi, u + step));
  }
  if (c.longOnly) bound(RULE_BIT.LONG_ONLY, redLo, Number.POSITIVE_INFINITY);

  // The closed forms can land one rounding step outside what the mask's own check accepts; step inward
  // until the mask agrees, so that a projected target is always one the mask allows. Where they still disagree
  // (cancellation when the worst-case price is within a rounding error of zero), the end falls back to the
  // reduction range, which the mask always allows: fail closed, never a target the mask refuses.
  let { lo, hi } = acc;
  let hiRefused = hi > redHi && Number.isFinite(hi) && exposureBits(c, u, hi, rLo, rHi) !== 0;
  for (let k = 0; k < 8 && hiRefused; k++) {
    hi = Math.max(redHi, hi - Math.abs(hi) * Number.EPSILON * 2 ** k);
    hiRefused = hi > redHi && exposureBits(c, u, hi, rLo, rHi) !== 0;
  }
  if (hiRefused) hi = redHi;
  let loRefused = lo < redLo && Number.isFinite(lo) && exposureBits(c, u, lo, rLo, rHi) !== 0;
  for (let k = 0; k < 8 && loRefused; k++) {
    lo = Math.min(redLo, lo + Math.abs(lo) * Number.EPSILON * 2 ** k);
    loRefused = lo < redLo && exposureBits(c, u, lo, rLo, rHi) !== 0;
  }
  if (loRefused) lo = redLo;
  return writeRow(out, reasons, offset, lo, hi, acc.loBits, acc.hiBits, u);
}

function writeRow(
  out: Float64Array,
  reasons: Uint32Array,
  offset: number,
  lo: number,
  hi: number,
  loBits: number,
  hiBits: number,
  u: number,
): number {
  out[offset] = lo;
  out[offset + 1] = hi;
  reasons[offset] = loBits;
  reasons[offset + 1] = hiBits;
  return u;
}

/** The interval as a record with rule ids (allocates; the env's hot path uses `writeTargetInterval`). */
export function allowedTargetInterval(s: ConstraintState, c: CompiledRules): TargetInterval {
  const out = new Float64Array(2);
  const reasons = new Uint32Array(2);
  const current = writeTargetInterval(s, c, out, reasons, 0);
  return { lo: out[0], hi: out[1], current, loReasons: ruleIdsFromBits(reasons[0]), hiReasons: ruleIdsFromBits(reasons[1]) };
}

/**
 * Proposals this close to the allowed interval are snapped onto it rather than judged violations: a
 * Float32Array action cannot hold the interval's ends exactly (float32 spacing is 1.2e-7 near 1). The
 * executed target is always inside the interval.
 */
export const TARGET_TOLERANCE = 1e-6;

/** Whether `proposed` is an allowed target of [lo, hi], up to TARGET_TOLERANCE (false for a non-finite one). */
export function targetWithin(proposed: number, lo: number, hi: number): boolean {
  return proposed >= lo - TARGET_TOLERANCE && proposed <= hi + TARGET_TOLERANCE;
}

/**
 * The rules a target outside [lo, hi] breaks: those setting the end it passes (`loBits` or `hiBits`, as
 * `writeTargetInterval` wrote them), both ends' for a non-finite target.
 */
export function targetBreachBits(proposed: number, lo: number, hi: number, loBits: number, hiBits: number): number {
  return proposed < lo ? loBits : proposed > hi ? hiBits : loBits | hiBits;
}

/**
 * `projectTarget` on plain numbers: the allowed target nearest to `target`; a non-finite one, or any target
 * when there is no interval (a state the rules cannot judge: NaN ends), holds `current`.
 */
export function projectTargetOnto(target: number, lo: number, hi: number, current: number): number {
  if (!Number.isFinite(target) || !(lo <= hi)) return current;
  return target < lo ? lo : target > hi ? hi : target;
}

/**
 * Whether an executed target means "keep the position as it is" (no order): the current share itself, or NaN
 * when the state could not be judged and so has no share (the projection then returns that NaN).
 */
export function holdsPosition(target: number, current: number): boolean {
  return target === current || (Number.isNaN(current) && Number.isNaN(target));
}

/** The allowed target nearest to `target`; a non-finite proposal holds the current position. */
export function projectTarget(target: number, interval: TargetInterval): number {
  return projectTargetOnto(target, interval.lo, interval.hi, interval.current);
}
