/**
 * JSON schemas of every route, request and response. Requests refuse unknown fields
 * (`additionalProperties: false`, and the app turns off ajv's silent removal and type coercion); numbers
 * have finite bounds, so a huge quantity is a 400 before any risk check. Responses are serialised through
 * their schema, so nothing outside it (a secret, an internal field) can leave.
 */
import { errorSchema } from './errors.js';

const symbol = { type: 'string', minLength: 1, maxLength: 32, pattern: '^[A-Za-z0-9._/:-]+$' } as const;
const clientOrderId = { type: 'string', pattern: '^[A-Za-z0-9._:-]{1,64}$' } as const;
const agentId = { type: 'string', minLength: 1, maxLength: 64 } as const;
/** Bigger than any real order; the gatekeeper's own per-instrument limits are far below it. */
const MAX_QUANTITY = 1e12;
const reason = { type: 'object', required: ['code', 'message'], additionalProperties: false, properties: { code: { type: 'string' }, message: { type: 'string' } } } as const;
const reasons = { type: 'array', items: reason } as const;
const tradingState = { type: 'string', enum: ['ACTIVE', 'REDUCING', 'HALTED'] } as const;
const scope = { type: 'string', minLength: 1, maxLength: 100 } as const;
const opsReason = { type: 'string', minLength: 1, maxLength: 500 } as const;

/** Every route answers its errors in the one shape. */
export const errorResponses = { '4xx': errorSchema, '5xx': errorSchema } as const;

export const orderBodySchema = {
  type: 'object',
  additionalProperties: false,
  required: ['symbol', 'side', 'quantity', 'type', 'clientOrderId'],
  properties: {
    symbol,
    side: { type: 'string', enum: ['BUY', 'SELL'] },
    quantity: { type: 'number', exclusiveMinimum: 0, maximum: MAX_QUANTITY },
    type: { type: 'string', enum: ['MARKET', 'LIMIT'] },
    limitPrice: { type: 'number', exclusiveMinimum: 0, maximum: MAX_QUANTITY },
    clientOrderId,
    agentId,
  },
  if: { properties: { type: { const: 'LIMIT' } } },
  then: { required: ['limitPrice'] },
} as const;

export const decisionBodySchema = {
  type: 'object',
  additionalProperties: false,
  required: ['symbol'],
  properties: {
    symbol,
    action: { type: 'integer', minimum: 0, maximum: 255 },
    target: { type: 'number', minimum: -1, maximum: 1 },
    agentId,
  },
  oneOf: [{ required: ['action'] }, { required: ['target'] }],
} as const;

export const outcomeSchema = {
  type: 'object',
  required: ['outcome', 'reasons', 'symbol', 'timeMs', 'tradingState'],
  additionalProperties: false,
  properties: {
    outcome: { type: 'string', enum: ['NO_ORDER', 'MASKED', 'DENIED', 'SUBMITTED', 'VENUE_REJECTED'] },
    reasons,
    clientOrderId: { type: 'string' },
    symbol: { type: 'string' },
    side: { type: 'string' },
    quantity: { type: 'number' },
    proposedTarget: { type: 'number' },
    executedTarget: { type: 'number' },
    timeMs: { type: 'number' },
    tradingState,
  },
} as const;

export const clientOrderIdParamsSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['clientOrderId'],
  properties: { clientOrderId },
} as const;

export const symbolQuerySchema = {
  type: 'object',
  additionalProperties: false,
  required: ['symbol'],
  properties: { symbol },
} as const;

export const fillsQuerySchema = {
  type: 'object',
  additionalProperties: false,
  properties: { sinceMs: { type: 'string', pattern: '^[0-9]{1,16}$' } },
} as const;

export const emptyQuerySchema = { type: 'object', additionalProperties: false, properties: {} } as const;

export const cancelResponseSchema = {
  type: 'object',
  required: ['cancelled', 'clientOrderId'],
  additionalProperties: false,
  properties: { cancelled: { type: 'boolean' }, clientOrderId: { type: 'string' } },
} as const;

const reasonList = { type: 'array', items: { type: 'string' } } as const;

export const maskResponseSchema = {
  type: 'object',
  required: ['symbol', 'kind', 'tradingState'],
  additionalProperties: false,
  properties: {
    symbol: { type: 'string' },
    kind: { type: 'string', enum: ['discrete', 'box'] },
    tradingState,
    actions: {
      type: 'array',
      items: {
        type: 'object',
        required: ['index', 'name', 'allowed', 'reasons'],
        additionalProperties: false,
        properties: { index: { type: 'integer' }, name: { type: 'string' }, allowed: { type: 'boolean' }, reasons: reasonList },
      },
    },
    interval: {
      type: 'object',
      required: ['low', 'high', 'lowReasons', 'highReasons'],
      additionalProperties: false,
      properties: { low: { type: 'number' }, high: { type: 'number' }, lowReasons: reasonList, highReasons: reasonList },
    },
  },
} as const;

function listOf(properties: Record<string, unknown>, required: readonly string[]) {
  return {
    type: 'object',
    required: ['items'],
    additionalProperties: false,
    properties: { items: { type: 'array', items: { type: 'object', required, additionalProperties: false, properties } } },
  } as const;
}

export const positionsResponseSchema = listOf(
  { symbol: { type: 'string' }, quantity: { type: 'number' }, price: { type: 'number' }, notional: { type: 'number' } },
  ['symbol', 'quantity', 'price', 'notional'],
);

export const balancesResponseSchema = listOf(
  {
    symbol: { type: 'string' },
    cash: { type: 'number' },
    equity: { type: 'number' },
    peakEquity: { type: 'number' },
    dayStartEquity: { type: 'number' },
  },
  ['symbol', 'cash', 'equity', 'peakEquity', 'dayStartEquity'],
);

