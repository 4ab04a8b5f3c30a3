/**
 * The mask-rule ids: the rule section of the one reason list (core/reasons.ts). Each id names the rule-set
 * field it comes from (upper-cased) and owns one bit in a reason bitmask.
 */
import { RULE_IDS, type RuleId } from '../core/index.js';

export { RULE_IDS, type RuleId };

/** Bit of each rule in a reason bitmask (`Uint32Array` entries of the batched form). */
export const RULE_BIT = Object.freeze({
  INVALID_STATE: 1 << 0,
  INSTRUMENT_ALLOW_LIST: 1 << 1,
  SESSION_WINDOWS: 1 << 2,
  MAX_DRAWDOWN_PCT: 1 << 3,
  DAILY_LOSS_LIMIT_PCT: 1 << 4,
  MAX_POSITION_PCT: 1 << 5,
  MAX_ORDER_PCT: 1 << 6,
  MAX_LEVERAGE: 1 << 7,
  INITIAL_MARGIN_PCT: 1 << 8,
  LONG_ONLY: 1 << 9,
  MIN_BARS_BETWEEN_TRADES: 1 << 10,
  MAX_TRADES_PER_DAY: 1 << 11,
} as const satisfies Record<RuleId, number>);

/** The rule ids set in `bits`, in list order. */
export function ruleIdsFromBits(bits: number): RuleId[] {
  const out: RuleId[] = [];
  for (const id of RULE_IDS) if (bits & RULE_BIT[id]) out.push(id);
  return out;
}
