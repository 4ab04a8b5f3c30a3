/**
 * Where trading states live. Every store keeps a local `StateCache` current, so the gatekeeper's hot path
 * reads memory only; `health` says whether that cache can be trusted. Stores carry an epoch (`StoreEpoch`):
 * readers compare (epoch, version), and a store without a restored epoch is UNKNOWN (fail closed).
 */
import type { StateCache, StateListener } from './state-cache.js';
import type { StateChange, StateRecord, StoreEpoch, StoreHealth } from './trading-state.js';

export interface SetOptions {
  /**
   * Refuse the change, atomically inside the store, when the scope is now stricter than `change.state`
   * (a kill never loosens: `KillSwitch.kill` and `bulwark kill` set it). Default false.
   */
  readonly tightenOnly?: boolean;
}

/** Everything a store holds, read at once: what a restore merges with and must not have changed under it. */
export interface StoreSnapshot {
  readonly epoch: StoreEpoch | undefined;
  readonly records: readonly StateRecord[];
  /** Scopes (or hash fields) whose records cannot be read. */
  readonly unreadable: readonly string[];
  /** Opaque: the store refuses a `replaceAll` unless it still matches this token. */
  readonly token: string;
}

/** The store changed between the snapshot and the restore; the caller reads again and retries. */
export class RestoreConflictError extends Error {
  constructor(where: string) {
    super(`${where}: changed while restoring (a concurrent change); read it again`);
    this.name = 'RestoreConflictError';
  }
}

export interface TradingStateStore {
  /** The local copy the gatekeeper reads; kept current by the store. */
  readonly cache: StateCache;
  /** Whether the cache reflects the store at time `nowMs` (ms since epoch, from the injected clock). */
  health(nowMs: number): StoreHealth;
  /** Why the health is UNKNOWN (or UNAVAILABLE), in words for messages and reject details; '' when OK. */
  healthProblem(): string;
  /** The epoch the cache follows; undefined before the first read or when the store has none. */
  epoch(): StoreEpoch | undefined;
  /**
   * Sets a scope's state (an operator's action). A tightening is always written, under the store's current
   * epoch (a new unrestored one if it has none: a brake never waits for a restore); a loosening needs the
   * restored epoch this cache follows. Rejects if the store cannot be written or refuses.
   */
  set(change: StateChange, options?: SetOptions): Promise<StateRecord>;
  /**
   * Moves a scope to `change.state` only if that is stricter than its current state (automatic triggers).
   * Resolves with the new record, or undefined when the scope was already at least as strict.
   */
  escalate(change: StateChange): Promise<StateRecord | undefined>;
  /** Reads everything the store holds (for a restore). */
  snapshot(): Promise<StoreSnapshot>;
  /**
   * Atomically replaces every state with `records` under the new `epoch` (a restore), provided the store still
   * matches `expected` (else rejects with `RestoreConflictError`). Every reader adopts the new epoch.
   */
  replaceAll(epoch: StoreEpoch, records: readonly StateRecord[], expected: StoreSnapshot): Promise<void>;
  onChange(listener: StateListener): () => void;
  close(): Promise<void>;
}
