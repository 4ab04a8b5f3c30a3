/**
 * Just enough of binance's spot REST API on 127.0.0.1 for a real `ccxt.binance` to load markets and fetch
 * candles: `exchangeInfo` and `klines`. Candles come from a function of the time asked for, so a test on a fake
 * clock sees closed candles appear as its clock moves.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { binance } from 'ccxt';

export type Candle = readonly [number, number, number, number, number, number];

export class LocalBinance {
  readonly server: Server = createServer((req, res) => this.handle(req, res));
  base = '';
  /** Requests to klines so far. */
  readonly klineRequests: URLSearchParams[] = [];
  /** Kline requests to fail (connection dropped) before serving again. */
  dropNext = 0;

  constructor(
    /** Every candle the exchange has at this moment, oldest first (the last may still be forming). */
    private readonly candles: () => readonly Candle[],
  ) {}

  async start(): Promise<void> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    const address = this.server.address();
    if (address === null || typeof address === 'string') throw new Error('server is not listening on TCP');
    this.base = `http://127.0.0.1:${address.port}`;
  }

  stop(): Promise<void> {
    return new Promise((resolve) => this.server.close(() => resolve()));
  }

  /** A real ccxt binance whose REST base URLs point at this server. */
  exchange(): binance {
    const ex = new binance({ enableRateLimit: false, options: { fetchMarkets: { types: ['spot'] }, fetchCurrencies: false } });
    for (const [key, url] of Object.entries(ex.urls.api)) {
      if (typeof url === 'string') ex.urls.api[key] = url.replace(/^https:\/\/[^/]+/, this.base);
    }
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
      res.end(JSON.stringify(EXCHANGE_INFO));
      return;
    }
    if (url.pathname === '/api/v3/klines') {
      this.klineRequests.push(url.searchParams);
      const start = Number(url.searchParams.get('startTime') ?? 0);
      const limit = Number(url.searchParams.get('limit') ?? 500);
      const page = this.candles()
        .filter((c) => c[0] >= start)
        .slice(0, limit)
        .map((c) => [c[0], ...c.slice(1).map(String), c[0] + 59_999, '0', 1, '0', '0', '0']);
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
