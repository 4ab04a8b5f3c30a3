/**
 * Specs against a real Redis (the suite's private server, see src/test-support/redis-server.ts), each with its own key prefix,
 * deleted afterwards.
 */
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { testRedisUrl } from '../test-support/redis-server.js';
import { type Clock, FakeClock, systemClock } from '../core/index.js';
import { AuditLog, generateAuditKeyPair, MemoryAuditSink, readAuditEvents } from '../security/index.js';
import { parseGatekeeperConfig } from './config.js';
import { RiskGatekeeper } from './gatekeeper.js';
import { KillSwitch } from './kill-switch.js';
import { spawnProbe, type ProbeHandle } from './probe-spawn.js';
import { RedisStateStore } from './redis-state-store.js';
import { replayTradingStates } from './state-replay.js';
import { restoreTradingStates } from './state-restore.js';
import { BTC, codes, makeFixture, T0_MS } from './test-helpers/fixtures.js';
import type { StateRecord } from './trading-state.js';

const REDIS_URL = testRedisUrl();
const cleanups: (() => Promise<void> | void)[] = [];

afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

function prefix(): string {
  return `bulwark:test:${randomUUID()}:`;
}

/** Opens a store on `keyPrefix`; a store without an epoch is first initialised by an empty restore. */
async function openStore(keyPrefix: string, clock: Clock = new FakeClock(T0_MS), pollIntervalMs = 60_000, init = true): Promise<RedisStateStore> {
  const store = new RedisStateStore({ url: REDIS_URL, keyPrefix, clock, pollIntervalMs, maxStateAgeMs: 1_000 });
  cleanups.push(async () => {
    await store.deleteAll().catch(() => undefined);
    await store.close();
  });
  await store.connect();
  if (init && store.epoch() === undefined) await initialise(store, clock);
  return store;
}

async function initialise(store: RedisStateStore, clock: Clock): Promise<void> {
  await restoreTradingStates(store, { fromLog: [], actor: 'operator:test', reason: 'fresh store', source: 'none', clock, audit: new MemoryAuditSink() });
}

function nextChange(store: RedisStateStore, accept: (r: StateRecord) => boolean): Promise<StateRecord> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('no state change within 5 s')), 5_000);
    const off = store.onChange((r) => {
      if (!accept(r)) return;
      clearTimeout(timer);
      off();
      resolve(r);
    });
  });
}

