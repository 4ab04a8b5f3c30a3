/**
 * Per-token rate-limit counters in Redis, shared by every gateway on it (a store for `@fastify/rate-limit`).
 * The plugin's own Redis store hands a client error back as a bare Error (a 500) and, on a client without an
 * offline queue, fails with "Stream isn't writeable" while connecting. Here a counter that cannot be counted
 * is a 503 `RATE_LIMIT_UNAVAILABLE` with its cause: agent routes refuse (fail closed, as /readyz says), ops
 * routes skip the count (`skipOnError`) so ops can still read status and act while Redis is down.
 *
 * Fixed windows, as the plugin's stores: the first request of a window sets its expiry, later ones read what
 * is left of it (the retry hint).
 */
import type { FastifyRateLimitStore, FastifyRateLimitStoreCtor } from '@fastify/rate-limit';
import type { Redis } from 'ioredis';
import { GatewayError } from './errors.js';

// INCR and the window's expiry in one step; a key found without expiry (never written so here) gets one, so a
// token can never be locked out for good.
const INCR_LUA = `
local current = redis.call('INCR', KEYS[1])
local window = tonumber(ARGV[1])
local ttl = window
if current == 1 then
  redis.call('PEXPIRE', KEYS[1], window)
else
  ttl = redis.call('PTTL', KEYS[1])
  if ttl < 0 then
    redis.call('PEXPIRE', KEYS[1], window)
    ttl = window
  end
end
return {current, ttl}
`;

const COMMAND = 'bulwarkRateLimitIncr';

type IncrCallback = (err: Error | null, res?: { current: number; ttl: number }) => void;
type WithIncr = Redis & { [COMMAND](key: string, windowMs: number, cb: (err: Error | null | undefined, res?: unknown) => void): void };

export function unavailable(why: string): GatewayError {
  return new GatewayError('RATE_LIMIT_UNAVAILABLE', `the rate-limit counters in Redis cannot be counted (${why}): orders are refused`);
}

/** A store class over one ioredis client; `nameSpace` prefixes every key (then method, route and token). */
export function redisRateLimitStore(redis: Redis, nameSpace: string): FastifyRateLimitStoreCtor {
  if (!(COMMAND in redis)) redis.defineCommand(COMMAND, { numberOfKeys: 1, lua: INCR_LUA });
  const client = redis as WithIncr;

  class RedisRateLimitStore implements FastifyRateLimitStore {
    constructor(
      _options: unknown,
      private readonly prefix = nameSpace,
    ) {}

    incr(key: string, callback: IncrCallback, timeWindow: number): void {
      // Without an offline queue a command on a connection that is not ready fails anyway: say why at once.
      if (client.status !== 'ready') {
        callback(unavailable(`connection ${client.status}`));
        return;
      }
      client[COMMAND](this.prefix + key, timeWindow, (err, res) => {
        if (err !== null && err !== undefined) return callback(unavailable(err.message));
        if (!Array.isArray(res) || typeof res[0] !== 'number' || typeof res[1] !== 'number') return callback(unavailable('unexpected reply'));
        callback(null, { current: res[0], ttl: res[1] });
      });
    }

    // The plugin passes the route's merged options with `routeInfo` (its typings say RouteOptions): one
    // counter per route and token, as its own stores keep.
    child(routeOptions: unknown): FastifyRateLimitStore {
      const info = (routeOptions as { routeInfo?: { method?: unknown; url?: unknown } }).routeInfo;
      const method = Array.isArray(info?.method) ? info.method.join(',') : String(info?.method ?? '');
      return new RedisRateLimitStore(undefined, `${this.prefix}${method}${String(info?.url ?? '')}-`);
    }
  }
  return RedisRateLimitStore as unknown as FastifyRateLimitStoreCtor;
}
