/**
 * Closed candles from an exchange through ccxt. Polls `fetchOHLCV` shortly after each candle's close (or
 * follows `watchOHLCV` where the exchange offers it and the spec allows), hands out only candles that have
 * closed, each once, in time order. Network errors and refusals are retried with exponential backoff; while
 * they last no bar arrives, so the session goes stale and the gatekeeper fails closed on price freshness.
 */
import type { OHLCV } from 'ccxt';
import { type Bars, type Clock, allocateBars, setBar } from '../core/index.js';
import type { BarFeed, FeedRuntime, FeedTiming } from './feed.js';

/** What the feed needs of a ccxt exchange (a real `Exchange`, or a test double of the same shape). */
export interface CandleExchange {
  readonly id: string;
  fetchOHLCV(symbol: string, timeframe: string, since?: number, limit?: number): Promise<OHLCV[]>;
  watchOHLCV?(symbol: string, timeframe: string, since?: number, limit?: number): Promise<OHLCV[]>;
}

export interface CcxtFeedOptions {
  readonly spec: string;
  readonly exchange: CandleExchange;
  readonly symbol: string;
  readonly timeframe: string;
  readonly intervalMs: number;
  readonly warmupBars: number;
  readonly pollDelayMs: number;
  /** Follow `watchOHLCV` (true) or poll `fetchOHLCV` (false). */
  readonly watch: boolean;
  readonly runtime: FeedRuntime;
  /** Resume after this bar open time (a restarted session); default: `warmupBars` before the newest closed candle. */
  readonly startAfterMs?: number;
  /** First pause after an error, ms, doubled per consecutive error up to `maxBackoffMs`. Defaults 1000 and 60,000. */
  readonly backoffMs?: number;
  readonly maxBackoffMs?: number;
  /** Told about every failed request (the feed keeps going). */
  readonly onError?: (message: string, retryInMs: number) => void;
}

/** Candles per REST request (binance's maximum; exchanges cap it themselves). */
const PAGE_LIMIT = 1000;

export class CcxtFeed implements BarFeed {
  readonly spec: string;
  readonly symbol: string;
  readonly intervalMs: number;
  readonly timing: FeedTiming = 'wall';
  readonly clock: Clock;
  /** Requests that failed in a row (0 after a success). */
  consecutiveErrors = 0;
  /** The last error, for a status line; null after a success. */
  lastError: string | null = null;
  private readonly options: CcxtFeedOptions;
  private readonly abort = new AbortController();
  private readonly queue: OHLCV[] = [];
  private lastOpenMs: number;
  private watching: boolean;

  constructor(options: CcxtFeedOptions) {
    this.options = options;
    this.spec = options.spec;
    this.symbol = options.symbol;
    this.intervalMs = options.intervalMs;
    this.clock = options.runtime.clock;
    this.watching = options.watch && typeof options.exchange.watchOHLCV === 'function';
    const newestClosedOpenMs = Math.floor(this.clock.nowMs() / this.intervalMs) * this.intervalMs - this.intervalMs;
    this.lastOpenMs = options.startAfterMs ?? newestClosedOpenMs - (options.warmupBars + 1) * this.intervalMs;
  }

  /** True while candles come from `watchOHLCV` (false after falling back to polling). */
  get isWatching(): boolean {
    return this.watching;
  }

  async next(): Promise<Bars | null> {
    const signal = this.abort.signal;
    while (!signal.aborted) {
      if (this.queue.length > 0) return this.drain();
      const candles = await this.request();
      if (signal.aborted) return null;
      if (candles === null) continue; // failed: backed off already
      this.accept(candles);
      if (this.queue.length > 0) return this.drain();
      if (!this.watching) {
        // Nothing new: wait for the next candle's close (plus the exchange's publishing delay).
        const dueMs = this.lastOpenMs + 2 * this.intervalMs + this.options.pollDelayMs;
        const waitMs = Math.max(dueMs - this.clock.nowMs(), Math.min(this.options.pollDelayMs, this.intervalMs));
        if (!(await this.options.runtime.sleep(waitMs, signal))) return null;
      }
    }
    return null;
  }

