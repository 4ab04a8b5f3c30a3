/**
 * The store epoch against a Redis of the spec's own (`startRedisServer`): a wiped or restarted store never
 * re-enables trading, a kill issued after the wipe still reaches running gatekeepers, and only a restore from
 * the audit log brings them back to the recorded state.
 */
import { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { FakeClock, systemClock } from '../core/index.js';
import { MemoryAuditSink } from '../security/index.js';
import { startRedisServer, type RedisServerHandle } from '../test-support/redis-server.js';
import { KillSwitch, type KillSwitchVenue } from './kill-switch.js';
import { RedisStateStore } from './redis-state-store.js';
import { replayTradingStates } from './state-replay.js';
import { restoreTradingStates } from './state-restore.js';
import { codes, makeFixture, type Fixture } from './test-helpers/fixtures.js';
import type { StoreHealth } from './trading-state.js';

let server: RedisServerHandle;
let prefixSeq = 0;
const cleanups: (() => Promise<void> | void)[] = [];

beforeAll(async () => {
  server = await startRedisServer();
});
afterAll(async () => {
  await server.stop();
});
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

function prefix(): string {
  prefixSeq += 1;
  return `epoch-spec-${prefixSeq}:`;
}

async function openStore(keyPrefix: string): Promise<RedisStateStore> {
  const store = new RedisStateStore({ url: server.url, keyPrefix, clock: systemClock, pollIntervalMs: 50, maxStateAgeMs: 5_000 });
  cleanups.push(() => store.close());
  await store.connect();
  return store;
}

/** A gatekeeper on real time over `store`, with a fresh account and price so only the trading state decides. */
function gatekeeper(store: RedisStateStore): Fixture {
  // The gatekeeper's own clock stands at its start; the store's heartbeat runs on real time.
  return makeFixture({ maxPriceAgeSec: 3_600, maxAccountAgeSec: 3_600 }, store, new FakeClock(Date.now()));
}

function raw(): Redis {
  const r = new Redis(server.url, { lazyConnect: false });
  cleanups.push(() => void r.disconnect());
  return r;
}

async function until(what: string, ok: () => boolean, timeoutMs = 3_000): Promise<number> {
  const t0 = performance.now();
  while (!ok()) {
    if (performance.now() - t0 > timeoutMs) throw new Error(`not within ${timeoutMs} ms: ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
  return performance.now() - t0;
}

async function initialised(keyPrefix: string, audit = new MemoryAuditSink()): Promise<RedisStateStore> {
  const store = await openStore(keyPrefix);
  await restoreTradingStates(store, { fromLog: [], actor: 'operator:ops', reason: 'first start', source: 'spec', clock: systemClock, audit });
  return store;
}

const health = (s: RedisStateStore): StoreHealth => s.health(systemClock.nowMs());

describe('store epoch: a store that lost its state fails closed', () => {
  it('wipe_then_running_gatekeepers_fail_closed_with_STATE_UNKNOWN_and_a_gatekeeper_started_now_refuses_too', async () => {
    const p = prefix();
    const ops = await initialised(p);
    const running = await openStore(p);
    const f = gatekeeper(running);
    await new KillSwitch({ store: ops, gatekeeper: gatekeeper(ops).gk, audit: new MemoryAuditSink() }).kill('global', 'hard', 'alice', 'incident');
    await until('the halt reached the running gatekeeper', () => running.cache.stateOf('global') === 'HALTED');

    await raw().flushdb();
    await until('fail-closed after the wipe', () => health(running) === 'UNKNOWN');
    expect(codes(f.gk.check(f.order(), f.ctx))).toEqual(['TRADING_HALTED', 'STATE_UNKNOWN']);
    expect(running.healthProblem()).toMatch(/no epoch: the store lost its state/);

    // Finding 1: a gatekeeper started after the wipe used to allow a BUY (empty = ACTIVE).
    const late = await openStore(p);
    const g = gatekeeper(late);
    expect(late.epoch()).toBeUndefined();
    expect(codes(g.gk.check(g.order(), g.ctx))).toEqual(['STATE_UNKNOWN']);
    // A loosening is refused on a store that has no restored epoch.
    await expect(late.set({ scope: 'global', state: 'ACTIVE', actor: 'operator:bob', reason: 'x' })).rejects.toThrow(/has no epoch/);
  });

  it('restart_without_persistence_then_every_gatekeeper_is_unavailable_then_unknown_never_ok_until_restored', async () => {
    const p = prefix();
    const log = new MemoryAuditSink();
    const ops = await initialised(p, log);
    const gks = [await openStore(p), await openStore(p), await openStore(p)];
    const fixtures = gks.map(gatekeeper);
    await new KillSwitch({ store: ops, gatekeeper: gatekeeper(ops).gk, audit: log }).kill('agent:a1', 'hard', 'alice', 'runaway');
    await until('halt reached all', () => gks.every((s) => s.cache.stateOf('agent:a1') === 'HALTED'));

    await server.restart();
    await until('every gatekeeper failed closed', () => gks.every((s) => health(s) !== 'OK'));
    await until('reconnected to an empty store', () => gks.every((s) => health(s) === 'UNKNOWN'), 5_000);
    for (const f of fixtures) expect(codes(f.gk.check(f.order({ agentId: 'a2' }), f.ctx))).toEqual(['STATE_UNKNOWN']);

    // Restored from the audit log: the latch is back and trading on other agents is allowed again.
    const restorer = await openStore(p);
    await restoreTradingStates(restorer, {
      fromLog: replayTradingStates(log.events),
      actor: 'operator:bob',
      reason: 'redis restarted',
      source: 'spec',
      clock: systemClock,
      audit: log,
    });
    await until('restored epoch adopted', () => gks.every((s) => health(s) === 'OK'));
    for (const f of fixtures) {
      expect(codes(f.gk.check(f.order({ agentId: 'a1' }), f.ctx))).toEqual(['TRADING_HALTED']);
      expect(f.gk.check(f.order({ agentId: 'a2' }), f.ctx).allowed).toBe(true);
    }
    expect(gks.every((s) => s.epoch()?.id === restorer.epoch()?.id)).toBe(true);
  });

  it('a_kill_issued_after_a_wipe_reaches_running_gatekeepers_and_their_kill_switch_flattens', async () => {
    const p = prefix();
    await initialised(p);
    const running = await openStore(p);
    const f = gatekeeper(running);
    const cancelled: string[] = [];
    const venue: KillSwitchVenue = {
      cancelAll: (scope) => {
        cancelled.push(scope);
        return Promise.resolve(1);
      },
      openOrders: () => Promise.resolve([]),
      positions: () => Promise.resolve([{ symbol: 'BTC/USD', quantity: 0.5, agentId: 'a1' }]),
      submit: () => Promise.resolve(),
    };
    const ks = new KillSwitch({ store: running, gatekeeper: f.gk, audit: f.audit, venue });
    await raw().flushdb();
    await until('unknown after wipe', () => health(running) === 'UNKNOWN');

    // An operator on another connection kills global on the wiped store: applied under a new, unrestored epoch.
    const operator = await openStore(p);
    const rec = await new KillSwitch({ store: operator, gatekeeper: gatekeeper(operator).gk, audit: new MemoryAuditSink() }).kill(
      'global',
      'hard',
      'alice',
      'after the wipe',
    );
    expect(rec).toMatchObject({ state: 'HALTED', version: 1 });
    await until('the kill reached the running gatekeeper', () => running.cache.stateOf('global') === 'HALTED');
    await ks.settled();
    expect(cancelled).toEqual(['global']);
    // Still fail-closed: the new epoch was not restored, so nothing but the kill is trusted.
    await until('the unrestored epoch is read', () => /was not restored/.test(running.healthProblem()));
    expect(health(running)).toBe('UNKNOWN');
    await expect(operator.set({ scope: 'global', state: 'ACTIVE', actor: 'operator:bob', reason: 'x' })).rejects.toThrow(/not restored/);
  });

  it('a_gatekeepers_own_escalation_on_a_wiped_store_halts_its_own_process', async () => {
    const p = prefix();
    await initialised(p);
    const running = await openStore(p);
    const f = gatekeeper(running);
    // Push the version up in the first epoch, as a long-running deployment would.
    for (let i = 0; i < 4; i++) {
      await running.set({ scope: 'agent:x', state: i % 2 === 0 ? 'REDUCING' : 'ACTIVE', actor: 'operator:ops', reason: `flip ${i}` });
    }
    await raw().flushdb();
    await until('unknown after wipe', () => health(running) === 'UNKNOWN');
    // Drawdown past the halt: the trigger escalates global; the record (version 1 of a new epoch) must not be
    // ignored by this process for being "older" than the version 4 it holds.
    f.ctx.setAccount({ equity: 70_000, peakEquity: 100_000, dayStartEquity: 70_000, timeMs: systemClock.nowMs() });
    f.gk.check(f.order(), f.ctx);
    await until('own escalation applied', () => running.cache.stateOf('global') === 'HALTED');
    expect(running.cache.record('global')).toMatchObject({ version: 1, actor: 'system' });
  });

  it('a_restore_is_adopted_by_running_gatekeepers_although_its_versions_are_lower_than_the_ones_they_hold', async () => {
    const p = prefix();
    const log = new MemoryAuditSink();
    const ops = await initialised(p, log);
    const running = await openStore(p);
    const ks = new KillSwitch({ store: ops, gatekeeper: gatekeeper(ops).gk, audit: log });
    for (let i = 0; i < 3; i++) {
      await ks.kill('global', 'hard', 'alice', `incident ${i}`);
      await ks.resume('global', 'bob', `fixed ${i}`);
    }
    await ks.kill('global', 'hard', 'alice', 'final');
    await until('v7 held', () => running.cache.record('global')?.version === 7);
    await raw().flushdb();
    await restoreTradingStates(ops, { fromLog: replayTradingStates(log.events), actor: 'operator:bob', reason: 'wiped', source: 'spec', clock: systemClock, audit: log });
    await until('adopted', () => health(running) === 'OK' && running.epoch()?.id === ops.epoch()?.id);
    expect(running.cache.record('global')).toMatchObject({ state: 'HALTED', version: 1 });
    // A resume in the new epoch (version 2) reaches the gatekeeper that held version 7.
    await ks.resume('global', 'bob', 'all clear');
    await until('resume reached', () => running.cache.stateOf('global') === 'ACTIVE');
  });
});
