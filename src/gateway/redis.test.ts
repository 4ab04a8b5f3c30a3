/**
 * Gateways sharing Redis (the private test Redis, never 6379): rate limits counted in the store across
 * instances (and what happens when their Redis is not up yet or dies), a revoked jti refused by another
 * instance within 1 s, and a store that dies: not ready and every order refused. Plus the token's mode
 * against the gateway's.
 */
import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterEach, describe, expect, it } from 'vitest';
import { systemClock } from '../core/index.js';
import { RedisStateStore, restoreTradingStates } from '../risk-gatekeeper/index.js';
import { MemoryAuditSink, RedisRevocationList } from '../security/index.js';
import { startRedisServer, testRedisUrl } from '../test-support/redis-server.js';
import { type FixtureOptions, SYMBOL, gatewayFixture } from './test-helpers/fixture.js';

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

interface RedisBackedOptions {
  /** Where the rate-limit counters live (default: the same server). */
  readonly countersUrl?: string;
  /**
   * Freshness limits of the state store and revocation list. Specs that are not about freshness raise them,
   * so a loaded machine's event-loop stall cannot turn the store STALE (and every order 503) mid-spec.
   */
  readonly maxAgeMs?: number;
  /** Leave the counters' client unconnected (the spec connects it). */
  readonly countersUnconnected?: boolean;
}

async function redisBacked(url: string, prefix: string, options: RedisBackedOptions = {}) {
  const store = new RedisStateStore({ url, keyPrefix: `${prefix}ks:`, clock: systemClock, maxStateAgeMs: options.maxAgeMs });
  const revocations = new RedisRevocationList({ url, keyPrefix: `${prefix}tokens:`, clock: systemClock, maxAgeMs: options.maxAgeMs });
  await store.connect();
  await revocations.connect();
  if (store.epoch()?.restored !== true) {
    await restoreTradingStates(store, { fromLog: [], actor: 'system', reason: 'spec start', source: 'none', clock: systemClock, audit: new MemoryAuditSink() });
  }
  // As run-gateway.ts makes it: no offline queue, so a command before 'ready' fails; connected before use.
  const rateLimitRedis = new Redis(options.countersUrl ?? url, { lazyConnect: true, enableOfflineQueue: false, maxRetriesPerRequest: 0, retryStrategy: () => 50 });
  rateLimitRedis.on('error', () => undefined);
  if (options.countersUnconnected !== true) await rateLimitRedis.connect();
  cleanups.push(async () => {
    rateLimitRedis.disconnect();
    await store.close();
    await revocations.close();
  });
  return { store, revocations, rateLimitRedis };
}

async function gateway(options: FixtureOptions) {
  const f = await gatewayFixture(options);
  cleanups.push(() => f.service.close());
  return f;
}

const order = (id: string) => ({ symbol: SYMBOL, side: 'BUY', quantity: 1, type: 'MARKET', clientOrderId: id });

async function post(f: Awaited<ReturnType<typeof gateway>>, url: string, token: string, body: unknown) {
  const res = await f.app.inject({ method: 'POST', url, headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, payload: JSON.stringify(body) });
  return { status: res.statusCode, body: res.json(), headers: res.headers };
}

