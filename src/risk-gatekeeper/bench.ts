/**
 * Benchmarks of the gatekeeper (`bulwark bench gatekeeper|killswitch --json`).
 * - gatekeeper: latency of one `check` with every check on (in-process, embedded store), per call.
 * - killswitch: from a flip in this process to the moment a second process refuses orders, over Redis.
 * - killswitch --restart: from a Redis restart (and a wipe) until every running gatekeeper fails closed.
 */
import { randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { defineInstrument, FakeClock, systemClock } from '../core/index.js';
import { discardAuditSink } from '../security/index.js';
import { parseGatekeeperConfig } from './config.js';
import { type OrderIntent, PortfolioContext } from './context.js';
import { RiskGatekeeper } from './gatekeeper.js';
import { KillSwitch } from './kill-switch.js';
import { MemoryStateStore } from './memory-state-store.js';
import { spawnProbe } from './probe-spawn.js';
import { Redis } from 'ioredis';
import { type BenchRedis, startBenchRedis } from './bench-redis.js';
import { RedisStateStore, redactRedisUrl } from './redis-state-store.js';
import { restoreTradingStates } from './state-restore.js';

export interface GatekeeperBenchOptions {
  readonly json: boolean;
  readonly scale: number;
  /** Redis for the killswitch benchmark (`--redis`); without it the benchmark starts a redis-server of its own. */
  readonly redisUrl?: string;
  /** `bench killswitch --restart`: time from a Redis restart (and a wipe) until every gatekeeper fails closed. */
  readonly restart?: boolean;
}

function percentile(sorted: Float64Array, p: number): number {
  if (sorted.length === 0) return Number.NaN;
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[i];
}

export async function benchGatekeeper(options: GatekeeperBenchOptions): Promise<Record<string, unknown>> {
  const n = Math.max(1_000, Math.round(200_000 * options.scale));
  const warmup = Math.min(50_000, n);
  const clock = new FakeClock(1_700_000_000_000);
  const btc = defineInstrument({ symbol: 'BTC/USD', tickSize: 0.5, lotSize: 0.001, minNotional: 10 });
  const eth = defineInstrument({ symbol: 'ETH/USD', tickSize: 0.01, lotSize: 0.01, minNotional: 10 });
  // Realistic limits that the stream of orders stays inside, so the common (approving) path is measured
  // with every check evaluated: one order every 100 ms of fake time is 10/s and 600/min.
  const config = parseGatekeeperConfig({
    maxOrdersPerSec: 20,
    maxOrdersPerMin: 1_000,
    circuitBreakerActionsPerMin: 2_000,
    maxRepeats: 5,
    repeatWindowSec: 10,
    auditApprovals: true,
  });
  const store = new MemoryStateStore(clock);
  await store.set({ scope: 'agent:other', state: 'REDUCING', actor: 'operator:bench', reason: 'populate the cache' });
  await store.set({ scope: 'instrument:ETH/USD', state: 'REDUCING', actor: 'operator:bench', reason: 'populate the cache' });
  const gk = new RiskGatekeeper({ config, instruments: [btc, eth], store, clock, audit: discardAuditSink });
  const ctx = new PortfolioContext()
    .setAccount({ equity: 1_000_000, peakEquity: 1_050_000, dayStartEquity: 1_010_000, timeMs: clock.nowMs() })
    .setPosition('BTC/USD', 1.2)
    .setPosition('ETH/USD', -10)
    .setPendingOrders('BTC/USD', 0.002, 0.001)
    .setPendingOrders('ETH/USD', 0, 1)
    .setOpenOrderCount(3);

  const total = warmup + n;
  const orders: OrderIntent[] = new Array<OrderIntent>(total);
  for (let i = 0; i < total; i++) {
    orders[i] = {
      clientOrderId: `bench-${i}`,
      symbol: 'BTC/USD',
      side: i % 2 === 0 ? 'BUY' : 'SELL',
      type: i % 3 === 0 ? 'LIMIT' : 'MARKET',
      quantity: 0.001 * (1 + (i % 50)),
      ...(i % 3 === 0 ? { limitPrice: 50_000 + (i % 7) * 0.5 } : { referencePrice: 50_010 }),
      timeInForce: 'GTC',
      createdAtMs: 0,
      agentId: 'bench',
    };
  }
  const samples = new Float64Array(n);
  let approved = 0;
  for (let i = 0; i < total; i++) {
    clock.advance(100);
    const nowMs = clock.nowMs();
    ctx.setPrice('BTC/USD', 50_000, nowMs).setPrice('ETH/USD', 2_000, nowMs);
    ctx.setAccount(ctxAccount(nowMs));
    const t0 = process.hrtime.bigint();
    const r = gk.check(orders[i], ctx);
    const t1 = process.hrtime.bigint();
    if (i >= warmup) {
      samples[i - warmup] = Number(t1 - t0);
      if (r.allowed) approved += 1;
    }
  }
  samples.sort();
  return {
    bench: 'gatekeeper',
    checks: n,
    approved_fraction: approved / n,
    check_p50_ns: percentile(samples, 50),
    check_p99_ns: percentile(samples, 99),
    check_p999_ns: percentile(samples, 99.9),
    target_p99_ns: 5_000,
    notes: 'every check on, embedded store, approvals audited to a discarding sink; per-call hrtime (includes ~50 ns timer cost)',
  };
}

// One account object re-stamped each step, so the benchmark loop itself does not allocate.
const benchAccount = { equity: 1_000_000, peakEquity: 1_050_000, dayStartEquity: 1_010_000, timeMs: 0 };
function ctxAccount(nowMs: number): typeof benchAccount {
  benchAccount.timeMs = nowMs;
  return benchAccount;
}

/** Where the kill-switch benchmarks run: `--redis URL`, or a redis-server of their own (never the user's). */
async function benchRedis(options: GatekeeperBenchOptions): Promise<{ url: string; own: BenchRedis | undefined }> {
  if (options.redisUrl !== undefined) return { url: options.redisUrl, own: undefined };
  const own = await startBenchRedis();
  return { url: own.url, own };
}

async function connectInitialised(url: string, keyPrefix: string, pollIntervalMs?: number): Promise<RedisStateStore> {
  const store = new RedisStateStore({ url, keyPrefix, clock: systemClock, ...(pollIntervalMs === undefined ? {} : { pollIntervalMs }) });
  try {
    await store.connect();
  } catch (err) {
    await store.close();
    const why = err instanceof Error ? err.message : String(err);
    throw new Error(`bench killswitch: needs a Redis server: ${why}`);
  }
  return store;
}

async function initialise(store: RedisStateStore, reason: string): Promise<void> {
  await restoreTradingStates(store, { fromLog: [], actor: 'operator:bench', reason, source: 'bench', clock: systemClock, audit: discardAuditSink });
}

export async function benchKillswitch(options: GatekeeperBenchOptions): Promise<Record<string, unknown>> {
  const { url, own } = await benchRedis(options);
  try {
    return options.restart === true ? await benchRestart(url, own, options) : await benchPropagation(url, options);
  } finally {
    await own?.stop();
  }
}

async function benchPropagation(url: string, options: GatekeeperBenchOptions): Promise<Record<string, unknown>> {
  const flips = Math.max(5, Math.round(200 * options.scale));
  const keyPrefix = `bulwark:bench:${randomUUID()}:`;
  const store = await connectInitialised(url, keyPrefix);
  await initialise(store, 'bench start');
  const gk = new RiskGatekeeper({
    config: parseGatekeeperConfig({}),
    instruments: [defineInstrument({ symbol: 'BTC/USD' })],
    store,
    clock: systemClock,
    audit: discardAuditSink,
  });
  const ks = new KillSwitch({ store, gatekeeper: gk, audit: discardAuditSink });
  const probe = await spawnProbe(url, keyPrefix);
  const samples = new Float64Array(flips);
  try {
    for (let i = 0; i < flips; i++) {
      const t0 = performance.now();
      const halted = await ks.kill('global', 'hard', 'bench', `flip ${i}`);
      await probe.next((m) => m.type === 'verdict' && m.version === halted.version && !m.allowed, 5_000);
      samples[i] = performance.now() - t0;
      const resumed = await ks.resume('global', 'bench', `flip ${i} back`);
      await probe.next((m) => m.type === 'verdict' && m.version === resumed.version && m.allowed, 5_000);
    }
  } finally {
    await probe.stop();
    await store.deleteAll().catch(() => undefined);
    await store.close();
  }
  samples.sort();
  return {
    bench: 'killswitch',
    redis: options.redisUrl === undefined ? 'own redis-server' : redactRedisUrl(url),
    flips,
    propagation_p50_ms: round3(percentile(samples, 50)),
    propagation_p99_ms: round3(percentile(samples, 99)),
    propagation_max_ms: round3(samples[samples.length - 1]),
    target_p99_ms: 20,
    notes: 'from the flip call in this process to receiving, over IPC, the second process\'s refusal of a fresh order (Redis pub/sub)',
  };
}

const RESTART_GATEKEEPERS = 8;

/**
 * From a Redis restart (the moment the old server is killed) until every one of `RESTART_GATEKEEPERS` running
 * gatekeepers refuses a fresh order; and from a wipe (FLUSHDB, no disconnect) until the same. After each trial
 * the store is restored so they all trade again.
 */
async function benchRestart(url: string, own: BenchRedis | undefined, options: GatekeeperBenchOptions): Promise<Record<string, unknown>> {
  if (own === undefined) throw new Error('bench killswitch --restart: restarts Redis, so it runs only on its own redis-server (drop --redis)');
  const trials = Math.max(3, Math.round(30 * options.scale));
  const keyPrefix = `bulwark:bench:${randomUUID()}:`;
  const btc = defineInstrument({ symbol: 'BTC/USD' });
  const config = parseGatekeeperConfig({ maxOrdersPerSec: 1e6, maxOrdersPerMin: 1e6, circuitBreakerActionsPerMin: 1e6, maxRepeats: 1e6 });
  const ctx = new PortfolioContext();
  const stores: RedisStateStore[] = [];
  const gks: RiskGatekeeper[] = [];
  for (let i = 0; i < RESTART_GATEKEEPERS; i++) {
    const store = await connectInitialised(url, keyPrefix);
    if (i === 0) await initialise(store, 'bench start');
    stores.push(store);
    gks.push(new RiskGatekeeper({ config, instruments: [btc], store, clock: systemClock, audit: discardAuditSink }));
  }
  let seq = 0;
  const refuses = (gk: RiskGatekeeper): boolean => {
    const nowMs = systemClock.nowMs();
    ctx.setAccount({ equity: 1e6, peakEquity: 1e6, dayStartEquity: 1e6, timeMs: nowMs }).setPrice('BTC/USD', 50_000, nowMs);
    seq += 1;
    const order: OrderIntent = { clientOrderId: `r-${seq}`, symbol: 'BTC/USD', side: 'BUY', type: 'MARKET', quantity: 0.001, timeInForce: 'IOC', createdAtMs: nowMs };
    return !gk.check(order, ctx).allowed;
  };
  const allFailClosed = async (t0: number, timeoutMs: number): Promise<number> => {
    while (!gks.every(refuses)) {
      if (performance.now() - t0 > timeoutMs) throw new Error(`bench killswitch --restart: gatekeepers still trading ${timeoutMs} ms after the restart`);
      await new Promise((r) => setImmediate(r));
    }
    return performance.now() - t0;
  };
  const allTrading = async (): Promise<void> => {
    const t0 = performance.now();
    while (!gks.every((gk) => !refuses(gk))) {
      if (performance.now() - t0 > 10_000) throw new Error('bench killswitch --restart: gatekeepers did not trade again after the restore');
      await new Promise((r) => setTimeout(r, 2));
    }
  };
  const restartMs = new Float64Array(trials);
  const wipeMs = new Float64Array(trials);
  const raw = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 1 });
  raw.on('error', () => undefined); // refused while the server is down: expected here
  try {
    await allTrading();
    for (let i = 0; i < trials; i++) {
      const t0 = performance.now();
      await own.kill();
      restartMs[i] = await allFailClosed(t0, 5_000);
      await own.start();
      await waitReady(stores[0]);
      await initialise(stores[0], `bench trial ${i}: restored after the restart`);
      await allTrading();

      if (raw.status !== 'ready') await raw.connect().catch(() => undefined);
      const t1 = performance.now();
      await raw.flushdb();
      wipeMs[i] = await allFailClosed(t1, 5_000);
      await initialise(stores[0], `bench trial ${i}: restored after the wipe`);
      await allTrading();
    }
  } finally {
    raw.disconnect();
    for (const s of stores) await s.close();
  }
  restartMs.sort();
  wipeMs.sort();
  return {
    bench: 'killswitch-restart',
    gatekeepers: RESTART_GATEKEEPERS,
    trials,
    restart_to_fail_closed_p50_ms: round3(percentile(restartMs, 50)),
    restart_to_fail_closed_p99_ms: round3(percentile(restartMs, 99)),
    restart_to_fail_closed_max_ms: round3(restartMs[restartMs.length - 1]),
    wipe_to_fail_closed_p50_ms: round3(percentile(wipeMs, 50)),
    wipe_to_fail_closed_p99_ms: round3(percentile(wipeMs, 99)),
    target_p99_ms: 1_000,
    notes:
      'restart: from killing the redis-server until every gatekeeper refuses a fresh order (connection lost, then no epoch); ' +
      'wipe: from FLUSHDB until the same (no disconnect: the 200 ms heartbeat finds the epoch gone); restored between trials',
  };
}

async function waitReady(store: RedisStateStore): Promise<void> {
  const t0 = performance.now();
  while (store.health(systemClock.nowMs()) === 'UNAVAILABLE') {
    if (performance.now() - t0 > 10_000) throw new Error(`bench killswitch --restart: no reconnect within 10 s (${store.healthProblem()})`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

function round3(x: number): number {
  return Math.round(x * 1000) / 1000;
}