export const openOrdersResponseSchema = listOf(
  {
    clientOrderId: { type: 'string' },
    symbol: { type: 'string' },
    side: { type: 'string' },
    type: { type: 'string' },
    quantity: { type: 'number' },
    remainingQty: { type: 'number' },
    limitPrice: { type: 'number' },
  },
  ['clientOrderId', 'symbol', 'side', 'type', 'quantity', 'remainingQty'],
);

export const fillsResponseSchema = listOf(
  {
    clientOrderId: { type: 'string' },
    symbol: { type: 'string' },
    side: { type: 'string' },
    quantity: { type: 'number' },
    price: { type: 'number' },
    fee: { type: 'number' },
    timeMs: { type: 'number' },
  },
  ['clientOrderId', 'symbol', 'side', 'quantity', 'price', 'fee', 'timeMs'],
);

export const agentStateResponseSchema = {
  type: 'object',
  required: ['agentId', 'symbol', 'tradingState', 'scopes', 'storeHealth'],
  additionalProperties: false,
  properties: {
    agentId: { type: 'string' },
    symbol: { type: 'string' },
    tradingState,
    scopes: { type: 'object', additionalProperties: tradingState },
    storeHealth: { type: 'string' },
  },
} as const;

// -- ops --

const stateRecord = {
  type: 'object',
  required: ['scope', 'state', 'version', 'actor', 'reason', 'changedAtMs', 'previous'],
  additionalProperties: false,
  properties: {
    scope: { type: 'string' },
    state: tradingState,
    version: { type: 'integer' },
    actor: { type: 'string' },
    reason: { type: 'string' },
    changedAtMs: { type: 'number' },
    previous: tradingState,
  },
} as const;

export const killBodySchema = {
  type: 'object',
  additionalProperties: false,
  required: ['mode', 'reason'],
  properties: { scope, mode: { type: 'string', enum: ['soft', 'hard'] }, reason: opsReason },
} as const;

export const resumeBodySchema = {
  type: 'object',
  additionalProperties: false,
  required: ['reason'],
  properties: { scope, to: { type: 'string', enum: ['ACTIVE', 'REDUCING'] }, reason: opsReason },
} as const;

export const stateChangeResponseSchema = {
  type: 'object',
  required: ['record'],
  additionalProperties: false,
  properties: { record: stateRecord, warning: { type: 'string' } },
} as const;

export const opsStatusResponseSchema = {
  type: 'object',
  required: ['global', 'storeHealth', 'revocationHealth', 'mode', 'scopes', 'symbols'],
  additionalProperties: false,
  properties: {
    global: tradingState,
    storeHealth: { type: 'string' },
    revocationHealth: { type: 'string' },
    mode: { type: 'string' },
    scopes: { type: 'array', items: stateRecord },
    symbols: { type: 'array', items: { type: 'string' } },
  },
} as const;

export const releaseBodySchema = {
  type: 'object',
  additionalProperties: false,
  required: ['reason'],
  properties: { agentId, symbol, reason: opsReason },
} as const;

export const releaseResponseSchema = {
  type: 'object',
  required: ['released'],
  additionalProperties: false,
  properties: { released: { type: 'integer' } },
} as const;

export const auditQuerySchema = {
  type: 'object',
  additionalProperties: false,
  properties: { limit: { type: 'string', pattern: '^[0-9]{1,4}$' } },
} as const;

export const auditResponseSchema = {
  type: 'object',
  required: ['verification', 'events'],
  additionalProperties: false,
  properties: {
    verification: {
      type: 'object',
      required: ['status'],
      additionalProperties: false,
      properties: {
        status: { type: 'string', enum: ['OK', 'FAILED', 'NOT_VERIFIABLE'] },
        message: { type: 'string' },
        events: { type: 'integer' },
        lastSeq: { type: 'integer' },
        lastSealedSeq: { type: 'integer' },
        unsealedEvents: { type: 'integer' },
      },
    },
    events: {
      type: 'array',
      items: {
        type: 'object',
        required: ['seq', 'timeMs', 'type', 'actor', 'payload'],
        additionalProperties: false,
        properties: {
          seq: { type: 'integer' },
          timeMs: { type: 'number' },
          type: { type: 'string' },
          actor: { type: 'string' },
          payload: { type: 'object', additionalProperties: true },
        },
      },
    },
  },
} as const;

export const issueTokenBodySchema = {
  type: 'object',
  additionalProperties: false,
  required: ['agentId', 'symbols', 'notionalCap'],
  properties: {
    agentId,
    tools: { type: 'array', items: { type: 'string', maxLength: 32 }, minItems: 1, maxItems: 20 },
    symbols: { type: 'array', items: { anyOf: [symbol, { const: '*' }] }, minItems: 1, maxItems: 100 },
    notionalCap: { type: 'number', exclusiveMinimum: 0, maximum: MAX_QUANTITY },
    ttlSec: { type: 'integer', minimum: 1, maximum: 3600 },
  },
} as const;

export const issueTokenResponseSchema = {
  type: 'object',
  required: ['token', 'jti', 'expiresAtMs'],
  additionalProperties: false,
  properties: { token: { type: 'string' }, jti: { type: 'string' }, expiresAtMs: { type: 'number' } },
} as const;

export const revokeTokenBodySchema = {
  type: 'object',
  additionalProperties: false,
  required: ['jti'],
  properties: { jti: { type: 'string', minLength: 1, maxLength: 128 }, expiresAtMs: { type: 'number', minimum: 0, maximum: 1e15 } },
} as const;

export const revokeTokenResponseSchema = {
  type: 'object',
  required: ['revoked', 'jti'],
  additionalProperties: false,
  properties: { revoked: { type: 'boolean' }, jti: { type: 'string' } },
} as const;
