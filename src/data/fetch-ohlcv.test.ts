import { createServer } from 'node:http';
import { appendFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { binance } from 'ccxt';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { FakeClock } from '../core/index.js';
import { type Candle, LocalBinance, portOf } from '../test-support/local-binance.js';
import { loadBarsCsv } from './csv-loader.js';
import { FetchError } from './exchange-client.js';
import { fetchOhlcv, type FetchProgress } from './fetch-ohlcv.js';

const H = 3_600_000;
const T0 = Date.UTC(2024, 0, 1);
/** 250 hourly candles; the exchange serves at most 100 per request. */
const CANDLES: Candle[] = Array.from({ length: 250 }, (_, i) => {
  const o = 100 + i;
  return [T0 + i * H, o, o + 2, o - 1, o + 1, 10 + i];
});
const SERVER_PAGE = 100;

/** The FetchError a promise rejects with (fails the test if it resolves or rejects with something else). */
async function fetchError(promise: Promise<unknown>): Promise<FetchError> {
  const err = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!(err instanceof FetchError)) throw new Error(`expected a FetchError, got ${String(err)}`);
  return err;
}

/** A real ccxt binance pointed at `base`, with a rateLimit of 5 ms (ccxt's own limiter on unless told not to). */
function localBinance(base: string, enableRateLimit = true): binance {
  return fake.exchange({ base, rateLimitMs: 5, enableRateLimit });
}

const fake = new LocalBinance(() => CANDLES, { intervalMs: H, maxPage: SERVER_PAGE, serverTimeMs: T0 });
const dir = mkdtempSync(join(tmpdir(), 'bulwark-fetch-'));
const clock = new FakeClock(T0 + 400 * H);
let fileNo = 0;
const newPath = () => join(dir, `out-${++fileNo}.csv`);

beforeAll(() => fake.start());
afterAll(async () => {
  await fake.stop();
  rmSync(dir, { recursive: true, force: true });
});
afterEach(() => fake.clear());

const base = (outPath: string) => ({
  exchange: localBinance(fake.base),
  symbol: 'BTC/USDT',
  timeframe: '1h',
  sinceMs: T0,
  outPath,
  clock,
  sleep: async () => {},
});

