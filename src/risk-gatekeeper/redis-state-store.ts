/**
 * Trading states in Redis, shared by every gatekeeper process.
 * - `<prefix>states`: hash scope → JSON record; `<prefix>version`: the version counter; `<prefix>epoch`: the
 *   store's epoch (`StoreEpoch`), which tells a store that lost its state from one that holds none.
 * - Every change is made by one Lua script (read, compare, bump version, write, publish) so that two
 *   writers never interleave, and "only stricter" for automatic triggers is decided inside Redis.
 * - Every change is published on `<prefix>changes`; every store subscribes and updates its cache.
 * - The hash is also polled every `pollIntervalMs`: a successful read is the heartbeat. When the last one
 *   is older than `maxStateAgeMs` on the injected clock the store is STALE; with a connection down it is
 *   UNAVAILABLE; without a restored epoch, or with an unreadable record, UNKNOWN. The gatekeeper fails closed
 *   on all three. A new restored epoch (a restore) is adopted whole; records of an epoch not restored only
 *   tighten the cache.
 */
import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { z } from 'zod';
import type { Clock } from '../core/index.js';
import { StateCache, type StateListener } from './state-cache.js';
import { RestoreConflictError, type SetOptions, type StoreSnapshot, type TradingStateStore } from './state-store.js';
import { type StateChange, type StateRecord, type StoreEpoch, type StoreHealth, parseScope } from './trading-state.js';

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

// Keys: states hash, version counter, epoch. An unreadable current record counts as HALTED (fail closed).
// A tightening is written under whatever epoch the store has (a new unrestored one if none: a brake never
// waits); a loosening needs the store's restored epoch to be the one the writer follows (ARGV[8]).
const SET_SCRIPT = `
local rank = { ACTIVE = 0, REDUCING = 1, HALTED = 2 }
local prev = 'ACTIVE'
local cur = redis.call('HGET', KEYS[1], ARGV[2])
if cur then
  local ok, rec = pcall(cjson.decode, cur)
  if ok and type(rec) == 'table' and rank[rec.state] then prev = rec.state else prev = 'HALTED' end
end
local target = rank[ARGV[3]]
if ARGV[7] == 'escalate' and target <= rank[prev] then return '' end
if ARGV[7] == 'kill' and target < rank[prev] then return cjson.encode({ refused = 'LOOSER', current = prev }) end
local epochId = nil
local restored = false
local epochJson = redis.call('GET', KEYS[3])
if epochJson then
  local ok, e = pcall(cjson.decode, epochJson)
  if ok and type(e) == 'table' and type(e.id) == 'string' then
    epochId = e.id
    restored = e.restored == true
  end
end
local tightening = target > 0 and target >= rank[prev]
if not tightening then
  if epochId == nil then return cjson.encode({ refused = 'NO_EPOCH' }) end
  if not restored then return cjson.encode({ refused = 'NOT_RESTORED', epoch = epochId }) end
  if epochId ~= ARGV[8] then return cjson.encode({ refused = 'EPOCH_CHANGED', epoch = epochId }) end
end
if epochId == nil then
  redis.call('SET', KEYS[3], ARGV[9])
  epochId = cjson.decode(ARGV[9]).id
end
local v = redis.call('INCR', KEYS[2])
local rec = cjson.encode({ scope = ARGV[2], state = ARGV[3], version = v, actor = ARGV[4], reason = ARGV[5],
  changedAtMs = tonumber(ARGV[6]), previous = prev, epoch = epochId })
redis.call('HSET', KEYS[1], ARGV[2], rec)
redis.call('PUBLISH', ARGV[1], rec)
return rec
`;

