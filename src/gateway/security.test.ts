/**
 * Every security case of issue 13, through `fastify.inject`: each request gets its 4xx with its reason code
 * in the one error shape, and leaves a GATEWAY_REQUEST_REFUSED record in the audit log.
 */
import { generateKeyPairSync } from 'node:crypto';
import { SignJWT, UnsecuredJWT } from 'jose';
import { afterEach, describe, expect, it } from 'vitest';
import { TOKEN_AUDIENCE, TOKEN_ISSUERS } from '../security/index.js';
import { type GatewayFixture, SYMBOL, gatewayFixture } from './test-helpers/fixture.js';

const fixtures: GatewayFixture[] = [];
afterEach(async () => {
  for (const f of fixtures.splice(0)) await f.service.close();
});

async function setup(options: Parameters<typeof gatewayFixture>[0] = {}): Promise<GatewayFixture> {
  const f = await gatewayFixture(options);
  fixtures.push(f);
  return f;
}

const order = (over: Record<string, unknown> = {}) => ({ symbol: SYMBOL, side: 'BUY', quantity: 1, type: 'MARKET', clientOrderId: `c-${Math.random().toString(36).slice(2)}`, ...over });

interface Sent {
  status: number;
  body: { statusCode?: number; code?: string; message?: string; reasons?: { code: string; message: string }[]; retryAfterMs?: number; outcome?: string };
  headers: Record<string, unknown>;
}

async function post(f: GatewayFixture, url: string, token: string | undefined, payload: unknown, headers: Record<string, string> = {}): Promise<Sent> {
  const res = await f.app.inject({
    method: 'POST',
    url,
    headers: { ...(token !== undefined ? { authorization: `Bearer ${token}` } : {}), 'content-type': 'application/json', ...headers },
    payload: typeof payload === 'string' ? payload : JSON.stringify(payload),
  });
  return { status: res.statusCode, body: res.json(), headers: res.headers };
}

function expectRefusal(f: GatewayFixture, sent: Sent, status: number, code: string): void {
  expect({ status: sent.status, code: sent.body.code }).toEqual({ status, code });
  expect(sent.body.statusCode).toBe(status);
  expect(typeof sent.body.message).toBe('string');
  const last = f.audit.memory.events.filter((e) => e.type === 'GATEWAY_REQUEST_REFUSED').at(-1);
  expect(last?.payload).toMatchObject({ status, code });
}

const T = () => Math.floor(Date.now() / 1000);

