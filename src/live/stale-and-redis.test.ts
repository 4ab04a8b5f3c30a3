import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { systemClock } from '../core/index.js';
import { backtestInstrument, createRuleAgent } from '../backtests/index.js';
import { RedisStateStore, operatorChange, restoreTradingStates } from '../risk-gatekeeper/index.js';
import { MemoryAuditSink } from '../security/index.js';
import { testRedisUrl } from '../test-support/redis-server.js';
import { openFeed } from './open-feed.js';
import { type DecisionRow, PaperSession } from './session.js';
import { FakeRuntime } from './test-helpers/fake-runtime.js';

const dir = mkdtempSync(join(tmpdir(), 'bulwark-stale-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('a stale feed', () => {
  it('fails closed: no bar within two intervals and the gatekeeper refuses new risk (NO_TRUSTED_PRICE)', async () => {
    const runtime = new FakeRuntime(Date.UTC(2026, 0, 1, 12));
    const { feed } = await openFeed('synth:gbm:seed=2,bars=5,interval=1s', { runtime });
    const session = PaperSession.open({
      sessionId: 'stale',
      dir: join(dir, 'a'),
      feed,
      instrument: backtestInstrument('SYNTH/USD'),
      agent: createRuleAgent('buy-and-hold:size=0.1'),
      initialCash: 10_000,
      audit: new MemoryAuditSink(),
    });
    await session.run(); // the five bars, then the feed ends: nothing more arrives
    const intent = { clientOrderId: 'ops-1', symbol: 'SYNTH/USD', side: 'BUY' as const, type: 'MARKET' as const, quantity: 1, timeInForce: 'IOC' as const, createdAtMs: 0 };
    expect(session.stale).toBe(false);
    expect(session.submitIntent(intent)).toBeNull(); // fresh: sent
    runtime.clock.advance(2500); // more than two intervals after the last close
    expect(session.stale).toBe(true);
    expect(session.submitIntent({ ...intent, clientOrderId: 'ops-2' })).toContain('NO_TRUSTED_PRICE');
    session.close();
  });
});

describe('the kill-switch in Redis, flipped by another client while a replay runs', () => {
  it('soft kill: only reducing orders; hard kill: flat within one bar, no proposals; resume: trading again', async () => {
    const prefix = `bulwark:test:${randomUUID()}:`;
    const sessionStore = new RedisStateStore({ url: testRedisUrl(), keyPrefix: prefix, clock: systemClock });
    const operatorStore = new RedisStateStore({ url: testRedisUrl(), keyPrefix: prefix, clock: systemClock });
    await sessionStore.connect();
    await operatorStore.connect();
    // A fresh store has no restored epoch and fails closed; the operator restores it (empty: nothing killed yet).
    await restoreTradingStates(operatorStore, { fromLog: [], actor: 'operator:ops', reason: 'new test store', source: 'test', clock: systemClock, audit: new MemoryAuditSink() });
    await waitFor(() => sessionStore.epoch()?.restored === true);
    const { feed } = await openFeed(`synth:regime:seed=11,bars=400,startTimeMs=2024-01-01,intervalMs=3600000,speed=max`);
    const rows: DecisionRow[] = [];
    const flips: Record<number, ReturnType<typeof operatorChange>> = {
      100: operatorChange('global', 'REDUCING', 'ops', 'soft'),
      200: operatorChange('global', 'HALTED', 'ops', 'hard'),
      300: operatorChange('global', 'ACTIVE', 'ops', 'resume'),
    };
    let pending: Promise<unknown> = Promise.resolve();
    const session = PaperSession.open({
      sessionId: 'redis',
      dir: join(dir, 'b'),
      feed,
      instrument: backtestInstrument('SYNTH/USD'),
      agent: createRuleAgent('sma-cross:fast=3,slow=10,size=0.4'),
      initialCash: 10_000,
      audit: new MemoryAuditSink(),
      store: sessionStore,
      onDecision: (r) => {
        rows.push(r);
        const flip = flips[r.seq];
        if (flip !== undefined) {
          // The operator's client writes Redis; the session hears of it through pub/sub: wait until it has.
          pending = operatorStore.set(flip).then(() => waitFor(() => sessionStore.cache.stateOf(flip.scope) === flip.state));
          session.pause(pending);
        }
      },
    });
    await session.run();
    await pending;
    const soft = rows.filter((r) => r.seq > 100 && r.seq <= 200);
    expect(soft.every((r) => r.state === 'REDUCING')).toBe(true);
    for (const r of soft.filter((x) => x.outcome === 'SUBMITTED')) expect(Math.abs(r.positionQty + r.signedQty)).toBeLessThanOrEqual(Math.abs(r.positionQty));
    const hard = rows.filter((r) => r.seq > 200 && r.seq <= 300);
    expect(hard.every((r) => r.outcome === 'HALTED')).toBe(true);
    expect(hard.slice(1).every((r) => r.positionQty === 0)).toBe(true);
    const resumed = rows.filter((r) => r.seq > 300);
    expect(resumed.every((r) => r.state === 'ACTIVE')).toBe(true);
    expect(resumed.some((r) => r.outcome === 'SUBMITTED')).toBe(true);
    session.close();
    await operatorStore.deleteAll();
    await sessionStore.close();
    await operatorStore.close();
  });
});

