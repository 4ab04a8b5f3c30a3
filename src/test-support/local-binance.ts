/**
 * Just enough of binance's spot REST API on 127.0.0.1 for a real `ccxt.binance` to load markets and fetch
 * candles: `exchangeInfo` and `klines` (with `startTime`, `endTime`, `limit` and a page cap). Candles come from a
 * function, so a test on a fake clock sees closed candles appear as its clock moves. Used by the data download's
 * tests and the live ccxt feed's: one fake exchange, no network.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { binance } from 'ccxt';

/** [open time ms, open, high, low, close, volume]. */
export type Candle = readonly [number, number, number, number, number, number];

export interface LocalBinanceOptions {
  /** Candle length, for the close time of each kline (default 1 minute). */
  readonly intervalMs?: number;
  /** Most candles one klines request returns, whatever its `limit` (default 1000, binance's own). */
  readonly maxPage?: number;
  /** `serverTime` of exchangeInfo (default 0). */
  readonly serverTimeMs?: number;
}

/** The TCP port a listening server is bound to. */
export function portOf(server: Server): number {
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('server is not listening on TCP');
  return address.port;
}

export class LocalBinance {
  readonly server: Server = createServer((req, res) => this.handle(req, res));
  base = '';
  /** Requests to klines so far. */
  readonly klineRequests: URLSearchParams[] = [];
  /** Kline requests to fail (connection dropped) before serving again. */
  dropNext = 0;

  private readonly intervalMs: number;
  private readonly maxPage: number;
  private readonly serverTimeMs: number;

  constructor(
    /** Every candle the exchange has at this moment, oldest first (the last may still be forming). */
    private readonly candles: () => readonly Candle[],
    options: LocalBinanceOptions = {},
  ) {
    this.intervalMs = options.intervalMs ?? 60_000;
    this.maxPage = options.maxPage ?? 1000;
    this.serverTimeMs = options.serverTimeMs ?? 0;
  }

  async start(): Promise<void> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    this.base = `http://127.0.0.1:${portOf(this.server)}`;
  }

  stop(): Promise<void> {
    return new Promise((resolve) => this.server.close(() => resolve()));
  }

  /** Forgets the requests seen and the drops asked for (between tests). */
  clear(): void {
    this.klineRequests.length = 0;
    this.dropNext = 0;
  }

  /**
   * A real ccxt binance whose REST base URLs point at `base` (this server by default; a closed port to test a
   * refused connection). `rateLimitMs` sets its `rateLimit` (what a caller spaces requests by); ccxt's own
   * limiter is off unless `enableRateLimit`.
   */
  exchange(options: { base?: string; rateLimitMs?: number; enableRateLimit?: boolean } = {}): binance {
    const ex = new binance({
      enableRateLimit: options.enableRateLimit ?? false,
      options: { fetchMarkets: { types: ['spot'] }, fetchCurrencies: false },
    });
    const base = options.base ?? this.base;
    for (const [key, url] of Object.entries(ex.urls.api)) {
      if (typeof url === 'string') ex.urls.api[key] = url.replace(/^https:\/\/[^/]+/, base);
    }
    if (options.rateLimitMs !== undefined) ex.rateLimit = options.rateLimitMs;
    return ex;
  }

  private handle(req: IncomingMessage, res: ServerResponse): void {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    if (url.pathname === '/api/v3/klines' && this.dropNext > 0) {
      this.dropNext--;
      req.socket.destroy();
      return;
    }
    res.setHeader('content-type', 'application/json');
    if (url.pathname === '/api/v3/exchangeInfo') {
      res.end(JSON.stringify({ ...EXCHANGE_INFO, serverTime: this.serverTimeMs }));
      return;
    }
    if (url.pathname === '/api/v3/klines') {
      this.klineRequests.push(url.searchParams);
      const start = Number(url.searchParams.get('startTime') ?? 0);
      const end = Number(url.searchParams.get('endTime') ?? Number.MAX_SAFE_INTEGER);
      const limit = Math.min(Number(url.searchParams.get('limit') ?? 500), this.maxPage);
      const page = this.candles()
        .filter((c) => c[0] >= start && c[0] <= end)
        .slice(0, limit)
        .map((c) => [c[0], ...c.slice(1).map(String), c[0] + this.intervalMs - 1, '0', 1, '0', '0', '0']);
      res.end(JSON.stringify(page));
      return;
    }
    res.statusCode = 404;
    res.end(JSON.stringify({ code: -1, msg: `not served: ${url.pathname}` }));
  }
}

const EXCHANGE_INFO = {
  timezone: 'UTC',
  serverTime: 0,
  rateLimits: [],
  symbols: [
    {
      symbol: 'BTCUSDT',
      status: 'TRADING',
      baseAsset: 'BTC',
      baseAssetPrecision: 8,
      quoteAsset: 'USDT',
      quotePrecision: 8,
      quoteAssetPrecision: 8,
      orderTypes: ['LIMIT', 'MARKET'],
      isSpotTradingAllowed: true,
      isMarginTradingAllowed: false,
      permissions: ['SPOT'],
      permissionSets: [['SPOT']],
      filters: [
        { filterType: 'PRICE_FILTER', minPrice: '0.01', maxPrice: '1000000.00', tickSize: '0.01' },
        { filterType: 'LOT_SIZE', minQty: '0.00001', maxQty: '9000.00', stepSize: '0.00001' },
        { filterType: 'NOTIONAL', minNotional: '5.00', applyMinToMarket: true, maxNotional: '9000000.00', applyMaxToMarket: false, avgPriceMins: 5 },
      ],
    },
  ],
};
