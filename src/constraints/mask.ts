/**
 * The action mask: for each action, allowed (1) or not (0), and a bitmask of the rules that masked it.
 * A pure function of the state record and the compiled rules; the per-action work is a few float ops
 * and the batched form allocates nothing.
 */
import type { CompiledRules } from './compile.js';
import { priceRangePositive, worstMoveDown, worstMoveUp } from './fill-bound.js';
import { dailyLossLockActive, drawdownLockActive } from './locks.js';
import { RULE_BIT, type RuleId, ruleIdsFromBits } from './rule-ids.js';
import { sessionOpenAt } from './session.js';
import { KIND_CLOSE, actionReduces, actionTrades, resultingShare, worstExposureRatio } from './share-math.js';
import { type ConstraintState, stateIsValid } from './state.js';

const BIT_INVALID = RULE_BIT.INVALID_STATE;

/**
 * The state can be judged under these rules: every figure usable (`stateIsValid`) and the next bar's worst-case
 * price above zero. Anything else is held, in the mask and in the Box interval alike.
 */
export function stateJudgeable(s: ConstraintState, c: CompiledRules): boolean {
  return stateIsValid(s) && priceRangePositive(c.boundFrac, c.tickSize, s.price);
}

/**
 * Bits of the rules that limit when trading may happen at all: they mask every trade, reductions too.
 * Shared with the Box interval (box.ts), which holds the position when any is set.
 */
export function activityBits(s: ConstraintState, c: CompiledRules): number {
  let bits = 0;
  if (c.allowedInstruments !== null && !c.allowedInstruments.has(s.symbol)) bits |= RULE_BIT.INSTRUMENT_ALLOW_LIST;
  if (c.sessionOpen !== null && !sessionOpenAt(c.sessionOpen, s.timeMs)) bits |= RULE_BIT.SESSION_WINDOWS;
  if (s.barsSinceLastTrade < c.minBarsBetweenTrades) bits |= RULE_BIT.MIN_BARS_BETWEEN_TRADES;
  if (s.tradesToday >= c.maxTradesPerDay) bits |= RULE_BIT.MAX_TRADES_PER_DAY;
  return bits;
}

/** Bits of the engaged locks (drawdown, daily loss). */
export function lockBits(s: ConstraintState, c: CompiledRules): number {
  let bits = 0;
  if (drawdownLockActive(s, c)) bits |= RULE_BIT.MAX_DRAWDOWN_PCT;
  if (dailyLossLockActive(s, c)) bits |= RULE_BIT.DAILY_LOSS_LIMIT_PCT;
  return bits;
}

/**
 * Bits of the exposure rules broken by moving the position share from `u` to `t`, judged at both ends
 * [rLo, rHi] of the next bar's price range (multiples of the price). Callers skip reductions (`actionReduces`, `isReduction`).
 */
export function exposureBits(c: CompiledRules, u: number, t: number, rLo: number, rHi: number): number {
  let bits = 0;
  const ratio = worstExposureRatio(u, t, rLo, rHi, c.feeFrac);
  if (ratio > c.maxPositionPct) bits |= RULE_BIT.MAX_POSITION_PCT;
  if (ratio > c.maxLeverage) bits |= RULE_BIT.MAX_LEVERAGE;
  if (ratio > c.marginLeverage) bits |= RULE_BIT.INITIAL_MARGIN_PCT;
  if (Math.abs(t - u) * rHi > c.maxOrderPct) bits |= RULE_BIT.MAX_ORDER_PCT;
  if (c.longOnly && t < 0) bits |= RULE_BIT.LONG_ONLY;
  return bits;
}

/**
 * Writes the mask of one state into `out[offset … offset + nActions)` and, when `reasons` is given, the
 * masking rules' bits into the same positions of `reasons`. Returns how many actions are allowed.
 */
