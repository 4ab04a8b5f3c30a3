/**
 * The in-memory copy of every scope's trading state that the hot path reads. Stores keep it current
 * (the Redis store from pub/sub and polling); lookups by agent id and symbol build no strings.
 */
import { type Scope, type StateRecord, type TradingState, stricterOf, strictness } from './trading-state.js';

export type StateListener = (record: StateRecord) => void;

export class StateCache {
  private globalState: TradingState = 'ACTIVE';
  private readonly agentStates = new Map<string, TradingState>();
  private readonly instrumentStates = new Map<string, TradingState>();
  private readonly records = new Map<Scope, StateRecord>();
  private readonly listeners = new Set<StateListener>();

  /**
   * Applies `record` if it is newer than what is cached for its scope; returns whether it was applied.
   * Throws a listener's error after applying.
   */
  apply(record: StateRecord): boolean {
    const cur = this.records.get(record.scope);
    if (cur && cur.version >= record.version) return false;
    this.put(record);
    this.notify([record]);
    return true;
  }

  private put(record: StateRecord): void {
    this.records.set(record.scope, record);
    if (record.scope === 'global') this.globalState = record.state;
    else if (record.scope.startsWith('agent:')) this.agentStates.set(record.scope.slice(6), record.state);
    else this.instrumentStates.set(record.scope.slice(11), record.state);
  }

  // Every listener runs even if one throws (the kill-switch must flatten though an audit write failed);
  // the first error is rethrown once all have seen the records, which stay applied.
  private notify(records: readonly StateRecord[]): void {
    let failure: { error: unknown } | undefined;
    for (const record of records) {
      for (const l of this.listeners) {
        try {
          l(record);
        } catch (error) {
          failure ??= { error };
        }
      }
    }
    if (failure !== undefined) throw failure.error;
  }

  /**
   * Replaces every record with `records` (a restored epoch: versions start afresh, so none is compared with
   * what was held). Listeners hear of every scope whose state changed; a scope that is gone becomes ACTIVE.
   */
  replaceAll(records: readonly StateRecord[]): void {
    const before = new Map(this.records);
    this.records.clear();
    this.globalState = 'ACTIVE';
    this.agentStates.clear();
    this.instrumentStates.clear();
    for (const r of records) this.put(r);
    const changed = records.filter((r) => before.get(r.scope)?.state !== r.state);
    this.notify(changed);
  }

  /**
   * Applies `record` only if it is stricter than what is cached for its scope, whatever the versions (a kill
   * written under an epoch this cache does not follow still reaches it); returns whether it was applied.
   */
  tighten(record: StateRecord): boolean {
    if (strictness(record.state) <= strictness(this.stateOf(record.scope))) return false;
    this.put(record);
    this.notify([record]);
    return true;
  }

  stateOf(scope: Scope): TradingState {
    return this.records.get(scope)?.state ?? 'ACTIVE';
  }

  record(scope: Scope): StateRecord | undefined {
    return this.records.get(scope);
  }

  /** The strictest state among global, the agent's and the instrument's. */
  effectiveState(agentId: string | undefined, symbol: string | undefined): TradingState {
    let s = this.globalState;
    if (s === 'HALTED') return s;
    if (agentId !== undefined) {
      const a = this.agentStates.get(agentId);
      if (a !== undefined) s = stricterOf(s, a);
    }
    if (symbol !== undefined) {
      const i = this.instrumentStates.get(symbol);
      if (i !== undefined) s = stricterOf(s, i);
    }
    return s;
  }

  /** Which scope makes the effective state what it is (for reason details); `global` when none is stricter. */
  decidingScope(agentId: string | undefined, symbol: string | undefined): Scope {
    const eff = this.effectiveState(agentId, symbol);
    if (this.globalState === eff) return 'global';
    if (agentId !== undefined && this.agentStates.get(agentId) === eff) return `agent:${agentId}`;
    if (symbol !== undefined && this.instrumentStates.get(symbol) === eff) return `instrument:${symbol}`;
    return 'global';
  }

  all(): StateRecord[] {
    return [...this.records.values()].sort((a, b) => a.scope.localeCompare(b.scope));
  }

  maxVersion(): number {
    let v = 0;
    for (const r of this.records.values()) if (r.version > v) v = r.version;
    return v;
  }

  onChange(listener: StateListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
}
