/**
 * The gateway's one error registry and one error shape. Every refusal, from the token check to the
 * gatekeeper, leaves as `{ statusCode, code, error, message, reasons?, retryAfterMs? }`: `code` is a stable
 * reason code (the gatekeeper's, the rules', the venue's and the token checks' codes are used as they are,
 * never renamed), `reasons` lists every reason when there are several.
 *
 * Statuses: 400 malformed request, 401 no valid token, 403 the token does not allow it, 404 unknown route or
 * order, 409 conflicts with what already happened (replayed client order id, a kill that would loosen),
 * 413 body too large, 415 not JSON, 422 well-formed and allowed but refused by the rules, the gatekeeper or
 * the venue, 429 rate limited, 503 the state store, revocation list or rate-limit counters cannot be read (every order
 * refused).
 */
import {
  GATEKEEPER_REASONS,
  type GatekeeperCode,
  RULE_IDS,
  type RuleId,
  VENUE_REJECT_REASONS,
  type VenueRejectCode,
  describeReason,
} from '../core/index.js';
import { TOKEN_REASONS, type TokenErrorCode } from '../security/index.js';

/** The gateway's own codes (request shape, grants, routing, service state). */
export const GATEWAY_REASONS = {
  VALIDATION_FAILED: 'the request does not match the route schema (unknown field, wrong type, out of range)',
  MALFORMED_JSON: 'the body is not valid JSON (NaN and Infinity are not JSON)',
  BODY_TOO_LARGE: 'the body is larger than the limit',
  UNSUPPORTED_MEDIA_TYPE: 'the body is not application/json',
  ROLE_FORBIDDEN: 'the token role may not call this route (agent tokens never reach ops routes)',
  TOOL_NOT_GRANTED: 'the token does not grant the tool this route needs',
  SYMBOL_NOT_GRANTED: 'the token does not grant the symbol',
  NOTIONAL_CAP_EXCEEDED: "the order's notional is above the token's notional cap",
  MODE_MISMATCH: "the token's mode (paper, testnet, live) is not the gateway's",
  AGENT_MISMATCH: 'the body names an agent other than the token holder',
  NOT_FOUND: 'no such route',
  ORDER_NOT_FOUND: 'no open order with that client order id for this agent',
  UNKNOWN_SYMBOL: 'no session trades that symbol here',
  KILL_WOULD_LOOSEN: 'a soft kill on a HALTED scope would loosen it: resume to REDUCING instead',
  NOTHING_TO_RELEASE: 'no drawdown lock is engaged for that agent and symbol',
  RATE_LIMITED: 'too many requests for this token; retry after retryAfterMs',
  STORE_UNAVAILABLE: 'the trading-state store or the revocation list cannot be read: orders are refused (fails closed)',
  AUDIT_UNAVAILABLE: 'the audit log cannot record the request, so it is refused',
  AUDIT_LOG_UNVERIFIED: 'the audit log did not verify at start (tampered, cut or replaced): trading states were not restored and every order is refused',
  RATE_LIMIT_UNAVAILABLE: 'the per-token rate-limit counters (in Redis) cannot be counted: agent requests are refused (fails closed)',
  DECISION_KIND_MISMATCH: 'the session takes the other kind of decision (discrete action vs Box target)',
  INTERNAL: 'an unexpected failure (a bug): the request did nothing that is not in the audit log',
} as const;

export type GatewayCode = keyof typeof GATEWAY_REASONS;
/** The gateway's and the token checks' own codes, and the codes of the one reason list an order can be refused for. */
export type ErrorCode = GatewayCode | TokenErrorCode | GatekeeperCode | RuleId | VenueRejectCode;

const STATUS_OF_GATEWAY: Readonly<Record<GatewayCode, number>> = {
  VALIDATION_FAILED: 400,
  MALFORMED_JSON: 400,
  BODY_TOO_LARGE: 413,
  UNSUPPORTED_MEDIA_TYPE: 415,
  ROLE_FORBIDDEN: 403,
  TOOL_NOT_GRANTED: 403,
  SYMBOL_NOT_GRANTED: 403,
  NOTIONAL_CAP_EXCEEDED: 403,
  MODE_MISMATCH: 403,
  AGENT_MISMATCH: 403,
  NOT_FOUND: 404,
  ORDER_NOT_FOUND: 404,
  UNKNOWN_SYMBOL: 404,
  KILL_WOULD_LOOSEN: 409,
  NOTHING_TO_RELEASE: 409,
  RATE_LIMITED: 429,
  STORE_UNAVAILABLE: 503,
  AUDIT_UNAVAILABLE: 503,
  AUDIT_LOG_UNVERIFIED: 503,
  RATE_LIMIT_UNAVAILABLE: 503,
  DECISION_KIND_MISMATCH: 422,
  INTERNAL: 500,
};