export function writeActionMask(
  s: ConstraintState,
  c: CompiledRules,
  out: Uint8Array,
  offset: number,
  reasons: Uint32Array | null,
): number {
  const n = c.nActions;
  // HOLD is always allowed, whatever the state.
  out[offset] = 1;
  if (reasons !== null) reasons[offset] = 0;
  if (!stateJudgeable(s, c)) {
    for (let i = 1; i < n; i++) {
      out[offset + i] = 0;
      if (reasons !== null) reasons[offset + i] = BIT_INVALID;
    }
    return 1;
  }
  const activity = activityBits(s, c);
  const locks = lockBits(s, c);
  const u = (s.positionQty * s.price) / s.equity;
  const open = s.positionQty !== 0;
  const rLo = worstMoveDown(c.boundFrac, c.tickSize, s.price);
  const rHi = worstMoveUp(c.boundFrac, c.tickSize, s.price);
  // In a lock, closing and reducing stay possible even where an activity rule (session, frequency, allow-list)
  // would mask them, unless the rule set says `close_in_lock: when_trading_allowed`.
  const closeActivity = locks !== 0 && c.lockCloseExempt ? 0 : activity;
  let allowed = 1;
  for (let i = 1; i < n; i++) {
    const kind = c.kinds[i];
    const fraction = c.fractions[i];
    const t = resultingShare(kind, fraction, u);
    const closing = kind === KIND_CLOSE && open;
    let bits = 0;
    const trades = actionTrades(kind, u, t, open);
    const reduces = trades && actionReduces(kind, fraction, u, t);
    // In a lock only trades that move toward flat (closing, or a partial reduction) stay allowed, besides
    // HOLD itself: the same trading targets as the Box interval's [min(0,u), max(0,u)] (box.ts).
    const exits = closing || reduces;
    if (trades) bits |= exits ? closeActivity : activity;
    if (locks !== 0 && !exits) bits |= locks;
    if (trades && !reduces) bits |= exposureBits(c, u, t, rLo, rHi);
    out[offset + i] = bits === 0 ? 1 : 0;
    if (reasons !== null) reasons[offset + i] = bits;
    if (bits === 0) allowed++;
  }
  return allowed;
}

export interface ActionMaskResult {
  /** 1 = allowed, one entry per action. */
  readonly mask: Uint8Array;
  /** Per action, the ids of the rules that masked it (empty when allowed). Shared, frozen arrays. */
  readonly reasons: (readonly RuleId[])[];
  /** The same reasons as bitmasks (`RULE_BIT`). */
  readonly reasonBits: Uint32Array;
}

/** The mask of one state, with reasons. */
export function computeActionMask(s: ConstraintState, c: CompiledRules): ActionMaskResult {
  const mask = new Uint8Array(c.nActions);
  const reasonBits = new Uint32Array(c.nActions);
  writeActionMask(s, c, mask, 0, reasonBits);
  const reasons = new Array<readonly RuleId[]>(c.nActions);
  for (let i = 0; i < c.nActions; i++) reasons[i] = reasonIds(reasonBits[i]);
  return { mask, reasons, reasonBits };
}

// One frozen id list per distinct bitmask, built on first use: the single-mask form then allocates only
// its two typed arrays and the outer list.
const reasonCache = new Map<number, readonly RuleId[]>();

function reasonIds(bits: number): readonly RuleId[] {
  let ids = reasonCache.get(bits);
  if (ids === undefined) {
    ids = Object.freeze(ruleIdsFromBits(bits));
    reasonCache.set(bits, ids);
  }
  return ids;
}

/**
 * The masks of N states written into `out` ([N × nActions], row i for states[i]) and, when given, the
 * reason bits into `reasons` (same shape). Allocates nothing.
 */
export function computeActionMasks(
  states: readonly ConstraintState[],
  c: CompiledRules,
  out: Uint8Array,
  reasons: Uint32Array | null = null,
): void {
  const n = c.nActions;
  const need = states.length * n;
  if (out.length < need) throw new RangeError(`out: needs ${need} entries for ${states.length} states, got ${out.length}`);
  if (reasons !== null && reasons.length < need) {
    throw new RangeError(`reasons: needs ${need} entries for ${states.length} states, got ${reasons.length}`);
  }
  for (let e = 0; e < states.length; e++) writeActionMask(states[e], c, out, e * n, reasons);
}
