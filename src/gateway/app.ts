/**
 * The gateway: one fastify service through which agents trade (`/v1`) and ops hold the kill-switch
 * (`/v1/ops`). This file assembles it: strict schemas (no silent field removal, no type coercion), one error
 * handler rendering the one error shape, per-token rate limits, an audit record for every request that
 * changes anything or is refused, metrics, health, readiness and the OpenAPI document.
 */
import type { KeyObject } from 'node:crypto';
import rateLimitPlugin from '@fastify/rate-limit';
import swaggerPlugin from '@fastify/swagger';
import swaggerUiPlugin from '@fastify/swagger-ui';
import Fastify, { LogController, type FastifyBaseLogger, type FastifyError, type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import type { Redis } from 'ioredis';
import { type Logger, pino } from 'pino';
import type { Clock } from '../core/index.js';
import type { KillSwitch, TradingStateStore } from '../risk-gatekeeper/index.js';
import { type RevocationList, type TokenVerifier, type TradingMode, redactInlineSecrets } from '../security/index.js';
import { registerAgentRoutes } from './agent-routes.js';
import type { AuditTrail } from './audit-trail.js';
import { GatewayError, errorBody, errorRegistry } from './errors.js';
import { type GatewayMetrics, createGatewayMetrics } from './metrics.js';
import { registerOpsRoutes } from './ops-routes.js';
import { redisRateLimitStore, unavailable as unavailableRateLimit } from './rate-limit-store.js';
import type { TradingDesk } from './trading-desk.js';

export interface GatewayOptions {
  readonly desk: TradingDesk;
  readonly store: TradingStateStore;
  readonly killSwitch: KillSwitch;
  readonly verifier: TokenVerifier;
  readonly revocations: RevocationList;
  readonly audit: AuditTrail;
  readonly clock: Clock;
  readonly mode: TradingMode;
  readonly agentIssuerKey?: KeyObject;
  /** Largest request body. Default 16 KiB. */
  readonly bodyLimitBytes?: number;
  /** Requests per token per window on agent routes (ops routes other than kill share the same figures). Default 6000 per 1000 ms. */
  readonly rateLimit?: { readonly max: number; readonly timeWindowMs: number };
  /** Keeps rate-limit counters in Redis (shared by every gateway process) instead of in this process. */
  readonly rateLimitRedis?: Redis;
  /** A pino logger; default: JSON to stdout at `info`, secrets redacted. */
  readonly logger?: Logger;
  /** Node process metrics in /metrics (off in tests, on for `bulwark gateway`). */
  readonly processMetrics?: boolean;
  /** Refuse every order for this reason, for the life of the process (the audit log did not verify at start). */
  readonly refuseOrders?: string;
}

export interface Gateway {
  readonly app: FastifyInstance;
  readonly metrics: GatewayMetrics;
  ready(): boolean;
}

/** Paths and fields a log line must never carry. */
export const REDACT_PATHS = ['req.headers.authorization', 'headers.authorization', '*.token', 'token', '*.password', 'password'];

export function defaultGatewayLogger(level = 'info'): Logger {
  return pino({ level, redact: { paths: REDACT_PATHS, censor: '[REDACTED]' } });
}

const STATE_CHANGING = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

export async function buildGateway(o: GatewayOptions): Promise<Gateway> {
  const logger: FastifyBaseLogger = o.logger ?? defaultGatewayLogger();
  const app = Fastify({
    loggerInstance: logger,
    // Per-request lines are left to the audit log and metrics: logging each would halve throughput.
    logController: new LogController({ disableRequestLogging: true }),
    bodyLimit: o.bodyLimitBytes ?? 16 * 1024,
    onProtoPoisoning: 'error',
    onConstructorPoisoning: 'error',
    // Unknown fields are refused, not silently dropped; a string is never coerced into a number.
    ajv: { customOptions: { removeAdditional: false, coerceTypes: false, useDefaults: false, allErrors: true } },
    return503OnClosing: true,
  });
  app.removeContentTypeParser('text/plain');
  app.decorateRequest('grant', null);
  app.decorateRequest('refusalCode', null);

  const metrics = createGatewayMetrics(o.store, { processMetrics: o.processMetrics });
  o.audit.observeFlushes?.((ms, requests) => {
    metrics.auditFlush.observe(ms / 1000);
    metrics.auditFlushRequests.observe(requests);
  });
  // Why orders cannot be taken now (null: ready): the state store, revocation list or rate-limit counters do
  // not answer, or the audit log cannot record them.
  const unready = (): GatewayError | null => {
    if (o.refuseOrders !== undefined) return new GatewayError('AUDIT_LOG_UNVERIFIED', o.refuseOrders);
    const nowMs = o.clock.nowMs();
    if (o.store.health(nowMs) !== 'OK' || o.revocations.health(nowMs) !== 'OK') {
      return new GatewayError('STORE_UNAVAILABLE', 'the trading-state store or revocation list cannot be read: orders are refused');
    }
    if (o.rateLimitRedis !== undefined && o.rateLimitRedis.status !== 'ready') {
      return unavailableRateLimit(`connection ${o.rateLimitRedis.status}`);
    }
    if (!o.audit.writable()) return new GatewayError('AUDIT_UNAVAILABLE', 'the audit log cannot record orders: orders are refused until it is repaired');
    return null;
  };
  const ready = (): boolean => unready() === null;
  const rateLimit = o.rateLimit ?? { max: 6000, timeWindowMs: 1000 };

  await app.register(swaggerPlugin, {
    openapi: {
      info: {
        title: 'Bulwark gateway',
        version: '0.1.0',
        description:
          'Agents trade through /v1, ops hold the kill-switch at /v1/ops. Every route needs an Ed25519 capability token ' +
          '(bulwark token issue). Errors: { statusCode, code, error, message, reasons?, retryAfterMs? }; codes: ' +
          errorRegistry()
            .map((e) => `${e.code} (${e.status})`)
            .join(', '),
      },
      components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' } } },
      security: [{ bearer: [] }],
    },
  });
  await app.register(swaggerUiPlugin, { routePrefix: '/docs' });
  await app.register(rateLimitPlugin, {
    global: false,
    hook: 'preHandler',
    keyGenerator: (request) => request.grant?.jti ?? `ip:${request.ip}`,
    ...(o.rateLimitRedis !== undefined ? { store: redisRateLimitStore(o.rateLimitRedis, 'bulwark:gateway:ratelimit:') } : {}),
    errorResponseBuilder: (_request, context) =>
      new GatewayError('RATE_LIMITED', `rate limit of ${context.max} requests per ${context.after} for this token exceeded`, [], context.ttl),
  });

  app.setErrorHandler((err: FastifyError, request, reply) => sendError(toGatewayError(err, request), request, reply));
  app.setNotFoundHandler((request, reply) => sendError(new GatewayError('NOT_FOUND', `${request.method} ${request.url.split('?')[0]}: no such route`), request, reply));

  // The request's record is written before the answer leaves; a request that changed something is answered
  // only once its records are on disk (group commit, audit-trail.ts), else it gets AUDIT_UNAVAILABLE.
  // Both hooks take `done` rather than being async: every request passes them, most without waiting for anything.
  const answerWhenDurable = async (recorded: boolean, request: FastifyRequest, reply: FastifyReply, payload: unknown): Promise<unknown> => {
    try {
      if (!recorded) throw new Error('the request record could not be appended');
      await o.audit.durable();
      return payload;
    } catch (err) {
      metrics.auditFailures.inc();
      request.log.error({ err: { message: err instanceof Error ? err.message : String(err) } }, 'gateway: audit record not durable, request not acknowledged');
      const refusal = new GatewayError('AUDIT_UNAVAILABLE', 'the audit log could not make this request durable: it is not acknowledged; the gateway refuses orders until the log is repaired');
      request.refusalCode = refusal.code;
      reply.code(refusal.statusCode).header('content-type', 'application/json; charset=utf-8');
      return JSON.stringify(errorBody(refusal));
    }
  };
  app.addHook('onSend', (request, reply, payload, done) => {
    const status = reply.statusCode;
    const changed = STATE_CHANGING.has(request.method) && status < 400;
    if (!changed && status < 400) return done(null, payload);
    const recorded = auditRequest(o.audit, metrics, request, status);
    if (!changed) return done(null, payload);
    answerWhenDurable(recorded, request, reply, payload).then(
      (answer) => done(null, answer),
      (err: unknown) => done(err instanceof Error ? err : new Error(String(err))),
    );
  });
  app.addHook('onResponse', (request, reply, done) => {
    const route = request.routeOptions.url ?? 'unmatched';
    metrics.requests.inc({ route, method: request.method, status: reply.statusCode });
    metrics.latency.observe({ route }, reply.elapsedTime / 1000);
    if (request.refusalCode !== null) metrics.rejections.inc({ reason: request.refusalCode });
    done();
  });

  registerSystemRoutes(app, metrics, unready);
  registerAgentRoutes(app, { desk: o.desk, store: o.store, verifier: o.verifier, mode: o.mode, metrics, unready, rateLimit, clock: o.clock });
  registerOpsRoutes(app, {
    desk: o.desk,
    store: o.store,
    killSwitch: o.killSwitch,
    audit: o.audit,
    verifier: o.verifier,
    revocations: o.revocations,
    mode: o.mode,
    clock: o.clock,
    agentIssuerKey: o.agentIssuerKey,
    rateLimit,
    revocationHealth: () => o.revocations.health(o.clock.nowMs()),
  });
  await app.ready();
  return { app, metrics, ready };
}

function registerSystemRoutes(app: FastifyInstance, metrics: GatewayMetrics, unready: () => GatewayError | null): void {
  const healthSchema = { type: 'object', required: ['status'], additionalProperties: false, properties: { status: { type: 'string' } } } as const;
  app.get('/healthz', { schema: { tags: ['system'], summary: 'The process answers', security: [], response: { 200: healthSchema } } }, async () => ({ status: 'ok' }));
  app.get(
    '/readyz',
    { schema: { tags: ['system'], summary: 'Ready when the state store, revocation list and rate-limit counters answer and the audit log is writable (else every order is refused)', security: [], response: { 200: healthSchema, 503: healthSchema } } },
    async (_request, reply) => {
      const why = unready();
      return why === null ? { status: 'ready' } : reply.code(503).send({ status: `not ready: ${why.message}` });
    },
  );
  app.get('/metrics', { schema: { hide: true } }, async (_request, reply) => {
    reply.header('content-type', metrics.registry.contentType);
    return metrics.registry.metrics();
  });
  app.get('/openapi.json', { schema: { hide: true } }, async () => app.swagger());
}

function toGatewayError(err: FastifyError, request: FastifyRequest): GatewayError {
  if (err instanceof GatewayError) return err;
  if (err.validation !== undefined) {
    const where = err.validationContext ?? 'request';
    const reasons = err.validation.map((v) => {
      const extra = typeof v.params === 'object' && v.params !== null && 'additionalProperty' in v.params ? ` '${String(v.params.additionalProperty)}'` : '';
      return { code: 'VALIDATION_FAILED', message: `${where}${v.instancePath || ''}: ${v.message ?? 'invalid'}${extra}` };
    });
    return new GatewayError('VALIDATION_FAILED', reasons.map((r) => r.message).join('; '), reasons);
  }
  switch (err.code) {
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return new GatewayError('BODY_TOO_LARGE', 'body is larger than the limit');
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return new GatewayError('UNSUPPORTED_MEDIA_TYPE', `content-type ${String(request.headers['content-type'] ?? '(none)').slice(0, 60)} is not accepted: send application/json`);
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
    case 'FST_ERR_CTP_INVALID_JSON_BODY':
      return new GatewayError('MALFORMED_JSON', 'body is not valid JSON');
  }
  if (err instanceof SyntaxError || (typeof err.statusCode === 'number' && err.statusCode >= 400 && err.statusCode < 500)) {
    // Bad JSON, a poisoned prototype key, a bad content-length: the request is malformed.
    return new GatewayError(err instanceof SyntaxError ? 'MALFORMED_JSON' : 'VALIDATION_FAILED', redactInlineSecrets(err.message).slice(0, 200));
  }
  request.log.error({ err: { message: redactInlineSecrets(err.message), stack: err.stack } }, 'gateway: unexpected failure');
  return new GatewayError('INTERNAL', 'unexpected failure; see the gateway log');
}

function sendError(err: GatewayError, request: FastifyRequest, reply: FastifyReply): FastifyReply {
  request.refusalCode = err.code;
  if (err.retryAfterMs !== undefined) reply.header('retry-after', String(Math.max(1, Math.ceil(err.retryAfterMs / 1000))));
  return reply.code(err.statusCode).send(errorBody(err));
}

/** One record per state-changing or refused request: who (jti, agent or operator), what, and how it ended. False when it could not be appended. */
function auditRequest(audit: AuditTrail, metrics: GatewayMetrics, request: FastifyRequest, status: number): boolean {
  const grant = request.grant;
  const actor = grant === null ? 'anonymous' : `${grant.role === 'agent' ? 'agent' : 'operator'}:${grant.subject}`;
  try {
    audit.sink.append(status >= 400 ? 'GATEWAY_REQUEST_REFUSED' : 'GATEWAY_REQUEST', actor, {
      method: request.method,
      route: request.routeOptions.url ?? request.url.split('?')[0].slice(0, 200),
      status,
      ...(request.refusalCode !== null ? { code: request.refusalCode } : {}),
      ...(grant !== null ? { jti: grant.jti, [grant.role === 'agent' ? 'agentId' : 'operator']: grant.subject } : {}),
      requestId: request.id,
    });
    return true;
  } catch (err) {
    metrics.auditFailures.inc();
    request.log.error({ err: { message: err instanceof Error ? err.message : String(err) } }, 'gateway: audit record not written');
    return false;
  }
}
