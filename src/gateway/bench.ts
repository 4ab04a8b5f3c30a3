/**
 * `bulwark bench gateway --json`: autocannon over loopback against a gateway in this process, assembled as
 * `bulwark gateway` assembles it: a signed audit log on disk (group commit: an accepted order is answered only
 * after its records are fdatasync'd, or with `auditAck: write` written to the OS; both are measured), the in-process state store, one paper book whose feed replays a bar every
 * `BAR_EVERY_MS` (orders fill at the next bar's open, so the book holds what one bar's orders leave, as in a
 * session). Accepted orders pass the token check (cached), the rules, the gatekeeper, the paper venue and the
 * audit record; refused ones are masked by the rules (422). `baseline_rps` is a bare fastify route measured in
 * the same run, on the same process and machine.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import autocannon from 'autocannon';
import Fastify from 'fastify';
import { pino } from 'pino';
import { parseRules } from '../constraints/index.js';
import { MemoryStateStore, parseGatekeeperConfig } from '../risk-gatekeeper/index.js';
import { generateKeyPairSync } from 'node:crypto';
import { AuditLog, MemoryRevocationList, issueCapabilityToken } from '../security/index.js';
import { barsFromRecords, defineInstrument, systemClock } from '../core/index.js';
import { type AuditAck, type AuditTrail, fileAuditTrail, groupCommit } from './audit-trail.js';
import { ChainDesk } from './chain-desk.js';
import { createGatewayService } from './service.js';

/** Wall-clock time between two replayed bars during the bench (a 1 s feed at 10× speed). */
const BAR_EVERY_MS = 100;

interface BenchOptions {
  readonly scale: number;
}

interface Measured {
  readonly rps: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly non2xx: number;
  readonly total: number;
}

async function load(url: string, durationSec: number, opts: Partial<autocannon.Options>): Promise<Measured> {
  const r = await autocannon({ url, connections: 16, pipelining: 1, duration: durationSec, ...opts });
  return { rps: r.requests.average, p50Ms: r.latency.p50, p99Ms: r.latency.p99, non2xx: r.non2xx, total: r.requests.total };
}

