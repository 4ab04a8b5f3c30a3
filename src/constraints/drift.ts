/**
 * Limits that drift: the exposure rules (max_position_pct, max_leverage, initial_margin_pct) judge the position an
 * action would leave, so a position that grows past a limit by price moves alone is never masked (issue 15: a 20 %
 * buy-and-hold sat above the limit for half the bars, unreported). Two pure functions of the state record:
 *
 * - `overLimitBits`: which limits the account is over right now (what the metrics count as bars over each limit);
 * - `driftTrimTarget`: under `on_drift: trim`, the position share to trim back to at the next decision.
 */
import type { CompiledRules } from './compile.js';
import { stateDayLoss, stateDrawdown } from './locks.js';
import { activityBits, stateJudgeable } from './mask.js';
import { RULE_BIT } from './rule-ids.js';
import { resultingShare } from './share-math.js';
import { type ConstraintState, stateIsValid } from './state.js';

/** Relative slack before a share counts as over a limit: float noise of a position sized exactly to it is not drift. */
const OVER_SLACK = 1e-9;

function over(value: number, limit: number): boolean {
  return value > limit * (1 + OVER_SLACK);
}

/** The tightest exposure cap the rules set (|position value| / equity). */
export function exposureCap(c: CompiledRules): number {
  return Math.min(c.maxPositionPct, c.maxLeverage, c.marginLeverage);
}

/**
 * Bits (`RULE_BIT`) of the limits the account, as marked, is over: exposure rules by the current position share,
 * the drawdown and daily-loss rules by the current drawdown and loss since the day's start. 0 for an unusable state.
 */
export function overLimitBits(s: ConstraintState, c: CompiledRules): number {
  if (!stateIsValid(s)) return 0;
  const share = Math.abs(s.positionQty * s.price) / s.equity;
  let bits = 0;
  if (over(share, c.maxPositionPct)) bits |= RULE_BIT.MAX_POSITION_PCT;
  if (over(share, c.maxLeverage)) bits |= RULE_BIT.MAX_LEVERAGE;
  if (over(share, c.marginLeverage)) bits |= RULE_BIT.INITIAL_MARGIN_PCT;
  if (over(stateDrawdown(s), c.maxDrawdownPct)) bits |= RULE_BIT.MAX_DRAWDOWN_PCT;
  if (over(stateDayLoss(s), c.dailyLossLimitPct)) bits |= RULE_BIT.DAILY_LOSS_LIMIT_PCT;
  return bits;
}

/** Bits of the exposure rules the current position share is over (the ones a trim brings back). */
export function exposureOverBits(s: ConstraintState, c: CompiledRules): number {
  return overLimitBits(s, c) & (RULE_BIT.MAX_POSITION_PCT | RULE_BIT.MAX_LEVERAGE | RULE_BIT.INITIAL_MARGIN_PCT);
}

/**
 * Under `on_drift: trim`, the share (signed, same side as the position) to trim the position back to when it has
 * drifted over an exposure cap; NaN when there is nothing to trim: `hold`, within the caps, an unusable state,
 * trading itself not allowed now (session closed, trade frequency, allow-list: the position is held), or the
 * proposal already brings the position within the cap on its own (`proposedShare`, NaN for a masked proposal).
 */
export function driftTrimTarget(s: ConstraintState, c: CompiledRules, proposedShare: number): number {
  if (c.onDrift !== 'trim' || exposureOverBits(s, c) === 0) return Number.NaN;
  if (!stateJudgeable(s, c) || activityBits(s, c) !== 0) return Number.NaN;
  const u = (s.positionQty * s.price) / s.equity;
  const cap = exposureCap(c);
  // The proposal reduces the position to within the cap by itself: it goes through as it is.
  if (Math.abs(proposedShare) <= cap * (1 + OVER_SLACK) && Math.abs(proposedShare) < Math.abs(u)) return Number.NaN;
  return Math.sign(u) * cap;
}

/** The position share a discrete action would leave (for `driftTrimTarget`). */
export function actionShare(s: ConstraintState, c: CompiledRules, action: number): number {
  return resultingShare(c.kinds[action], c.fractions[action], (s.positionQty * s.price) / s.equity);
}
