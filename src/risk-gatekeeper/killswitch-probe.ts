/**
 * A second gatekeeper process over Redis, for the two-process spec and `bench killswitch`.
 * Started with an IPC channel: `node killswitch-probe.js <redisUrl> <keyPrefix>`. It holds a 0.5 BTC
 * position on an in-memory venue, and after every state change it learns of (through the store's
 * pub/sub) it checks a fresh risk-increasing order and reports the verdict to its parent at once.
 * Parent messages: `{ type: 'check' }` → a verdict; `{ type: 'stop' }` → exit.
 */
import { defineInstrument, systemClock } from '../core/index.js';
import { MemoryAuditSink } from '../security/index.js';
import { parseGatekeeperConfig } from './config.js';
import { type OrderIntent, PortfolioContext } from './context.js';
import { RiskGatekeeper } from './gatekeeper.js';
import { KillSwitch, type KillSwitchVenue, type VenuePosition } from './kill-switch.js';
import { RedisStateStore } from './redis-state-store.js';

export interface ProbeVerdict {
  readonly type: 'verdict';
  /** Set on answers to a parent's `check`; absent on verdicts sent after a state change. */
  readonly requestId?: number;
  readonly version: number;
  readonly state: string;
  readonly allowed: boolean;
  readonly codes: readonly string[];
  readonly cancelled: number;
  readonly flattened: readonly string[];
}

export type ProbeMessage = { readonly type: 'ready' } | { readonly type: 'error'; readonly message: string } | ProbeVerdict;

function send(msg: ProbeMessage): void {
  process.send?.(msg);
}

async function main(): Promise<void> {
  const [url, keyPrefix] = process.argv.slice(2);
  if (!url || !keyPrefix || !process.send) throw new Error('usage: node killswitch-probe.js <redisUrl> <keyPrefix> (with an IPC channel)');
  const clock = systemClock;
  const store = new RedisStateStore({ url, keyPrefix, clock });
  await store.connect();
  const audit = new MemoryAuditSink();
  const instrument = defineInstrument({ symbol: 'BTC/USD', tickSize: 0.5, lotSize: 0.001 });
  const config = parseGatekeeperConfig({
    maxOrdersPerSec: 1_000_000,
    maxOrdersPerMin: 1_000_000,
    circuitBreakerActionsPerMin: 1_000_000,
    maxRepeats: 1_000_000,
    auditApprovals: false,
  });
  const gk = new RiskGatekeeper({ config, instruments: [instrument], store, clock, audit });
  let cancelled = 0;
  const flattened: string[] = [];
  const held: VenuePosition[] = [{ symbol: 'BTC/USD', quantity: 0.5, agentId: 'probe' }];
  const venue: KillSwitchVenue = {
    cancelAll: () => Promise.resolve((cancelled += 1)),
    openOrders: () => Promise.resolve([]),
    positions: () => Promise.resolve(held),
    submit: (order: OrderIntent) => {
      flattened.push(`${order.side} ${order.quantity} ${order.symbol} reduceOnly=${String(order.reduceOnly)}`);
      return Promise.resolve();
    },
  };
  const ks = new KillSwitch({ store, gatekeeper: gk, audit, venue });
  const ctx = new PortfolioContext().setPosition('BTC/USD', 0.5);
  let seq = 0;

  const verdict = (requestId?: number): ProbeVerdict => {
    const nowMs = clock.nowMs();
    ctx.setAccount({ equity: 100_000, peakEquity: 100_000, dayStartEquity: 100_000, timeMs: nowMs }).setPrice('BTC/USD', 50_000, nowMs);
    seq += 1;
    const order: OrderIntent = {
      clientOrderId: `probe-${process.pid}-${seq}`,
      symbol: 'BTC/USD',
      side: 'BUY',
      type: 'MARKET',
      quantity: 0.001 * (1 + (seq % 50)),
      timeInForce: 'IOC',
      createdAtMs: nowMs,
      agentId: 'probe',
    };
    const r = gk.check(order, ctx);
    const global = store.cache.record('global');
    return {
      type: 'verdict',
      ...(requestId === undefined ? {} : { requestId }),
      version: global?.version ?? 0,
      state: global?.state ?? 'ACTIVE',
      allowed: r.allowed,
      codes: r.allowed ? [] : r.rejections.map((x) => x.code),
      cancelled,
      flattened: [...flattened],
    };
  };

  store.onChange(() => send(verdict()));
  process.on('message', (m: unknown) => {
    const type = typeof m === 'object' && m !== null && 'type' in m ? m.type : undefined;
    if (type === 'check') {
      const id = typeof m === 'object' && m !== null && 'requestId' in m && typeof m.requestId === 'number' ? m.requestId : 0;
      // Let a flattening in progress finish so the parent sees its result.
      void ks.settled().then(() => send(verdict(id)));
    } else if (type === 'stop') {
      void store.close().then(() => process.exit(0));
    }
  });
  process.on('disconnect', () => process.exit(0));
  send({ type: 'ready' });
}

main().catch((err: unknown) => {
  send({ type: 'error', message: err instanceof Error ? err.message : String(err) });
  process.exitCode = 1;
  setTimeout(() => process.exit(1), 50).unref();
});
