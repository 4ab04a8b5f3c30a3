/** The ops API, metrics, health, readiness and the OpenAPI document, through `fastify.inject`. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { systemClock } from '../core/index.js';
import { AuditLog, generateAuditKeyPair, loadPublicKey } from '../security/index.js';
import { fileAuditTrail } from './audit-trail.js';
import { defaultGatewayLogger, REDACT_PATHS } from './app.js';
import { type GatewayFixture, SYMBOL, gatewayFixture, replayBars } from './test-helpers/fixture.js';

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function setup(options: Parameters<typeof gatewayFixture>[0] = {}): Promise<GatewayFixture> {
  const f = await gatewayFixture(options);
  cleanups.push(() => f.service.close());
  return f;
}

async function call(f: GatewayFixture, method: 'GET' | 'POST' | 'DELETE', url: string, token: string, payload?: unknown) {
  const res = await f.app.inject({
    method,
    url,
    headers: { authorization: `Bearer ${token}`, ...(payload !== undefined ? { 'content-type': 'application/json' } : {}) },
    ...(payload !== undefined ? { payload: JSON.stringify(payload) } : {}),
  });
  return { status: res.statusCode, body: res.json() };
}

describe('ops API', () => {
  it('hard_kill_halts_refuses_the_next_order_with_TRADING_HALTED_and_flattens_at_the_next_bar', async () => {
    const f = await setup();
    const agent = await f.agentToken();
    const ops = await f.opsToken();
    const buy = await call(f, 'POST', '/v1/orders', agent, { symbol: SYMBOL, side: 'BUY', quantity: 10, type: 'MARKET', clientOrderId: 'b1' });
    expect(buy.body.outcome).toBe('SUBMITTED');
    await f.desk.advance();
    expect((await call(f, 'GET', '/v1/positions', agent)).body.items).toEqual([{ symbol: SYMBOL, quantity: 10, price: 100, notional: 1000 }]);
    const kill = await call(f, 'POST', '/v1/ops/kill', ops, { scope: 'global', mode: 'hard', reason: 'drill' });
    expect(kill.status).toBe(200);
    expect(kill.body.record).toMatchObject({ scope: 'global', state: 'HALTED', actor: 'operator:ann', reason: 'drill' });
    const refused = await call(f, 'POST', '/v1/orders', agent, { symbol: SYMBOL, side: 'BUY', quantity: 1, type: 'MARKET', clientOrderId: 'b2' });
    expect(refused.status).toBe(422);
    expect(refused.body.code).toBe('TRADING_HALTED');
    expect(refused.body.message).toContain('global is HALTED by operator:ann: drill');
    await f.desk.advance();
    expect((await call(f, 'GET', '/v1/positions', agent)).body.items[0].quantity).toBe(0);
    const state = await call(f, 'GET', `/v1/state?symbol=${encodeURIComponent(SYMBOL)}`, agent);
    expect(state.body).toMatchObject({ agentId: 'alpha', tradingState: 'HALTED', scopes: { global: 'HALTED' } });
    const types = f.audit.memory.events.map((e) => e.type);
    expect(types).toContain('TRADING_STATE_CHANGE_REQUESTED');
    expect(types).toContain('FLATTEN_ORDER_SUBMITTED');
    expect(f.audit.memory.events.find((e) => e.type === 'GATEWAY_REQUEST' && e.payload.route === '/v1/ops/kill')?.payload).toMatchObject({ operator: 'ann', status: 200 });
  });

  it('soft_kill_on_a_halted_scope_is_409_and_resume_to_reducing_then_active_loosens_step_by_step', async () => {
    const f = await setup();
    const ops = await f.opsToken();
    await call(f, 'POST', '/v1/ops/kill', ops, { scope: 'agent:alpha', mode: 'hard', reason: 'r1' });
    const soft = await call(f, 'POST', '/v1/ops/kill', ops, { scope: 'agent:alpha', mode: 'soft', reason: 'r2' });
    expect(soft).toMatchObject({ status: 409, body: { code: 'KILL_WOULD_LOOSEN' } });
    expect((await call(f, 'POST', '/v1/ops/resume', ops, { scope: 'agent:alpha', to: 'REDUCING', reason: 'r3' })).body.record.state).toBe('REDUCING');
    expect((await call(f, 'POST', '/v1/ops/resume', ops, { scope: 'agent:alpha', reason: 'r4' })).body.record.state).toBe('ACTIVE');
    const status = await call(f, 'GET', '/v1/ops/status', ops);
    expect(status.body).toMatchObject({ global: 'ACTIVE', storeHealth: 'OK', revocationHealth: 'OK', mode: 'paper', symbols: [SYMBOL] });
    expect(status.body.scopes).toEqual([expect.objectContaining({ scope: 'agent:alpha', state: 'ACTIVE', previous: 'REDUCING' })]);
  });

  it('a_bad_scope_is_400_naming_the_scope', async () => {
    const f = await setup();
    const res = await call(f, 'POST', '/v1/ops/kill', await f.opsToken(), { scope: 'planet:mars', mode: 'hard', reason: 'x' });
    expect(res).toMatchObject({ status: 400, body: { code: 'VALIDATION_FAILED' } });
    expect(res.body.message).toMatch(/scope/);
  });

  it('ops_issue_token_mints_an_agent_token_that_trades_and_is_audited', async () => {
    const f = await setup();
    const issued = await call(f, 'POST', '/v1/ops/tokens', await f.opsToken(), { agentId: 'gamma', symbols: [SYMBOL], notionalCap: 2000, ttlSec: 60 });
    expect(issued.status).toBe(200);
    const order = await call(f, 'POST', '/v1/orders', issued.body.token, { symbol: SYMBOL, side: 'BUY', quantity: 1, type: 'MARKET', clientOrderId: 'g1' });
    expect(order.body.outcome).toBe('SUBMITTED');
    const minted = f.audit.memory.events.find((e) => e.type === 'TOKEN_ISSUED');
    expect(minted?.payload).toMatchObject({ jti: issued.body.jti, agentId: 'gamma' });
    expect(JSON.stringify(f.audit.memory.events)).not.toContain(issued.body.token);
  });

  it('drawdown_release_with_no_lock_is_409_NOTHING_TO_RELEASE', async () => {
    const f = await setup();
    const res = await call(f, 'POST', '/v1/ops/drawdown/release', await f.opsToken(), { agentId: 'alpha', reason: 'checked' });
    expect(res).toMatchObject({ status: 409, body: { code: 'NOTHING_TO_RELEASE' } });
  });

  it('a_drawdown_lock_refuses_orders_with_its_reason_until_ops_release_it_agent_tokens_cannot_and_the_release_is_audited', async () => {
    // 100 for two bars, then 70: a book long 45 at 100 loses 45 × 30 = 1,350 of 10,000 (13.5 % > 10 %).
    const bars = replayBars(48);
    for (let i = 2; i < bars.length; i++) bars.open[i] = bars.high[i] = bars.low[i] = bars.close[i] = 70;
    // The gatekeeper's own loss triggers (a REDUCING/HALTED state, not the rules' lock) are set out of the way.
    const f = await setup({
      bars,
      rules: { max_position_pct: 0.5, max_drawdown_pct: 0.1, daily_loss_limit_pct: 1, drawdown_lock_release: 'operator' },
      gatekeeper: { dailyLossLimitPct: 0.5, drawdownHaltPct: 0.5 },
    });
    const agent = await f.agentToken();
    const ops = await f.opsToken();
    const order = (id: string) => ({ symbol: SYMBOL, side: 'BUY', quantity: 1, type: 'MARKET', clientOrderId: id });
    expect((await call(f, 'POST', '/v1/orders', agent, { ...order('dd0'), quantity: 45 })).body.outcome).toBe('SUBMITTED');
    await f.desk.advance(); // filled at 100
    await f.desk.advance(); // marked at 70: the lock engages
    expect(f.desk.balances('alpha')[0].equity).toBeCloseTo(8650, 6);
    const locked = await call(f, 'POST', '/v1/orders', agent, order('dd1'));
    expect(locked.status).toBe(422);
    expect(locked.body.code).toBe('MAX_DRAWDOWN_PCT');
    expect(locked.body.message).toMatch(/MAX_DRAWDOWN_PCT: .*max=0\.1.*drawdown=0\.135/);
    expect(f.audit.memory.events.some((e) => e.type === 'CONSTRAINT_LOCK_ENGAGED' && e.payload.lock === 'DRAWDOWN')).toBe(true);
    // An agent cannot release its own lock: 403, and the lock holds.
    const byAgent = await call(f, 'POST', '/v1/ops/drawdown/release', agent, { agentId: 'alpha', reason: 'let me trade' });
    expect(byAgent).toMatchObject({ status: 403, body: { code: 'ROLE_FORBIDDEN' } });
    expect((await call(f, 'POST', '/v1/orders', agent, order('dd2'))).body.code).toBe('MAX_DRAWDOWN_PCT');
    // A token without the release tool cannot either.
    const noRelease = await f.opsToken({ tools: ['ops.status'] });
    expect((await call(f, 'POST', '/v1/ops/drawdown/release', noRelease, { agentId: 'alpha', reason: 'x' })).body.code).toBe('TOOL_NOT_GRANTED');
    const released = await call(f, 'POST', '/v1/ops/drawdown/release', ops, { agentId: 'alpha', symbol: SYMBOL, reason: 'loss reviewed with risk' });
    expect(released).toMatchObject({ status: 200, body: { released: 1 } });
    const cleared = f.audit.memory.events.find((e) => e.type === 'CONSTRAINT_LOCK_CLEARED');
    expect(cleared).toMatchObject({ actor: 'operator:ann', payload: { lock: 'DRAWDOWN', symbol: SYMBOL } });
    expect(String(cleared?.payload.reason)).toContain('loss reviewed with risk');
    const request = f.audit.memory.events.find((e) => e.type === 'GATEWAY_REQUEST' && e.payload.route === '/v1/ops/drawdown/release');
    expect(request).toMatchObject({ actor: 'operator:ann', payload: { operator: 'ann', status: 200 } });
    expect(typeof request?.payload.jti).toBe('string');
    const refusal = f.audit.memory.events.find((e) => e.type === 'GATEWAY_REQUEST_REFUSED' && e.payload.route === '/v1/ops/drawdown/release' && e.payload.code === 'ROLE_FORBIDDEN');
    expect(refusal).toMatchObject({ actor: 'agent:alpha', payload: { agentId: 'alpha', status: 403 } });
    // The next order passes, and the next bar (still 70, the peak restarted at 8,650) does not re-engage the lock.
    const next = await call(f, 'POST', '/v1/orders', agent, order('dd3'));
    expect(next, JSON.stringify(next.body)).toMatchObject({ status: 200, body: { outcome: 'SUBMITTED' } });
    await f.desk.advance();
    const after = await call(f, 'POST', '/v1/orders', agent, order('dd4'));
    expect(after, JSON.stringify(after.body)).toMatchObject({ status: 200, body: { outcome: 'SUBMITTED' } });
    expect((await call(f, 'POST', '/v1/ops/drawdown/release', ops, { agentId: 'alpha', reason: 'again' })).body.code).toBe('NOTHING_TO_RELEASE');
  });

  it('audit_tail_of_a_signed_file_log_verifies_and_shows_the_last_events', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'bulwark-gw-audit-'));
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
    const pair = generateAuditKeyPair();
    const log = AuditLog.open({ path: join(dir, 'gateway.jsonl'), signingKey: pair.privateKeyPem });
    cleanups.push(() => log.close());
    const f = await setup();
    const trail = fileAuditTrail(log, loadPublicKey(pair.publicKeyPem));
    trail.sink.append('GATEWAY_STARTED', 'system', { mode: 'paper', symbols: ['BTC/USDT'], restoredScopes: 0 });
    trail.sink.append('TOKEN_REVOKED', 'operator:ann', { jti: 'x', expiresAtMs: 1_700_000_000_000 });
    const tail = trail.tail(1);
    expect(tail.verification).toMatchObject({ status: 'OK', events: 2, lastSeq: 2, lastSealedSeq: 2, unsealedEvents: 0 });
    expect(tail.events.map((e) => e.type)).toEqual(['TOKEN_REVOKED']);
    await call(f, 'POST', '/v1/orders', 'not-a-token', { symbol: SYMBOL });
    const viaRoute = await call(f, 'GET', '/v1/ops/audit?limit=5', await f.opsToken());
    expect(viaRoute.body.verification.status).toBe('NOT_VERIFIABLE');
    expect(viaRoute.body.events.length).toBeGreaterThan(0);
  });
});

describe('agent reads', () => {
  it('mask_balances_open_orders_fills_and_cancel_report_the_callers_book', async () => {
    const f = await setup();
    const agent = await f.agentToken();
    const mask = await call(f, 'GET', `/v1/mask?symbol=${encodeURIComponent(SYMBOL)}`, agent);
    expect(mask.body.kind).toBe('discrete');
    expect(mask.body.actions[0]).toEqual({ index: 0, name: 'HOLD', allowed: true, reasons: [] });
    await call(f, 'POST', '/v1/orders', agent, { symbol: SYMBOL, side: 'BUY', quantity: 1, type: 'LIMIT', limitPrice: 97, clientOrderId: 'lim' });
    await call(f, 'POST', '/v1/orders', agent, { symbol: SYMBOL, side: 'BUY', quantity: 2, type: 'MARKET', clientOrderId: 'mkt' });
    await f.desk.advance();
    expect((await call(f, 'GET', '/v1/orders', agent)).body.items).toEqual([
      { clientOrderId: 'lim', symbol: SYMBOL, side: 'BUY', type: 'LIMIT', quantity: 1, remainingQty: 1, limitPrice: 97 },
    ]);
    expect((await call(f, 'GET', '/v1/fills', agent)).body.items).toEqual([expect.objectContaining({ clientOrderId: 'mkt', quantity: 2, price: 100 })]);
    expect((await call(f, 'GET', '/v1/balances', agent)).body.items[0]).toMatchObject({ symbol: SYMBOL, cash: 9800, equity: 10_000 });
    expect((await call(f, 'DELETE', '/v1/orders/lim', agent)).body).toEqual({ cancelled: true, clientOrderId: 'lim' });
    expect((await call(f, 'DELETE', '/v1/orders/lim', agent))).toMatchObject({ status: 404, body: { code: 'ORDER_NOT_FOUND' } });
    // Another agent sees none of it.
    expect((await call(f, 'GET', '/v1/fills', await f.agentToken({ subject: 'beta' }))).body.items).toEqual([]);
  });

  it('a_box_session_takes_targets_and_refuses_discrete_actions', async () => {
    const f = await setup({ actionType: 'box' });
    const agent = await f.agentToken();
    const target = await call(f, 'POST', '/v1/decisions', agent, { symbol: SYMBOL, target: 0.1 });
    expect(target.body).toMatchObject({ outcome: 'SUBMITTED', side: 'BUY', proposedTarget: 0.1 });
    expect((await call(f, 'POST', '/v1/decisions', agent, { symbol: SYMBOL, action: 1 })).body.code).toBe('DECISION_KIND_MISMATCH');
    const mask = await call(f, 'GET', `/v1/mask?symbol=${encodeURIComponent(SYMBOL)}`, agent);
    expect(mask.body.interval.high).toBeCloseTo(0.5, 1);
  });
});

describe('system routes', () => {
  it('healthz_readyz_metrics_openapi_and_docs_answer', async () => {
    const f = await setup();
    expect((await f.app.inject({ url: '/healthz' })).json()).toEqual({ status: 'ok' });
    expect((await f.app.inject({ url: '/readyz' })).statusCode).toBe(200);
    await call(f, 'POST', '/v1/orders', await f.agentToken(), { symbol: SYMBOL, side: 'BUY', quantity: 1, type: 'MARKET', clientOrderId: 'm1' });
    await call(f, 'POST', '/v1/orders', await f.agentToken(), { symbol: SYMBOL, side: 'BUY', quantity: 1, type: 'MARKET', clientOrderId: 'm1' });
    const metrics = (await f.app.inject({ url: '/metrics' })).body;
    expect(metrics).toMatch(/bulwark_gateway_decisions_total\{outcome="SUBMITTED"\} 1/);
    expect(metrics).toMatch(/bulwark_gateway_rejections_total\{reason="DUPLICATE_ORDER"\} 1/);
    expect(metrics).toMatch(/bulwark_trading_state\{scope="global"\} 0/);
    expect(metrics).toMatch(/bulwark_gateway_request_duration_seconds_bucket/);
    const spec = (await f.app.inject({ url: '/openapi.json' })).json();
    expect(spec.openapi).toMatch(/^3\./);
    expect(Object.keys(spec.paths)).toEqual(expect.arrayContaining(['/v1/orders', '/v1/decisions', '/v1/ops/kill', '/v1/ops/audit', '/v1/ops/tokens']));
    expect(spec.paths['/v1/orders'].post.requestBody.content['application/json'].schema.additionalProperties).toBe(false);
    expect((await f.app.inject({ url: '/docs/' })).statusCode).toBe(200);
  });

  it('readyz_is_503_and_every_order_is_refused_when_the_state_store_is_unavailable', async () => {
    const f = await setup();
    const agent = await f.agentToken();
    await f.store.close();
    expect((await f.app.inject({ url: '/readyz' })).statusCode).toBe(503);
    const res = await call(f, 'POST', '/v1/orders', agent, { symbol: SYMBOL, side: 'BUY', quantity: 1, type: 'MARKET', clientOrderId: 'r1' });
    expect(res).toMatchObject({ status: 503, body: { code: 'STORE_UNAVAILABLE' } });
    expect((await call(f, 'POST', '/v1/decisions', agent, { symbol: SYMBOL, action: 1 })).body.code).toBe('STORE_UNAVAILABLE');
  });

  it('logs_redact_the_authorization_header_and_tokens', () => {
    let out = '';
    const sink = new Writable({ write: (chunk: Buffer, _enc, done) => void ((out += chunk.toString()), done()) });
    const logger = pino({ redact: { paths: REDACT_PATHS, censor: '[REDACTED]' } }, sink);
    logger.info({ req: { headers: { authorization: 'Bearer eyJhbGciOi.secret.sig' } }, token: 'eyJ.abc.def' }, 'request');
    expect(out).not.toContain('secret');
    expect(out).not.toContain('eyJ.abc.def');
    expect(out).toContain('[REDACTED]');
    expect(defaultGatewayLogger('silent').level).toBe('silent');
    expect(systemClock.nowMs()).toBeGreaterThan(0);
  });
});
