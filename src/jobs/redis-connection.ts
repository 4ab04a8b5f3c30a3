/**
 * The Redis a queue lives in. Before any BullMQ object is made, one PING with a short timeout and no retries:
 * BullMQ's own connections retry forever, so an unreachable or mistyped URL would otherwise hang the command.
 * Every message names the URL with its password redacted.
 */
import { Redis } from 'ioredis';
import { redactRedisUrl } from '../risk-gatekeeper/index.js';

export class QueueRedisError extends Error {
  readonly code = 'QUEUE_REDIS_UNREACHABLE';
}

/** Parses and checks a redis:// or rediss:// URL; the error shows it redacted. */
export function checkRedisUrl(url: string, flag: string): string {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new RangeError(`${flag}: must be a redis://HOST:PORT URL, got '${redactRedisUrl(url)}'`);
  }
  if (parsed.protocol !== 'redis:' && parsed.protocol !== 'rediss:') {
    throw new RangeError(`${flag}: must be a redis:// or rediss:// URL, got '${redactRedisUrl(url)}'`);
  }
  return url;
}

/** A connected client for the queue's own keys (results, counters); throws QueueRedisError when unreachable. */
export async function connectQueueRedis(url: string, timeoutMs = 3_000): Promise<Redis> {
  const client = new Redis(url, { lazyConnect: true, connectTimeout: timeoutMs, maxRetriesPerRequest: 1, retryStrategy: () => null, enableOfflineQueue: false });
  client.on('error', () => undefined); // surfaced by connect()/ping() below
  try {
    await client.connect();
    await client.ping();
  } catch (err) {
    client.disconnect();
    const why = err instanceof Error ? err.message : String(err);
    throw new QueueRedisError(`Redis at ${redactRedisUrl(url)} is unreachable (${why.replace(url, redactRedisUrl(url))}); start redis-server or give another --redis/--queue URL`);
  }
  // Past the check, keep retrying like BullMQ's own connections: a Redis restart mid-run is survived.
  client.options.retryStrategy = (times: number) => Math.min(times * 200, 2_000);
  client.options.maxRetriesPerRequest = null;
  client.options.enableOfflineQueue = true;
  return client;
}

/** Connection options for BullMQ's own clients (it requires maxRetriesPerRequest null on workers). */
export function bullConnection(url: string): { url: string; maxRetriesPerRequest: null } {
  return { url, maxRetriesPerRequest: null };
}
