/**
 * `bulwark bench audit`: audit events appended per second to a file in a temp dir, with a signed checkpoint
 * every 1,000 events, for each fsync policy, and the verifier's speed over the same file. The payload is
 * shaped like a gatekeeper decision.
 */
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { renderReason } from '../core/index.js';
import { generateAuditKeyPair } from './audit-keys.js';
import type { AuditEventPayloads } from './audit-events.js';
import { AuditLog, type AuditFsyncPolicy } from './audit-log.js';
import { verifyAuditLog } from './audit-verify.js';

export interface AuditBenchOptions {
  readonly json: boolean;
  /** 1 = 500,000 events for the buffered policies. */
  readonly scale: number;
}

const CHECKPOINT_EVERY = 1000;

/** A gatekeeper denial as it writes one (the largest of its order events). */
function decision(i: number): AuditEventPayloads['ORDER_DENIED'] {
  return {
    clientOrderId: `c-${i}`,
    agentId: 'alpha',
    symbol: 'BTC-USD',
    side: i % 2 === 0 ? 'BUY' : 'SELL',
    type: 'LIMIT',
    quantity: 0.25 + (i % 7) * 0.05,
    limitPrice: 43_000 + (i % 100) * 0.5,
    reduceOnly: false,
    reasons: i % 11 === 0 ? [renderReason('PRICE_COLLAR', { trusted: 43_000, got: 43_049.5, offPct: 0.00115, maxPct: 0.001 })]
        : [renderReason('MAX_OPEN_ORDERS', { max: 50, got: 50 })],
  };
}

function run(path: string, privateKeyPem: string, fsync: AuditFsyncPolicy, events: number): number {
  const log = AuditLog.open({ path, signingKey: privateKeyPem, checkpointEvery: CHECKPOINT_EVERY, fsync });
  const startNs = process.hrtime.bigint();
  for (let i = 0; i < events; i++) log.append('ORDER_DENIED', 'agent:alpha', decision(i));
  log.close();
  const elapsedSec = Number(process.hrtime.bigint() - startNs) / 1e9;
  return events / elapsedSec;
}

export async function benchAudit(options: AuditBenchOptions): Promise<Record<string, unknown>> {
  const events = Math.max(2 * CHECKPOINT_EVERY, Math.round(500_000 * options.scale));
  const syncedEvents = Math.max(100, Math.round(events / 250));
  const keys = generateAuditKeyPair();
  const dir = mkdtempSync(join(tmpdir(), 'bulwark-bench-audit-'));
  try {
    run(join(dir, 'warmup.jsonl'), keys.privateKeyPem, 'none', Math.min(events, 50_000));
    const mainPath = join(dir, 'checkpoint.jsonl');
    const eventsPerSec = run(mainPath, keys.privateKeyPem, 'checkpoint', events);
    const asyncPerSec = run(join(dir, 'async.jsonl'), keys.privateKeyPem, 'checkpoint-async', events);
    const nonePerSec = run(join(dir, 'none.jsonl'), keys.privateKeyPem, 'none', events);
    const eventPerSec = run(join(dir, 'event.jsonl'), keys.privateKeyPem, 'event', syncedEvents);
    const verifyStartNs = process.hrtime.bigint();
    const report = verifyAuditLog(mainPath, keys.publicKeyPem);
    const verifySec = Number(process.hrtime.bigint() - verifyStartNs) / 1e9;
    if (!report.ok) throw new Error(`bench audit: the written log does not verify: ${report.problem ?? ''}`);
    return {
      events,
      checkpoint_every: CHECKPOINT_EVERY,
      fsync: 'checkpoint',
      events_per_sec: Math.round(eventsPerSec),
      events_per_sec_fsync_checkpoint_async: Math.round(asyncPerSec),
      events_per_sec_fsync_none: Math.round(nonePerSec),
      events_per_sec_fsync_event: Math.round(eventPerSec),
      fsync_event_events: syncedEvents,
      verify_events_per_sec: Math.round(report.events / verifySec),
      bytes_per_event: Math.round(statSync(mainPath).size / events),
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
