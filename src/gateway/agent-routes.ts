/**
 * The agent API (`/v1`). The agent is always the token's subject, never a body field (a body naming another
 * agent is refused). Orders and decisions are refused before the chain when the token does not allow them
 * (symbol, notional cap) or the state store cannot be read; everything else is the chain's to decide.
 */
import type { FastifyInstance } from 'fastify';
import type { Clock } from '../core/index.js';
import type { TradingStateStore, TradingState } from '../risk-gatekeeper/index.js';
import { type AgentTool, type TradingMode, type TokenVerifier } from '../security/index.js';
import { checkSymbolAndAgent, grantOf, requireGrant } from './auth.js';
import { GatewayError, errorCodeOf } from './errors.js';
import type { GatewayMetrics } from './metrics.js';
import {
  agentStateResponseSchema,
  balancesResponseSchema,
  cancelResponseSchema,
  clientOrderIdParamsSchema,
  decisionBodySchema,
  emptyQuerySchema,
  errorResponses,
  fillsQuerySchema,
  fillsResponseSchema,
  maskResponseSchema,
  openOrdersResponseSchema,
  orderBodySchema,
  outcomeSchema,
  positionsResponseSchema,
  symbolQuerySchema,
} from './schemas.js';
import type { DeskOutcome, Reason, TradingDesk } from './trading-desk.js';

export interface AgentRouteOptions {
  readonly desk: TradingDesk;
  readonly store: TradingStateStore;
  readonly verifier: TokenVerifier;
  readonly mode: TradingMode;
  readonly metrics: GatewayMetrics;
  readonly clock: Clock;
  /** Why orders are refused now (the state store, revocation list or audit log is unavailable); null when ready. */
  readonly unready: () => GatewayError | null;
  /** Requests per token per window on agent routes. */
  readonly rateLimit: { readonly max: number; readonly timeWindowMs: number };
}

interface OrderBody {
  symbol: string;
  side: 'BUY' | 'SELL';
  quantity: number;
  type: 'MARKET' | 'LIMIT';
  limitPrice?: number;
  clientOrderId: string;
  agentId?: string;
}

interface DecisionBody {
  symbol: string;
  action?: number;
  target?: number;
  agentId?: string;
}

