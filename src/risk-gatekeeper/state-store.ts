/**
 * Where trading states live. Every store keeps a local `StateCache` current, so the gatekeeper's hot path
 * reads memory only; `health` says whether that cache can be trusted.
 */
import type { StateCache, StateListener } from './state-cache.js';
import type { StateChange, StateRecord, StoreHealth } from './trading-state.js';

export interface TradingStateStore {
  /** The local copy the gatekeeper reads; kept current by the store. */
  readonly cache: StateCache;
  /** Whether the cache reflects the store at time `nowMs` (ms since epoch, from the injected clock). */
  health(nowMs: number): StoreHealth;
  /** Sets a scope's state (an operator's action: may loosen). Rejects if the store cannot be written. */
  set(change: StateChange): Promise<StateRecord>;
  /**
   * Moves a scope to `change.state` only if that is stricter than its current state (automatic triggers).
   * Resolves with the new record, or undefined when the scope was already at least as strict.
   */
  escalate(change: StateChange): Promise<StateRecord | undefined>;
  /**
   * Puts back records rebuilt from the audit log after a restart: each is stored only if the store holds
   * nothing newer for its scope, and later versions continue after the highest restored one.
   */
  restore(records: readonly StateRecord[]): Promise<void>;
  onChange(listener: StateListener): () => void;
  close(): Promise<void>;
}
