/**
 * Trading states in Redis, shared by every gatekeeper process.
 * - `<prefix>states`: hash scope → JSON record; `<prefix>version`: the version counter.
 * - Every change is made by one Lua script (read, compare, bump version, write, publish) so that two
 *   writers never interleave, and "only stricter" for automatic triggers is decided inside Redis.
 * - Every change is published on `<prefix>changes`; every store subscribes and updates its cache.
 * - The hash is also polled every `pollIntervalMs`: a successful read is the heartbeat. When the last one
 *   is older than `maxStateAgeMs` on the injected clock the store is STALE; with a connection down it is
 *   UNAVAILABLE. The gatekeeper fails closed on both.
 */
import { Redis } from 'ioredis';
import { z } from 'zod';
import type { Clock } from '../core/index.js';
import { StateCache, type StateListener } from './state-cache.js';
import type { TradingStateStore } from './state-store.js';
import { type StateChange, type StateRecord, type StoreHealth, parseScope } from './trading-state.js';

export interface RedisStateStoreOptions {
  /** e.g. redis://127.0.0.1:6379 */
  readonly url: string;
  /** Prefix of every key and of the channel. Default `bulwark:ks:`. */
  readonly keyPrefix?: string;
  readonly clock: Clock;
  /** A cache not confirmed by a read for longer than this is STALE. Default 1000 ms. */
  readonly maxStateAgeMs?: number;
  /** How often the hash is re-read (the heartbeat). Default 200 ms. */
  readonly pollIntervalMs?: number;
  readonly connectTimeoutMs?: number;
  /** Keep reconnecting after a lost connection (gatekeepers) or give up at once (one-shot CLI commands). Default true. */
  readonly reconnect?: boolean;
}

const SET_SCRIPT = `
local rank = { ACTIVE = 0, REDUCING = 1, HALTED = 2 }
local prev = 'ACTIVE'
local cur = redis.call('HGET', KEYS[1], ARGV[2])
if cur then prev = cjson.decode(cur).state end
if ARGV[7] == 'escalate' and rank[ARGV[3]] <= rank[prev] then return '' end
local v = redis.call('INCR', KEYS[2])
local rec = cjson.encode({ scope = ARGV[2], state = ARGV[3], version = v, actor = ARGV[4], reason = ARGV[5],
  changedAtMs = tonumber(ARGV[6]), previous = prev })
redis.call('HSET', KEYS[1], ARGV[2], rec)
redis.call('PUBLISH', ARGV[1], rec)
return rec
`;

const RESTORE_SCRIPT = `
local rec = cjson.decode(ARGV[2])
local cur = redis.call('HGET', KEYS[1], rec.scope)
if cur and cjson.decode(cur).version >= rec.version then return 0 end
local v = tonumber(redis.call('GET', KEYS[2]) or '0')
if v < rec.version then redis.call('SET', KEYS[2], rec.version) end
redis.call('HSET', KEYS[1], rec.scope, ARGV[2])
redis.call('PUBLISH', ARGV[1], ARGV[2])
return 1
`;

const stateEnum = z.enum(['ACTIVE', 'REDUCING', 'HALTED']);
const recordSchema = z.object({
  scope: z.string(),
  state: stateEnum,
  version: z.number().int().positive(),
  actor: z.string(),
  reason: z.string(),
  changedAtMs: z.number(),
  previous: stateEnum,
});

function parseRecord(json: string): StateRecord {
  const r = recordSchema.parse(JSON.parse(json));
  return { ...r, scope: parseScope(r.scope) };
}

/** The URL without its password, for messages. */
export function redactRedisUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return '(unparseable redis url)';
  }
}

export class RedisStateStore implements TradingStateStore {
  readonly cache = new StateCache();
  readonly keyPrefix: string;
  private readonly statesKey: string;
  private readonly versionKey: string;
  private readonly channel: string;
  private readonly cmd: Redis;
  private readonly sub: Redis;
  private readonly clock: Clock;
  private readonly maxStateAgeMs: number;
  private readonly where: string;
  private lastSyncMs = Number.NEGATIVE_INFINITY;
  private corrupt = false;
  private polling = false;
  private closed = false;
  private timer: NodeJS.Timeout | undefined;
  lastError = '';

  constructor(options: RedisStateStoreOptions) {
    this.keyPrefix = options.keyPrefix ?? 'bulwark:ks:';
    this.statesKey = `${this.keyPrefix}states`;
    this.versionKey = `${this.keyPrefix}version`;
    this.channel = `${this.keyPrefix}changes`;
    this.clock = options.clock;
    this.maxStateAgeMs = options.maxStateAgeMs ?? 1000;
    this.where = redactRedisUrl(options.url);
    const reconnect = options.reconnect ?? true;
    const redisOptions = {
      lazyConnect: true,
      enableOfflineQueue: false,
      maxRetriesPerRequest: 0,
      connectTimeout: options.connectTimeoutMs ?? 1000,
      retryStrategy: (times: number) => (reconnect ? Math.min(50 * times, 1000) : null),
    };
    this.cmd = new Redis(options.url, redisOptions);
    this.sub = new Redis(options.url, redisOptions);
    for (const conn of [this.cmd, this.sub]) {
      conn.on('error', (err: Error) => {
        this.lastError = err.message;
      });
    }
    this.sub.on('message', (channel: string, message: string) => {
      if (channel === this.channel) this.applyJson(message);
    });
    // After a reconnect, changes published while away were missed: re-read at once.
    this.sub.on('ready', () => void this.poll());
    const pollMs = options.pollIntervalMs ?? 200;
    this.timer = setInterval(() => void this.poll(), pollMs);
    this.timer.unref();
  }

