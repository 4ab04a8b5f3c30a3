import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { FakeClock } from '../core/index.js';
import { AUDIT_EVENT_TYPES, type AuditEventPayloads, type AuditEventType, isAuditEventType } from './audit-events.js';
import { generateAuditKeyPair } from './audit-keys.js';
import { AuditLog } from './audit-log.js';
import { MemoryAuditSink } from './audit-sink.js';
import { readAuditEvents, verifyAuditLog } from './audit-verify.js';

const order = {
  clientOrderId: 'c-1',
  agentId: 'alpha',
  symbol: 'BTC/USDT',
  side: 'BUY',
  type: 'LIMIT',
  quantity: 0.5,
  limitPrice: 43_000,
  reduceOnly: false,
};
const lock = { lock: 'drawdown', rule: 'MAX_DRAWDOWN_PCT', symbol: 'BTC/USDT', timeMs: 1, reason: 'MAX_DRAWDOWN_PCT: max=0.1, got=0.12' };
const request = { method: 'POST', route: '/v1/orders', status: 201, jti: 'j-1', agentId: 'alpha', requestId: 'req-1' };

/** One event of every type as its writer states it; the mapped type makes a new member without a sample fail to compile. */
const SAMPLES: { readonly [T in AuditEventType]: AuditEventPayloads[T] } = {
  ORDER_APPROVED: order,
  ORDER_DENIED: { ...order, reasons: ['PRICE_COLLAR: trusted=100, got=106.5, offPct=0.065, maxPct=0.05'] },
  FLATTEN_ORDER_ISSUED: { ...order, agentId: null, reduceOnly: true },
  REPEATED_ORDER_ALERT: { ...order, earlier: 5 },
  CIRCUIT_BREAKER_TRIPPED: { scope: 'agent:alpha', maxActionsPerMin: 100, atMs: 1 },
  STATE_ESCALATION_FAILED: { scope: 'global', state: 'HALTED', reason: 'DRAWDOWN_HALT', error: 'store unreachable' },
  TRADING_STATE_CHANGED: { scope: 'global', from: 'ACTIVE', to: 'HALTED', version: 2, reason: 'kill', changedAtMs: 1 },
  TRADING_STATE_CHANGE_REQUESTED: { scope: 'global', from: 'ACTIVE', to: 'HALTED', reason: 'kill' },
  TRADING_STATE_CHANGE_FAILED: { scope: 'global', to: 'HALTED', reason: 'kill', error: 'ECONNREFUSED' },
  TRADING_STATE_RESTORED: {
    epoch: 'e-2',
    previousEpoch: null,
    reason: 'restart',
    source: 'audit.jsonl',
    records: [{ scope: 'global', state: 'HALTED', previous: 'ACTIVE', version: 1, actor: 'operator:ann', reason: 'kill', changedAtMs: 1 }],
  },
  TRADING_STATE_RESTORE_FAILED: { epoch: 'e-2', error: 'conflict' },
  OPEN_ORDERS_CANCELLED: { scope: 'global', cancelled: 3 },
  FLATTEN_ORDER_SUBMITTED: { scope: 'global', clientOrderId: 'f-1', symbol: 'BTC/USDT', quantity: -0.5 },
  KILL_SWITCH_ENFORCEMENT_FAILED: { scope: 'global', error: 'venue timeout' },
  CONSTRAINT_LOCK_ENGAGED: lock,
  CONSTRAINT_LOCK_CLEARED: lock,
  ORDER_SUBMITTED: { symbol: 'BTC/USDT', bar: 7, clientOrderId: 'c-1', qty: 0.5, quote: 21_500 },
  FILL: { symbol: 'BTC/USDT', bar: 8, clientOrderId: 'c-1', qty: 0.5, price: 43_010, fee: 8.6 },
  ORDER_CANCELLED: { symbol: 'BTC/USDT', clientOrderId: 'c-1' },
  LIQUIDATION: { symbol: 'BTC/USDT', bar: 9, clientOrderId: 'liquidation-1', positionQty: -2, price: 45_000, equity: 1_000, requirement: 4_500 },
  ACCOUNT_RUINED: { symbol: 'BTC/USDT', bar: 10, equity: -50, timeMs: 1_700_000_000_000 },
  DRAWDOWN_CLOSE_SUBMITTED: { symbol: 'BTC/USDT', bar: 11, clientOrderId: 'c-2', qty: -0.5, reason: 'MAX_DRAWDOWN_PCT: max=0.1, drawdown=0.12' },
  TRADING_HALTED: { symbol: 'BTC/USDT', bar: 11, reason: 'MAX_DRAWDOWN_PCT: max=0.1, drawdown=0.12' },
  GATEWAY_STARTED: { mode: 'paper', symbols: ['BTC/USDT'], restoredScopes: 0 },
  GATEWAY_STOPPED: {},
  GATEWAY_REQUEST: request,
  GATEWAY_REQUEST_REFUSED: { ...request, status: 403, code: 'SCOPE_DENIED' },
  TOKEN_ISSUED: { jti: 'j-1', agentId: 'alpha', tools: ['place_order'], symbols: ['BTC/USDT'], notionalCap: 10_000, expiresAtMs: 2 },
  TOKEN_REVOKED: { jti: 'j-1', expiresAtMs: 2 },
  SESSION_STARTED: { session: 's-1', feed: 'replay:btc.csv,speed=max', restoredBars: 0, restoredFills: 0, adoptedOrders: [], positionQty: 0, journalRepairs: [] },
  RECONCILE_MISMATCH: { session: 's-1', unknownOrders: 'cancel', adopted: [], cancelled: ['x-1'], lost: ['s-1-4'], position: { node: 1, venue: 0 }, cash: null },
  RECONCILE_MATCHED: { session: 's-1', bar: 12, resumed: true },
  SANDBOX_AGENT_STOPPED: { tier: 1, reason: 'TIMEOUT', decisions: 10, lateDecisions: 1 },
  AUDIT_TORN_TAIL_RECOVERED: { offset: 100, bytes: 12, sha256: 'ab'.repeat(32), savedTo: 'audit.jsonl.torn-100' },
};