describe('RedisStateStore', () => {
  it('a_flip_in_one_store_reaches_every_subscribed_store', async () => {
    const p = prefix();
    const a = await openStore(p);
    const b = await openStore(p);
    const seen = nextChange(b, (r) => r.scope === 'global');
    const rec = await a.set({ scope: 'global', state: 'HALTED', actor: 'operator:alice', reason: 'test' });
    expect(rec).toMatchObject({ state: 'HALTED', previous: 'ACTIVE', version: 1, changedAtMs: T0_MS, epoch: a.epoch()?.id });
    expect(await seen).toEqual(rec);
    expect(b.cache.effectiveState('x', 'BTC/USD')).toBe('HALTED');
  });

  it('escalate_only_makes_a_scope_stricter_decided_inside_redis', async () => {
    const p = prefix();
    const a = await openStore(p);
    await a.set({ scope: 'agent:a1', state: 'HALTED', actor: 'operator:alice', reason: 'x' });
    expect(await a.escalate({ scope: 'agent:a1', state: 'REDUCING', actor: 'system', reason: 'breaker' })).toBeUndefined();
    const results = await Promise.all([
      a.escalate({ scope: 'agent:a2', state: 'REDUCING', actor: 'system', reason: 'r1' }),
      a.escalate({ scope: 'agent:a2', state: 'REDUCING', actor: 'system', reason: 'r2' }),
    ]);
    expect(results.filter((r) => r !== undefined)).toHaveLength(1);
    expect(a.cache.stateOf('agent:a1')).toBe('HALTED');
  });

  it('health_when_the_last_read_is_older_than_the_bound_then_stale_and_orders_fail_closed', async () => {
    const clock = new FakeClock(T0_MS);
    const store = await openStore(prefix(), clock);
    const f = makeFixture({}, store, clock);
    expect(store.health(clock.nowMs())).toBe('OK');
    clock.advance(1_000);
    expect(store.health(clock.nowMs())).toBe('OK');
    clock.advance(1);
    expect(store.health(clock.nowMs())).toBe('STALE');
    f.ctx.setAccount({ equity: 100_000, peakEquity: 100_000, dayStartEquity: 100_000, timeMs: clock.nowMs() });
    f.ctx.setPrice('BTC/USD', 50_000, clock.nowMs()).setPosition('BTC/USD', 0.3);
    expect(codes(f.gk.check(f.order(), f.ctx))).toEqual(['STALE_STATE']);
    // Default: treated as HALTED, so even a reducing order is refused.
    expect(codes(f.gk.check(f.order({ side: 'SELL', quantity: 0.1 }), f.ctx))).toEqual(['STALE_STATE']);
  });

  it('health_stale_with_fail_closed_reducing_lets_only_reducing_orders_through', async () => {
    const clock = new FakeClock(T0_MS);
    const store = await openStore(prefix(), clock);
    const f = makeFixture({ failClosedState: 'REDUCING', maxPriceAgeSec: 3600, maxAccountAgeSec: 3600 }, store, clock);
    f.ctx.setPosition('BTC/USD', 0.3);
    clock.advance(5_000);
    expect(codes(f.gk.check(f.order(), f.ctx))).toEqual(['STALE_STATE']);
    expect(f.gk.check(f.order({ side: 'SELL', quantity: 0.1 }), f.ctx).allowed).toBe(true);
  });

  it('when_redis_is_unreachable_then_connect_names_the_server_and_every_order_is_refused', async () => {
    const clock = new FakeClock(T0_MS);
    const store = new RedisStateStore({ url: 'redis://127.0.0.1:1', keyPrefix: prefix(), clock, connectTimeoutMs: 500 });
    cleanups.push(() => store.close());
    await expect(store.connect()).rejects.toThrow(/trading state store redis:\/\/127\.0\.0\.1:1.*cannot connect/);
    const f = makeFixture({}, store, clock);
    expect(store.health(clock.nowMs())).toBe('UNAVAILABLE');
    expect(codes(f.gk.check(f.order(), f.ctx))).toEqual(['STATE_UNKNOWN']);
    f.ctx.setPosition('BTC/USD', 0.3);
    expect(codes(f.gk.check(f.order({ side: 'SELL', quantity: 0.1 }), f.ctx))).toEqual(['STATE_UNKNOWN']);
    const ks = new KillSwitch({ store, gatekeeper: f.gk, audit: f.audit });
    await expect(ks.kill('global', 'hard', 'alice', 'x')).rejects.toThrow(/cannot write global/);
  });

  it('a_record_that_cannot_be_read_makes_the_state_unknown', async () => {
    const p = prefix();
    const clock = new FakeClock(T0_MS);
    const a = await openStore(p, clock);
    const { Redis } = await import('ioredis');
    const raw = new Redis(REDIS_URL);
    cleanups.push(() => void raw.disconnect());
    await raw.hset(`${p}states`, 'global', '{"state":"PAUSED"}');
    const b = await openStore(p, clock, 60_000, false);
    expect(b.health(clock.nowMs())).toBe('UNKNOWN');
    expect(b.healthProblem()).toMatch(/unreadable state record\(s\): global/);
    expect(a.health(clock.nowMs())).toBe('OK'); // a has not re-read yet; it will on its next poll
  });

  it('the_latch_survives_redis_losing_its_state_by_replaying_the_audit_file', async () => {
    const p = prefix();
    const dir = mkdtempSync(join(tmpdir(), 'bulwark-gk-'));
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
    const keys = generateAuditKeyPair();
    const file = join(dir, 'audit.jsonl');
    const clock = new FakeClock(T0_MS);

    const first = await openStore(p, clock);
    const log1 = AuditLog.open({ path: file, signingKey: keys.privateKeyPem, clock, sealTimer: false });
    const gk1 = new RiskGatekeeper({ config: parseGatekeeperConfig({}), instruments: [BTC], store: first, clock, audit: log1 });
    const ks1 = new KillSwitch({ store: first, gatekeeper: gk1, audit: log1 });
    await ks1.kill('instrument:BTC/USD', 'hard', 'alice', 'venue incident');
    await ks1.kill('global', 'soft', 'alice', 'caution');
    log1.close();
    await first.deleteAll(); // Redis restarted with nothing on disk

    // A gatekeeper started now does not take the empty store for ACTIVE.
    const second = new RedisStateStore({ url: REDIS_URL, keyPrefix: p, clock, pollIntervalMs: 60_000 });
    cleanups.push(() => second.close());
    await second.connect();
    const f2 = makeFixture({}, second, clock);
    expect(second.health(clock.nowMs())).toBe('UNKNOWN');
    expect(codes(f2.gk.check(f2.order(), f2.ctx))).toEqual(['STATE_UNKNOWN']);
    await restoreTradingStates(second, {
      fromLog: replayTradingStates(readAuditEvents(file)),
      actor: 'operator:bob',
      reason: 'redis restarted',
      source: file,
      clock,
      audit: new MemoryAuditSink(),
    });
    expect(codes(f2.gk.check(f2.order(), f2.ctx))).toEqual(['TRADING_HALTED']);
    // Restored into Redis under a new restored epoch: a third gatekeeper that never saw the log is latched as well.
    const third = await openStore(p, clock);
    expect(third.epoch()).toMatchObject({ restored: true, id: second.epoch()?.id });
    expect(third.cache.stateOf('instrument:BTC/USD')).toBe('HALTED');
    expect(third.cache.stateOf('global')).toBe('REDUCING');
  });
});

describe('two gatekeeper processes over Redis', () => {
  let probe: ProbeHandle | undefined;
  afterEach(async () => {
    await probe?.stop();
    probe = undefined;
  });

  it('a_hard_kill_in_one_process_is_enforced_by_the_other_including_flattening', async () => {
    const p = prefix();
    const store = await openStore(p, systemClock, 200);
    const audit = new MemoryAuditSink();
    const gk = new RiskGatekeeper({ config: parseGatekeeperConfig({}), instruments: [BTC], store, clock: systemClock, audit });
    const ks = new KillSwitch({ store, gatekeeper: gk, audit });
    probe = await spawnProbe(REDIS_URL, p);
    expect(await probe.check()).toMatchObject({ allowed: true, state: 'ACTIVE' });

    const rec = await ks.kill('global', 'hard', 'alice', 'two-process spec');
    const refused = await probe.next((m) => m.type === 'verdict' && m.version === rec.version, 5_000);
    expect(refused).toMatchObject({ allowed: false, codes: ['TRADING_HALTED'], state: 'HALTED' });
    const after = await probe.check();
    expect(after.cancelled).toBe(1);
    expect(after.flattened).toEqual(['SELL 0.5 BTC/USD reduceOnly=true']);

    const resumed = await ks.resume('global', 'bob', 'all clear');
    const ok = await probe.next((m) => m.type === 'verdict' && m.version === resumed.version, 5_000);
    expect(ok).toMatchObject({ allowed: true, state: 'ACTIVE' });
  });
});
