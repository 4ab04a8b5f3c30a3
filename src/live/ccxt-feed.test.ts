import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { OHLCV } from 'ccxt';
import { CcxtFeed, type CandleExchange } from './ccxt-feed.js';
import { FeedError } from './feed.js';
import { openFeed } from './open-feed.js';
import { FakeRuntime } from './test-helpers/fake-runtime.js';
import { type Candle, LocalBinance } from '../test-support/local-binance.js';

const M = 60_000;
const T0 = Date.UTC(2026, 0, 1);
const candleAt = (t: number): Candle => {
  const o = 100 + (t - T0) / M;
  return [t, o, o + 2, o - 1, o + 1, 10];
};

/** The exchange's candles at `nowMs`: every minute from T0, the last one still forming. */
function candlesAt(nowMs: number): Candle[] {
  const out: Candle[] = [];
  for (let t = T0; t <= nowMs; t += M) out.push(candleAt(t));
  return out;
}

let runtime = new FakeRuntime(T0);
const server = new LocalBinance(() => candlesAt(runtime.clock.nowMs()));
beforeAll(() => server.start());
afterAll(() => server.stop());

describe('ccxt feed (a real ccxt.binance against 127.0.0.1)', () => {
  it('starts with the warm-up candles, then hands out each candle once after it closed, never the forming one', async () => {
    runtime = new FakeRuntime(T0 + 10 * M + 30_000);
    const { feed, instrument } = await openFeed('ccxt:binance:BTC/USDT:1m,warmup=3,delay=2s', { runtime, exchange: server.exchange() });
    expect(feed.intervalMs).toBe(M);
    expect(feed.timing).toBe('wall');
    expect(instrument).toMatchObject({ symbol: 'BTC/USDT', tickSize: 0.01, lotSize: 0.00001, minNotional: 5 });
    const first = await feed.next();
    // The newest closed candle opened at 9 min; three before it.
    expect(Array.from(first?.time ?? [])).toEqual([6, 7, 8, 9].map((i) => T0 + i * M));
    expect(Array.from(first?.open ?? [])).toEqual([106, 107, 108, 109]);
    const second = await feed.next();
    expect(Array.from(second?.time ?? [])).toEqual([T0 + 10 * M]);
    // It asked once the 10-minute candle had closed, plus the publishing delay: at 11:02.
    expect(runtime.clock.nowMs()).toBe(T0 + 11 * M + 2000);
    const third = await feed.next();
    expect(Array.from(third?.time ?? [])).toEqual([T0 + 11 * M]);
    feed.close();
    expect(await feed.next()).toBeNull();
  });

  it('backs off on network errors (1 s, 2 s, …) and goes on where it was; each error reported', async () => {
    runtime = new FakeRuntime(T0 + 5 * M + 10_000);
    const errors: string[] = [];
    const { feed } = await openFeed('ccxt:binance:BTC/USDT:1m', {
      runtime,
      exchange: server.exchange(),
      onError: (message, retryInMs) => errors.push(`${retryInMs}: ${message}`),
    });
    server.dropNext = 3;
    const bars = await feed.next();
    expect(Array.from(bars?.time ?? [])).toEqual([T0 + 4 * M]);
    expect(errors).toHaveLength(3);
    expect(errors[0]).toMatch(/^1000: binance: \w+/);
    expect(errors.map((e) => e.split(':')[0])).toEqual(['1000', '2000', '4000']);
    expect(feed instanceof CcxtFeed && feed.lastError).toBeNull();
    // The minutes lost to the outage are caught up in one batch, none skipped, none twice.
    runtime.clock.set(T0 + 9 * M + 5000);
    const caught = await feed.next();
    expect(Array.from(caught?.time ?? [])).toEqual([5, 6, 7, 8].map((i) => T0 + i * M));
    feed.close();
  });

  it('resumes after a given candle (a restarted session)', async () => {
    runtime = new FakeRuntime(T0 + 8 * M + 10_000);
    const { feed } = await openFeed('ccxt:binance:BTC/USDT:1m,warmup=100', { runtime, exchange: server.exchange(), startAfterMs: T0 + 5 * M });
    expect(Array.from((await feed.next())?.time ?? [])).toEqual([6, 7].map((i) => T0 + i * M));
    feed.close();
  });

  it('names SYMBOL and TIMEFRAME when the exchange does not offer them, and mode=watch where it cannot watch', async () => {
    const exchange = server.exchange();
    const bad = await openFeed('ccxt:binance:ETH/EUR:1m', { exchange }).catch((e: unknown) => e);
    expect(bad).toBeInstanceOf(FeedError);
    expect(bad instanceof FeedError && bad.field).toBe('SYMBOL');
    await expect(openFeed('ccxt:binance:BTC/USDT:7m', { exchange })).rejects.toThrow(/--feed: TIMEFRAME: '7m' is not offered by binance/);
    await expect(openFeed('ccxt:binance:BTC/USDT:1m,mode=watch', { exchange })).rejects.toThrow(/--feed: mode: binance does not offer watchOHLCV/);
  });
});

describe('ccxt feed following watchOHLCV', () => {
  /** An exchange whose watch resolves with the candles it has (the forming one last), or fails when told. */
  class WatchingExchange implements CandleExchange {
    readonly id = 'watcher';
    watchCalls = 0;
    fetchCalls = 0;
    failWatches = 0;
    constructor(private readonly rt: FakeRuntime) {}
    watchOHLCV(): Promise<OHLCV[]> {
      this.watchCalls++;
      if (this.failWatches > 0) {
        this.failWatches--;
        return Promise.reject(new Error('socket closed'));
      }
      this.rt.clock.advance(20_000); // a push arrives a while later
      return Promise.resolve(candlesAt(this.rt.clock.nowMs()).slice(-2).map((c) => [...c]));
    }
    fetchOHLCV(_s: string, _t: string, since = 0): Promise<OHLCV[]> {
      this.fetchCalls++;
      return Promise.resolve(candlesAt(this.rt.clock.nowMs()).filter((c) => c[0] >= since).map((c) => [...c]));
    }
  }

  const options = (exchange: CandleExchange, rt: FakeRuntime) => ({
    spec: 'ccxt:watcher:BTC/USDT:1m',
    exchange,
    symbol: 'BTC/USDT',
    timeframe: '1m',
    intervalMs: M,
    warmupBars: 0,
    pollDelayMs: 1000,
    watch: true,
    runtime: rt,
    startAfterMs: T0 + 2 * M,
  });

  it('hands out a candle once a push shows it closed, without polling', async () => {
    const rt = new FakeRuntime(T0 + 3 * M + 50_000);
    const exchange = new WatchingExchange(rt);
    const feed = new CcxtFeed(options(exchange, rt));
    expect(feed.isWatching).toBe(true);
    expect(Array.from((await feed.next())?.time ?? [])).toEqual([T0 + 3 * M]);
    expect(exchange.fetchCalls).toBe(0);
    feed.close();
  });

  it('falls back to polling after two failed watches', async () => {
    const rt = new FakeRuntime(T0 + 3 * M + 50_000);
    const exchange = new WatchingExchange(rt);
    exchange.failWatches = 2;
    const feed = new CcxtFeed(options(exchange, rt));
    const bars = await feed.next();
    expect(feed.isWatching).toBe(false);
    expect(exchange.watchCalls).toBe(2);
    expect(exchange.fetchCalls).toBeGreaterThanOrEqual(1);
    expect(Array.from(bars?.time ?? [])).toEqual([T0 + 3 * M]);
    feed.close();
  });
});
