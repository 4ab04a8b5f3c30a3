/**
 * End to end, over real processes and sockets: `bulwark gateway` in one process in front of a paper session on
 * a replayed CSV feed, an agent in another process trading through it with `fetch`, ops killing it through the
 * ops API. And the durability promise: a crash (SIGKILL) loses no order the gateway acknowledged.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { systemClock } from '../core/index.js';
import { issueCapabilityToken, loadPublicKey, loadTokenSigningKey, readAuditEvents, verifyAuditLog } from '../security/index.js';
import { runGateway } from './run-gateway.js';
import { type SpawnedGateway, spawnGateway } from './test-helpers/spawn-gateway.js';

const SYMBOL = 'BTC/USDT';
const HOUR_MS = 3_600_000;
const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

/** A home and a config: one market replaying a flat hourly CSV, one bar every `replayBarMs` of wall time. */
function setupHome(replayBarMs: number): { home: string; config: string } {
  const home = mkdtempSync(join(tmpdir(), 'bulwark-gw-e2e-'));
  cleanups.push(() => rmSync(home, { recursive: true, force: true }));
  const start = Math.floor(Date.now() / HOUR_MS) * HOUR_MS;
  const rows = Array.from({ length: 3000 }, (_, i) => `${new Date(start + i * HOUR_MS).toISOString()},100,100,100,100,1000000`);
  writeFileSync(join(home, 'feed.csv'), `time,open,high,low,close,volume\n${rows.join('\n')}\n`);
  const config = join(home, 'gateway.yaml');
  writeFileSync(
    config,
    [
      'mode: paper',
      `replayBarMs: ${replayBarMs}`,
      'initialCash: 100000',
      'markets:',
      `  - { symbol: "${SYMBOL}", tickSize: 0.01, lotSize: 0.001, csv: feed.csv }`,
      'rules: { max_position_pct: 0.9 }',
      'gatekeeper: { maxOrdersPerSec: 10000, maxOrdersPerMin: 1000000, circuitBreakerActionsPerMin: 1000000 }',
      'fill: { spreadBps: 0, slippageBps: 0, impactBps: 0, makerFeeBps: 0, takerFeeBps: 0 }',
      'rateLimit: { max: 100000, timeWindowMs: 1000 }',
    ].join('\n'),
  );
  return { home, config };
}

async function start(replayBarMs: number): Promise<{ gw: SpawnedGateway; home: string }> {
  const { home, config } = setupHome(replayBarMs);
  const gw = await spawnGateway(home, ['--config', config, '--log-level', 'info']);
  cleanups.push(() => gw.stop());
  return { gw, home };
}

async function agentToken(home: string, tools: string[]): Promise<string> {
  const { token } = await issueCapabilityToken(
    { role: 'agent', subject: 'alpha', tools: tools as never, symbols: [SYMBOL], notionalCap: 50_000, mode: 'paper', ttlSec: 600 },
    loadTokenSigningKey(home, 'agent'),
    systemClock,
  );
  return token;
}

async function opsToken(home: string): Promise<string> {
  const { token } = await issueCapabilityToken(
    { role: 'ops', subject: 'ann', tools: ['ops.kill', 'ops.status', 'ops.audit'], symbols: [], mode: 'paper', ttlSec: 600 },
    loadTokenSigningKey(home, 'ops'),
    systemClock,
  );
  return token;
}

interface ReadBody {
  readonly items?: readonly { readonly quantity: number }[];
  readonly tradingState?: string;
}

async function getJson(url: string, token: string): Promise<{ status: number; body: ReadBody }> {
  const res = await fetch(url, { headers: { authorization: `Bearer ${token}` } });
  return { status: res.status, body: (await res.json()) as ReadBody };
}

async function until<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await probe();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** The agent: a plain Node script with fetch, buying every 50 ms; one JSON line per answer; exits after 5 refusals by a kill. */
const AGENT_SCRIPT = `
const [url, token] = process.argv.slice(2);
let halted = 0;
for (let i = 1; halted < 5 && i < 100000; i++) {
  const res = await fetch(url + '/v1/orders', {
    method: 'POST',
    headers: { authorization: 'Bearer ' + token, 'content-type': 'application/json' },
    body: JSON.stringify({ symbol: 'BTC/USDT', side: 'BUY', quantity: 0.5, type: 'MARKET', clientOrderId: 'e2e-' + i }),
  });
  const body = await res.json();
  if (body.code === 'TRADING_HALTED') halted++;
  console.log(JSON.stringify({ i, status: res.status, code: body.code ?? null, outcome: body.outcome ?? null, message: body.message ?? null }));
  await new Promise((r) => setTimeout(r, 50));
}
`;

