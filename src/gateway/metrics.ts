/**
 * Prometheus metrics of one gateway (its own registry, so two gateways in one process never share counters):
 * requests, decisions by outcome, rejections by reason, trading state per scope, request latency.
 */
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import { type TradingStateStore, strictness } from '../risk-gatekeeper/index.js';

export interface GatewayMetrics {
  readonly registry: Registry;
  readonly requests: Counter<'route' | 'method' | 'status'>;
  readonly decisions: Counter<'outcome'>;
  readonly rejections: Counter<'reason'>;
  readonly latency: Histogram<'route'>;
  readonly auditFailures: Counter;
  /** Group-commit flushes of the audit file: how long each took (what a state-changing request waits for) and how many requests it answered. */
  readonly auditFlush: Histogram;
  readonly auditFlushRequests: Histogram;
}

export function createGatewayMetrics(store: TradingStateStore, options: { readonly processMetrics?: boolean } = {}): GatewayMetrics {
  const registry = new Registry();
  if (options.processMetrics === true) collectDefaultMetrics({ register: registry, prefix: 'bulwark_gateway_' });
  const requests = new Counter({
    name: 'bulwark_gateway_requests_total',
    help: 'HTTP requests answered, by route template, method and status',
    labelNames: ['route', 'method', 'status'] as const,
    registers: [registry],
  });
  const decisions = new Counter({
    name: 'bulwark_gateway_decisions_total',
    help: 'Orders and RL decisions through the chain, by outcome (NO_ORDER, MASKED, DENIED, SUBMITTED, VENUE_REJECTED)',
    labelNames: ['outcome'] as const,
    registers: [registry],
  });
  const rejections = new Counter({
    name: 'bulwark_gateway_rejections_total',
    help: 'Refused requests by reason code (token, grant, schema, rules, gatekeeper, venue)',
    labelNames: ['reason'] as const,
    registers: [registry],
  });
  const latency = new Histogram({
    name: 'bulwark_gateway_request_duration_seconds',
    help: 'Time from request to response, by route template',
    labelNames: ['route'] as const,
    buckets: [0.0005, 0.001, 0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1],
    registers: [registry],
  });
  const auditFailures = new Counter({
    name: 'bulwark_gateway_audit_failures_total',
    help: 'Requests whose audit record could not be written',
    registers: [registry],
  });
  const auditFlush = new Histogram({
    name: 'bulwark_gateway_audit_flush_seconds',
    help: 'Group-commit flushes of the audit file (write, and fdatasync with auditAck fsync): what every state-changing request waits for',
    buckets: [0.0002, 0.0005, 0.001, 0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.5],
    registers: [registry],
  });
  const auditFlushRequests = new Histogram({
    name: 'bulwark_gateway_audit_flush_requests',
    help: 'Requests answered by one group-commit flush of the audit file',
    buckets: [1, 2, 4, 8, 16, 32, 64, 128],
    registers: [registry],
  });
  new Gauge({
    name: 'bulwark_trading_state',
    help: 'Trading state per scope: 0 ACTIVE, 1 REDUCING, 2 HALTED',
    labelNames: ['scope'] as const,
    registers: [registry],
    collect() {
      this.reset();
      this.set({ scope: 'global' }, strictness(store.cache.stateOf('global')));
      for (const r of store.cache.all()) this.set({ scope: r.scope }, strictness(r.state));
    },
  });
  return { registry, requests, decisions, rejections, latency, auditFailures, auditFlush, auditFlushRequests };
}
