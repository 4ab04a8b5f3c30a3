/** The embedded default store: states live in this process only, so its cache is always current. */
import type { Clock } from '../core/index.js';
import { StateCache, type StateListener } from './state-cache.js';
import type { TradingStateStore } from './state-store.js';
import { type StateChange, type StateRecord, type StoreHealth, strictness } from './trading-state.js';

export class MemoryStateStore implements TradingStateStore {
  readonly cache = new StateCache();
  private version = 0;
  private closed = false;

  constructor(private readonly clock: Clock) {}

  health(): StoreHealth {
    return this.closed ? 'UNAVAILABLE' : 'OK';
  }

  // A closed store rejects (as the interface says) rather than throwing synchronously: the gatekeeper's
  // triggers call `escalate` from inside `check` and only handle a rejected promise.
  set(change: StateChange): Promise<StateRecord> {
    return this.closed ? this.rejectClosed() : Promise.resolve(this.write(change));
  }

  escalate(change: StateChange): Promise<StateRecord | undefined> {
    const cur = this.cache.stateOf(change.scope);
    if (strictness(change.state) <= strictness(cur)) return Promise.resolve(undefined);
    return this.closed ? this.rejectClosed() : Promise.resolve(this.write(change));
  }

  restore(records: readonly StateRecord[]): Promise<void> {
    for (const r of records) {
      this.cache.apply(r);
      if (r.version > this.version) this.version = r.version;
    }
    return Promise.resolve();
  }

  onChange(listener: StateListener): () => void {
    return this.cache.onChange(listener);
  }

  close(): Promise<void> {
    this.closed = true;
    return Promise.resolve();
  }

  private rejectClosed(): Promise<never> {
    return Promise.reject(new Error('trading state store: closed'));
  }

  private write(change: StateChange): StateRecord {
    this.version += 1;
    const record: StateRecord = {
      scope: change.scope,
      state: change.state,
      version: this.version,
      actor: change.actor,
      reason: change.reason,
      changedAtMs: this.clock.nowMs(),
      previous: this.cache.stateOf(change.scope),
    };
    this.cache.apply(record);
    return record;
  }
}