/** Gatekeeper codes that are not a plain 422. */
const STATUS_OF_REJECT: Partial<Record<GatekeeperCode, number>> = {
  DUPLICATE_ORDER: 409,
  RATE_LIMIT: 429,
  STATE_UNKNOWN: 503,
  STALE_STATE: 503,
};

function isKeyOf<T extends object>(obj: T, key: string): key is Extract<keyof T, string> {
  return Object.prototype.hasOwnProperty.call(obj, key);
}

/** The status of a reason code; every code of the registry has one. */
export function statusOf(code: ErrorCode): number {
  if (isKeyOf(STATUS_OF_GATEWAY, code)) return STATUS_OF_GATEWAY[code];
  if (isKeyOf(TOKEN_REASONS, code)) return code === 'REVOCATION_UNAVAILABLE' ? 503 : 401;
  if (isKeyOf(GATEKEEPER_REASONS, code)) return STATUS_OF_REJECT[code] ?? 422;
  return 422; // rule ids and venue reasons: well-formed, allowed, refused
}

/** One line on what a code means (for docs and the `error` field). */
export function describeCode(code: ErrorCode): string {
  if (isKeyOf(GATEWAY_REASONS, code)) return GATEWAY_REASONS[code];
  if (isKeyOf(TOKEN_REASONS, code)) return TOKEN_REASONS[code];
  return describeReason(code);
}

/** Every code with its status and meaning, for `/openapi.json` and the README. */
export function errorRegistry(): { code: ErrorCode; status: number; meaning: string }[] {
  const codes: ErrorCode[] = [
    ...(Object.keys(GATEWAY_REASONS) as GatewayCode[]),
    ...(Object.keys(TOKEN_REASONS) as TokenErrorCode[]),
    ...(Object.keys(GATEKEEPER_REASONS) as GatekeeperCode[]),
    ...RULE_IDS,
    ...(Object.keys(VENUE_REJECT_REASONS) as VenueRejectCode[]),
  ];
  return [...new Set(codes)].map((code) => ({ code, status: statusOf(code), meaning: describeCode(code) }));
}

let knownCodes: ReadonlyMap<string, ErrorCode> | undefined;

/** The registry code spelled `code`, or undefined when it is none of them. */
export function errorCodeOf(code: string): ErrorCode | undefined {
  knownCodes ??= new Map(errorRegistry().map((e) => [e.code, e.code]));
  return knownCodes.get(code);
}

export interface ReasonEntry {
  readonly code: string;
  readonly message: string;
}

/** A refusal; thrown inside handlers and hooks, rendered by the one error handler. */
export class GatewayError extends Error {
  readonly statusCode: number;
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly reasons: readonly ReasonEntry[] = [],
    readonly retryAfterMs?: number,
  ) {
    super(message);
    this.name = 'GatewayError';
    this.statusCode = statusOf(code);
  }
}

const STATUS_TEXT: Readonly<Record<number, string>> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  409: 'Conflict',
  413: 'Payload Too Large',
  415: 'Unsupported Media Type',
  422: 'Unprocessable Entity',
  429: 'Too Many Requests',
  500: 'Internal Server Error',
  503: 'Service Unavailable',
};

export interface ErrorBody {
  statusCode: number;
  code: string;
  error: string;
  message: string;
  reasons?: ReasonEntry[];
  retryAfterMs?: number;
}

export function errorBody(err: GatewayError): ErrorBody {
  const body: ErrorBody = { statusCode: err.statusCode, code: err.code, error: STATUS_TEXT[err.statusCode] ?? 'Error', message: err.message };
  if (err.reasons.length > 0) body.reasons = [...err.reasons];
  if (err.retryAfterMs !== undefined) body.retryAfterMs = err.retryAfterMs;
  return body;
}

/** JSON schema of the error shape (every 4xx/5xx response of every route). */
export const errorSchema = {
  type: 'object',
  required: ['statusCode', 'code', 'error', 'message'],
  additionalProperties: false,
  properties: {
    statusCode: { type: 'integer' },
    code: { type: 'string' },
    error: { type: 'string' },
    message: { type: 'string' },
    reasons: {
      type: 'array',
      items: { type: 'object', required: ['code', 'message'], additionalProperties: false, properties: { code: { type: 'string' }, message: { type: 'string' } } },
    },
    retryAfterMs: { type: 'integer' },
  },
} as const;
