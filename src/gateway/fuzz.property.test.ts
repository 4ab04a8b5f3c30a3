/**
 * Random bodies, headers, methods and routes, valid tokens among them: the gateway never answers 5xx
 * (other than 503 for an unavailable store, which cannot happen here), always in the one error shape, and
 * stays up.
 */
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type GatewayFixture, SYMBOL, gatewayFixture } from './test-helpers/fixture.js';

let f: GatewayFixture;
let tokens: string[];
beforeAll(async () => {
  f = await gatewayFixture({ rateLimit: { max: 1_000_000, timeWindowMs: 1000 } });
  tokens = [await f.agentToken(), await f.opsToken(), await f.agentToken({ tools: ['positions.read'], symbols: ['*'] })];
});
afterAll(async () => {
  await f.service.close();
});

const ROUTES = [
  ['POST', '/v1/orders'],
  ['POST', '/v1/decisions'],
  ['DELETE', '/v1/orders/abc'],
  ['GET', '/v1/mask?symbol=BTC%2FUSDT'],
  ['GET', '/v1/positions'],
  ['GET', '/v1/fills?sinceMs=12'],
  ['GET', '/v1/state?symbol=x'],
  ['POST', '/v1/ops/kill'],
  ['POST', '/v1/ops/resume'],
  ['POST', '/v1/ops/tokens'],
  ['POST', '/v1/ops/tokens/revoke'],
  ['POST', '/v1/ops/drawdown/release'],
  ['GET', '/v1/ops/audit?limit=abc'],
  ['PUT', '/v1/orders'],
  ['GET', '/nope/%ff'],
] as const;

const orderish = fc.record(
  {
    symbol: fc.oneof(fc.constant(SYMBOL), fc.string()),
    side: fc.oneof(fc.constantFrom('BUY', 'SELL'), fc.string()),
    quantity: fc.oneof(fc.double(), fc.integer(), fc.string(), fc.constant(null)),
    type: fc.oneof(fc.constantFrom('MARKET', 'LIMIT'), fc.string()),
    limitPrice: fc.double(),
    clientOrderId: fc.oneof(fc.uuid(), fc.string()),
    action: fc.integer({ min: -5, max: 300 }),
    target: fc.double(),
    scope: fc.oneof(fc.constantFrom('global', 'agent:alpha', 'instrument:BTC/USDT'), fc.string()),
    mode: fc.constantFrom('soft', 'hard', 'off'),
    reason: fc.string(),
    agentId: fc.string(),
  },
  { requiredKeys: [] },
);

const body = fc.oneof(
  orderish.map((o) => JSON.stringify(o)),
  fc.jsonValue().map((v) => JSON.stringify(v)),
  fc.string(),
  fc.constant('{"__proto__":{"x":1}}'),
  fc.constant('{"quantity": NaN}'),
);

const headerValue = fc.oneof(fc.string({ maxLength: 40 }).filter((s) => /^[\x20-\x7e]*$/.test(s)), fc.constant('application/json'));

describe('gateway under random requests', () => {
  it('answers_every_random_request_below_500_in_the_one_error_shape_and_stays_up', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(...ROUTES),
        body,
        fc.oneof(fc.constantFrom(...[0, 1, 2]).map((i) => `Bearer ${tokens[i]}`), headerValue),
        fc.oneof(fc.constant('application/json'), headerValue),
        fc.dictionary(fc.constantFrom('x-forwarded-for', 'accept', 'x-agent', 'content-encoding'), headerValue, { maxKeys: 2 }),
        async ([method, url], payload, authorization, contentType, extra) => {
          const res = await f.app.inject({ method, url, payload, headers: { ...extra, authorization, 'content-type': contentType } });
          expect(res.statusCode).toBeLessThan(500);
          if (res.statusCode >= 400) {
            const err = res.json();
            expect(err).toMatchObject({ statusCode: res.statusCode, code: expect.any(String), message: expect.any(String) });
          }
        },
      ),
      { numRuns: 400, seed: 13 },
    );
    expect((await f.app.inject({ url: '/healthz' })).statusCode).toBe(200);
  });
});