  close(): void {
    this.abort.abort();
  }

  /** One request for candles after the last one handed out; null after a failure (and its backoff). */
  private async request(): Promise<OHLCV[] | null> {
    const { exchange, symbol, timeframe } = this.options;
    const since = this.lastOpenMs + this.intervalMs;
    try {
      const watch = exchange.watchOHLCV;
      const candles =
        this.watching && watch !== undefined
          ? await watch.call(exchange, symbol, timeframe, since)
          : await exchange.fetchOHLCV(symbol, timeframe, since, PAGE_LIMIT);
      this.consecutiveErrors = 0;
      this.lastError = null;
      return candles;
    } catch (err) {
      this.consecutiveErrors++;
      const message = errorMessage(exchange, err);
      this.lastError = message;
      // A watch that fails twice in a row is given up for polling, which works on every exchange.
      if (this.watching && this.consecutiveErrors >= 2) this.watching = false;
      const base = this.options.backoffMs ?? 1000;
      const max = this.options.maxBackoffMs ?? 60_000;
      const retryInMs = Math.min(max, base * 2 ** Math.min(30, this.consecutiveErrors - 1));
      this.options.onError?.(message, retryInMs);
      await this.options.runtime.sleep(retryInMs, this.abort.signal);
      return null;
    }
  }

  /** Queues the closed candles newer than the last one handed out; a malformed candle is skipped and reported. */
  private accept(candles: readonly OHLCV[]): void {
    const nowMs = this.clock.nowMs();
    let last = this.queue.length > 0 ? (this.queue[this.queue.length - 1][0] ?? this.lastOpenMs) : this.lastOpenMs;
    const sorted = [...candles].sort((a, b) => (a[0] ?? 0) - (b[0] ?? 0));
    for (const c of sorted) {
      const t = c[0];
      if (t === undefined || t <= last) continue;
      if (t + this.intervalMs > nowMs) break; // still forming
      const problem = candleProblem(c);
      if (problem !== null) {
        this.options.onError?.(`${this.options.exchange.id} candle at ${new Date(t).toISOString()} skipped: ${problem}`, 0);
        continue;
      }
      this.queue.push(c);
      last = t;
    }
  }

  private drain(): Bars {
    const q = this.queue;
    const bars = allocateBars(q.length);
    for (let i = 0; i < q.length; i++) {
      const [t = 0, o = 0, h = 0, l = 0, c = 0, v = 0] = q[i];
      setBar(bars, i, t, o, h, l, c, v);
    }
    this.lastOpenMs = bars.time[q.length - 1];
    q.length = 0;
    return bars;
  }
}

/** One line naming the exchange and ccxt's error class (NetworkError, ExchangeNotAvailable, BadSymbol, …). */
function errorMessage(exchange: CandleExchange, err: unknown): string {
  if (!(err instanceof Error)) return `${exchange.id}: ${String(err)}`;
  const line = err.message.split('\n')[0];
  return `${exchange.id}: ${err.name}: ${line.length > 300 ? `${line.slice(0, 300)}…` : line}`;
}

/** Why a candle cannot be a bar, or null. */
function candleProblem(c: OHLCV): string | null {
  const [, o, h, l, cl, v] = c;
  if (o === undefined || h === undefined || l === undefined || cl === undefined) return 'a price is missing';
  const volume = v ?? 0;
  if (![o, h, l, cl, volume].every(Number.isFinite) || !(o > 0 && h > 0 && l > 0 && cl > 0) || volume < 0) return 'invalid price or volume';
  if (h < Math.max(o, cl) || l > Math.min(o, cl)) return 'high/low outside open/close';
  return null;
}
