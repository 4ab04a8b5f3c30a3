/**
 * The `--feed` spec, parsed once at the boundary:
 *
 *   replay:FILE[,speed=N|max][,symbol=S]            a bars CSV at N× real time, or as fast as possible on a fake clock
 *   synth:MODEL[:k=v,…][,interval=1s][,speed=N]     a seeded synthetic market (data/'s models) streamed live
 *   ccxt:EXCHANGE:SYMBOL:TIMEFRAME[,warmup=N][,delay=D][,mode=auto|watch|poll]
 *                                                   closed candles from an exchange (watch where offered, else poll)
 *
 * Every error is a `FeedError` naming the part of the spec at fault.
 */
import { type ResolvedSyntheticSpec, parseSynthSpec } from '../data/index.js';
import { ValidationError } from '../core/index.js';
import { FeedError } from './feed.js';

export type FeedSpec =
  | {
      readonly kind: 'replay';
      readonly file: string;
      /** Multiple of real time, or `max` (no waiting; a fake clock at each bar's close). */
      readonly speed: number | 'max';
      readonly symbol: string;
    }
  | {
      readonly kind: 'synth';
      /** The market; `startTimeMs` is null unless given (then the feed starts at the clock's current interval). */
      readonly market: ResolvedSyntheticSpec;
      readonly startTimeGiven: boolean;
      readonly speed: number | 'max';
      readonly symbol: string;
    }
  | {
      readonly kind: 'ccxt';
      readonly exchange: string;
      readonly symbol: string;
      readonly timeframe: string;
      /** Closed candles fetched at start, before the newest (history for an agent's indicators). */
      readonly warmupBars: number;
      /** How long after a candle's close to ask for it, ms (exchanges publish a closed candle with a delay). */
      readonly pollDelayMs: number;
      /** `watch`: `watchOHLCV` (ccxt pro), `poll`: `fetchOHLCV`, `auto`: watch where the exchange offers it. */
      readonly mode: CcxtFeedMode;
    };

export type CcxtFeedMode = 'auto' | 'watch' | 'poll';

export const DEFAULT_SYNTH_INTERVAL_MS = 1000;
export const DEFAULT_REPLAY_SYMBOL = 'DATA/QUOTE';
export const DEFAULT_SYNTH_SYMBOL = 'SYNTH/USD';
const MAX_WARMUP_BARS = 10_000;
export const DEFAULT_POLL_DELAY_MS = 2000;

const PREFIX = '--feed';

function fail(field: string, problem: string): never {
  throw new FeedError(field, `${PREFIX}: ${field}: ${problem}`);
}

/** `1s`, `250ms`, `5m`, `1h`, `1d` → ms. */
export function parseDurationMs(text: string, field: string): number {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m|h|d)$/.exec(text.trim());
  if (m === null) fail(field, `expected a duration such as 500ms, 1s, 5m or 1h, got '${text}'`);
  const unit = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 }[m[2] as 'ms' | 's' | 'm' | 'h' | 'd'];
  const ms = Math.round(Number(m[1]) * unit);
  if (!(ms >= 1)) fail(field, `must be at least 1ms, got '${text}'`);
  return ms;
}

function parseSpeed(text: string): number | 'max' {
  if (text.trim().toLowerCase() === 'max') return 'max';
  const n = Number(text);
  if (!(Number.isFinite(n) && n > 0) || text.trim() === '') fail('speed', `must be a number > 0 or 'max', got '${text}'`);
  return n;
}

/** Splits trailing `,key=value` options whose key is one of `keys` off `text` (a file name may hold commas). */
function splitOptions(text: string, keys: readonly string[]): { head: string; options: Map<string, string> } {
  const options = new Map<string, string>();
  let head = text;
  for (;;) {
    const comma = head.lastIndexOf(',');
    if (comma < 0) break;
    const item = head.slice(comma + 1);
    const eq = item.indexOf('=');
    const key = eq < 0 ? '' : item.slice(0, eq).trim();
    if (!keys.includes(key)) break;
    if (options.has(key)) fail(key, 'given more than once');
    options.set(key, item.slice(eq + 1).trim());
    head = head.slice(0, comma);
  }
  return { head, options };
}

