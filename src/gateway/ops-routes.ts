/**
 * The ops API (`/v1/ops`), for ops tokens only (signed by the ops issuer key). Kill and resume act on the
 * real kill-switch over the shared state store, so every session's gatekeeper enforces them (a hard kill
 * cancels and flattens through each session's venue). The kill route is never rate-limited.
 */
import type { KeyObject } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import type { Clock } from '../core/index.js';
import {
  type KillSwitch,
  type Scope,
  type StateRecord,
  type TradingStateStore,
  UnauditedStateChangeError,
  applyOperatorChange,
  operatorChange,
  parseScope,
} from '../risk-gatekeeper/index.js';
import {
  AGENT_TOOLS,
  type AgentTool,
  type AuditSink,
  MAX_TOKEN_TTL_SEC,
  type OpsTool,
  type RevocationList,
  type TokenVerifier,
  type TradingMode,
  issueCapabilityToken,
} from '../security/index.js';
import type { AuditTrail } from './audit-trail.js';
import { grantOf, requireGrant } from './auth.js';
import { GatewayError } from './errors.js';
import {
  auditQuerySchema,
  auditResponseSchema,
  errorResponses,
  emptyQuerySchema,
  issueTokenBodySchema,
  issueTokenResponseSchema,
  killBodySchema,
  opsStatusResponseSchema,
  releaseBodySchema,
  releaseResponseSchema,
  resumeBodySchema,
  revokeTokenBodySchema,
  revokeTokenResponseSchema,
  stateChangeResponseSchema,
} from './schemas.js';
import type { TradingDesk } from './trading-desk.js';

export interface OpsRouteOptions {
  readonly desk: TradingDesk;
  readonly store: TradingStateStore;
  readonly killSwitch: KillSwitch;
  readonly audit: AuditTrail;
  readonly verifier: TokenVerifier;
  readonly revocations: RevocationList;
  readonly mode: TradingMode;
  readonly clock: Clock;
  /** Signs agent tokens issued through `/v1/ops/tokens`; without it that route answers 404. */
  readonly agentIssuerKey?: KeyObject;
  readonly rateLimit: { readonly max: number; readonly timeWindowMs: number };
  readonly revocationHealth: () => string;
}

function scopeOf(text: string | undefined): Scope {
  try {
    return parseScope(text ?? 'global');
  } catch (err) {
    throw new GatewayError('VALIDATION_FAILED', err instanceof Error ? err.message : String(err));
  }
}

/** A state change applied but not fully recorded is still applied: answer it, with the audit problem. */
async function applied(change: Promise<StateRecord>): Promise<{ record: StateRecord; warning?: string }> {
  try {
    return { record: await change };
  } catch (err) {
    if (err instanceof UnauditedStateChangeError) return { record: err.record, warning: err.message };
    if (err instanceof Error && /refused, the audit log could not record/.test(err.message)) throw new GatewayError('AUDIT_UNAVAILABLE', err.message);
    throw err;
  }
}

