/**
 * `openFeed(spec)`: the one way a session gets its bars. Parses the spec (`feed-spec.ts`), loads what the feed
 * needs (the CSV, the synthetic market, the exchange's markets) and returns a `BarFeed`. ccxt is loaded only
 * for a ccxt feed (dynamic import). Every failure is a `FeedError` naming the part of the spec at fault.
 */
import type { Exchange } from 'ccxt';
import { type Instrument, barIntervalMs, defineInstrument } from '../core/index.js';
import {
  CsvLoadError,
  FetchError,
  checkSymbol,
  createExchange,
  generateSynthetic,
  loadBarsCsv,
  loadCcxt,
  loadMarketsOrExplain,
  timeframeMs,
} from '../data/index.js';
import { CcxtFeed } from './ccxt-feed.js';
import { type BarFeed, FeedError, type FeedRuntime, systemFeedRuntime } from './feed.js';
import { type FeedSpec, parseFeedSpec } from './feed-spec.js';
import { SeriesFeed } from './series-feed.js';

export interface OpenFeedOptions {
  /** Clock and sleep; the real ones by default. */
  readonly runtime?: FeedRuntime;
  /** Resume after this bar open time: earlier bars are not delivered again (a restarted session). */
  readonly startAfterMs?: number;
  /** A ccxt exchange to use instead of creating one (tests serve one from 127.0.0.1). */
  readonly exchange?: Exchange;
  /** Told about failed requests of a ccxt feed (which keeps retrying with backoff). */
  readonly onError?: (message: string, retryInMs: number) => void;
  /** Backoff of a ccxt feed after an error, ms (doubles per error up to `maxBackoffMs`). */
  readonly backoffMs?: number;
  readonly maxBackoffMs?: number;
}

/** A feed and, for an exchange feed, the market's own trading rules (tick, lot, min notional). */
export interface OpenedFeed {
  readonly feed: BarFeed;
  readonly spec: FeedSpec;
  /** The exchange's instrument rules, or null when the feed has none (replays and synthetic markets). */
  readonly instrument: Instrument | null;
}

export async function openFeed(text: string, options: OpenFeedOptions = {}): Promise<OpenedFeed> {
  const spec = parseFeedSpec(text);
  const runtime = options.runtime ?? systemFeedRuntime;
  switch (spec.kind) {
    case 'replay':
      return { feed: await openReplay(text, spec, runtime, options), spec, instrument: null };
    case 'synth':
      return { feed: openSynth(text, spec, runtime, options), spec, instrument: null };
    case 'ccxt':
      return openCcxt(text, spec, runtime, options);
  }
}

async function openReplay(text: string, spec: Extract<FeedSpec, { kind: 'replay' }>, runtime: FeedRuntime, options: OpenFeedOptions): Promise<BarFeed> {
  let bars;
  try {
    bars = (await loadBarsCsv(spec.file)).bars;
  } catch (err) {
    if (err instanceof CsvLoadError) throw new FeedError('FILE', `--feed: FILE: ${err.message}`);
    throw err;
  }
  if (bars.length < 2) throw new FeedError('FILE', `--feed: FILE: ${spec.file} holds ${bars.length} bar(s); a replay needs at least 2 to know its interval`);
  const intervalMs = barIntervalMs(bars);
  const feed = new SeriesFeed({ spec: text, symbol: spec.symbol, bars, intervalMs, speed: spec.speed, runtime });
  if (options.startAfterMs !== undefined) feed.skipThrough(options.startAfterMs);
  return feed;
}

function openSynth(text: string, spec: Extract<FeedSpec, { kind: 'synth' }>, runtime: FeedRuntime, options: OpenFeedOptions): BarFeed {
  const intervalMs = spec.market.intervalMs;
  const nowMs = runtime.clock.nowMs();
  // Live by default: the first bar is the one forming now, so bar times are wall-clock times at speed 1.
  const startTimeMs = spec.startTimeGiven ? spec.market.startTimeMs : Math.floor(nowMs / intervalMs) * intervalMs;
  const bars = generateSynthetic({ ...spec.market, startTimeMs });
  const feed = new SeriesFeed({
    spec: text,
    symbol: spec.symbol,
    bars,
    intervalMs,
    speed: spec.speed,
    runtime,
    ...(spec.startTimeGiven ? {} : { startAtMs: nowMs }),
  });
  if (options.startAfterMs !== undefined) feed.skipThrough(options.startAfterMs);
  return feed;
}

