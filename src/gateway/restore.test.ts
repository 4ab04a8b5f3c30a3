/**
 * The latch survives a restart: a gateway started on the home of one that killed a scope and stopped finds the
 * scope still HALTED (restored from its signed audit log). A log that was edited, cut back or removed restores
 * nothing and the new gateway refuses every order, saying why (fails closed). The SIGKILL variant is in
 * e2e.test.ts.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, truncateSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { systemClock } from '../core/index.js';
import { issueCapabilityToken, loadTokenSigningKey } from '../security/index.js';
import { type RunningGateway, runGateway } from './run-gateway.js';

const SYMBOL = 'BTC/USDT';
const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

function newHome(): string {
  const home = mkdtempSync(join(tmpdir(), 'bulwark-gw-restore-'));
  cleanups.push(() => rmSync(home, { recursive: true, force: true }));
  return home;
}

async function start(home: string): Promise<RunningGateway> {
  const gw = await runGateway({ home, port: 0, replay: false, logger: pino({ level: 'silent' }) });
  let stopped = false;
  cleanups.push(() => (stopped ? undefined : gw.stop()));
  return {
    ...gw,
    stop: async () => {
      stopped = true;
      await gw.stop();
    },
  };
}

async function token(home: string, role: 'agent' | 'ops', subject: string): Promise<string> {
  const request =
    role === 'agent'
      ? { role, subject, tools: ['orders.submit' as const, 'state.read' as const], symbols: [SYMBOL], notionalCap: 1e9, mode: 'paper' as const }
      : { role, subject, tools: ['ops.kill' as const, 'ops.status' as const], symbols: [], mode: 'paper' as const };
  return (await issueCapabilityToken(request, loadTokenSigningKey(home, role), systemClock)).token;
}

async function call(gw: RunningGateway, method: 'GET' | 'POST', url: string, bearer?: string, body?: unknown) {
  const res = await gw.service.app.inject({
    method,
    url,
    headers: { ...(bearer !== undefined ? { authorization: `Bearer ${bearer}` } : {}), ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
    ...(body !== undefined ? { payload: JSON.stringify(body) } : {}),
  });
  return { status: res.statusCode, body: res.json() };
}

const order = (id: string) => ({ symbol: SYMBOL, side: 'BUY', quantity: 0.01, type: 'MARKET', clientOrderId: id });

/** A gateway that hard-kills agent:alpha and stops cleanly; returns the home. */
async function killAndStop(): Promise<{ home: string; auditPath: string }> {
  const home = newHome();
  const gw = await start(home);
  const before = await call(gw, 'POST', '/v1/orders', await token(home, 'agent', 'alpha'), order('a1'));
  expect(before, JSON.stringify(before.body)).toMatchObject({ status: 200 });
  const kill = await call(gw, 'POST', '/v1/ops/kill', await token(home, 'ops', 'ann'), { scope: 'agent:alpha', mode: 'hard', reason: 'drill before restart' });
  expect(kill, JSON.stringify(kill.body)).toMatchObject({ status: 200, body: { record: { state: 'HALTED' } } });
  await gw.stop();
  return { home, auditPath: gw.auditPath };
}

async function expectRefusingEverything(gw: RunningGateway, home: string, why: RegExp): Promise<void> {
  const ready = await call(gw, 'GET', '/readyz');
  expect(ready.status).toBe(503);
  expect(ready.body.status).toMatch(why);
  for (const agent of ['alpha', 'beta']) {
    const res = await call(gw, 'POST', '/v1/orders', await token(home, 'agent', agent), order(`x-${agent}`));
    expect(res.status, JSON.stringify(res.body)).toBe(503);
    expect(res.body.code).toBe('AUDIT_LOG_UNVERIFIED');
    expect(res.body.message).toMatch(why);
  }
  expect(gw.desk.openOrders('beta')).toEqual([]);
  // Ops can still look (and kill): the gateway is up, only orders are refused.
  expect((await call(gw, 'GET', '/v1/ops/status', await token(home, 'ops', 'ann'))).status).toBe(200);
}

