/**
 * A running gateway process: keys from the home directory (made on first use), a signed audit log in the
 * home (its checkpoints witnessed in the home's witness/gateway/), the state store (Redis when given, else
 * in-process) restored from that log when it verifies (else every order is refused), the paper desk replaying
 * its feeds, and the HTTP server on loopback by default.
 */
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import type { Logger } from 'pino';
import { systemClock } from '../core/index.js';
import { MemoryStateStore, RedisStateStore, type TradingStateStore, restoreTradingStates } from '../risk-gatekeeper/index.js';
import { parseSimFillConfig } from '../venues/index.js';
import {
  AuditLog,
  FileWitness,
  MemoryRevocationList,
  RedisRevocationList,
  type RevocationList,
  ensureTokenKeys,
  loadPublicKey,
  loadTokenPublicKey,
  loadTokenSigningKey,
  writeAuditKeyPair,
} from '../security/index.js';
import { fileAuditTrail } from './audit-trail.js';
import { ChainDesk } from './chain-desk.js';
import { loadGatewayConfig } from './gateway-config.js';
import { readGatewayLog } from './restore-log.js';
import { type GatewayService, createGatewayService } from './service.js';

export interface RunGatewayOptions {
  readonly home: string;
  readonly configPath?: string;
  readonly port?: number;
  readonly host?: string;
  readonly redisUrl?: string;
  readonly logger?: Logger;
  /** Replay the feeds on a timer (off in tests that step the desk themselves). Default true. */
  readonly replay?: boolean;
}

export interface RunningGateway {
  readonly url: string;
  readonly service: GatewayService;
  readonly desk: ChainDesk;
  readonly auditPath: string;
  stop(): Promise<void>;
}