let dir: string | undefined;
afterEach(() => {
  if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
  dir = undefined;
});

describe('the audit vocabulary', () => {
  it('every member, written with its payload to a signed log, reads back and verifies; the on-disk form is { type, actor, payload }', () => {
    dir = mkdtempSync(join(tmpdir(), 'bulwark-audit-events-'));
    const path = join(dir, 'audit.jsonl');
    const keys = generateAuditKeyPair();
    const log = AuditLog.open({ path, signingKey: keys.privateKeyPem, clock: new FakeClock(1_700_000_000_000), sealTimer: false });
    for (const type of AUDIT_EVENT_TYPES) log.append(type, 'system', SAMPLES[type] as never);
    log.close();
    const events = readAuditEvents(path);
    expect(events.map((e) => e.type)).toEqual([...AUDIT_EVENT_TYPES]);
    expect(events.map((e) => e.payload)).toEqual(AUDIT_EVENT_TYPES.map((t) => SAMPLES[t]));
    expect(verifyAuditLog(path, keys.publicKeyPem).ok).toBe(true);
  });

  it('the list holds each type once and the guard knows exactly its members', () => {
    expect(new Set(AUDIT_EVENT_TYPES).size).toBe(AUDIT_EVENT_TYPES.length);
    expect(Object.keys(SAMPLES).sort()).toEqual([...AUDIT_EVENT_TYPES].sort());
    for (const t of AUDIT_EVENT_TYPES) expect(isAuditEventType(t)).toBe(true);
    for (const t of ['', 'ORDER_DECISION', 'order_denied', 'toString', '__proto__']) expect(isAuditEventType(t), t).toBe(false);
  });

  it('an unknown type and a payload of the wrong shape do not compile (and the sink writes nothing unchecked)', () => {
    const sink = new MemoryAuditSink();
    // @ts-expect-error: not a member of the vocabulary
    sink.append('ORDER_DECISION', 'system', {});
    // @ts-expect-error: a plain string is not an event type
    sink.append('ORDER_DENIED' as string, 'system', SAMPLES.ORDER_DENIED);
    // @ts-expect-error: ORDER_DENIED without its reasons
    sink.append('ORDER_DENIED', 'agent:alpha', order);
    // @ts-expect-error: a field of the wrong type (a count, not a list)
    sink.append('SESSION_STARTED', 'system', { ...SAMPLES.SESSION_STARTED, adoptedOrders: 2 });
    // Each member's payload is checked: a field no member has is refused, for every type.
    const wrong = { notAField: 1 } as const;
    // @ts-expect-error: wrong payload
    sink.append('ORDER_APPROVED', 'system', wrong);
    // @ts-expect-error: wrong payload
    sink.append('FLATTEN_ORDER_ISSUED', 'system', wrong);
    // @ts-expect-error: wrong payload
    sink.append('REPEATED_ORDER_ALERT', 'system', wrong);
    // @ts-expect-error: wrong payload
    sink.append('CIRCUIT_BREAKER_TRIPPED', 'system', wrong);
    // @ts-expect-error: wrong payload
    sink.append('STATE_ESCALATION_FAILED', 'system', wrong);
    // @ts-expect-error: wrong payload
    sink.append('TRADING_STATE_CHANGED', 'system', wrong);
    // @ts-expect-error: wrong payload
    sink.append('TRADING_STATE_CHANGE_REQUESTED', 'system', wrong);
    // @ts-expect-error: wrong payload
    sink.append('TRADING_STATE_CHANGE_FAILED', 'system', wrong);
    // @ts-expect-error: wrong payload
    sink.append('TRADING_STATE_RESTORED', 'system', wrong);
    // @ts-expect-error: wrong payload
    sink.append('TRADING_STATE_RESTORE_FAILED', 'system', wrong);
    // @ts-expect-error: wrong payload
    sink.append('OPEN_ORDERS_CANCELLED', 'system', wrong);
    // @ts-expect-error: wrong payload
    sink.append('FLATTEN_ORDER_SUBMITTED', 'system', wrong);
    // @ts-expect-error: wrong payload
    sink.append('KILL_SWITCH_ENFORCEMENT_FAILED', 'system', wrong);
    // @ts-expect-error: wrong payload
    sink.append('CONSTRAINT_LOCK_ENGAGED', 'system', wrong);
    // @ts-expect-error: wrong payload
    sink.append('CONSTRAINT_LOCK_CLEARED', 'system', wrong);
    // @ts-expect-error: wrong payload
    sink.append('ORDER_SUBMITTED', 'system', wrong);
    // @ts-expect-error: wrong payload
    sink.append('FILL', 'system', wrong);
    // @ts-expect-error: wrong payload
    sink.append('ORDER_CANCELLED', 'system', wrong);
    // @ts-expect-error: wrong payload
    sink.append('GATEWAY_STARTED', 'system', wrong);
    // @ts-expect-error: wrong payload
    sink.append('GATEWAY_STOPPED', 'system', wrong);
    // @ts-expect-error: wrong payload
    sink.append('GATEWAY_REQUEST', 'system', wrong);
    // @ts-expect-error: wrong payload
    sink.append('GATEWAY_REQUEST_REFUSED', 'system', wrong);
    // @ts-expect-error: wrong payload
    sink.append('TOKEN_ISSUED', 'system', wrong);
    // @ts-expect-error: wrong payload
    sink.append('TOKEN_REVOKED', 'system', wrong);
    // @ts-expect-error: wrong payload
    sink.append('SESSION_STARTED', 'system', wrong);
    // @ts-expect-error: wrong payload
    sink.append('RECONCILE_MISMATCH', 'system', wrong);
    // @ts-expect-error: wrong payload
    sink.append('RECONCILE_MATCHED', 'system', wrong);
    // @ts-expect-error: wrong payload
    sink.append('SANDBOX_AGENT_STOPPED', 'system', wrong);
    // @ts-expect-error: wrong payload
    sink.append('AUDIT_TORN_TAIL_RECOVERED', 'system', wrong);
    // The memory sink is for tests and records what it is given; the file log refuses an unknown type at run time.
    expect(sink.events).toHaveLength(33);
  });
});
