/**
 * The one closed list of reasons the gatekeeper refuses an order for. Every denial carries one or more of
 * these codes; nothing else in the gatekeeper invents a reason string. Each renders as `CODE: key=value …`.
 */
export const REJECT_REASONS = {
  INVALID_QUANTITY: 'quantity is NaN, infinite, zero or negative',
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

export type RejectCode = keyof typeof REJECT_REASONS;

export type RejectDetail = Readonly<Record<string, string | number | boolean>>;

/** One reason an order was refused, with the numbers that made it so. */
export interface Rejection {
  readonly code: RejectCode;
  readonly detail: RejectDetail;
}

function renderValue(v: string | number | boolean): string {
  if (typeof v === 'number') return Number.isInteger(v) ? String(v) : String(Number(v.toPrecision(12)));
  return String(v);
}

/** Renders a rejection as `CODE: key=value key=value`. */
export function renderRejection(r: Rejection): string {
  const parts = Object.keys(r.detail).map((k) => `${k}=${renderValue(r.detail[k])}`);
  return parts.length > 0 ? `${r.code}: ${parts.join(' ')}` : r.code;
}

export function describeRejectCode(code: RejectCode): string {
  return REJECT_REASONS[code];
}