export async function runGateway(o: RunGatewayOptions): Promise<RunningGateway> {
  const loaded = await loadGatewayConfig(o.configPath);
  const cfg = loaded.config;
  ensureTokenKeys(o.home, 'agent');
  ensureTokenKeys(o.home, 'ops');
  const keysDir = join(o.home, 'keys');
  if (!existsSync(join(keysDir, 'audit-signing.pem'))) writeAuditKeyPair(keysDir);
  const auditDir = join(o.home, 'audit');
  mkdirSync(auditDir, { recursive: true, mode: 0o700 });
  const auditPath = join(auditDir, 'gateway.jsonl');
  const auditPublicKey = loadPublicKey(join(keysDir, 'audit-signing.pub.pem'));
  const witnessDir = join(o.home, 'witness', 'gateway');
  // Checked before it is opened (opening sets a torn tail aside and appends): a log that does not verify
  // restores nothing and the gateway refuses every order (restore-log.ts).
  const prior = readGatewayLog(auditPath, auditPublicKey, witnessDir);
  if (prior.problem !== undefined) o.logger?.error({ problem: prior.problem }, 'audit log not trusted: every order is refused');
  const replayed = prior.records;
  // Checkpoints sync in the background; each answer waits for its own batch (group commit, audit-trail.ts).
  const log = AuditLog.open({
    path: auditPath,
    signingKey: join(keysDir, 'audit-signing.pem'),
    tornTail: 'recover',
    fsync: 'checkpoint-async',
    witness: new FileWitness(witnessDir),
  });
  const trail = fileAuditTrail(log, auditPublicKey, cfg.auditAck);

  let store: TradingStateStore;
  let revocations: RevocationList;
  let rateLimitRedis: Redis | undefined;
  if (o.redisUrl !== undefined) {
    const redisStore = new RedisStateStore({ url: o.redisUrl, keyPrefix: cfg.redisPrefix, clock: systemClock });
    const redisRevocations = new RedisRevocationList({ url: o.redisUrl, keyPrefix: `${cfg.redisPrefix}tokens:`, clock: systemClock });
    // Without an offline queue a command sent before 'ready' fails, so every connection is up (or known down)
    // before the server listens. Not reachable at start: the gateway still starts, not ready, refusing every
    // order until Redis answers (each client keeps reconnecting).
    const counters = new Redis(o.redisUrl, {
      lazyConnect: true,
      enableOfflineQueue: false,
      maxRetriesPerRequest: 0,
      connectTimeout: 1000,
      retryStrategy: (times: number) => Math.min(50 * times, 1000),
    });
    counters.on('error', () => undefined);
    await Promise.all([
      redisStore.connect().catch((err: unknown) => o.logger?.error({ err: String(err) }, 'state store unavailable')),
      redisRevocations.connect().catch((err: unknown) => o.logger?.error({ err: String(err) }, 'revocation list unavailable')),
      counters.connect().catch((err: unknown) => o.logger?.error({ err: String(err) }, 'rate-limit counters unavailable')),
    ]);
    store = redisStore;
    revocations = redisRevocations;
    rateLimitRedis = counters;
  } else {
    store = new MemoryStateStore(systemClock);
    revocations = new MemoryRevocationList(systemClock);
  }
  // The latch survives restarts and wipes: states are rebuilt from the signed log into a new restored epoch.
  // A store that cannot be restored now stays UNKNOWN and every order is refused until it is (fail closed).
  if (prior.problem === undefined && (replayed.length > 0 || store.epoch()?.restored !== true)) {
    await restoreTradingStates(store, { fromLog: replayed, actor: 'system', reason: 'gateway start', source: auditPath, clock: systemClock, audit: trail.sink }).catch(
      (err: unknown) => o.logger?.error({ err: String(err) }, 'trading states not restored: orders are refused until bulwark kill restore'),
    );
  }

  const desk = new ChainDesk({
    mode: cfg.mode,
    markets: loaded.markets,
    store,
    audit: trail.sink,
    gatekeeper: loaded.gatekeeper,
    rules: loaded.rules,
    fill: parseSimFillConfig(cfg.fill, `${o.configPath ?? 'gateway defaults'}: fill`),
    initialCash: cfg.initialCash,
    actionType: cfg.actionType,
  });
  const service = await createGatewayService({
    desk,
    instruments: loaded.instruments,
    store,
    revocations,
    audit: trail,
    clock: systemClock,
    mode: cfg.mode,
    gatekeeper: loaded.gatekeeper,
    publicKeys: { agent: loadTokenPublicKey(o.home, 'agent'), ops: loadTokenPublicKey(o.home, 'ops') },
    agentIssuerKey: loadTokenSigningKey(o.home, 'agent'),
    rateLimit: cfg.rateLimit,
    rateLimitRedis,
    bodyLimitBytes: cfg.bodyLimitBytes,
    logger: o.logger,
    processMetrics: true,
    ...(prior.problem !== undefined ? { refuseOrders: prior.problem } : {}),
  });
  trail.sink.append('GATEWAY_STARTED', 'system', {
    mode: cfg.mode,
    symbols: [...desk.symbols()],
    restoredScopes: replayed.length,
    ...(prior.problem !== undefined ? { restoreRefused: prior.problem } : {}),
  });
  const address = await service.app.listen({ port: o.port ?? cfg.port, host: o.host ?? cfg.host });
  let timer: NodeJS.Timeout | undefined;
  if (o.replay !== false) {
    let busy = false;
    timer = setInterval(() => {
      if (busy) return;
      busy = true;
      desk
        .advance()
        .catch((err: unknown) => service.app.log.error({ err: String(err) }, 'replay step failed'))
        .finally(() => (busy = false));
    }, cfg.replayBarMs);
  }
  return {
    url: address,
    service,
    desk,
    auditPath,
    async stop() {
      if (timer !== undefined) clearInterval(timer);
      await service.close();
      trail.sink.append('GATEWAY_STOPPED', 'system', {});
      log.close();
      await store.close();
      await revocations.close();
      rateLimitRedis?.disconnect();
    },
  };
}