describe('fetchOhlcv against a locally served binance', () => {
  it('pages through all candles, advancing past the last one, and stops when nothing new comes', async () => {
    const outPath = newPath();
    const seen: FetchProgress[] = [];
    const result = await fetchOhlcv({ ...base(outPath), pageLimit: 100, onProgress: (p) => seen.push(p) });
    expect(result).toMatchObject({ fetchedBars: 250, existingRows: 0, firstTimeMs: T0, lastTimeMs: T0 + 249 * H, pages: 4 });
    expect(fake.klineRequests.map((q) => Number(q.get('startTime')))).toEqual([T0, T0 + 100 * H, T0 + 200 * H, T0 + 250 * H]);
    expect(seen.map((p) => p.fetchedBars)).toEqual([100, 200, 250]);
    // The clock says candles up to T0+399h have closed; the exchange has fewer.
    expect(seen[0]).toMatchObject({ fromMs: T0, toMs: T0 + 399 * H, intervalMs: H, expectedBars: 400 });
    const { bars, report } = await loadBarsCsv(outPath);
    expect(bars.length).toBe(250);
    expect(report.gaps.count).toBe(0);
    expect(Array.from(bars.close.subarray(0, 3))).toEqual([101, 102, 103]);
    expect(bars.volume[249]).toBe(259);
  });

  it('stops at --until (inclusive)', async () => {
    const outPath = newPath();
    const result = await fetchOhlcv({ ...base(outPath), untilMs: T0 + 150 * H, pageLimit: 100 });
    expect(result.fetchedBars).toBe(151);
    expect(result.lastTimeMs).toBe(T0 + 150 * H);
    expect(fake.klineRequests.every((q) => q.get('endTime') === String(T0 + 150 * H))).toBe(true);
  });

  it('writes only closed candles', async () => {
    const outPath = newPath();
    // At 10:30 on day 1 the 10:00 candle is still forming.
    const result = await fetchOhlcv({ ...base(outPath), clock: new FakeClock(T0 + 10.5 * H) });
    expect(result.lastTimeMs).toBe(T0 + 9 * H);
    expect(result.fetchedBars).toBe(10);
  });

  it('resumes after the last bar in the file, appending without duplicates', async () => {
    const outPath = newPath();
    await fetchOhlcv({ ...base(outPath), untilMs: T0 + 99 * H, pageLimit: 60 });
    fake.clear();
    const seen: FetchProgress[] = [];
    const resumed = await fetchOhlcv({ ...base(outPath), pageLimit: 60, onProgress: (p) => seen.push(p) });
    expect(seen[0]).toMatchObject({ fromMs: T0 + 100 * H, expectedBars: 300 });
    expect(resumed).toMatchObject({ existingRows: 100, resumedAfterMs: T0 + 99 * H, fetchedBars: 150 });
    expect(Number(fake.klineRequests[0].get('startTime'))).toBe(T0 + 100 * H);
    const { bars } = await loadBarsCsv(outPath); // duplicates would be rejected here
    expect(bars.length).toBe(250);
    // A run with nothing new changes nothing.
    const again = await fetchOhlcv({ ...base(outPath) });
    expect(again.fetchedBars).toBe(0);
    expect((await loadBarsCsv(outPath)).bars.length).toBe(250);
  });

  it('cuts off a torn last line left by an interrupted run, then resumes', async () => {
    const outPath = newPath();
    await fetchOhlcv({ ...base(outPath), untilMs: T0 + 9 * H });
    appendFileSync(outPath, `${T0 + 10 * H},110,11`);
    const result = await fetchOhlcv({ ...base(outPath), untilMs: T0 + 19 * H });
    expect(result.truncatedBytes).toBeGreaterThan(0);
    expect(result).toMatchObject({ existingRows: 10, fetchedBars: 10 });
    const { bars } = await loadBarsCsv(outPath);
    expect(Array.from(bars.time)).toEqual(Array.from({ length: 20 }, (_, i) => T0 + i * H));
  });

  it('retries a dropped connection and carries on', async () => {
    const outPath = newPath();
    fake.dropNext = 2;
    const result = await fetchOhlcv({ ...base(outPath), untilMs: T0 + 49 * H, maxAttempts: 3 });
    expect(result.fetchedBars).toBe(50);
  });

  it('gives up with a plain message after the last attempt, keeping what was saved', async () => {
    const outPath = newPath();
    await fetchOhlcv({ ...base(outPath), untilMs: T0 + 99 * H, pageLimit: 100 });
    fake.dropNext = 10;
    const err = await fetchError(fetchOhlcv({ ...base(outPath), pageLimit: 100, maxAttempts: 2 }));
    expect(err.code).toBe('UNREACHABLE');
    expect(err.message).toMatch(/^cannot reach binance: .*; check the network, or generate data offline with bulwark data synth \(while fetching from 2024-01-05T04:00:00Z; bars saved so far stay in .*, run again to resume\)$/);
    expect((await loadBarsCsv(outPath)).bars.length).toBe(100);
  });

  it('spaces requests by rateLimit itself when the exchange has its limiter off', async () => {
    const outPath = newPath();
    const pauses: number[] = [];
    await fetchOhlcv({
      ...base(outPath),
      exchange: localBinance(fake.base, false),
      pageLimit: 100,
      sleep: async (ms) => {
        pauses.push(ms);
      },
    });
    expect(pauses).toEqual([5, 5, 5]);
  });

  it('fails offline with "cannot reach", not a stack trace', async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const port = portOf(closed);
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    const err = await fetchError(fetchOhlcv({ ...base(newPath()), exchange: localBinance(`http://127.0.0.1:${port}`) }));
    expect(err.code).toBe('UNREACHABLE');
    expect(err.message).toMatch(/^cannot reach binance: .*; check the network, or generate data offline with bulwark data synth$/);
  });
});

describe('fetchOhlcv argument errors name the flag', () => {
  it('unknown exchange', async () => {
    await expect(fetchOhlcv({ ...base(newPath()), exchange: 'binancee' })).rejects.toThrow(/^--exchange: unknown exchange 'binancee'; did you mean binance/);
    await expect(fetchOhlcv({ ...base(newPath()), exchange: 'zzzz' })).rejects.toThrow(/^--exchange: unknown exchange 'zzzz'/);
  });

  it('bad timeframe', async () => {
    await expect(fetchOhlcv({ ...base(newPath()), timeframe: '7m' })).rejects.toThrow(/^--timeframe: '7m' is not offered by binance; choose one of .*1h/);
  });

  it('bad symbol, with suggestions', async () => {
    await expect(fetchOhlcv({ ...base(newPath()), symbol: 'BTC/USDX' })).rejects.toThrow("--symbol: 'BTC/USDX' is not a binance market; similar: BTC/USDT");
  });

  it('bad dates', async () => {
    await expect(fetchOhlcv({ ...base(newPath()), sinceMs: Number.NaN })).rejects.toThrow(/^--since: not a time/);
    await expect(fetchOhlcv({ ...base(newPath()), untilMs: T0 - H })).rejects.toThrow(/^--until: 2023-12-31T23:00:00Z is before --since 2024-01-01T00:00:00Z/);
  });

  it('an output file that is not ours, or of another interval', async () => {
    const foreign = newPath();
    writeFileSync(foreign, 'date,open,high,low,close\n2024-01-01,1,2,0.5,1\n');
    await expect(fetchOhlcv(base(foreign))).rejects.toThrow(/^--out: .* exists but is not a bars file written by bulwark/);
    const daily = newPath();
    writeFileSync(daily, `time_ms,open,high,low,close,volume\n${T0 - 2 * 24 * H},1,2,0.5,1,1\n${T0 - 24 * H},1,2,0.5,1,1\n`);
    await expect(fetchOhlcv(base(daily))).rejects.toThrow(/holds 1d bars, not 1h/);
    expect(readFileSync(daily, 'utf8').split('\n').length).toBe(4);
  });
});
