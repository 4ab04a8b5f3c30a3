/**
 * The embedded default store: states live in this process only, so its cache is always current and it cannot
 * lose its state while a gatekeeper reads it. It starts in a restored epoch of its own (nothing to restore from
 * in a process that just started; a host that keeps an audit log restores into it on start).
 */
import { randomUUID } from 'node:crypto';
import type { Clock } from '../core/index.js';
import { StateCache, type StateListener } from './state-cache.js';
import { RestoreConflictError, type SetOptions, type StoreSnapshot, type TradingStateStore } from './state-store.js';
import { type StateChange, type StateRecord, type StoreEpoch, type StoreHealth, strictness } from './trading-state.js';

export class MemoryStateStore implements TradingStateStore {
  readonly cache = new StateCache();
  private version = 0;
  private closed = false;
  private current: StoreEpoch;

  constructor(private readonly clock: Clock) {
    this.current = { id: randomUUID(), restored: true, createdAtMs: clock.nowMs(), actor: 'system', reason: 'embedded store started' };
  }

  health(): StoreHealth {
    return this.closed ? 'UNAVAILABLE' : 'OK';
  }

  healthProblem(): string {
    return this.closed ? 'store closed' : '';
  }

  epoch(): StoreEpoch {
    return this.current;
  }

  // A closed store rejects (as the interface says) rather than throwing synchronously: the gatekeeper's
  // triggers call `escalate` from inside `check` and only handle a rejected promise.
  set(change: StateChange, options: SetOptions = {}): Promise<StateRecord> {
    if (this.closed) return this.rejectClosed();
    const cur = this.cache.stateOf(change.scope);
    if (options.tightenOnly === true && strictness(change.state) < strictness(cur)) {
      return Promise.reject(new Error(`${change.scope} is ${cur}: a kill never loosens (${change.state} refused)`));
    }
    return Promise.resolve(this.write(change));
  }

  escalate(change: StateChange): Promise<StateRecord | undefined> {
    const cur = this.cache.stateOf(change.scope);
    if (strictness(change.state) <= strictness(cur)) return Promise.resolve(undefined);
    return this.closed ? this.rejectClosed() : Promise.resolve(this.write(change));
  }

  snapshot(): Promise<StoreSnapshot> {
    if (this.closed) return this.rejectClosed();
    return Promise.resolve({ epoch: this.current, records: this.cache.all(), unreadable: [], token: this.token() });
  }

  replaceAll(epoch: StoreEpoch, records: readonly StateRecord[], expected: StoreSnapshot): Promise<void> {
    if (this.closed) return this.rejectClosed();
    if (expected.token !== this.token()) return Promise.reject(new RestoreConflictError('in-memory trading state store'));
    this.current = epoch;
    this.version = records.reduce((v, r) => Math.max(v, r.version), 0);
    this.cache.replaceAll(records);
    return Promise.resolve();
  }

  onChange(listener: StateListener): () => void {
    return this.cache.onChange(listener);
  }

  close(): Promise<void> {
    this.closed = true;
    return Promise.resolve();
  }

  private token(): string {
    return `${this.current.id}:${this.version}`;
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
      epoch: this.current.id,
    };
    this.cache.apply(record);
    return record;
  }
}
