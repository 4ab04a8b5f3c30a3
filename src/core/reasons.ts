/**
 * The one closed list of reason codes, and the one function that renders a reason.
 *
 * Every layer that refuses, masks, cancels or skips something says why with a code from this list: the
 * Constraint Logic Engine (rule ids, one per rule-set field), the risk gatekeeper (reject codes), the venue
 * (reject and cancel reasons) and the decision chain (why no order went out). The layers keep their own
 * sub-lists (a rule id owns a mask bit, a venue reason is what a venue may answer), but each sub-list is a
 * section of this one, so a code means the same thing wherever it appears (CSV, JSON, audit log, HTTP).
 * A code shared by two sections (`INVALID_QUANTITY`, `INVALID_PRICE`, `QTY_BELOW_LOT`, `BELOW_MIN_NOTIONAL`)
 * has one meaning that covers both.
 */

/** Rule ids, in mask-bit order (bit i of a reason bitmask is `RULE_IDS[i]`). Each names its rule-set field. */
export const RULE_IDS = [
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

export const RULE_REASONS = {
  INVALID_STATE: 'the state record is unusable (non-finite, equity or price <= 0): everything but HOLD is masked',
  INSTRUMENT_ALLOW_LIST: 'the instrument is not in the rule set allow list',
  SESSION_WINDOWS: 'the time is outside every trading session window of the rule set',
  MAX_DRAWDOWN_PCT: 'the drawdown from the peak is at or beyond max_drawdown_pct (a lock, released per its release rule)',
  DAILY_LOSS_LIMIT_PCT: "the day's loss is at or beyond daily_loss_limit_pct (locked until the next trading day)",
  MAX_POSITION_PCT: 'the position after the order, at the worst-case fill, would be above max_position_pct of equity',
  MAX_ORDER_PCT: 'the order, at the worst-case fill, would be above max_order_pct of equity',
  MAX_LEVERAGE: 'the gross exposure after the order, at the worst-case fill, would be above max_leverage',
  INITIAL_MARGIN_PCT: 'the margin the position after the order needs would be above the equity',
  LONG_ONLY: 'the order would open or grow a short position under long_only',
  MIN_BARS_BETWEEN_TRADES: 'fewer than min_bars_between_trades bars have passed since the last trade',
  MAX_TRADES_PER_DAY: 'max_trades_per_day trades were already made this trading day',
} as const satisfies Record<RuleId, string>;

/** The gatekeeper's reject codes. Each renders as `CODE: key=value, …`. */
export const GATEKEEPER_REASONS = {
  INVALID_QUANTITY: 'quantity is NaN, infinite, zero or negative (or a quote quantity the venue cannot take)',
  INVALID_PRICE: 'a price is NaN, infinite, zero or negative, or a LIMIT order has no limit price',
  INVALID_ORDER: 'the order is malformed (empty client order id, unknown side, type or time in force)',
  UNKNOWN_INSTRUMENT: 'the symbol is not one of the instruments the gatekeeper was given',
  LOT_SIZE: 'quantity is not a multiple of the instrument lot size',
  TICK_SIZE: 'limit price is not a multiple of the instrument tick size',
  MIN_NOTIONAL: 'order value is below the instrument minimum notional',
  MAX_ORDER_QUANTITY: 'order quantity is above the per-order limit of its instrument',
  MAX_ORDER_NOTIONAL:
    'order value is above the per-order limit of its instrument, valued at the worse (higher) of its own price and ' +
    'the trusted price (price=), except a BUY LIMIT, which never pays more than its limit',
  NO_TRUSTED_PRICE:
    'there is no trusted price for the instrument, it is older than maxPriceAgeSec, or it is stamped more than ' +
    'maxClockSkewMs ahead of the clock',
  PRICE_COLLAR: 'limit price (or a market order reference price) is more than collarPct away from the trusted price',
  NO_ACCOUNT:
    'the account, a position, an open-order quantity or the open-order count could not be read (NaN, infinite, ' +
    'negative, a peak or day-start equity <= 0; field= names it), or the account is older than maxAccountAgeSec ' +
    'or stamped more than maxClockSkewMs ahead of the clock',
  MAX_POSITION:
    'the position after the order, with every open order of the instrument on the same side filled, would be above ' +
    'the per-instrument limit (pendingQty= gives those open orders, signed, when there are any)',
  MAX_GROSS_EXPOSURE:
    'the portfolio gross exposure after the order would be above the limit, counting for every instrument the open ' +
    'orders on the side that grows it as filled (pendingQty= as for MAX_POSITION)',
  MAX_OPEN_ORDERS: 'there are already maxOpenOrders open orders',
  RATE_LIMIT: 'the agent sent more approved orders than allowed per second or per minute',
  CIRCUIT_BREAKER:
    'the agent sent more actions per minute than the circuit breaker allows; it is now REDUCING. Orders with no ' +
    'agent id are refused while their rate stays above the limit but never move the global scope',
  AGENT_MISMATCH:
    'the order names an agent other than the authenticated caller (the agent id comes from the caller identity, ' +
    'never from the order body), or the caller identity is empty',
  DUPLICATE_ORDER: 'the client order id was seen before',
  REPEATED_ORDER: 'the same order was sent too many times within repeatWindowSec',
  DAILY_LOSS_LIMIT: 'the day loss is at or beyond the daily loss limit',
  DRAWDOWN_HALT: 'the drawdown is at or beyond the drawdown halt',
  TRADING_HALTED: 'a scope that applies to the order is HALTED: only the kill-switch flattening orders pass',
  REDUCING_ONLY:
    'a scope that applies to the order is REDUCING and the order does not shrink |position| without crossing zero, ' +
    'judged both on the position and on the position with every same-side open order filled (pendingQty=, signed)',
  STALE_STATE: 'the trading state was last read longer ago than the staleness bound (fails closed)',
  STATE_UNKNOWN:
    'the trading state cannot be trusted (fails closed until restored): the store is unreachable, lost its state ' +
    '(no epoch: wiped or restarted), holds an epoch that was not restored from the audit log, or an unreadable record',
} as const;
export type GatekeeperCode = keyof typeof GATEKEEPER_REASONS;

/** Why a venue refused an order or dropped one it had taken. */
export const VENUE_REJECT_REASONS = {
  UNKNOWN_SYMBOL: 'the venue does not trade that symbol',
  INVALID_QUANTITY: GATEKEEPER_REASONS.INVALID_QUANTITY,
  INVALID_PRICE: GATEKEEPER_REASONS.INVALID_PRICE,
  QTY_BELOW_LOT: 'the quantity rounds down to zero lots',
  BELOW_MIN_NOTIONAL: "the order's (or the fill's) value is below the instrument minimum notional",
  DUPLICATE_CLIENT_ORDER_ID: 'the venue already has an order with that client order id',
  REDUCE_ONLY_WOULD_INCREASE: 'a reduce-only order would open or grow the position',
  INSUFFICIENT_BALANCE:
    "a cash account's buy beyond its cash (fees included at the fill) or sell beyond its holdings; at a fill, the part " +
    'beyond it is cancelled',
  INSUFFICIENT_MARGIN:
    "a margin account's order that would take |position value| beyond leverage x equity; at a fill, the part beyond " +
    'it is cancelled',
  ACCOUNT_LIQUIDATING: 'the venue is liquidating the account: no new order until the position is closed',
} as const;
export type VenueRejectCode = keyof typeof VENUE_REJECT_REASONS;

/** Why an order the venue had taken (or its remainder) stopped working without a fill. */
export const VENUE_CANCEL_REASONS = {
  USER: 'cancelled by its sender (or by the kill-switch)',
  IOC_REMAINDER: 'the unfilled remainder of an immediate-or-cancel order',
  REDUCE_ONLY_REMAINDER: 'the remainder of a reduce-only order once the position is flat',
  LIMIT_NOT_REACHED: 'the bar did not trade through the limit price',
  NO_VOLUME: 'the bar traded no volume: nothing can fill',
  QTY_BELOW_LOT: VENUE_REJECT_REASONS.QTY_BELOW_LOT,
  BELOW_MIN_NOTIONAL: VENUE_REJECT_REASONS.BELOW_MIN_NOTIONAL,
  INSUFFICIENT_BALANCE: VENUE_REJECT_REASONS.INSUFFICIENT_BALANCE,
  INSUFFICIENT_MARGIN: VENUE_REJECT_REASONS.INSUFFICIENT_MARGIN,
  LIQUIDATION: "cancelled by the venue's liquidation of the account",
  RECONCILE_LOST:
    'reconciliation at start found the order open in the journal but unknown to the venue: marked lost, not working',
} as const;
export type VenueCancelCode = keyof typeof VENUE_CANCEL_REASONS;

/** Why the decision chain sent no order although nothing refused one. */
export const NO_ORDER_REASONS = {
  HOLD: 'the proposal was HOLD',
  AT_TARGET: 'the position is already at the target',
  BELOW_ONE_LOT: 'the order to reach the target is smaller than one lot',
  RUINED: 'the account is ruined: no later decision sends an order',
  HALTED: 'a drawdown breach halted trading until an operator resets the drawdown lock',
} as const;
export type NoOrderCode = keyof typeof NO_ORDER_REASONS;

/** Why a live session moved its own agent scope (actor `reconcile`), not an operator or a gatekeeper trigger. */
export const RECONCILE_REASONS = {
  RECONCILE_MISMATCH:
    'reconciliation at start found the node record and the venue differing (orders adopted=, cancelled=, lost=; ' +
    'position_node=/position_venue=, cash_node=/cash_venue=): the agent scope is REDUCING until a re-check matches',
  RECONCILE_MATCHED:
    "a re-check at a later price update (bar=) found the node and the venue agreeing: reconcile's own REDUCING goes " +
    'back to ACTIVE',
} as const;
export type ReconcileCode = keyof typeof RECONCILE_REASONS;

/** Every reason code with its one meaning. */
export const REASONS = Object.freeze({
  ...RULE_REASONS,
  ...GATEKEEPER_REASONS,
  ...VENUE_REJECT_REASONS,
  ...VENUE_CANCEL_REASONS,
  ...NO_ORDER_REASONS,
  ...RECONCILE_REASONS,
});
export type ReasonCode = keyof typeof REASONS;

export function isReasonCode(code: string): code is ReasonCode {
  return Object.prototype.hasOwnProperty.call(REASONS, code);
}

export function describeReason(code: ReasonCode): string {
  return REASONS[code];
}

export type ReasonFields = Readonly<Record<string, string | number | boolean>>;

/**
 * Renders one reason as `CODE: key=value, key=value` (`CODE` alone without fields). Commas separate the
 * fields because a value may hold spaces (`problem=stamped ahead of the clock`); numbers carry at most 12
 * significant digits, enough to show that 1.000001 is above 1 and few enough to hide float noise.
 */
export function renderReason(code: ReasonCode, fields: ReasonFields = {}): string {
  let out = '';
  for (const key of Object.keys(fields)) {
    const v = fields[key];
    out += `${out === '' ? '' : ', '}${key}=${typeof v === 'number' ? renderNumber(v) : String(v)}`;
  }
  return out === '' ? code : `${code}: ${out}`;
}

function renderNumber(v: number): string {
  if (!Number.isFinite(v) || Number.isInteger(v)) return String(v);
  return String(Number(v.toPrecision(12)));
}
