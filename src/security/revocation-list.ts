/**
 * Revoked token ids (jti). Checked on every request from a local set, so the check costs a hash lookup; the
 * Redis list keeps that set current by pub/sub (at once) and by a full re-read every `pollIntervalMs` (so a
 * lost message costs at most one poll). A list that has not been confirmed for `maxAgeMs` is not OK, and the
 * verifier then refuses every token: a revocation is honoured within `maxAgeMs` (1 s) or nothing passes.
 * An entry is kept until its token would have expired anyway.
 */
import { Redis } from 'ioredis';
import type { Clock } from '../core/index.js';

export type RevocationHealth = 'OK' | 'STALE' | 'UNAVAILABLE';

export interface RevocationList {
  isRevoked(jti: string): boolean;
  /** Adds `jti` until `expiresAtMs` (when its token expires anyway). Rejects if the list cannot be written. */
  revoke(jti: string, expiresAtMs: number): Promise<void>;
  health(nowMs: number): RevocationHealth;
  close(): Promise<void>;
}

/** The embedded default: revocations live in this process. */
export class MemoryRevocationList implements RevocationList {
  private readonly revoked = new Map<string, number>();
  private closed = false;

  constructor(private readonly clock: Clock) {}

  isRevoked(jti: string): boolean {
    const until = this.revoked.get(jti);
    if (until === undefined) return false;
    if (until <= this.clock.nowMs()) this.revoked.delete(jti);
    return true;
  }

  revoke(jti: string, expiresAtMs: number): Promise<void> {
    if (this.closed) return Promise.reject(new Error('revocation list: closed'));
    this.revoked.set(jti, Math.max(expiresAtMs, this.revoked.get(jti) ?? 0));
    return Promise.resolve();
  }

  health(): RevocationHealth {
    return this.closed ? 'UNAVAILABLE' : 'OK';
  }

  close(): Promise<void> {
    this.closed = true;
    return Promise.resolve();
  }
}

export interface RedisRevocationListOptions {
  readonly url: string;
  /** Prefix of the sorted set `<prefix>revoked` and the channel of the same name. Default `bulwark:tokens:`. */
  readonly keyPrefix?: string;
  readonly clock: Clock;
  /** Longest time without a confirmed read before the list is STALE. Default 1000 ms. */
  readonly maxAgeMs?: number;
  /** Full re-read interval. Default 250 ms. */
  readonly pollIntervalMs?: number;
  readonly connectTimeoutMs?: number;
}

export class RedisRevocationList implements RevocationList {
  private readonly cmd: Redis;
  private readonly sub: Redis;
  private readonly key: string;
  private readonly clock: Clock;
  private readonly maxAgeMs: number;
  private readonly timer: NodeJS.Timeout;
  /** jti → ms when its token expires. Entries leave only by expiry, never because Redis forgot them. */
  private readonly revoked = new Map<string, number>();
  private lastSyncMs = Number.NEGATIVE_INFINITY;
  private polling = false;
  private closed = false;
  lastError = '';

  constructor(options: RedisRevocationListOptions) {
    this.key = `${options.keyPrefix ?? 'bulwark:tokens:'}revoked`;
    this.clock = options.clock;
    this.maxAgeMs = options.maxAgeMs ?? 1000;
    const redisOptions = {
      lazyConnect: true,
      enableOfflineQueue: false,
      maxRetriesPerRequest: 0,
      connectTimeout: options.connectTimeoutMs ?? 1000,
      retryStrategy: (times: number) => Math.min(50 * times, 1000),
    };
    this.cmd = new Redis(options.url, redisOptions);
    this.sub = new Redis(options.url, redisOptions);
    for (const conn of [this.cmd, this.sub]) conn.on('error', (err: Error) => void (this.lastError = err.message));
    this.sub.on('message', (channel: string, message: string) => {
      if (channel !== this.key) return;
      const space = message.indexOf(' ');
      const expiresAtMs = Number(message.slice(0, space));
      if (space > 0 && Number.isFinite(expiresAtMs)) this.remember(message.slice(space + 1), expiresAtMs);
    });
    // After a reconnect, revocations published while away were missed: re-read as soon as both are back.
    this.sub.on('ready', () => void this.poll());
    this.cmd.on('ready', () => void this.poll());
    this.timer = setInterval(() => void this.poll(), options.pollIntervalMs ?? 250);
    this.timer.unref();
  }

  async connect(): Promise<void> {
    try {
      await Promise.all([this.cmd.connect(), this.sub.connect()]);
      await this.sub.subscribe(this.key);
      await this.sync();
    } catch (err) {
      throw new Error(`revocation list: cannot connect to Redis (${this.lastError || (err instanceof Error ? err.message : String(err))})`);
    }
  }

  isRevoked(jti: string): boolean {
    return this.revoked.has(jti);
  }

  async revoke(jti: string, expiresAtMs: number): Promise<void> {
    try {
      await this.cmd.multi().zadd(this.key, 'GT', expiresAtMs, jti).publish(this.key, `${expiresAtMs} ${jti}`).exec();
    } catch (err) {
      throw new Error(`revocation list: cannot write to Redis (${err instanceof Error ? err.message : String(err)})`);
    }
    this.remember(jti, expiresAtMs);
  }

  health(nowMs: number): RevocationHealth {
    if (this.closed || this.lastSyncMs === Number.NEGATIVE_INFINITY) return 'UNAVAILABLE';
    if (this.cmd.status !== 'ready' || this.sub.status !== 'ready') return 'UNAVAILABLE';
    return nowMs - this.lastSyncMs > this.maxAgeMs ? 'STALE' : 'OK';
  }

  async close(): Promise<void> {
    this.closed = true;
    clearInterval(this.timer);
    this.cmd.disconnect();
    this.sub.disconnect();
    await Promise.resolve();
  }

  private remember(jti: string, expiresAtMs: number): void {
    this.revoked.set(jti, Math.max(expiresAtMs, this.revoked.get(jti) ?? 0));
  }

  /**
   * Reads every live entry and merges it in; drops expired ones here and in Redis; writes back what this
   * process knows but Redis lost (a wipe or restart must not un-revoke a token anywhere).
   */
  private async sync(): Promise<void> {
    const startedMs = this.clock.nowMs();
    const [, flat] = await Promise.all([
      this.cmd.zremrangebyscore(this.key, '-inf', startedMs),
      this.cmd.zrangebyscore(this.key, startedMs, '+inf', 'WITHSCORES'),
    ]);
    const inRedis = new Set<string>();
    for (let i = 0; i + 1 < flat.length; i += 2) {
      inRedis.add(flat[i]);
      this.remember(flat[i], Number(flat[i + 1]));
    }
    const missing: (string | number)[] = [];
    for (const [jti, expiresAtMs] of this.revoked) {
      if (expiresAtMs <= startedMs) this.revoked.delete(jti);
      else if (!inRedis.has(jti)) missing.push(expiresAtMs, jti);
    }
    if (missing.length > 0) await this.cmd.zadd(this.key, 'GT', ...missing);
    this.lastSyncMs = startedMs;
  }

  private async poll(): Promise<void> {
    if (this.polling || this.closed) return;
    // A command on a lazily connected client starts the connection itself and then fails ("Stream isn't
    // writeable": no offline queue), and makes connect() reject as already connecting. Before the first
    // connect there is nothing to poll; a dropped connection is re-read on 'ready'.
    if (this.cmd.status !== 'ready') return;
    this.polling = true;
    try {
      await this.sync();
    } catch (err) {
      this.lastError = err instanceof Error ? err.message : String(err);
    } finally {
      this.polling = false;
    }
  }
}