export function parseFeedSpec(text: string): FeedSpec {
  const trimmed = text.trim();
  const colon = trimmed.indexOf(':');
  const kind = colon < 0 ? trimmed : trimmed.slice(0, colon);
  const rest = colon < 0 ? '' : trimmed.slice(colon + 1);
  switch (kind) {
    case 'replay':
      return parseReplay(rest);
    case 'synth':
      return parseSynth(rest);
    case 'ccxt':
      return parseCcxt(rest);
    default:
      fail('kind', `expected replay:FILE[,speed=N|max], synth:MODEL[:k=v,…][,interval=1s] or ccxt:EXCHANGE:SYMBOL:TIMEFRAME, got '${text}'`);
  }
}

function parseReplay(rest: string): FeedSpec {
  const { head, options } = splitOptions(rest, ['speed', 'symbol']);
  const file = head.trim();
  if (file === '') fail('FILE', 'missing: replay:FILE[,speed=N|max]');
  const symbol = options.get('symbol') ?? DEFAULT_REPLAY_SYMBOL;
  if (symbol === '') fail('symbol', 'must not be empty');
  const speedText = options.get('speed');
  return { kind: 'replay', file, speed: speedText === undefined ? 1 : parseSpeed(speedText), symbol };
}

function parseSynth(rest: string): FeedSpec {
  const { head, options } = splitOptions(rest, ['interval', 'speed', 'symbol']);
  if (head.trim() === '') fail('MODEL', 'missing: synth:MODEL[:k=v,…][,interval=1s]');
  let market: ResolvedSyntheticSpec;
  try {
    market = parseSynthSpec(head);
  } catch (err) {
    if (err instanceof ValidationError) {
      const first = err.issues[0];
      fail(first === undefined ? 'MODEL' : first.path, err.message);
    }
    throw err;
  }
  const intervalText = options.get('interval');
  const intervalGiven = /(^|[:,])\s*intervalMs\s*=/.test(head);
  if (intervalText !== undefined && intervalGiven) fail('interval', 'give interval or intervalMs, not both');
  const intervalMs = intervalText !== undefined ? parseDurationMs(intervalText, 'interval') : intervalGiven ? market.intervalMs : DEFAULT_SYNTH_INTERVAL_MS;
  const startTimeGiven = /(^|[:,])\s*startTimeMs\s*=/.test(head);
  const speedText = options.get('speed');
  const symbol = options.get('symbol') ?? DEFAULT_SYNTH_SYMBOL;
  if (symbol === '') fail('symbol', 'must not be empty');
  return { kind: 'synth', market: { ...market, intervalMs }, startTimeGiven, speed: speedText === undefined ? 1 : parseSpeed(speedText), symbol };
}

function parseCcxt(rest: string): FeedSpec {
  const { head, options } = splitOptions(rest, ['warmup', 'delay', 'mode']);
  const parts = head.split(':');
  if (parts.length < 3) fail('SYMBOL', `expected ccxt:EXCHANGE:SYMBOL:TIMEFRAME, e.g. ccxt:binance:BTC/USDT:1m, got 'ccxt:${rest}'`);
  const exchange = parts[0].trim().toLowerCase();
  const timeframe = parts[parts.length - 1].trim();
  // A derivatives symbol carries its own colon (BTC/USDT:USDT).
  const symbol = parts.slice(1, -1).join(':').trim();
  if (exchange === '') fail('EXCHANGE', 'missing, e.g. binance');
  if (!/^[A-Za-z0-9._-]+\/[A-Za-z0-9._-]+(:[A-Za-z0-9._-]+)?$/.test(symbol)) fail('SYMBOL', `expected BASE/QUOTE such as BTC/USDT, got '${symbol}'`);
  if (!/^\d+[smhdwMy]$/.test(timeframe)) fail('TIMEFRAME', `expected a timeframe such as 1m, 5m, 1h or 1d, got '${timeframe}'`);
  const warmupText = options.get('warmup');
  let warmupBars = 0;
  if (warmupText !== undefined) {
    warmupBars = Number(warmupText);
    if (!(Number.isInteger(warmupBars) && warmupBars >= 0 && warmupBars <= MAX_WARMUP_BARS) || warmupText === '') {
      fail('warmup', `must be a whole number of bars in [0, ${MAX_WARMUP_BARS}], got '${warmupText}'`);
    }
  }
  const delayText = options.get('delay');
  const pollDelayMs = delayText === undefined ? DEFAULT_POLL_DELAY_MS : parseDurationMs(delayText, 'delay');
  const modeText = options.get('mode') ?? 'auto';
  if (modeText !== 'auto' && modeText !== 'watch' && modeText !== 'poll') fail('mode', `must be auto, watch or poll, got '${modeText}'`);
  return { kind: 'ccxt', exchange, symbol, timeframe, warmupBars, pollDelayMs, mode: modeText };
}