describe('gateway restore on start', () => {
  it('a_scope_killed_before_a_stop_is_still_HALTED_on_the_next_gateway_on_the_same_home', async () => {
    const { home } = await killAndStop();
    const gw = await start(home);
    expect((await call(gw, 'GET', '/readyz')).status).toBe(200);
    const status = await call(gw, 'GET', '/v1/ops/status', await token(home, 'ops', 'ann'));
    expect(status.body.scopes).toEqual([expect.objectContaining({ scope: 'agent:alpha', state: 'HALTED', actor: 'operator:ann', reason: 'drill before restart' })]);
    const refused = await call(gw, 'POST', '/v1/orders', await token(home, 'agent', 'alpha'), order('a2'));
    expect(refused.status).toBe(422);
    expect(refused.body.code).toBe('TRADING_HALTED');
    expect(refused.body.message).toContain('agent:alpha is HALTED by operator:ann: drill before restart');
    // Only that scope: another agent trades.
    expect((await call(gw, 'POST', '/v1/orders', await token(home, 'agent', 'beta'), order('b1'))).status).toBe(200);
    await gw.stop();
    // And again: the restore itself is in the log, so a third start still has it.
    const third = await start(home);
    expect((await call(third, 'POST', '/v1/orders', await token(home, 'agent', 'alpha'), order('a3'))).body.code).toBe('TRADING_HALTED');
  });

  it('an_edited_log_restores_nothing_and_every_order_is_refused_with_the_reason', async () => {
    const { home, auditPath } = await killAndStop();
    const text = readFileSync(auditPath, 'utf8');
    expect(text).toContain('drill before restart');
    // Same length, still JSON: only the hash chain can tell.
    writeFileSync(auditPath, text.replaceAll('drill before restart', 'drill before restarT'));
    const gw = await start(home);
    await expectRefusingEverything(gw, home, /does not verify at seq \d+/);
  });

  it('a_log_cut_back_at_a_line_boundary_before_the_kill_is_caught_by_its_witness', async () => {
    const { home, auditPath } = await killAndStop();
    const text = readFileSync(auditPath, 'utf8');
    // Everything from the kill request on is cut: what is left is a sound chain, as if the kill never happened.
    const lineStart = text.lastIndexOf('\n', text.indexOf('TRADING_STATE_CHANGE_REQUESTED')) + 1;
    expect(lineStart).toBeGreaterThan(0);
    truncateSync(auditPath, Buffer.byteLength(text.slice(0, lineStart)));
    expect(readFileSync(auditPath, 'utf8')).not.toContain('drill before restart');
    const gw = await start(home);
    await expectRefusingEverything(gw, home, /witness/);
  });

  it('a_removed_log_with_a_witness_left_is_refused_too', async () => {
    const { home, auditPath } = await killAndStop();
    unlinkSync(auditPath);
    const gw = await start(home);
    await expectRefusingEverything(gw, home, /missing or empty/);
  });

  it('a_log_cut_inside_its_first_line_with_a_witness_left_is_refused_too', async () => {
    const { home, auditPath } = await killAndStop();
    // A torn first line reads as a crash during the first write: no sound event, so no log id to find the witness by.
    truncateSync(auditPath, 10);
    const gw = await start(home);
    await expectRefusingEverything(gw, home, /no sound event/);
  });

  it('a_torn_first_line_on_a_home_without_a_witness_is_a_crash_during_the_first_write_and_the_gateway_trades', async () => {
    const home = newHome();
    mkdirSync(join(home, 'audit'), { recursive: true });
    writeFileSync(join(home, 'audit', 'gateway.jsonl'), '{"kind":"event","seq":1,');
    const gw = await start(home);
    expect((await call(gw, 'GET', '/readyz')).status).toBe(200);
    expect((await call(gw, 'POST', '/v1/orders', await token(home, 'agent', 'alpha'), order('a1'))).status).toBe(200);
  });
});
