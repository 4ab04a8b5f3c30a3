/**
 * OHLCV download through ccxt into a bars CSV: page by page from `sinceMs`, each page appended and fsynced,
 * resuming after the last bar already in the file. Only closed candles are written (a candle still forming would
 * be stale on resume), and every candle is checked before it is written.
 */
import type { Exchange, OHLCV } from 'ccxt';
import { type Clock, systemClock } from '../core/index.js';
import { formatCandleLine } from './csv-writer.js';
import {
  type Ccxt,
  checkSymbol,
  createExchange,
  explainExchangeError,
  FetchError,
  isTransient,
  loadCcxt,
  loadMarketsOrExplain,
  timeframeMs,
} from './exchange-client.js';
import { appendDurably, prepareOutput } from './ohlcv-file.js';
import { formatTimeMs } from './time-format.js';

export interface FetchProgress {
  /** Bars written by this run so far. */
  fetchedBars: number;
  /** Time of the last bar written, or null before the first. */
  lastTimeMs: number | null;
  /** First bar this run asks for (after the file's last bar when resuming) and the last (`untilMs` or the last closed candle). */
  fromMs: number;
  toMs: number;
  intervalMs: number;
  /** Bars in [fromMs, toMs] if the exchange has no gaps: the total for a progress bar. */
  expectedBars: number;
  pages: number;
}

export interface FetchOhlcvOptions {
  /** A ccxt exchange id (`binance`) or an exchange instance (tests pass one served locally). */
  exchange: string | Exchange;
  symbol: string;
  timeframe: string;
  /** First bar wanted, ms since the epoch. */
  sinceMs: number;
  /** Last bar wanted (inclusive), ms since the epoch. Default: up to the last closed candle. */
  untilMs?: number;
  outPath: string;
  onProgress?: (progress: FetchProgress) => void;
  /** Candles per request. Default 1000 (binance's maximum; exchanges cap it themselves). */
  pageLimit?: number;
  /** Attempts per page on network errors before giving up. Default 4. */
  maxAttempts?: number;
  /** Pause before a retry, doubled each time, in ms. Default 1000. */
  retryDelayMs?: number;
  clock?: Clock;
  /** Injected for tests; default a real timer. */
  sleep?: (ms: number) => Promise<void>;
}

export interface FetchOhlcvResult {
  outPath: string;
  exchange: string;
  symbol: string;
  timeframe: string;
  intervalMs: number;
  /** Bars the file held before this run, and the last of them (the resume point). */
  existingRows: number;
  resumedAfterMs: number | null;
  /** Bars appended by this run. */
  fetchedBars: number;
  pages: number;
  firstTimeMs: number | null;
  lastTimeMs: number | null;
  /** Bytes of a torn last line from an interrupted run that were cut off. */
  truncatedBytes: number;
}

const realSleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

export async function fetchOhlcv(options: FetchOhlcvOptions): Promise<FetchOhlcvResult> {
  const clock = options.clock ?? systemClock;
  const sleep = options.sleep ?? realSleep;
  const pageLimit = options.pageLimit ?? 1000;
  const maxAttempts = options.maxAttempts ?? 4;
  const retryDelayMs = options.retryDelayMs ?? 1000;
  checkArguments(options, pageLimit, maxAttempts);

  const ccxt = await loadCcxt();
  const exchange = typeof options.exchange === 'string' ? await createExchange(options.exchange) : options.exchange;
  const intervalMs = timeframeMs(exchange, options.timeframe);
  await loadMarketsOrExplain(ccxt, exchange);
  checkSymbol(exchange, options.symbol);

  const existing = await prepareOutput(options.outPath, intervalMs);
  // Only candles that have closed by now: open time + interval <= now.
  const lastClosedMs = Math.floor(clock.nowMs() / intervalMs) * intervalMs - intervalMs;
  const toMs = Math.min(options.untilMs ?? Number.POSITIVE_INFINITY, lastClosedMs);
  let lastWritten = existing.lastTimeMs;
  let since = lastWritten === null ? options.sinceMs : Math.max(options.sinceMs, lastWritten + intervalMs);
  const expectedBars = since <= toMs ? Math.floor((toMs - since) / intervalMs) + 1 : 0;
  const progress: FetchProgress = { fetchedBars: 0, lastTimeMs: lastWritten, fromMs: since, toMs, intervalMs, expectedBars, pages: 0 };
  let firstTimeMs: number | null = null;
  // Exchanges we did not create may have ccxt's limiter off; then we space requests ourselves.
  const ownPacingMs = exchange.enableRateLimit ? 0 : Math.max(0, Number(exchange.rateLimit ?? 0));

  while (since <= toMs) {
    if (progress.pages > 0 && ownPacingMs > 0) await sleep(ownPacingMs);
    const page = await fetchPage(ccxt, exchange, options, since, pageLimit, maxAttempts, retryDelayMs, sleep);
    progress.pages++;
    const lines: string[] = [];
    for (const candle of page) {
      const t = candle[0];
      if (t === undefined || t < since || t > toMs) continue;
      if (lastWritten !== null && t <= lastWritten) continue; // overlap with what we have: never duplicate
      // Months are not a fixed number of ms, so the grid check stops at daily bars.
      if (lastWritten !== null && intervalMs <= 86_400_000 && (t - lastWritten) % intervalMs !== 0) {
        throw new FetchError('BAD_CANDLE', `${exchange.id} returned a candle at ${formatTimeMs(t)}, off the ${options.timeframe} grid`);
      }
      lines.push(candleLine(exchange.id, candle, t));
      lastWritten = t;
      firstTimeMs ??= t;
    }
    if (lines.length === 0) break; // nothing new: the exchange has no more candles in range
    await appendDurably(options.outPath, `${lines.join('\n')}\n`);
    progress.fetchedBars += lines.length;
    progress.lastTimeMs = lastWritten;
    options.onProgress?.({ ...progress });
    if (lastWritten === null) break;
    since = lastWritten + intervalMs;
  }
  return {
    outPath: options.outPath,
    exchange: exchange.id,
    symbol: options.symbol,
    timeframe: options.timeframe,
    intervalMs,
    existingRows: existing.rows,
    resumedAfterMs: existing.lastTimeMs,
    fetchedBars: progress.fetchedBars,
    pages: progress.pages,
    firstTimeMs,
    lastTimeMs: lastWritten,
    truncatedBytes: existing.truncatedBytes,
  };
}