// Replaces everything under a new epoch if epoch and version are still what the snapshot read (ARGV[2..3]).
// The new epoch is published so every reader re-reads and adopts it at once.
const REPLACE_SCRIPT = `
local e = redis.call('GET', KEYS[3]) or ''
local v = redis.call('GET', KEYS[2]) or ''
if e ~= ARGV[2] or v ~= ARGV[3] then return 'CONFLICT' end
redis.call('DEL', KEYS[1])
local n = 0
for i = 5, #ARGV do
  local r = cjson.decode(ARGV[i])
  redis.call('HSET', KEYS[1], r.scope, ARGV[i])
  if r.version > n then n = r.version end
end
redis.call('SET', KEYS[2], n)
redis.call('SET', KEYS[3], ARGV[4])
redis.call('PUBLISH', ARGV[1], ARGV[4])
return 'OK'
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
  epoch: z.string().optional(),
});
const epochSchema = z.object({
  id: z.string().min(1),
  restored: z.boolean(),
  createdAtMs: z.number(),
  actor: z.string(),
  reason: z.string(),
});
const refusalSchema = z.object({ refused: z.enum(['LOOSER', 'NO_EPOCH', 'NOT_RESTORED', 'EPOCH_CHANGED']), current: z.string().optional(), epoch: z.string().optional() });

function parseRecord(json: string): StateRecord {
  const r = recordSchema.parse(JSON.parse(json));
  const { epoch, ...rest } = r;
  return { ...rest, scope: parseScope(r.scope), ...(epoch === undefined ? {} : { epoch }) };
}

function parseEpoch(json: string): StoreEpoch {
  return epochSchema.parse(JSON.parse(json));
}

/** A JSON message on the changes channel: a record, or a new epoch (re-read everything). */
function isEpochMessage(json: string): boolean {
  return json.includes('"restored"');
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
  private readonly epochKey: string;
  private readonly channel: string;
  private readonly cmd: Redis;
  private readonly sub: Redis;
  private readonly clock: Clock;
  private readonly maxStateAgeMs: number;
  private readonly where: string;
  private lastSyncMs = Number.NEGATIVE_INFINITY;
  /** The restored epoch the cache follows. */
  private followed: StoreEpoch | undefined;
  /** Why the state cannot be trusted now ('' when it can). */
  private unknown = '';
  private polling = false;
  private pollAgain = false;
  private closed = false;
  private timer: NodeJS.Timeout | undefined;
  lastError = '';

  constructor(options: RedisStateStoreOptions) {
    this.keyPrefix = options.keyPrefix ?? 'bulwark:ks:';
    this.statesKey = `${this.keyPrefix}states`;
    this.versionKey = `${this.keyPrefix}version`;
    this.epochKey = `${this.keyPrefix}epoch`;
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
      if (channel === this.channel) this.onMessage(message);
    });
    // After a reconnect, changes published while away were missed (and the server may have lost everything):
    // re-read at once.
    this.sub.on('ready', () => void this.poll());
    this.cmd.on('ready', () => void this.poll());
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
    if (this.closed || this.lastSyncMs === Number.NEGATIVE_INFINITY) return 'UNAVAILABLE';
    if (this.cmd.status !== 'ready' || this.sub.status !== 'ready') return 'UNAVAILABLE';
    if (this.unknown !== '') return 'UNKNOWN';
    return nowMs - this.lastSyncMs > this.maxStateAgeMs ? 'STALE' : 'OK';
  }

  healthProblem(): string {
    if (this.closed) return 'store closed';
    if (this.lastSyncMs === Number.NEGATIVE_INFINITY || this.cmd.status !== 'ready' || this.sub.status !== 'ready') {
      return `unreachable: ${this.where}${this.lastError === '' ? '' : ` (${this.lastError})`}`;
    }
    return this.unknown;
  }

  epoch(): StoreEpoch | undefined {
    return this.followed;
  }

  async set(change: StateChange, options: SetOptions = {}): Promise<StateRecord> {
    const record = await this.runSet(change, options.tightenOnly === true ? 'kill' : 'set');
    if (record === undefined) throw new Error(`trading state store ${this.where}: set returned nothing`);
    return record;
  }

  escalate(change: StateChange): Promise<StateRecord | undefined> {
    return this.runSet(change, 'escalate');
  }

  async snapshot(): Promise<StoreSnapshot> {
    let reply: [string | null, string | null, Record<string, string>];
    try {
      reply = await this.readRaw();
    } catch (err) {
      throw new Error(`trading state store ${this.where}: cannot read (${describe(err, this.lastError)})`);
    }
    const [epochJson, version, all] = reply;
    const records: StateRecord[] = [];
    const unreadable: string[] = [];
    for (const [field, json] of Object.entries(all)) {
      try {
        records.push(parseRecord(json));
      } catch {
        unreadable.push(field);
      }
    }
    let epoch: StoreEpoch | undefined;
    if (epochJson !== null) {
      try {
        epoch = parseEpoch(epochJson);
      } catch {
        unreadable.push('(epoch)');
      }
    }
    return { epoch, records, unreadable, token: JSON.stringify([epochJson ?? '', version ?? '']) };
  }

  async replaceAll(epoch: StoreEpoch, records: readonly StateRecord[], expected: StoreSnapshot): Promise<void> {
    const parsed: unknown = JSON.parse(expected.token);
    const token = z.tuple([z.string(), z.string()]).parse(parsed);
    let reply: unknown;
    try {
      reply = await this.cmd.eval(
        REPLACE_SCRIPT,
        3,
        this.statesKey,
        this.versionKey,
        this.epochKey,
        this.channel,
        token[0],
        token[1],
        JSON.stringify(epoch),
        ...records.map((r) => JSON.stringify(r)),
      );
    } catch (err) {
      throw new Error(`trading state store ${this.where}: cannot restore (${describe(err, this.lastError)})`);
    }
    if (reply === 'CONFLICT') throw new RestoreConflictError(`trading state store ${this.where}`);
    this.adopt(epoch, records);
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

  /** Deletes this prefix's keys (tests and resets by an operator): readers then fail closed until a restore. */
  async deleteAll(): Promise<void> {
    await this.cmd.del(this.statesKey, this.versionKey, this.epochKey);
  }

  private async runSet(change: StateChange, mode: 'set' | 'kill' | 'escalate'): Promise<StateRecord | undefined> {
    const fresh: StoreEpoch = {
      id: randomUUID(),
      restored: false,
      createdAtMs: this.clock.nowMs(),
      actor: change.actor,
      reason: `${change.state} of ${change.scope} on a store without an epoch (not restored)`,
    };
    let reply: unknown;
    try {
      reply = await this.cmd.eval(
        SET_SCRIPT,
        3,
        this.statesKey,
        this.versionKey,
        this.epochKey,
        this.channel,
        change.scope,
        change.state,
        change.actor,
        change.reason,
        String(this.clock.nowMs()),
        mode,
        this.followed?.id ?? '',
        JSON.stringify(fresh),
      );
    } catch (err) {
      throw new Error(`trading state store ${this.where}: cannot write ${change.scope} (${describe(err, this.lastError)})`);
    }
    if (typeof reply !== 'string') throw new Error(`trading state store ${this.where}: unexpected reply to a state change`);
    if (reply === '') return undefined;
    if (reply.includes('"refused"')) throw this.refusal(change, reply);
    const record = parseRecord(reply);
    // Apply now rather than when our own publication comes back: this process enforces it at once.
    this.applyRecord(record);
    return record;
  }

  private refusal(change: StateChange, reply: string): Error {
    const r = refusalSchema.parse(JSON.parse(reply));
    const what = `${change.state} of ${change.scope} refused`;
    switch (r.refused) {
      case 'LOOSER':
        return new Error(`${change.scope} is ${r.current ?? '?'}: a kill never loosens (${change.state} refused); use resume`);
      case 'NO_EPOCH':
        return new Error(`${what}: the store ${this.where} has no epoch (it lost its state); restore it first (bulwark kill restore)`);
      case 'NOT_RESTORED':
        return new Error(`${what}: the store's epoch ${r.epoch ?? '?'} was not restored from the audit log; restore it first (bulwark kill restore)`);
      case 'EPOCH_CHANGED':
        return new Error(`${what}: the store's epoch changed to ${r.epoch ?? '?'} (restored elsewhere); read it again before loosening`);
    }
  }

  /** A record of the followed epoch is applied by version; any other makes us re-read (epochs are adopted there). */
  private applyRecord(record: StateRecord): void {
    if (this.unknown === '' && this.followed !== undefined && record.epoch === this.followed.id) {
      this.cache.apply(record);
      return;
    }
    // A kill under an epoch we do not follow (or while the state is unknown) still reaches this cache.
    this.cache.tighten(record);
    void this.poll();
  }

  private onMessage(json: string): void {
    if (isEpochMessage(json)) {
      void this.poll();
      return;
    }
    try {
      this.applyRecord(parseRecord(json));
    } catch (err) {
      this.lastError = `unreadable state record: ${describe(err, '')}`;
      void this.poll();
    }
  }

  private adopt(epoch: StoreEpoch, records: readonly StateRecord[]): void {
    this.followed = epoch;
    this.unknown = '';
    this.cache.replaceAll(records);
  }

  private async readRaw(): Promise<[string | null, string | null, Record<string, string>]> {
    const replies = await this.cmd.multi().get(this.epochKey).get(this.versionKey).hgetall(this.statesKey).exec();
    if (replies === null) throw new Error('transaction aborted');
    const [[e1, epochJson], [e2, version], [e3, all]] = replies;
    const err = e1 ?? e2 ?? e3;
    if (err) throw err;
    const hash = z.record(z.string(), z.string()).parse(all);
    return [typeof epochJson === 'string' ? epochJson : null, typeof version === 'string' ? version : null, hash];
  }

  /** Reads epoch and states at once; a successful read is the heartbeat. */
  private async readAll(): Promise<void> {
    const startedMs = this.clock.nowMs();
    const snap = await this.snapshot();
    this.lastSyncMs = startedMs;
    if (snap.unreadable.length > 0) {
      // A record we cannot read may be a stricter state we cannot see: fail closed until it is fixed.
      for (const r of snap.records) this.cache.tighten(r);
      this.unknown = `unreadable state record(s): ${snap.unreadable.join(', ')}`;
      return;
    }
    const epoch = snap.epoch;
    if (epoch === undefined) {
      // Records without an epoch are of unknown provenance: they may only tighten.
      for (const r of snap.records) this.cache.tighten(r);
      this.unknown = 'no epoch: the store lost its state (wiped or restarted) or was never restored; run bulwark kill restore';
      return;
    }
    if (this.followed !== undefined && epoch.id === this.followed.id) {
      for (const r of snap.records) this.cache.apply(r);
      this.unknown = '';
      return;
    }
    if (epoch.restored) {
      this.adopt(epoch, snap.records);
      return;
    }
    for (const r of snap.records) this.cache.tighten(r);
    this.unknown = `epoch ${epoch.id} was not restored from the audit log (made by a kill on a store that had lost its state); run bulwark kill restore`;
  }

  private async poll(): Promise<void> {
    if (this.closed) return;
    // A command on a lazily connected client would start the connection itself, racing connect(); before the
    // first connect there is nothing to poll, and a dropped connection is re-read on 'ready'.
    if (this.cmd.status !== 'ready') return;
    if (this.polling) {
      this.pollAgain = true;
      return;
    }
    this.polling = true;
    try {
      do {
        this.pollAgain = false;
        await this.readAll();
      } while (this.pollAgain && !this.closed);
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