export function registerAgentRoutes(app: FastifyInstance, o: AgentRouteOptions): void {
  const auth = (tool: AgentTool) => requireGrant({ verifier: o.verifier, mode: o.mode }, 'agent', tool);
  const rateLimit = { max: o.rateLimit.max, timeWindow: o.rateLimit.timeWindowMs };
  const knownSymbol = (symbol: string): void => {
    if (!o.desk.symbols().includes(symbol)) throw new GatewayError('UNKNOWN_SYMBOL', `symbol ${symbol}: no session trades it here`);
  };
  const mustBeReady = (): void => {
    const why = o.unready();
    if (why !== null) throw why;
  };
  const stateOf = (agentId: string, symbol: string): TradingState => o.store.cache.effectiveState(agentId, symbol);
  // A refusal by a kill says who killed which scope and why, so the agent (and its operator) can tell a drill
  // from a breach without asking ops.
  const withKillReason = (agentId: string, symbol: string, reason: Reason): Reason => {
    if (reason.code !== 'TRADING_HALTED' && reason.code !== 'REDUCING_ONLY') return reason;
    const scope = o.store.cache.decidingScope(agentId, symbol);
    const record = o.store.cache.record(scope);
    return record === undefined ? reason : { code: reason.code, message: `${reason.message}; ${scope} is ${record.state} by ${record.actor}: ${record.reason}` };
  };
  // A refusal by the chain (rules, gatekeeper, venue) is an error response with every reason; the first
  // reason's code decides the status (DUPLICATE_ORDER 409, STATE_UNKNOWN 503, the rest 422).
  const answer = (agentId: string, result: DeskOutcome) => {
    o.metrics.decisions.inc({ outcome: result.outcome });
    if (result.outcome === 'MASKED' || result.outcome === 'DENIED' || result.outcome === 'VENUE_REJECTED') {
      const reasons = result.reasons.map((r) => withKillReason(agentId, result.symbol, r));
      const first = reasons[0];
      const code = (first !== undefined ? errorCodeOf(first.code) : undefined) ?? 'INTERNAL';
      const text = reasons.map((r) => r.message).join('; ');
      throw new GatewayError(code, `${result.outcome}: ${text}`, reasons);
    }
    return { ...result, tradingState: stateOf(agentId, result.symbol) };
  };

  app.post<{ Body: OrderBody }>(
    '/v1/orders',
    {
      onRequest: auth('orders.submit'),
      config: { rateLimit },
      schema: { tags: ['agent'], summary: 'Submit an order intent', body: orderBodySchema, response: { 200: outcomeSchema, ...errorResponses } },
    },
    async (request) => {
      const grant = grantOf(request);
      const body = request.body;
      checkSymbolAndAgent(grant, body.symbol, body.agentId);
      knownSymbol(body.symbol);
      const price = body.limitPrice ?? o.desk.lastPrice(body.symbol);
      const notional = price === undefined ? Number.POSITIVE_INFINITY : price * body.quantity;
      if (notional > grant.notionalCap) {
        throw new GatewayError('NOTIONAL_CAP_EXCEEDED', `notional ${round(notional)} is above the token's cap ${grant.notionalCap}`);
      }
      mustBeReady();
      const { agentId: _ignored, ...order } = body;
      return answer(grant.subject, await o.desk.submitOrder(grant.subject, order));
    },
  );

  app.post<{ Body: DecisionBody }>(
    '/v1/decisions',
    {
      onRequest: auth('decisions.submit'),
      config: { rateLimit },
      schema: {
        tags: ['agent'],
        summary: 'Submit an RL decision: a discrete action index or a Box target, masked and sized by the chain',
        body: decisionBodySchema,
        response: { 200: outcomeSchema, ...errorResponses },
      },
    },
    async (request) => {
      const grant = grantOf(request);
      const body = request.body;
      checkSymbolAndAgent(grant, body.symbol, body.agentId);
      knownSymbol(body.symbol);
      mustBeReady();
      const decision =
        body.action !== undefined
          ? { symbol: body.symbol, kind: 'action' as const, action: body.action }
          : { symbol: body.symbol, kind: 'target' as const, target: body.target ?? 0 };
      return answer(grant.subject, await o.desk.submitDecision(grant.subject, decision, grant.notionalCap));
    },
  );

  app.delete<{ Params: { clientOrderId: string } }>(
    '/v1/orders/:clientOrderId',
    {
      onRequest: auth('orders.cancel'),
      config: { rateLimit },
      schema: { tags: ['agent'], summary: 'Cancel an open order', params: clientOrderIdParamsSchema, response: { 200: cancelResponseSchema, ...errorResponses } },
    },
    async (request) => {
      const grant = grantOf(request);
      const id = request.params.clientOrderId;
      if (!(await o.desk.cancel(grant.subject, id))) throw new GatewayError('ORDER_NOT_FOUND', `clientOrderId ${id}: no open order of agent ${grant.subject}`);
      return { cancelled: true, clientOrderId: id };
    },
  );

  app.get<{ Querystring: { symbol: string } }>(
    '/v1/mask',
    {
      onRequest: auth('mask.read'),
      config: { rateLimit },
      schema: { tags: ['agent'], summary: 'The current action mask (or Box interval) with reasons', querystring: symbolQuerySchema, response: { 200: maskResponseSchema, ...errorResponses } },
    },
    async (request) => {
      const grant = grantOf(request);
      checkSymbolAndAgent(grant, request.query.symbol, undefined);
      knownSymbol(request.query.symbol);
      return o.desk.mask(grant.subject, request.query.symbol);
    },
  );

  app.get(
    '/v1/positions',
    {
      onRequest: auth('positions.read'),
      config: { rateLimit },
      schema: { tags: ['agent'], summary: "The caller's positions", querystring: emptyQuerySchema, response: { 200: positionsResponseSchema, ...errorResponses } },
    },
    async (request) => ({ items: o.desk.positions(grantOf(request).subject) }),
  );

  app.get(
    '/v1/balances',
    {
      onRequest: auth('balances.read'),
      config: { rateLimit },
      schema: { tags: ['agent'], summary: "The caller's cash and equity per session", querystring: emptyQuerySchema, response: { 200: balancesResponseSchema, ...errorResponses } },
    },
    async (request) => ({ items: o.desk.balances(grantOf(request).subject) }),
  );

  app.get(
    '/v1/orders',
    {
      onRequest: auth('orders.read'),
      config: { rateLimit },
      schema: { tags: ['agent'], summary: "The caller's open orders", querystring: emptyQuerySchema, response: { 200: openOrdersResponseSchema, ...errorResponses } },
    },
    async (request) => ({ items: o.desk.openOrders(grantOf(request).subject) }),
  );

  app.get<{ Querystring: { sinceMs?: string } }>(
    '/v1/fills',
    {
      onRequest: auth('fills.read'),
      config: { rateLimit },
      schema: { tags: ['agent'], summary: "The caller's fills since sinceMs", querystring: fillsQuerySchema, response: { 200: fillsResponseSchema, ...errorResponses } },
    },
    async (request) => ({ items: o.desk.fills(grantOf(request).subject, Number(request.query.sinceMs ?? '0')) }),
  );

  app.get<{ Querystring: { symbol: string } }>(
    '/v1/state',
    {
      onRequest: auth('state.read'),
      config: { rateLimit },
      schema: { tags: ['agent'], summary: 'The trading state that applies to the caller on a symbol', querystring: symbolQuerySchema, response: { 200: agentStateResponseSchema, ...errorResponses } },
    },
    async (request) => {
      const grant = grantOf(request);
      const symbol = request.query.symbol;
      checkSymbolAndAgent(grant, symbol, undefined);
      const cache = o.store.cache;
      return {
        agentId: grant.subject,
        symbol,
        tradingState: stateOf(grant.subject, symbol),
        scopes: {
          global: cache.stateOf('global'),
          [`agent:${grant.subject}`]: cache.stateOf(`agent:${grant.subject}`),
          [`instrument:${symbol}`]: cache.stateOf(`instrument:${symbol}`),
        },
        storeHealth: o.store.health(o.clock.nowMs()),
      };
    },
  );
}

function round(x: number): number {
  return Math.round(x * 1e6) / 1e6;
}