export function registerOpsRoutes(app: FastifyInstance, o: OpsRouteOptions): void {
  const auth = (tool: OpsTool) => requireGrant({ verifier: o.verifier, mode: o.mode }, 'ops', tool);
  // Counters that cannot be counted (Redis down) do not lock ops out: status, resume and the audit tail stay
  // usable while the agent routes refuse (the kill is never counted at all).
  const rateLimit = { max: o.rateLimit.max, timeWindow: o.rateLimit.timeWindowMs, skipOnError: true };
  const sink: AuditSink = o.audit.sink;

  app.post<{ Body: { scope?: string; mode: 'soft' | 'hard'; reason: string } }>(
    '/v1/ops/kill',
    {
      onRequest: auth('ops.kill'),
      // Never throttled: the brake must work when everything else is saturated.
      config: { rateLimit: false },
      schema: { tags: ['ops'], summary: 'Soft (REDUCING) or hard (HALTED: cancel and flatten) kill of a scope', body: killBodySchema, response: { 200: stateChangeResponseSchema, ...errorResponses } },
    },
    async (request) => {
      const grant = grantOf(request);
      const scope = scopeOf(request.body.scope);
      if (request.body.mode === 'soft' && o.store.cache.stateOf(scope) === 'HALTED') {
        throw new GatewayError('KILL_WOULD_LOOSEN', `${scope} is HALTED: a soft kill would loosen it; use resume with to=REDUCING`);
      }
      const result = await applied(o.killSwitch.kill(scope, request.body.mode, grant.subject, request.body.reason));
      await o.killSwitch.settled();
      await o.desk.settle();
      return result;
    },
  );

  app.post<{ Body: { scope?: string; to?: 'ACTIVE' | 'REDUCING'; reason: string } }>(
    '/v1/ops/resume',
    {
      onRequest: auth('ops.resume'),
      config: { rateLimit },
      schema: { tags: ['ops'], summary: 'Loosen a scope to ACTIVE (default) or REDUCING; refused unless it can be audited', body: resumeBodySchema, response: { 200: stateChangeResponseSchema, ...errorResponses } },
    },
    async (request) => {
      const grant = grantOf(request);
      const scope = scopeOf(request.body.scope);
      const to = request.body.to ?? 'ACTIVE';
      if (to === 'ACTIVE') return applied(o.killSwitch.resume(scope, grant.subject, request.body.reason));
      if (o.store.cache.stateOf(scope) !== 'HALTED') throw new GatewayError('KILL_WOULD_LOOSEN', `${scope} is not HALTED: resume to REDUCING only loosens a hard kill`);
      const change = operatorChange(scope, 'REDUCING', grant.subject, request.body.reason);
      return applied(applyOperatorChange(o.store, sink, change, { recordChanged: false }));
    },
  );

  app.get(
    '/v1/ops/status',
    {
      onRequest: auth('ops.status'),
      config: { rateLimit },
      schema: { tags: ['ops'], summary: 'Trading state of every scope, store and revocation health', querystring: emptyQuerySchema, response: { 200: opsStatusResponseSchema, ...errorResponses } },
    },
    async () => ({
      global: o.store.cache.stateOf('global'),
      storeHealth: o.store.health(o.clock.nowMs()),
      revocationHealth: o.revocationHealth(),
      mode: o.mode,
      scopes: o.store.cache.all(),
      symbols: [...o.desk.symbols()],
    }),
  );

  app.post<{ Body: { agentId?: string; symbol?: string; reason: string } }>(
    '/v1/ops/drawdown/release',
    {
      onRequest: auth('ops.release'),
      config: { rateLimit },
      schema: { tags: ['ops'], summary: "Release the Constraint Logic Engine's drawdown lock (operator release)", body: releaseBodySchema, response: { 200: releaseResponseSchema, ...errorResponses } },
    },
    async (request) => {
      const grant = grantOf(request);
      const { agentId, symbol, reason } = request.body;
      const released = o.desk.releaseDrawdownLock(agentId, symbol, grant.subject, reason);
      if (released === 0) throw new GatewayError('NOTHING_TO_RELEASE', `no drawdown lock is engaged for agent ${agentId ?? '*'} on ${symbol ?? '*'}`);
      return { released };
    },
  );

  app.get<{ Querystring: { limit?: string } }>(
    '/v1/ops/audit',
    {
      onRequest: auth('ops.audit'),
      config: { rateLimit },
      schema: { tags: ['ops'], summary: 'The last events of the audit log and whether the log verifies', querystring: auditQuerySchema, response: { 200: auditResponseSchema, ...errorResponses } },
    },
    async (request) => {
      const limit = Math.min(1000, Math.max(1, Number(request.query.limit ?? '100')));
      return o.audit.tail(limit);
    },
  );

  app.post<{ Body: { agentId: string; tools?: string[]; symbols: string[]; notionalCap: number; ttlSec?: number } }>(
    '/v1/ops/tokens',
    {
      onRequest: auth('ops.tokens'),
      config: { rateLimit },
      schema: { tags: ['ops'], summary: 'Issue an agent token (ops tokens are issued only with the CLI)', body: issueTokenBodySchema, response: { 200: issueTokenResponseSchema, ...errorResponses } },
    },
    async (request) => {
      const key = o.agentIssuerKey;
      if (key === undefined) throw new GatewayError('NOT_FOUND', 'this gateway holds no agent issuer key: issue tokens with bulwark token issue');
      const b = request.body;
      const tools = (b.tools ?? [...AGENT_TOOLS]).map((name) => {
        const tool = AGENT_TOOLS.find((t) => t === name);
        if (tool === undefined) throw new GatewayError('VALIDATION_FAILED', `tools: '${name}' is not an agent tool (${AGENT_TOOLS.join(', ')})`);
        return tool;
      });
      try {
        const issued = await issueCapabilityToken(
          { role: 'agent', subject: b.agentId, tools: tools satisfies AgentTool[], symbols: b.symbols, notionalCap: b.notionalCap, mode: o.mode, ttlSec: b.ttlSec },
          key,
          o.clock,
        );
        sink.append('TOKEN_ISSUED', `operator:${grantOf(request).subject}`, { jti: issued.jti, agentId: b.agentId, tools, symbols: b.symbols, notionalCap: b.notionalCap, expiresAtMs: issued.expiresAtMs });
        return issued;
      } catch (err) {
        if (err instanceof RangeError) throw new GatewayError('VALIDATION_FAILED', err.message);
        throw err;
      }
    },
  );

  app.post<{ Body: { jti: string; expiresAtMs?: number } }>(
    '/v1/ops/tokens/revoke',
    {
      onRequest: auth('ops.tokens'),
      config: { rateLimit },
      schema: { tags: ['ops'], summary: 'Revoke a token by jti (refused everywhere within 1 s)', body: revokeTokenBodySchema, response: { 200: revokeTokenResponseSchema, ...errorResponses } },
    },
    async (request) => {
      const { jti } = request.body;
      // Kept until the longest-lived token could have expired when no expiry is given.
      const expiresAtMs = request.body.expiresAtMs ?? o.clock.nowMs() + MAX_TOKEN_TTL_SEC * 1000;
      sink.append('TOKEN_REVOKED', `operator:${grantOf(request).subject}`, { jti, expiresAtMs });
      try {
        await o.revocations.revoke(jti, expiresAtMs);
      } catch (err) {
        throw new GatewayError('STORE_UNAVAILABLE', err instanceof Error ? err.message : String(err));
      }
      return { revoked: true, jti };
    },
  );
}
