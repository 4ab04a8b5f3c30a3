/** A gateway on embedded defaults for specs: in-memory store, revocations and audit, a flat replayed feed. */
import { type KeyObject, generateKeyPairSync } from 'node:crypto';
import type { Redis } from 'ioredis';
import { pino } from 'pino';
import { type Bars, type Clock, barsFromRecords, defineInstrument, systemClock } from '../../core/index.js';
import { parseRules } from '../../constraints/index.js';
import { MemoryStateStore, type TradingStateStore, parseGatekeeperConfig } from '../../risk-gatekeeper/index.js';
import { MemoryRevocationList, type RevocationList, type TokenRequest, issueCapabilityToken } from '../../security/index.js';
import { type AuditTrail, memoryAuditTrail } from '../audit-trail.js';
import { ChainDesk } from '../chain-desk.js';
import { type GatewayService, createGatewayService } from '../service.js';

export const SYMBOL = 'BTC/USDT';
export const HOUR_MS = 3_600_000;
const ZERO_COST = { spreadBps: 0, slippageBps: 0, impactBps: 0, makerFeeBps: 0, takerFeeBps: 0, maxParticipation: 1 };

/** Hourly bars ending about now (so the gatekeeper's price age checks see fresh prices on the system clock). */
export function replayBars(n: number, price = 100, endMs = Date.now()): Bars {
  const start = Math.floor(endMs / HOUR_MS) * HOUR_MS - (n - 1) * HOUR_MS;
  return barsFromRecords(Array.from({ length: n }, (_, i) => ({ time: start + i * HOUR_MS, open: price, high: price, low: price, close: price, volume: 1e6 })));
}

export interface FixtureOptions {
  readonly rateLimit?: { readonly max: number; readonly timeWindowMs: number };
  readonly bars?: Bars;
  readonly gatekeeper?: Record<string, unknown>;
  /** The Constraint Logic Engine's rules (default: max_position_pct 0.5, max_drawdown_pct 0.2). */
  readonly rules?: Record<string, unknown>;
  readonly actionType?: 'discrete' | 'box';
  readonly clock?: Clock;
  /** The audit trail (default: in memory). */
  readonly audit?: AuditTrail;
  readonly store?: TradingStateStore;
  readonly revocations?: RevocationList;
  /** Rate-limit counters in this Redis (shared by every gateway on it). */
  readonly rateLimitRedis?: Redis;
  /** Issuer keys (another fixture's, so two gateways accept the same tokens). */
  readonly keys?: { readonly agent: { publicKey: KeyObject; privateKey: KeyObject }; readonly ops: { publicKey: KeyObject; privateKey: KeyObject } };
}

export async function gatewayFixture(options: FixtureOptions = {}) {
  const clock = options.clock ?? systemClock;
  const keys = options.keys ?? { agent: generateKeyPairSync('ed25519'), ops: generateKeyPairSync('ed25519') };
  const store = options.store ?? new MemoryStateStore(clock);
  const revocations = options.revocations ?? new MemoryRevocationList(clock);
  const memory = memoryAuditTrail();
  const audit = options.audit ?? memory;
  const instrument = defineInstrument({ symbol: SYMBOL, tickSize: 0.01, lotSize: 0.001 });
  const gatekeeper = parseGatekeeperConfig({ maxOrdersPerSec: 1000, maxOrdersPerMin: 100_000, circuitBreakerActionsPerMin: 100_000, ...options.gatekeeper });
  const desk = new ChainDesk({
    mode: 'paper',
    markets: [{ instrument, bars: options.bars ?? replayBars(48), intervalMs: HOUR_MS }],
    store,
    audit: audit.sink,
    gatekeeper,
    rules: parseRules(options.rules ?? { max_position_pct: 0.5, max_drawdown_pct: 0.2 }),
    fill: ZERO_COST,
    initialCash: 10_000,
    actionType: options.actionType ?? 'discrete',
  });
  const service: GatewayService = await createGatewayService({
    desk,
    instruments: [instrument],
    store,
    revocations,
    audit,
    clock,
    mode: 'paper',
    gatekeeper,
    publicKeys: { agent: keys.agent.publicKey, ops: keys.ops.publicKey },
    agentIssuerKey: keys.agent.privateKey,
    rateLimit: options.rateLimit,
    rateLimitRedis: options.rateLimitRedis,
    logger: pino({ level: 'silent' }),
  });
  const agentToken = async (over: Partial<TokenRequest> = {}) =>
    (
      await issueCapabilityToken(
        { role: 'agent', subject: 'alpha', tools: ['orders.submit', 'orders.cancel', 'orders.read', 'decisions.submit', 'mask.read', 'positions.read', 'balances.read', 'fills.read', 'state.read'], symbols: [SYMBOL], notionalCap: 5_000, mode: 'paper', ...over },
        keys.agent.privateKey,
        clock,
      )
    ).token;
  const opsToken = async (over: Partial<TokenRequest> = {}) =>
    (
      await issueCapabilityToken(
        { role: 'ops', subject: 'ann', tools: ['ops.kill', 'ops.resume', 'ops.status', 'ops.release', 'ops.audit', 'ops.tokens'], symbols: [], mode: 'paper', ...over },
        keys.ops.privateKey,
        clock,
      )
    ).token;
  return { service, app: service.app, desk, store, revocations, audit: memory, trail: audit, keys, agentToken, opsToken, instrument };
}

export type GatewayFixture = Awaited<ReturnType<typeof gatewayFixture>>;
