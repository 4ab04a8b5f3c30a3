/**
 * Making and checking a ccxt exchange for OHLCV download, turning ccxt's errors into messages that name the flag
 * at fault (`--exchange`, `--symbol`, `--timeframe`) or say plainly that the exchange cannot be reached.
 */
import type { Exchange } from 'ccxt';

/** The ccxt module: loaded on first use only, since it costs about a second of start-up that no other command needs. */
export type Ccxt = typeof import('ccxt');

let ccxtModule: Promise<Ccxt> | null = null;

export function loadCcxt(): Promise<Ccxt> {
  ccxtModule ??= import('ccxt');
  return ccxtModule;
}

/** A download problem with a message meant for the user (no stack trace needed). */
export class FetchError extends Error {
  constructor(
    readonly code: 'BAD_ARGUMENT' | 'UNREACHABLE' | 'EXCHANGE_ERROR' | 'BAD_CANDLE' | 'BAD_OUTPUT_FILE',
    message: string,
  ) {
    super(message);
    this.name = 'FetchError';
  }
}

type ExchangeId = keyof Ccxt['exchanges'];

/** A new exchange instance with ccxt's own rate limiter on. */
export async function createExchange(id: string): Promise<Exchange> {
  const { exchanges } = await loadCcxt();
  const isExchangeId = (name: string): name is ExchangeId => Object.hasOwn(exchanges, name);
  const key = id.trim().toLowerCase();
  if (!isExchangeId(key)) {
    const near = Object.keys(exchanges).filter((name) => name.startsWith(key.slice(0, 3)));
    throw new FetchError(
      'BAD_ARGUMENT',
      `--exchange: unknown exchange '${id}'` + (near.length > 0 ? `; did you mean ${near.slice(0, 5).join(', ')}?` : '; see ccxt\'s list of exchanges'),
    );
  }
  const Ctor = exchanges[key];
  return new Ctor({ enableRateLimit: true });
}

/** Bar interval of a timeframe on this exchange, in ms; throws naming `--timeframe` if unsupported. */
export function timeframeMs(exchange: Exchange, timeframe: string): number {
  if (!exchange.has.fetchOHLCV) {
    throw new FetchError('BAD_ARGUMENT', `--exchange: ${exchange.id} does not offer OHLCV candles`);
  }
  const offered = Object.keys(exchange.timeframes ?? {});
  if (offered.length > 0 && !offered.includes(timeframe)) {
    throw new FetchError('BAD_ARGUMENT', `--timeframe: '${timeframe}' is not offered by ${exchange.id}; choose one of ${offered.join(', ')}`);
  }
  let seconds: number;
  try {
    seconds = exchange.parseTimeframe(timeframe);
  } catch {
    throw new FetchError('BAD_ARGUMENT', `--timeframe: cannot read '${timeframe}' (use e.g. 1m, 5m, 1h, 1d)`);
  }
  if (!(seconds > 0)) throw new FetchError('BAD_ARGUMENT', `--timeframe: cannot read '${timeframe}' (use e.g. 1m, 5m, 1h, 1d)`);
  return seconds * 1000;
}

/** The exchange's markets, loaded once; an unreachable exchange becomes a plain message. */
export async function loadMarketsOrExplain(ccxt: Ccxt, exchange: Exchange): Promise<void> {
  try {
    await exchange.loadMarkets();
  } catch (err) {
    throw explainExchangeError(ccxt, exchange, err);
  }
}

/** Throws naming `--symbol` if the exchange does not list it, suggesting markets with the same base. */
export function checkSymbol(exchange: Exchange, symbol: string): void {
  const markets = exchange.markets ?? {};
  if (Object.hasOwn(markets, symbol)) return;
  const base = symbol.split('/')[0]?.toUpperCase() ?? '';
  const similar = Object.keys(markets)
    .filter((s) => s.toUpperCase().startsWith(`${base}/`))
    .slice(0, 6);
  throw new FetchError(
    'BAD_ARGUMENT',
    `--symbol: '${symbol}' is not a ${exchange.id} market` +
      (similar.length > 0 ? `; similar: ${similar.join(', ')}` : ' (symbols look like BTC/USDT)'),
  );
}

/** ccxt errors as FetchErrors: network trouble is UNREACHABLE, a bad symbol names the flag. */
export function explainExchangeError(ccxt: Ccxt, exchange: Exchange, err: unknown): FetchError {
  if (err instanceof FetchError) return err;
  const message = err instanceof Error ? err.message : String(err);
  if (err instanceof ccxt.NetworkError) {
    return new FetchError('UNREACHABLE', `cannot reach ${exchange.id}: ${firstLine(message)}; check the network, or generate data offline with bulwark data synth`);
  }
  if (err instanceof ccxt.BadSymbol) return new FetchError('BAD_ARGUMENT', `--symbol: ${firstLine(message)}`);
  return new FetchError('EXCHANGE_ERROR', `${exchange.id} refused the request: ${firstLine(message)}`);
}

/** Transient failures worth retrying: the network and the exchange's own throttling. */
export function isTransient(ccxt: Ccxt, err: unknown): boolean {
  return err instanceof ccxt.NetworkError;
}

function firstLine(text: string): string {
  const line = text.split('\n')[0];
  return line.length > 300 ? `${line.slice(0, 300)}…` : line;
}
