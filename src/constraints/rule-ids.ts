/**
 * The one closed list of mask-rule ids. Each id names the rule-set field it comes from (upper-cased), owns
 * one bit in a reason bitmask, and is rendered `RULE_ID: key=value, key=value` wherever a reason is shown.
 */
export const RULE_IDS = [
  /** The state record itself is unusable (non-finite, equity or price ≤ 0): everything but HOLD is masked. */
  'INVALID_STATE',
  'INSTRUMENT_ALLOW_LIST',
  'SESSION_WINDOWS',
  'MAX_DRAWDOWN_PCT',
  'DAILY_LOSS_LIMIT_PCT',
  'MAX_POSITION_PCT',
  'MAX_ORDER_PCT',
  'MAX_LEVERAGE',
  'INITIAL_MARGIN_PCT',
  'LONG_ONLY',
  'MIN_BARS_BETWEEN_TRADES',
  'MAX_TRADES_PER_DAY',
] as const;

export type RuleId = (typeof RULE_IDS)[number];

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

/** Renders one reason as `RULE_ID: key=value, key=value` (numbers to at most 6 significant digits). */
export function formatReason(id: RuleId, fields: Readonly<Record<string, string | number | boolean>>): string {
  const parts = Object.entries(fields).map(([k, v]) => `${k}=${typeof v === 'number' ? formatNumber(v) : String(v)}`);
  return parts.length > 0 ? `${id}: ${parts.join(', ')}` : id;
}

function formatNumber(v: number): string {
  if (!Number.isFinite(v) || Number.isInteger(v)) return String(v);
  return String(Number(v.toPrecision(6)));
}