export async function benchGateway(options: BenchOptions): Promise<Record<string, unknown>> {
  const durationSec = Math.max(1, Math.round(5 * options.scale));
  const BAR_MS = 1000;
  const nBars = Math.ceil((3 * durationSec * 1000 + 10_000) / BAR_EVERY_MS) + 10;
  const start = Math.floor(Date.now() / BAR_MS) * BAR_MS;
  const bars = barsFromRecords(Array.from({ length: nBars }, (_, i) => ({ time: start + i * BAR_MS, open: 100, high: 100, low: 100, close: 100, volume: 1e9 })));
  const instrument = defineInstrument({ symbol: 'BTC/USDT', tickSize: 0.01, lotSize: 0.001 });
  const store = new MemoryStateStore(systemClock);
  const revocations = new MemoryRevocationList(systemClock);
  const keys = { agent: generateKeyPairSync('ed25519'), ops: generateKeyPairSync('ed25519') };
  // Limits far above the load, so every accepted order is accepted on its merits and none trips a throttle.
  const gatekeeper = parseGatekeeperConfig({
    maxOrdersPerSec: 1_000_000_000,
    maxOrdersPerMin: 1_000_000_000,
    circuitBreakerActionsPerMin: 1_000_000_000,
    maxOpenOrders: 1_000_000_000,
    maxRepeats: 1_000_000_000,
    clientIdCapacity: 2_000_000,
    limits: { maxPositionQty: 1e12, maxPositionNotionalQuote: 1e15, maxOrderNotionalQuote: 1e12 },
    maxGrossExposureQuote: 1e15,
  });
  const dir = mkdtempSync(join(tmpdir(), 'bulwark-bench-gateway-'));
  const auditKeys = generateKeyPairSync('ed25519');
  // As run-gateway.ts opens it: checkpoints sync in the background, requests wait for their group commit.
  const log = AuditLog.open({ path: join(dir, 'gateway.jsonl'), signingKey: auditKeys.privateKey, fsync: 'checkpoint-async' });
  // The same trail answering in either mode (gateway config `auditAck`): each is measured.
  const commits = { fsync: groupCommit(log, 'fsync'), write: groupCommit(log, 'write') };
  let ack: AuditAck = 'fsync';
  const trail: AuditTrail = { ...fileAuditTrail(log, auditKeys.publicKey), durable: () => commits[ack]() };
  const desk = new ChainDesk({
    mode: 'paper',
    markets: [{ instrument, bars, intervalMs: BAR_MS }],
    store,
    audit: trail.sink,
    gatekeeper,
    rules: parseRules({ max_position_pct: 0.5 }),
    fill: {},
    initialCash: 1e9,
    actionType: 'discrete',
  });
  const service = await createGatewayService({
    desk,
    instruments: [instrument],
    store,
    revocations,
    audit: trail,
    clock: systemClock,
    mode: 'paper',
    gatekeeper,
    publicKeys: { agent: keys.agent.publicKey, ops: keys.ops.publicKey },
    rateLimit: { max: 1_000_000_000, timeWindowMs: 1000 },
    logger: pino({ level: 'silent' }),
  });
  const replay = setInterval(() => void desk.advance(), BAR_EVERY_MS);
  const bare = Fastify({ logger: false });
  bare.get('/ping', async () => ({ ok: true }));
  try {
    const url = await service.app.listen({ port: 0, host: '127.0.0.1' });
    const bareUrl = await bare.listen({ port: 0, host: '127.0.0.1' });
    const { token } = await issueCapabilityToken(
      { role: 'agent', subject: 'bench', tools: ['orders.submit'], symbols: ['BTC/USDT'], notionalCap: 1e12, mode: 'paper', ttlSec: 3600 },
      keys.agent.privateKey,
      systemClock,
    );
    const headers = { authorization: `Bearer ${token}`, 'content-type': 'application/json' };
    let seq = 0;
    const acceptedLoad = () =>
      load(`${url}/v1/orders`, durationSec, {
        method: 'POST',
        headers,
        requests: [
          {
            method: 'POST',
            setupRequest: (req) => {
              seq += 1;
              const side = seq % 2 === 0 ? 'SELL' : 'BUY';
              return { ...req, body: JSON.stringify({ symbol: 'BTC/USDT', side, quantity: 0.001, type: 'MARKET', clientOrderId: `b-${seq}` }) };
            },
          },
        ],
      });
    ack = 'fsync';
    const accepted = await acceptedLoad();
    ack = 'write';
    const acceptedWrite = await acceptedLoad();
    // 1e9 cash × 50 % / 100 = 5e6 units is the position limit: 1e7 units is masked by MAX_POSITION_PCT.
    const refused = await load(`${url}/v1/orders`, durationSec, {
      method: 'POST',
      headers,
      body: JSON.stringify({ symbol: 'BTC/USDT', side: 'BUY', quantity: 1e7, type: 'MARKET', clientOrderId: 'too-big' }),
    });
    const baseline = await load(`${bareUrl}/ping`, durationSec, {});
    const round = (x: number) => Math.round(x * 100) / 100;
    const auditEvents = log.lastSeq;
    return {
      benchmark: 'gateway',
      duration_sec_each: durationSec,
      connections: 16,
      audit: 'signed file log, group commit: orders_per_sec/p50/p99 answer after the fdatasync of the batch (auditAck fsync, the default), ack_write after its write to the OS (auditAck write)',
      audit_events: auditEvents,
      bar_every_ms: BAR_EVERY_MS,
      orders_per_sec: round(accepted.rps),
      p50_ms: accepted.p50Ms,
      p99_ms: accepted.p99Ms,
      accepted_non_2xx: accepted.non2xx,
      accepted_total: accepted.total,
      ack_write: {
        orders_per_sec: round(acceptedWrite.rps),
        p50_ms: acceptedWrite.p50Ms,
        p99_ms: acceptedWrite.p99Ms,
        accepted_non_2xx: acceptedWrite.non2xx,
        orders_to_baseline: round(acceptedWrite.rps / baseline.rps),
      },
      refused_orders_per_sec: round(refused.rps),
      refused_p50_ms: refused.p50Ms,
      refused_p99_ms: refused.p99Ms,
      refused_2xx: refused.total - refused.non2xx,
      baseline_rps: round(baseline.rps),
      orders_to_baseline: round(accepted.rps / baseline.rps),
      targets: { orders_per_sec: 5000, p99_ms: 10, orders_to_baseline: 0.25 },
    };
  } finally {
    clearInterval(replay);
    await bare.close();
    await service.close();
    log.close();
    rmSync(dir, { recursive: true, force: true });
  }
}
