/** Shared set-up for the gatekeeper specs: a fake clock, two instruments, a funded account and fresh prices. */
import { FakeClock, defineInstrument, type Instrument } from '../../core/index.js';
import { MemoryAuditSink } from '../../security/index.js';
import { type GatekeeperConfigInput, parseGatekeeperConfig } from '../config.js';
import { type OrderIntent, PortfolioContext } from '../context.js';
import { RiskGatekeeper } from '../gatekeeper.js';
import { MemoryStateStore } from '../memory-state-store.js';
import type { TradingStateStore } from '../state-store.js';

export const T0_MS = 1_700_000_000_000;

export const BTC: Instrument = defineInstrument({ symbol: 'BTC/USD', tickSize: 0.5, lotSize: 0.001, minNotional: 10 });
export const ETH: Instrument = defineInstrument({ symbol: 'ETH/USD', tickSize: 0.01, lotSize: 0.01, minNotional: 10 });

/** Limits small enough to reach in a few orders; repeats and the breaker out of the way unless a spec lowers them. */
export const TEST_LIMITS: GatekeeperConfigInput = {
  limits: { maxOrderQty: 1, maxOrderNotionalQuote: 20_000, maxPositionQty: 2, maxPositionNotionalQuote: 60_000 },
  maxGrossExposureQuote: 80_000,
  collarPct: 0.05,
  maxPriceAgeSec: 60,
  maxAccountAgeSec: 60,
  maxOpenOrders: 3,
  maxOrdersPerSec: 1000,
  maxOrdersPerMin: 1000,
  circuitBreakerActionsPerMin: 1000,
  maxRepeats: 1000,
  dailyLossLimitPct: 0.05,
  drawdownHaltPct: 0.2,
};

export interface Fixture {
  clock: FakeClock;
  audit: MemoryAuditSink;
  store: TradingStateStore;
  ctx: PortfolioContext;
  gk: RiskGatekeeper;
  order(fields?: Partial<OrderIntent>): OrderIntent;
}

export function makeFixture(config: GatekeeperConfigInput = {}, store?: TradingStateStore, clock = new FakeClock(T0_MS)): Fixture {
  const audit = new MemoryAuditSink();
  const st = store ?? new MemoryStateStore(clock);
  const ctx = new PortfolioContext()
    .setAccount({ equity: 100_000, peakEquity: 100_000, dayStartEquity: 100_000, timeMs: clock.nowMs() })
    .setPrice('BTC/USD', 50_000, clock.nowMs())
    .setPrice('ETH/USD', 2_000, clock.nowMs());
  const gk = new RiskGatekeeper({
    config: parseGatekeeperConfig({ ...TEST_LIMITS, ...config }),
    instruments: [BTC, ETH],
    store: st,
    clock,
    audit,
  });
  let seq = 0;
  const order = (fields: Partial<OrderIntent> = {}): OrderIntent => {
    seq += 1;
    return {
      clientOrderId: `o-${seq}`,
      symbol: 'BTC/USD',
      side: 'BUY',
      type: 'MARKET',
      quantity: 0.1,
      timeInForce: 'GTC',
      createdAtMs: clock.nowMs(),
      agentId: 'a1',
      ...fields,
    };
  };
  return { clock, audit, store: st, ctx, gk, order };
}

/** The reject codes of a result (empty when allowed). */
export function codes(result: ReturnType<RiskGatekeeper['check']>): string[] {
  return result.allowed ? [] : result.rejections.map((r) => r.code);
}

/** Lets queued promise callbacks (store writes, enforcement) run. */
export async function flush(): Promise<void> {
  for (let i = 0; i < 5; i++) await Promise.resolve();
}