async function openCcxt(text: string, spec: Extract<FeedSpec, { kind: 'ccxt' }>, runtime: FeedRuntime, options: OpenFeedOptions): Promise<OpenedFeed> {
  const exchange = options.exchange ?? (await createFeedExchange(spec.exchange, spec.mode !== 'poll'));
  let intervalMs: number;
  try {
    intervalMs = timeframeMs(exchange, spec.timeframe);
    await loadMarketsOrExplain(await loadCcxt(), exchange);
    checkSymbol(exchange, spec.symbol);
  } catch (err) {
    if (err instanceof FetchError) throw feedErrorOf(err);
    throw err;
  }
  const offersWatch = exchange.has.watchOHLCV === true;
  if (spec.mode === 'watch' && !offersWatch) throw new FeedError('mode', `--feed: mode: ${exchange.id} does not offer watchOHLCV; use mode=poll or auto`);
  const feed = new CcxtFeed({
    spec: text,
    exchange,
    symbol: spec.symbol,
    timeframe: spec.timeframe,
    intervalMs,
    warmupBars: spec.warmupBars,
    pollDelayMs: spec.pollDelayMs,
    watch: spec.mode !== 'poll' && offersWatch,
    runtime,
    ...(options.startAfterMs === undefined ? {} : { startAfterMs: options.startAfterMs }),
    ...(options.onError === undefined ? {} : { onError: options.onError }),
    ...(options.backoffMs === undefined ? {} : { backoffMs: options.backoffMs }),
    ...(options.maxBackoffMs === undefined ? {} : { maxBackoffMs: options.maxBackoffMs }),
  });
  return { feed, spec, instrument: instrumentOf(exchange, spec.symbol) };
}

/** A ccxt exchange with the rate limiter on: ccxt pro's class (with `watchOHLCV`) when wanted and offered. */
async function createFeedExchange(id: string, wantWatch: boolean): Promise<Exchange> {
  const ccxt = await loadCcxt();
  const pro: Record<string, unknown> = ccxt.pro;
  const Ctor = wantWatch ? pro[id] : undefined;
  if (typeof Ctor === 'function' && Ctor.prototype instanceof ccxt.Exchange) {
    const made: unknown = Reflect.construct(Ctor, [{ enableRateLimit: true }]);
    if (made instanceof ccxt.Exchange) return made;
  }
  try {
    return await createExchange(id);
  } catch (err) {
    if (err instanceof FetchError) throw feedErrorOf(err);
    throw err;
  }
}

/** data/'s download errors name a flag (`--symbol: …`); the feed's name the part of the spec. */
function feedErrorOf(err: FetchError): FeedError {
  const m = /^--(exchange|symbol|timeframe): (.*)$/s.exec(err.message);
  if (m === null) return new FeedError('EXCHANGE', `--feed: EXCHANGE: ${err.message}`);
  const field = m[1].toUpperCase();
  return new FeedError(field, `--feed: ${field}: ${m[2]}`);
}

/** The market's tick, lot and min notional from ccxt's market record (either precision mode). */
function instrumentOf(exchange: Exchange, symbol: string): Instrument | null {
  const market = exchange.markets?.[symbol];
  if (market === undefined) return null;
  const tickSize = precisionStep(exchange.precisionMode ?? 0, market.precision.price);
  const lotSize = precisionStep(exchange.precisionMode ?? 0, market.precision.amount);
  const minNotional = market.limits.cost?.min ?? 0;
  return defineInstrument({
    symbol,
    base: market.base,
    quote: market.quote,
    ...(tickSize === null ? {} : { tickSize }),
    ...(lotSize === null ? {} : { lotSize }),
    minNotional: Number.isFinite(minNotional) && minNotional > 0 ? minNotional : 0,
    kind: market.spot === true ? 'spot' : 'perpetual',
  });
}

const DECIMAL_PLACES = 2;

function precisionStep(mode: number | undefined, value: number | undefined): number | null {
  if (value === undefined || !Number.isFinite(value) || value <= 0) return null;
  return mode === DECIMAL_PLACES ? 10 ** -value : value;
}
