/**
 * Trading states and the scopes they apply to. The strictest state of every scope that applies to an order
 * (global, its agent, its instrument) decides what passes.
 */

/**
 * - ACTIVE: every order that passes the pre-trade checks is allowed.
 * - REDUCING (soft kill): only orders after which |position| is smaller and on the same side of zero, both
 *   for the position now and for the position once every open order on the order's side has filled.
 * - HALTED (hard kill): every new order is refused; open orders are cancelled and positions flattened by
 *   the kill-switch, whose flattening orders are the only ones allowed.
 */
export type TradingState = 'ACTIVE' | 'REDUCING' | 'HALTED';

export const TRADING_STATES: readonly TradingState[] = ['ACTIVE', 'REDUCING', 'HALTED'];

/** `global`, `agent:ID` or `instrument:SYMBOL`. */
export type Scope = 'global' | `agent:${string}` | `instrument:${string}`;

/** Higher is stricter. */
export function strictness(state: TradingState): 0 | 1 | 2 {
  switch (state) {
    case 'ACTIVE':
      return 0;
    case 'REDUCING':
      return 1;
    case 'HALTED':
      return 2;
  }
}

export function stricterOf(a: TradingState, b: TradingState): TradingState {
  return strictness(a) >= strictness(b) ? a : b;
}

export function isTradingState(value: unknown): value is TradingState {
  return value === 'ACTIVE' || value === 'REDUCING' || value === 'HALTED';
}

/** Parses a scope given by an operator; throws a RangeError naming the problem. */
export function parseScope(text: string): Scope {
  if (text === 'global') return 'global';
  const colon = text.indexOf(':');
  const kind = colon < 0 ? text : text.slice(0, colon);
  const id = colon < 0 ? '' : text.slice(colon + 1);
  if (kind !== 'agent' && kind !== 'instrument') {
    throw new RangeError(`scope: must be global, agent:ID or instrument:SYMBOL, got '${text}'`);
  }
  if (id.trim() === '' || id !== id.trim()) {
    throw new RangeError(`scope: ${kind} id must be non-empty without surrounding spaces, got '${text}'`);
  }
  return kind === 'agent' ? `agent:${id}` : `instrument:${id}`;
}

/** One stored state of one scope. `version` grows with every change, so newer records win. */
export interface StateRecord {
  readonly scope: Scope;
  readonly state: TradingState;
  readonly version: number;
  /** `operator:ID` for ops, `system` for automatic triggers. */
  readonly actor: string;
  readonly reason: string;
  /** Clock time of the change, ms since epoch. */
  readonly changedAtMs: number;
  /** State before this change. */
  readonly previous: TradingState;
  /**
   * The store epoch the record belongs to (see `StoreEpoch`). Versions are compared only within one epoch.
   * Absent in records written before epochs existed and in the in-memory store's first epoch.
   */
  readonly epoch?: string;
}

/**
 * An initialised store carries an epoch: a random id written with its first state. A store that lost its state
 * (wiped, restarted without persistence) has none, and one that was re-initialised has another: either way the
 * versions a reader holds mean nothing there, so readers fail closed until the state is restored from the audit
 * log under a new epoch (`restored`). An epoch made by a kill on a store that had none is not restored: its
 * records are applied only where they tighten, and readers stay fail-closed.
 */
export interface StoreEpoch {
  readonly id: string;
  /** True when made by a restore from the audit log (or by an embedded store that cannot lose its state). */
  readonly restored: boolean;
  readonly createdAtMs: number;
  readonly actor: string;
  readonly reason: string;
}

/** A request to change one scope's state. */
export interface StateChange {
  readonly scope: Scope;
  readonly state: TradingState;
  readonly actor: string;
  readonly reason: string;
}

/**
 * - OK: the cached state is current.
 * - STALE: the store was read, but longer ago than the staleness bound.
 * - UNAVAILABLE: the store has never been read, or its connection is down.
 * - UNKNOWN: the store answers but its state cannot be trusted: no epoch (it lost its state), an epoch other
 *   than the one followed that was not restored, or a record that cannot be read.
 */
export type StoreHealth = 'OK' | 'STALE' | 'UNAVAILABLE' | 'UNKNOWN';

/** What an agent may know about trading states: reads only, there is no method that changes anything. */
export interface TradingStateView {
  stateOf(scope: Scope): TradingState;
  /** The strictest of global, `agent:agentId` and `instrument:symbol`. */
  effectiveState(agentId: string | undefined, symbol: string | undefined): TradingState;
  health(): StoreHealth;
}
