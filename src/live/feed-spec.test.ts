import { describe, expect, it } from 'vitest';
import { FeedError } from './feed.js';
import { parseDurationMs, parseFeedSpec } from './feed-spec.js';

function feedError(text: string): FeedError {
  try {
    parseFeedSpec(text);
  } catch (err) {
    if (err instanceof FeedError) return err;
    throw err;
  }
  throw new Error(`expected ${text} to be refused`);
}

describe('parseFeedSpec', () => {
  it('reads a replay with its speed, max or a multiple of real time; a file name may hold commas', () => {
    expect(parseFeedSpec('replay:runs/btc.csv,speed=max')).toEqual({ kind: 'replay', file: 'runs/btc.csv', speed: 'max', symbol: 'DATA/QUOTE' });
    expect(parseFeedSpec('replay:a,b.csv,speed=60')).toMatchObject({ file: 'a,b.csv', speed: 60 });
    expect(parseFeedSpec('replay:x.csv')).toMatchObject({ speed: 1 });
    expect(parseFeedSpec('replay:x.csv,symbol=BTC/USDT,speed=2')).toMatchObject({ symbol: 'BTC/USDT', speed: 2 });
  });

  it('reads a synthetic market with data/’s parameters, its interval and speed', () => {
    const s = parseFeedSpec('synth:regime:seed=3,bars=500,interval=250ms');
    expect(s.kind).toBe('synth');
    if (s.kind !== 'synth') return;
    expect(s.market).toMatchObject({ model: 'regime', seed: 3, bars: 500, intervalMs: 250 });
    expect(s.startTimeGiven).toBe(false);
    const d = parseFeedSpec('synth:gbm');
    expect(d.kind === 'synth' && d.market.intervalMs).toBe(1000);
    const t = parseFeedSpec('synth:gbm:startTimeMs=2024-01-01,intervalMs=60000,speed=max');
    expect(t).toMatchObject({ startTimeGiven: true, speed: 'max', market: { intervalMs: 60_000, startTimeMs: Date.UTC(2024, 0, 1) } });
  });

  it('reads a ccxt feed, with a derivatives symbol that holds a colon', () => {
    expect(parseFeedSpec('ccxt:binance:BTC/USDT:1m')).toEqual({
      kind: 'ccxt',
      exchange: 'binance',
      symbol: 'BTC/USDT',
      timeframe: '1m',
      warmupBars: 0,
      pollDelayMs: 2000,
      mode: 'auto',
    });
    expect(parseFeedSpec('ccxt:bybit:BTC/USDT:USDT:5m,warmup=50,delay=500ms,mode=poll')).toMatchObject({
      symbol: 'BTC/USDT:USDT',
      timeframe: '5m',
      warmupBars: 50,
      pollDelayMs: 500,
      mode: 'poll',
    });
  });

  it.each([
    ['stream:x', 'kind'],
    ['replay:', 'FILE'],
    ['replay:x.csv,speed=0', 'speed'],
    ['replay:x.csv,speed=fast', 'speed'],
    ['replay:x.csv,speed=2,speed=3', 'speed'],
    ['synth:', 'MODEL'],
    ['synth:brownian', 'model'],
    ['synth:gbm:seed=1.5', 'seed'],
    ['synth:gbm:volatility=x', 'volatility'],
    ['synth:gbm,interval=soon', 'interval'],
    ['synth:gbm:intervalMs=1000,interval=1s', 'interval'],
    ['ccxt:binance', 'SYMBOL'],
    ['ccxt:binance:BTCUSDT:1m', 'SYMBOL'],
    ['ccxt:binance:BTC/USDT:hourly', 'TIMEFRAME'],
    ['ccxt::BTC/USDT:1m', 'EXCHANGE'],
    ['ccxt:binance:BTC/USDT:1m,warmup=-1', 'warmup'],
    ['ccxt:binance:BTC/USDT:1m,mode=stream', 'mode'],
  ])('refuses %s naming %s', (text, field) => {
    const err = feedError(text);
    expect(err.field).toBe(field);
    expect(err.message).toContain(`--feed: ${field}`);
  });

  it('reads durations with their unit', () => {
    expect(parseDurationMs('1s', 'interval')).toBe(1000);
    expect(parseDurationMs('250ms', 'interval')).toBe(250);
    expect(parseDurationMs('1.5m', 'interval')).toBe(90_000);
    expect(() => parseDurationMs('1', 'interval')).toThrow(/interval: expected a duration/);
  });
});