function checkArguments(options: FetchOhlcvOptions, pageLimit: number, maxAttempts: number): void {
  if (options.symbol.trim() === '') throw new FetchError('BAD_ARGUMENT', '--symbol: required, e.g. BTC/USDT');
  if (!Number.isFinite(options.sinceMs)) throw new FetchError('BAD_ARGUMENT', `--since: not a time: ${options.sinceMs}`);
  if (options.untilMs !== undefined) {
    if (!Number.isFinite(options.untilMs)) throw new FetchError('BAD_ARGUMENT', `--until: not a time: ${options.untilMs}`);
    if (options.untilMs < options.sinceMs) {
      throw new FetchError(
        'BAD_ARGUMENT',
        `--until: ${formatTimeMs(options.untilMs)} is before --since ${formatTimeMs(options.sinceMs)}`,
      );
    }
  }
  if (!Number.isInteger(pageLimit) || pageLimit < 1) throw new FetchError('BAD_ARGUMENT', `pageLimit: must be a whole number >= 1, got ${pageLimit}`);
  if (!Number.isInteger(maxAttempts) || maxAttempts < 1) throw new FetchError('BAD_ARGUMENT', `maxAttempts: must be a whole number >= 1, got ${maxAttempts}`);
}

async function fetchPage(
  ccxt: Ccxt,
  exchange: Exchange,
  options: FetchOhlcvOptions,
  since: number,
  pageLimit: number,
  maxAttempts: number,
  retryDelayMs: number,
  sleep: (ms: number) => Promise<void>,
): Promise<OHLCV[]> {
  const params = options.untilMs === undefined ? {} : { until: options.untilMs };
  for (let attempt = 1; ; attempt++) {
    try {
      return await exchange.fetchOHLCV(options.symbol, options.timeframe, since, pageLimit, params);
    } catch (err) {
      if (!isTransient(ccxt, err) || attempt >= maxAttempts) {
        const explained = explainExchangeError(ccxt, exchange, err);
        throw new FetchError(explained.code, `${explained.message} (while fetching from ${formatTimeMs(since)}; bars saved so far stay in ${options.outPath}, run again to resume)`);
      }
      await sleep(retryDelayMs * 2 ** (attempt - 1));
    }
  }
}

/** One candle as a CSV line, refusing what a bar cannot be. */
function candleLine(exchangeId: string, candle: OHLCV, t: number): string {
  const [, o, h, l, c, v] = candle;
  const at = `${exchangeId} candle at ${formatTimeMs(t)}`;
  if (o === undefined || h === undefined || l === undefined || c === undefined) {
    throw new FetchError('BAD_CANDLE', `${at} is missing a price`);
  }
  const volume = v ?? 0;
  if (![o, h, l, c, volume].every(Number.isFinite) || !(o > 0 && h > 0 && l > 0 && c > 0) || volume < 0) {
    throw new FetchError('BAD_CANDLE', `${at} has an invalid price or volume: ${JSON.stringify(candle)}`);
  }
  if (h < Math.max(o, c) || l > Math.min(o, c)) {
    throw new FetchError('BAD_CANDLE', `${at} has high/low outside open/close: ${JSON.stringify(candle)}`);
  }
  return formatCandleLine(t, o, h, l, c, volume);
}