describe('gateway end to end', () => {
  it('an_agent_process_trades_through_the_gateway_ops_hard_kill_it_its_next_orders_are_refused_with_the_kills_reason_and_it_ends_flat', async () => {
    const { gw, home } = await start(100);
    const agentDir = mkdtempSync(join(tmpdir(), 'bulwark-gw-agent-'));
    cleanups.push(() => rmSync(agentDir, { recursive: true, force: true }));
    writeFileSync(join(agentDir, 'agent.mjs'), AGENT_SCRIPT);
    const trade = await agentToken(home, ['orders.submit']);
    const read = await agentToken(home, ['positions.read', 'state.read']);

    const lines: { i: number; status: number; code: string | null; outcome: string | null; message: string | null }[] = [];
    const agent = spawn(process.execPath, [join(agentDir, 'agent.mjs'), gw.url, trade], { stdio: ['ignore', 'pipe', 'inherit'] });
    cleanups.push(() => void agent.kill('SIGKILL'));
    let buffered = '';
    agent.stdout.on('data', (chunk: Buffer) => {
      buffered += chunk.toString();
      const parts = buffered.split('\n');
      buffered = parts.pop() ?? '';
      for (const p of parts) if (p.trim() !== '') lines.push(JSON.parse(p));
    });
    const agentExit = new Promise<number | null>((resolve) => agent.once('exit', (code) => resolve(code)));

    // The agent's orders are accepted and fill at the next replayed bar: it holds a position.
    const held = await until('a filled position', async () => {
      const q = (await getJson(`${gw.url}/v1/positions`, read)).body.items?.[0]?.quantity;
      return q !== undefined && q > 0 && lines.filter((l) => l.status === 200).length >= 3 ? q : undefined;
    });
    expect(held).toBeGreaterThan(0);
    expect(lines.filter((l) => l.status === 200).every((l) => l.outcome === 'SUBMITTED')).toBe(true);

    const ops = await opsToken(home);
    const kill = await fetch(`${gw.url}/v1/ops/kill`, {
      method: 'POST',
      headers: { authorization: `Bearer ${ops}`, 'content-type': 'application/json' },
      body: JSON.stringify({ scope: 'agent:alpha', mode: 'hard', reason: 'e2e drill: agent alpha off limits' }),
    });
    expect(kill.status).toBe(200);
    expect(((await kill.json()) as { record: unknown }).record).toMatchObject({ scope: 'agent:alpha', state: 'HALTED', actor: 'operator:ann' });

    // The agent sees its next orders refused, naming the kill's scope, operator and reason; nothing is accepted after.
    expect(await agentExit).toBe(0);
    const firstRefused = lines.findIndex((l) => l.code === 'TRADING_HALTED');
    expect(firstRefused).toBeGreaterThan(0);
    const after = lines.slice(firstRefused);
    expect(after.length).toBeGreaterThanOrEqual(5);
    for (const l of after) {
      expect(l).toMatchObject({ status: 422, code: 'TRADING_HALTED' });
      expect(l.message).toContain('agent:alpha is HALTED by operator:ann: e2e drill: agent alpha off limits');
    }

    // The kill-switch cancelled and flattened: flat at the next bar.
    await until('a flat position', async () => ((await getJson(`${gw.url}/v1/positions`, read)).body.items?.[0]?.quantity === 0 ? true : undefined));
    expect((await getJson(`${gw.url}/v1/state?symbol=${encodeURIComponent(SYMBOL)}`, read)).body).toMatchObject({ tradingState: 'HALTED' });

    // Everything is in the signed log, which verifies after a clean stop.
    await gw.stop();
    const report = verifyAuditLog(gw.auditPath, loadPublicKey(join(home, 'keys', 'audit-signing.pub.pem')));
    expect(report.ok).toBe(true);
    const events = readAuditEvents(gw.auditPath);
    const types = events.map((e) => e.type);
    expect(types).toEqual(expect.arrayContaining(['ORDER_SUBMITTED', 'FILL', 'TRADING_STATE_CHANGE_REQUESTED', 'FLATTEN_ORDER_SUBMITTED']));
    const refusals = events.filter((e) => e.type === 'GATEWAY_REQUEST_REFUSED' && e.payload.code === 'TRADING_HALTED');
    expect(refusals.length).toBeGreaterThanOrEqual(5);
    expect(refusals[0].payload).toMatchObject({ agentId: 'alpha', route: '/v1/orders', status: 422 });
  });

  it('a_crash_sigkill_loses_no_acknowledged_order_every_answered_order_is_in_the_audit_log', async () => {
    const { gw, home } = await start(1000);
    const token = await agentToken(home, ['orders.submit']);
    const acked: string[] = [];
    let n = 0;
    let crashed = false;
    // Eight connections sending orders back to back; the crash lands while some are in flight.
    const sender = async (): Promise<void> => {
      while (!crashed) {
        n += 1;
        const id = `crash-${n}`;
        try {
          const res = await fetch(`${gw.url}/v1/orders`, {
            method: 'POST',
            headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
            body: JSON.stringify({ symbol: SYMBOL, side: n % 2 === 0 ? 'SELL' : 'BUY', quantity: 0.01, type: 'MARKET', clientOrderId: id }),
          });
          if (res.status === 200) acked.push(id);
          await res.arrayBuffer();
        } catch {
          return; // the connection died with the process
        }
      }
    };
    const senders = Array.from({ length: 8 }, () => sender());
    await until('60 acknowledged orders', async () => (acked.length >= 60 ? true : undefined));
    crashed = true;
    await gw.crash();
    await Promise.all(senders);

    const events = readAuditEvents(gw.auditPath, { allowTornTail: true });
    const recorded = new Set(events.filter((e) => e.type === 'ORDER_SUBMITTED').map((e) => String(e.payload.clientOrderId)));
    const lost = acked.filter((id) => !recorded.has(id));
    expect(lost).toEqual([]);
    expect(acked.length).toBeGreaterThanOrEqual(60);
  });
  it('a_hard_kill_survives_a_sigkill_of_the_gateway_the_next_gateway_on_the_home_has_the_scope_HALTED', async () => {
    const { home, config } = setupHome(1000);
    const first = await spawnGateway(home, ['--config', config]);
    cleanups.push(() => first.stop());
    const ops = await opsToken(home);
    const kill = await fetch(`${first.url}/v1/ops/kill`, {
      method: 'POST',
      headers: { authorization: `Bearer ${ops}`, 'content-type': 'application/json' },
      body: JSON.stringify({ scope: 'agent:alpha', mode: 'hard', reason: 'drill then crash' }),
    });
    expect(kill.status).toBe(200);
    // Acknowledged, so on disk; not necessarily sealed by a checkpoint before the crash.
    await first.crash();
    // The next gateway on the home (in this process: a second spawn would double the start-up cost).
    const second = await runGateway({ home, configPath: config, port: 0, replay: false, logger: pino({ level: 'silent' }) });
    cleanups.push(() => second.stop());
    expect((await fetch(`${second.url}/readyz`)).status).toBe(200);
    const status = (await (await fetch(`${second.url}/v1/ops/status`, { headers: { authorization: `Bearer ${ops}` } })).json()) as { scopes: { scope: string; state: string }[] };
    expect(status.scopes).toEqual([expect.objectContaining({ scope: 'agent:alpha', state: 'HALTED' })]);
    const res = await fetch(`${second.url}/v1/orders`, {
      method: 'POST',
      headers: { authorization: `Bearer ${await agentToken(home, ['orders.submit'])}`, 'content-type': 'application/json' },
      body: JSON.stringify({ symbol: SYMBOL, side: 'BUY', quantity: 0.5, type: 'MARKET', clientOrderId: 'after-crash' }),
    });
    const body = (await res.json()) as { code: string; message: string };
    expect(res.status).toBe(422);
    expect(body.code).toBe('TRADING_HALTED');
    expect(body.message).toContain('drill then crash');
  }, 120_000); // a gateway process transpiling the CLI's import graph on a loaded machine, then one in process
});
