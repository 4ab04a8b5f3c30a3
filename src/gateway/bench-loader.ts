/**
 * The load generator of `bulwark bench gateway`, run as its own process (`node bench-loader.js`), so the gateway
 * under test has its event loop to itself, as it would behind real clients. It reads one load spec as JSON on
 * stdin (not argv: the spec carries a bearer token), runs it with autocannon and prints its figures as one JSON
 * line on stdout.
 */
import autocannon from 'autocannon';
import { definedFields } from '../core/index.js';

export interface LoadSpec {
  readonly url: string;
  readonly durationSec: number;
  readonly connections: number;
  readonly method: 'GET' | 'POST';
  readonly headers?: Record<string, string>;
  /** One fixed body for every request. */
  readonly body?: string;
  /** A fresh market order per request (alternating BUY and SELL, clientOrderId `<prefix><n>`), instead of `body`. */
  readonly orders?: { readonly symbol: string; readonly quantity: number; readonly clientOrderIdPrefix: string };
}

export interface LoadFigures {
  readonly rps: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly non2xx: number;
  readonly total: number;
  readonly errors: number;
}

export async function runLoad(spec: LoadSpec): Promise<LoadFigures> {
  const orders = spec.orders;
  let seq = 0;
  const requests: autocannon.Request[] | undefined =
    orders === undefined
      ? undefined
      : [
          {
            method: 'POST',
            setupRequest: (req) => {
              seq += 1;
              const side = seq % 2 === 0 ? 'SELL' : 'BUY';
              return { ...req, body: JSON.stringify({ symbol: orders.symbol, side, quantity: orders.quantity, type: 'MARKET', clientOrderId: `${orders.clientOrderIdPrefix}${seq}` }) };
            },
          },
        ];
  const r = await autocannon({
    url: spec.url,
    connections: spec.connections,
    pipelining: 1,
    duration: spec.durationSec,
    method: spec.method,
    ...definedFields({ headers: spec.headers, body: spec.body, requests }),
  });
  return { rps: r.requests.average, p50Ms: r.latency.p50, p99Ms: r.latency.p99, non2xx: r.non2xx, total: r.requests.total, errors: r.errors };
}

const invokedAsScript = process.argv[1] !== undefined && /bench-loader\.(js|ts)$/.test(process.argv[1]);
if (invokedAsScript) {
  const chunks: Buffer[] = [];
  process.stdin.on('data', (c: Buffer) => chunks.push(c));
  process.stdin.on('end', () => void main(Buffer.concat(chunks).toString('utf8')));
}

async function main(text: string): Promise<void> {
  try {
    const figures = await runLoad(JSON.parse(text) as LoadSpec);
    process.stdout.write(`${JSON.stringify(figures)}\n`);
  } catch (err) {
    process.stderr.write(`bench-loader: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exitCode = 1;
  }
}