describe('--redis on start', () => {
  it('a healthy store is followed as it is (a soft kill made while the session was down holds); a wiped one fails closed and says so', async () => {
    const prefix = `bulwark:test:${randomUUID()}:`;
    const operatorStore = new RedisStateStore({ url: testRedisUrl(), keyPrefix: prefix, clock: systemClock });
    await operatorStore.connect();
    await restoreTradingStates(operatorStore, { fromLog: [], actor: 'operator:ops', reason: 'new test store', source: 'test', clock: systemClock, audit: new MemoryAuditSink() });
    await operatorStore.set(operatorChange('global', 'REDUCING', 'ops', 'soft kill while the node was down'));
    const run = async (name: string): Promise<{ rows: DecisionRow[]; problem: string | null }> => {
      const store = new RedisStateStore({ url: testRedisUrl(), keyPrefix: prefix, clock: systemClock });
      await store.connect();
      const { feed } = await openFeed(`synth:regime:seed=11,bars=120,startTimeMs=2024-01-01,intervalMs=3600000,speed=max`);
      const rows: DecisionRow[] = [];
      const session = PaperSession.open({
        sessionId: name,
        dir: join(dir, name),
        feed,
        instrument: backtestInstrument('SYNTH/USD'),
        agent: createRuleAgent('sma-cross:fast=3,slow=10,size=0.4'),
        initialCash: 10_000,
        audit: new MemoryAuditSink(),
        store,
        onDecision: (r) => rows.push(r),
      });
      const problem = session.storeProblem();
      await session.run();
      session.close();
      await store.close();
      return { rows, problem };
    };
    const healthy = await run('healthy');
    expect(healthy.problem).toBeNull();
    expect(healthy.rows.every((r) => r.state === 'REDUCING')).toBe(true);
    expect(healthy.rows.some((r) => r.outcome === 'SUBMITTED')).toBe(false); // flat, so nothing reduces

    await operatorStore.deleteAll(); // wiped: no epoch, no states
    const wiped = await run('wiped');
    expect(wiped.problem).toMatch(/UNKNOWN.*bulwark kill restore/);
    const proposals = wiped.rows.filter((r) => r.outcome !== 'NO_ORDER');
    expect(proposals.length).toBeGreaterThan(0);
    expect(proposals.every((r) => r.outcome === 'DENIED')).toBe(true);
    await operatorStore.close();
  });
});

async function waitFor(ok: () => boolean): Promise<void> {
  for (let i = 0; i < 200 && !ok(); i++) await new Promise((r) => setTimeout(r, 5));
  if (!ok()) throw new Error('the flip did not reach the session within 1 s');
}
