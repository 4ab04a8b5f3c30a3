/**
 * Gateways sharing Redis (the private test Redis, never 6379): a revoked jti refused by another instance within 1 s, and a store that dies: not ready and every
 * order refused. Plus the token's mode against the gateway's.
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

async function redisBacked(url: string, prefix: string) {
  const store = new RedisStateStore({ url, keyPrefix: `${prefix}ks:`, clock: systemClock });
  const revocations = new RedisRevocationList({ url, keyPrefix: `${prefix}tokens:`, clock: systemClock });
  await store.connect();
  await revocations.connect();
  if (store.epoch()?.restored !== true) {
    await restoreTradingStates(store, { fromLog: [], actor: 'system', reason: 'spec start', source: 'none', clock: systemClock, audit: new MemoryAuditSink() });
  }
  const rateLimitRedis = new Redis(url, { enableOfflineQueue: false, maxRetriesPerRequest: 0 });
  rateLimitRedis.on('error', () => undefined);
  // Without an offline queue a command sent while connecting fails: start once the connection is up.
  if (rateLimitRedis.status !== 'ready') await new Promise((resolve) => rateLimitRedis.once('ready', resolve));
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
    expect(ready.json().status).toMatch(/state store/);
    for (const [i, route] of ['/v1/orders', '/v1/decisions'].entries()) {
      const body = route === '/v1/orders' ? order(`k2-${i}`) : { symbol: SYMBOL, action: 1 };
      // Refused at the token check (revocations cannot be read) or at the store check: 503 either way.
      const res = await post(f, route, token, body);
      expect(res.status).toBe(503);
      expect(['REVOCATION_UNAVAILABLE', 'STORE_UNAVAILABLE']).toContain(res.body.code);
    }
  });

  it('a_token_for_another_mode_is_refused_403_MODE_MISMATCH', async () => {
    const f = await gateway({});
    const live = await f.agentToken({ mode: 'live' });
    expect((await post(f, '/v1/orders', live, order('m1'))).body).toMatchObject({ statusCode: 403, code: 'MODE_MISMATCH' });
  });
});