  /**
   * Connects, subscribes and reads every state. Rejects with a message naming the server when it cannot;
   * a gatekeeper may ignore that and stay UNAVAILABLE (failing closed) until a reconnect succeeds.
   */
  async connect(): Promise<void> {
    try {
      await Promise.all([this.cmd.connect(), this.sub.connect()]);
      await this.sub.subscribe(this.channel);
      await this.readAll();
    } catch (err) {
      // ioredis reports a refused connection as 'Connection is closed.'; the socket error says why.
      const why = this.lastError !== '' ? this.lastError : describe(err, '');
      throw new Error(`trading state store ${this.where}: cannot connect (${why})`);
    }
  }

  health(nowMs: number): StoreHealth {
    if (this.closed || this.corrupt || this.lastSyncMs === Number.NEGATIVE_INFINITY) return 'UNAVAILABLE';
    if (this.cmd.status !== 'ready' || this.sub.status !== 'ready') return 'UNAVAILABLE';
    return nowMs - this.lastSyncMs > this.maxStateAgeMs ? 'STALE' : 'OK';
  }

  async set(change: StateChange): Promise<StateRecord> {
    const record = await this.runSet(change, 'set');
    if (record === undefined) throw new Error(`trading state store ${this.where}: set returned nothing`);
    return record;
  }

  escalate(change: StateChange): Promise<StateRecord | undefined> {
    return this.runSet(change, 'escalate');
  }

  async restore(records: readonly StateRecord[]): Promise<void> {
    for (const r of records) {
      try {
        await this.cmd.eval(RESTORE_SCRIPT, 2, this.statesKey, this.versionKey, this.channel, JSON.stringify(r));
      } catch (err) {
        throw new Error(`trading state store ${this.where}: cannot restore ${r.scope} (${describe(err, this.lastError)})`);
      }
      this.cache.apply(r);
    }
  }

  onChange(listener: StateListener): () => void {
    return this.cache.onChange(listener);
  }

  async close(): Promise<void> {
    this.closed = true;
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    this.cmd.disconnect();
    this.sub.disconnect();
    await Promise.resolve();
  }

  /** Deletes this prefix's keys (tests and resets by an operator). */
  async deleteAll(): Promise<void> {
    await this.cmd.del(this.statesKey, this.versionKey);
  }

  private async runSet(change: StateChange, mode: 'set' | 'escalate'): Promise<StateRecord | undefined> {
    let reply: unknown;
    try {
      reply = await this.cmd.eval(
        SET_SCRIPT,
        2,
        this.statesKey,
        this.versionKey,
        this.channel,
        change.scope,
        change.state,
        change.actor,
        change.reason,
        String(this.clock.nowMs()),
        mode,
      );
    } catch (err) {
      throw new Error(`trading state store ${this.where}: cannot write ${change.scope} (${describe(err, this.lastError)})`);
    }
    if (typeof reply !== 'string') throw new Error(`trading state store ${this.where}: unexpected reply to a state change`);
    if (reply === '') return undefined;
    const record = parseRecord(reply);
    // Apply now rather than when our own publication comes back: this process enforces it at once.
    this.cache.apply(record);
    return record;
  }

  private applyJson(json: string): boolean {
    try {
      this.cache.apply(parseRecord(json));
      return true;
    } catch (err) {
      this.lastError = `unreadable state record: ${describe(err, '')}`;
      return false;
    }
  }

  /** Reads every state; a successful read is the heartbeat. */
  private async readAll(): Promise<void> {
    const startedMs = this.clock.nowMs();
    const all = await this.cmd.hgetall(this.statesKey);
    let ok = true;
    for (const json of Object.values(all)) ok = this.applyJson(json) && ok;
    // A record we cannot read may be a stricter state we cannot see: fail closed until it is fixed.
    this.corrupt = !ok;
    this.lastSyncMs = startedMs;
  }

  private async poll(): Promise<void> {
    if (this.polling || this.closed) return;
    // A command on a lazily connected client would start the connection itself, racing connect(); before the
    // first connect there is nothing to poll, and a dropped connection is re-read on 'ready'.
    if (this.cmd.status !== 'ready') return;
    this.polling = true;
    try {
      await this.readAll();
    } catch (err) {
      this.lastError = describe(err, this.lastError);
    } finally {
      this.polling = false;
    }
  }
}

function describe(err: unknown, fallback: string): string {
  const msg = err instanceof Error ? err.message : String(err);
  return msg || fallback || 'unknown error';
}