describe('gateways on Redis', () => {
  it('rate_limits_are_counted_in_redis_across_two_gateways_with_a_retry_hint', async () => {
    const prefix = `gw-rl-${randomUUID()}:`;
    const limits = { rateLimit: { max: 3, timeWindowMs: 600_000 } };
    const a = await gateway({ ...(await redisBacked(testRedisUrl(), prefix, { maxAgeMs: 60_000 })), ...limits });
    const b = await gateway({ ...(await redisBacked(testRedisUrl(), prefix, { maxAgeMs: 60_000 })), ...limits, keys: a.keys });
    const token = await a.agentToken();
    // Alternating gateways: each sees the count the other left.
    for (const [f, id, remaining] of [[a, 'r1', 2], [b, 'r2', 1], [a, 'r3', 0]] as const) {
      const res = await post(f, '/v1/orders', token, order(id));
      expect(res, JSON.stringify(res.body)).toMatchObject({ status: 200 });
      expect(res.headers['x-ratelimit-remaining'], id).toBe(String(remaining));
    }
    // The fourth request of the token goes to the other gateway: the shared counter refuses it.
    const limited = await post(b, '/v1/orders', token, order('r4'));
    expect(limited.status, JSON.stringify(limited.body)).toBe(429);
    expect(limited.body).toMatchObject({ code: 'RATE_LIMITED' });
    expect(limited.body.retryAfterMs).toBeGreaterThan(0);
    expect(limited.body.retryAfterMs).toBeLessThanOrEqual(600_000);
    expect(Number(limited.headers['retry-after'])).toBeGreaterThan(0);
    // Refused before the chain: b's desk never saw r4.
    expect(b.desk.openOrders('alpha').map((o) => o.clientOrderId)).toEqual(['r2']);
    // Another token has its own budget; the kill route is never limited.
    const other = await post(b, '/v1/orders', await a.agentToken(), order('r5'));
    expect(other, JSON.stringify(other.body)).toMatchObject({ status: 200 });
    const ops = await a.opsToken();
    for (let i = 0; i < 5; i++) {
      const kill = await post(b, '/v1/ops/kill', ops, { scope: 'agent:nobody', mode: 'soft', reason: `drill ${i}` });
      expect(kill, JSON.stringify(kill.body)).toMatchObject({ status: 200 });
    }
  });

  it('before_the_counters_connection_is_ready_the_gateway_is_not_ready_and_orders_are_503_not_500_then_it_serves', async () => {
    const backed = await redisBacked(testRedisUrl(), `gw-rl-start-${randomUUID()}:`, { maxAgeMs: 60_000, countersUnconnected: true });
    const f = await gateway({ ...backed, rateLimit: { max: 100, timeWindowMs: 600_000 } });
    const token = await f.agentToken();
    const notReady = await f.app.inject({ url: '/readyz' });
    expect(notReady.statusCode).toBe(503);
    expect(notReady.json().status).toMatch(/rate-limit counters/);
    const early = await post(f, '/v1/orders', token, order('s1'));
    expect(early.status, JSON.stringify(early.body)).toBe(503);
    expect(early.body).toMatchObject({ code: 'RATE_LIMIT_UNAVAILABLE' });
    expect(early.body.message).toMatch(/connection wait/);
    expect(f.desk.openOrders('alpha')).toEqual([]);
    await backed.rateLimitRedis.connect();
    expect((await f.app.inject({ url: '/readyz' })).statusCode).toBe(200);
    const res = await post(f, '/v1/orders', token, order('s2'));
    expect(res, JSON.stringify(res.body)).toMatchObject({ status: 200 });
  });

  it('when_the_counters_redis_dies_orders_are_refused_503_readyz_says_why_and_ops_still_answer', async () => {
    const counters = await startRedisServer();
    cleanups.push(() => counters.stop());
    const backed = await redisBacked(testRedisUrl(), `gw-rl-dead-${randomUUID()}:`, { maxAgeMs: 60_000, countersUrl: counters.url });
    const f = await gateway({ ...backed, rateLimit: { max: 100, timeWindowMs: 600_000 } });
    const token = await f.agentToken();
    expect((await post(f, '/v1/orders', token, order('d1'))).status).toBe(200);
    await counters.kill();
    const deadline = Date.now() + 10_000;
    while (backed.rateLimitRedis.status === 'ready' && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    const ready = await f.app.inject({ url: '/readyz' });
    expect(ready.statusCode).toBe(503);
    expect(ready.json().status).toMatch(/rate-limit counters/);
    for (const [i, route] of ['/v1/orders', '/v1/decisions'].entries()) {
      const res = await post(f, route, token, route === '/v1/orders' ? order(`d2-${i}`) : { symbol: SYMBOL, action: 1 });
      expect(res.status, JSON.stringify(res.body)).toBe(503);
      expect(res.body.code).toBe('RATE_LIMIT_UNAVAILABLE');
    }
    expect(f.desk.openOrders('alpha').map((o) => o.clientOrderId)).toEqual(['d1']);
    // Ops are not locked out: status reads, and the kill (never counted) flips the state store.
    const ops = await f.opsToken();
    const status = await f.app.inject({ url: '/v1/ops/status', headers: { authorization: `Bearer ${ops}` } });
    expect(status.statusCode, status.body).toBe(200);
    const kill = await post(f, '/v1/ops/kill', ops, { scope: 'agent:alpha', mode: 'hard', reason: 'counters down' });
    expect(kill, JSON.stringify(kill.body)).toMatchObject({ status: 200 });
    // Counters back: the token trades again only as the kill allows.
    await counters.start();
    const back = Date.now() + 10_000;
    while (backed.rateLimitRedis.status !== 'ready' && Date.now() < back) await new Promise((r) => setTimeout(r, 20));
    const after = await post(f, '/v1/orders', token, order('d3'));
    expect(after.status, JSON.stringify(after.body)).toBe(422);
    expect(after.body.code).toBe('TRADING_HALTED');
  });

  it('a_jti_revoked_on_one_gateway_is_refused_by_another_within_one_second', async () => {
    const prefix = `gw-rev-${randomUUID()}:`;
    const a = await gateway(await redisBacked(testRedisUrl(), prefix));
    const b = await gateway({ ...(await redisBacked(testRedisUrl(), prefix)), keys: a.keys });
    const token = await a.agentToken();
    const first = await post(b, '/v1/orders', token, order('v1'));
    expect(first, JSON.stringify(first.body)).toMatchObject({ status: 200 }); // verified and cached on b
    const jti = JSON.parse(Buffer.from(token.split('.')[1], 'base64url').toString()).jti as string;
    const revoked = await post(a, '/v1/ops/tokens/revoke', await a.opsToken(), { jti });
    expect(revoked).toMatchObject({ status: 200, body: { revoked: true, jti } });
    const since = Date.now();
    let refused: { status: number; body: { code: string } } | undefined;
    for (let i = 0; Date.now() - since < 1000; i++) {
      const res = await post(b, '/v1/orders', token, order(`v2-${i}`));
      if (res.status === 401) {
        refused = res;
        break;
      }
      await new Promise((r) => setTimeout(r, 20));
    }
    expect(refused?.body.code).toBe('TOKEN_REVOKED');
    expect(Date.now() - since).toBeLessThan(1000);
  });

  it('when_redis_dies_readyz_is_503_and_every_order_is_refused_503', async () => {
    const server = await startRedisServer();
    cleanups.push(() => server.stop());
    const f = await gateway(await redisBacked(server.url, `gw-dead-${randomUUID()}:`));
    const token = await f.agentToken();
    expect((await f.app.inject({ url: '/readyz' })).statusCode).toBe(200);
    expect((await post(f, '/v1/orders', token, order('k1'))).status).toBe(200);
    await server.kill();
    const deadline = Date.now() + 10_000;
    while ((await f.app.inject({ url: '/readyz' })).statusCode !== 503 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    const ready = await f.app.inject({ url: '/readyz' });
    expect(ready.statusCode).toBe(503);
    // Whichever Redis-backed dependency is checked first names the cause: the store, the revocation list or the rate-limit counters.
    expect(ready.json().status).toMatch(/state store|revocation|rate-limit counters/);
    for (const [i, route] of ['/v1/orders', '/v1/decisions'].entries()) {
      const body = route === '/v1/orders' ? order(`k2-${i}`) : { symbol: SYMBOL, action: 1 };
      // Refused at the token check (revocations cannot be read), the rate-limit count or the store check: 503 each way.
      const res = await post(f, route, token, body);
      expect(res.status).toBe(503);
      expect(['REVOCATION_UNAVAILABLE', 'STORE_UNAVAILABLE', 'RATE_LIMIT_UNAVAILABLE']).toContain(res.body.code);
    }
  });

  it('a_token_for_another_mode_is_refused_403_MODE_MISMATCH', async () => {
    const f = await gateway({});
    const live = await f.agentToken({ mode: 'live' });
    expect((await post(f, '/v1/orders', live, order('m1'))).body).toMatchObject({ statusCode: 403, code: 'MODE_MISMATCH' });
  });
});