describe('gateway security', () => {
  it('no_token_is_401_TOKEN_MISSING_and_audited_as_anonymous', async () => {
    const f = await setup();
    const sent = await post(f, '/v1/orders', undefined, order());
    expectRefusal(f, sent, 401, 'TOKEN_MISSING');
    expect(f.audit.memory.events.at(-1)?.actor).toBe('anonymous');
  });

  it('expired_token_is_401_TOKEN_EXPIRED', async () => {
    const f = await setup();
    const expired = await new SignJWT({ role: 'agent', tools: ['orders.submit'], symbols: [SYMBOL], notional_cap: 1000, mode: 'paper' })
      .setProtectedHeader({ alg: 'EdDSA' })
      .setIssuer(TOKEN_ISSUERS.agent)
      .setAudience(TOKEN_AUDIENCE)
      .setSubject('alpha')
      .setJti('old')
      .setIssuedAt(T() - 600)
      .setExpirationTime(T() - 300)
      .sign(f.keys.agent.privateKey);
    expectRefusal(f, await post(f, '/v1/orders', expired, order()), 401, 'TOKEN_EXPIRED');
  });

  it('not_yet_valid_token_is_401_TOKEN_NOT_YET_VALID', async () => {
    const f = await setup();
    const token = await f.agentToken({ notBeforeMs: Date.now() + 120_000 });
    expectRefusal(f, await post(f, '/v1/orders', token, order()), 401, 'TOKEN_NOT_YET_VALID');
  });

  it('bad_signature_is_401_TOKEN_BAD_SIGNATURE', async () => {
    const f = await setup();
    const token = await f.agentToken();
    const [h, p, sig] = token.split('.');
    const flipped = `${h}.${p}.${sig.startsWith('A') ? `B${sig.slice(1)}` : `A${sig.slice(1)}`}`;
    expectRefusal(f, await post(f, '/v1/orders', flipped, order()), 401, 'TOKEN_BAD_SIGNATURE');
    const stranger = generateKeyPairSync('ed25519');
    const forged = await new SignJWT({ role: 'agent', tools: ['orders.submit'], symbols: [SYMBOL], notional_cap: 1000, mode: 'paper' })
      .setProtectedHeader({ alg: 'EdDSA' })
      .setIssuer(TOKEN_ISSUERS.agent)
      .setAudience(TOKEN_AUDIENCE)
      .setSubject('alpha')
      .setJti('forged')
      .setIssuedAt(T())
      .setExpirationTime(T() + 60)
      .sign(stranger.privateKey);
    expectRefusal(f, await post(f, '/v1/orders', forged, order()), 401, 'TOKEN_BAD_SIGNATURE');
  });

  it('alg_none_is_401_TOKEN_ALG_NOT_ALLOWED', async () => {
    const f = await setup();
    const none = new UnsecuredJWT({ role: 'agent', tools: ['orders.submit'], symbols: [SYMBOL], notional_cap: 1000, mode: 'paper' })
      .setIssuer(TOKEN_ISSUERS.agent)
      .setAudience(TOKEN_AUDIENCE)
      .setSubject('alpha')
      .setJti('none')
      .setIssuedAt(T())
      .setExpirationTime(T() + 60)
      .encode();
    expectRefusal(f, await post(f, '/v1/orders', none, order()), 401, 'TOKEN_ALG_NOT_ALLOWED');
  });

  it('wrong_issuer_is_401_TOKEN_WRONG_ISSUER', async () => {
    const f = await setup();
    const token = await new SignJWT({ role: 'agent', tools: ['orders.submit'], symbols: [SYMBOL], notional_cap: 1000, mode: 'paper' })
      .setProtectedHeader({ alg: 'EdDSA' })
      .setIssuer('https://elsewhere.example')
      .setAudience(TOKEN_AUDIENCE)
      .setSubject('alpha')
      .setJti('elsewhere')
      .setIssuedAt(T())
      .setExpirationTime(T() + 60)
      .sign(f.keys.agent.privateKey);
    expectRefusal(f, await post(f, '/v1/orders', token, order()), 401, 'TOKEN_WRONG_ISSUER');
  });

  it('revoked_token_is_401_TOKEN_REVOKED_after_the_ops_revoke_route', async () => {
    const f = await setup();
    const token = await f.agentToken();
    expect((await post(f, '/v1/orders', token, order())).status).toBe(200);
    const jti = (await f.service.verifier.verify(token)).jti;
    const revoke = await post(f, '/v1/ops/tokens/revoke', await f.opsToken(), { jti });
    expect(revoke.status).toBe(200);
    expectRefusal(f, await post(f, '/v1/orders', token, order()), 401, 'TOKEN_REVOKED');
    expect(f.audit.memory.events.some((e) => e.type === 'TOKEN_REVOKED' && e.payload.jti === jti)).toBe(true);
  });

  it('agent_token_on_an_ops_route_is_403_ROLE_FORBIDDEN_and_changes_nothing', async () => {
    const f = await setup();
    const sent = await post(f, '/v1/ops/kill', await f.agentToken(), { scope: 'global', mode: 'hard', reason: 'agent tries' });
    expectRefusal(f, sent, 403, 'ROLE_FORBIDDEN');
    expect(f.store.cache.stateOf('global')).toBe('ACTIVE');
  });

  it('ops_token_on_an_agent_route_is_403_ROLE_FORBIDDEN', async () => {
    const f = await setup();
    expectRefusal(f, await post(f, '/v1/orders', await f.opsToken(), order()), 403, 'ROLE_FORBIDDEN');
  });

  it('symbol_not_in_the_token_is_403_SYMBOL_NOT_GRANTED', async () => {
    const f = await setup();
    const token = await f.agentToken({ symbols: ['ETH/USDT'] });
    expectRefusal(f, await post(f, '/v1/orders', token, order()), 403, 'SYMBOL_NOT_GRANTED');
  });

  it('tool_not_in_the_token_is_403_TOOL_NOT_GRANTED', async () => {
    const f = await setup();
    const token = await f.agentToken({ tools: ['positions.read'] });
    expectRefusal(f, await post(f, '/v1/orders', token, order()), 403, 'TOOL_NOT_GRANTED');
  });

  it('notional_over_the_cap_is_403_NOTIONAL_CAP_EXCEEDED_for_orders_and_decisions', async () => {
    const f = await setup();
    const token = await f.agentToken({ notionalCap: 250 });
    expectRefusal(f, await post(f, '/v1/orders', token, order({ quantity: 3 })), 403, 'NOTIONAL_CAP_EXCEEDED');
    // BUY_SMALL sizes 5 % of 10,000 = 500 of notional: over the 250 cap.
    expectRefusal(f, await post(f, '/v1/decisions', token, { symbol: SYMBOL, action: 1 }), 403, 'NOTIONAL_CAP_EXCEEDED');
    expect(f.desk.openOrders('alpha')).toEqual([]);
  });

  it('a_body_naming_another_agent_is_403_AGENT_MISMATCH', async () => {
    const f = await setup();
    expectRefusal(f, await post(f, '/v1/orders', await f.agentToken(), order({ agentId: 'beta' })), 403, 'AGENT_MISMATCH');
  });

  it('a_paper_token_on_a_live_gateway_is_403_MODE_MISMATCH', async () => {
    const f = await setup();
    const token = await f.agentToken({ mode: 'live' });
    expectRefusal(f, await post(f, '/v1/orders', token, order()), 403, 'MODE_MISMATCH');
  });

  it('body_too_large_is_413_BODY_TOO_LARGE', async () => {
    const f = await setup();
    const sent = await post(f, '/v1/orders', await f.agentToken(), order({ clientOrderId: 'x', pad: 'y'.repeat(40_000) }));
    expectRefusal(f, sent, 413, 'BODY_TOO_LARGE');
  });

  it('unknown_field_is_400_VALIDATION_FAILED_naming_it', async () => {
    const f = await setup();
    const sent = await post(f, '/v1/orders', await f.agentToken(), order({ leverage: 100 }));
    expectRefusal(f, sent, 400, 'VALIDATION_FAILED');
    expect(sent.body.message).toContain("'leverage'");
  });

  it('NaN_negative_zero_or_huge_quantity_and_a_string_quantity_are_400', async () => {
    const f = await setup();
    const token = await f.agentToken();
    const nanBody = `{"symbol":"${SYMBOL}","side":"BUY","quantity":NaN,"type":"MARKET","clientOrderId":"n1"}`;
    expectRefusal(f, await post(f, '/v1/orders', token, nanBody), 400, 'MALFORMED_JSON');
    for (const quantity of [-1, 0, 1e300, '5']) {
      const sent = await post(f, '/v1/orders', token, order({ quantity }));
      expectRefusal(f, sent, 400, 'VALIDATION_FAILED');
      expect(sent.body.message).toMatch(/quantity/);
    }
  });

  it('a_replayed_client_order_id_is_409_DUPLICATE_ORDER', async () => {
    const f = await setup();
    const token = await f.agentToken();
    expect((await post(f, '/v1/orders', token, order({ clientOrderId: 'once' }))).body.outcome).toBe('SUBMITTED');
    const again = await post(f, '/v1/orders', token, order({ clientOrderId: 'once' }));
    expectRefusal(f, again, 409, 'DUPLICATE_ORDER');
  });

  it('an_order_the_rules_mask_is_422_with_the_rule_id', async () => {
    const f = await setup();
    const sent = await post(f, '/v1/orders', await f.agentToken({ notionalCap: 1e9 }), order({ quantity: 80 }));
    expectRefusal(f, sent, 422, 'MAX_POSITION_PCT');
    expect(sent.body.reasons?.map((r) => r.code)).toEqual(['MAX_POSITION_PCT']);
  });

  it('a_refused_request_never_echoes_the_token_in_its_error_or_audit_record', async () => {
    const f = await setup();
    const token = await f.agentToken({ tools: ['positions.read'] });
    const sent = await post(f, '/v1/orders', token, order());
    expect(JSON.stringify(sent.body)).not.toContain(token.split('.')[2]);
    expect(JSON.stringify(f.audit.memory.events)).not.toContain(token.split('.')[2]);
  });

  it('rate_limit_per_token_is_429_with_retry_hint_and_the_ops_kill_still_answers', async () => {
    const f = await setup({ rateLimit: { max: 3, timeWindowMs: 60_000 } });
    const token = await f.agentToken();
    for (let i = 0; i < 3; i++) expect((await post(f, '/v1/orders', token, order())).status).toBe(200);
    const limited = await post(f, '/v1/orders', token, order());
    expectRefusal(f, limited, 429, 'RATE_LIMITED');
    expect(limited.body.retryAfterMs).toBeGreaterThan(0);
    expect(Number(limited.headers['retry-after'])).toBeGreaterThan(0);
    // Another token has its own budget.
    expect((await post(f, '/v1/orders', await f.agentToken({ subject: 'beta' }), order())).status).toBe(200);
    const ops = await f.opsToken();
    for (let i = 0; i < 6; i++) {
      const kill = await post(f, '/v1/ops/kill', ops, { scope: `agent:a${i}`, mode: 'soft', reason: `drill ${i}` });
      expect(kill.status).toBe(200);
    }
  });

  it('unknown_route_is_404_NOT_FOUND_and_text_plain_is_415', async () => {
    const f = await setup();
    const res = await f.app.inject({ method: 'GET', url: '/v1/nothing' });
    expect(res.statusCode).toBe(404);
    expect(res.json()).toMatchObject({ code: 'NOT_FOUND' });
    const text = await post(f, '/v1/orders', await f.agentToken(), 'hello', { 'content-type': 'text/plain' });
    expectRefusal(f, text, 415, 'UNSUPPORTED_MEDIA_TYPE');
  });
});
