/**
 * An operator's flip with its audit trail. The request is written before the store is touched, so the
 * audit log holds every flip that may have happened; the outcome (the change, or the failure) follows it.
 * A kill is never held up by the audit log (a brake must engage even when the disk is full): it is applied
 * and then reported as an `UnauditedStateChangeError`. A loosening (resume, hard → soft) is refused unless
 * its request is on record.
 */
import type { AuditSink } from '../security/index.js';
import { errorText } from './gatekeeper.js';
import { STATE_CHANGED, STATE_CHANGE_FAILED, STATE_CHANGE_REQUESTED, stateChangePayload } from './state-replay.js';
import type { TradingStateStore } from './state-store.js';
import { type StateChange, type StateRecord, strictness } from './trading-state.js';

/** A state change the store holds but the audit log does not fully record. `record` is what was applied. */
export class UnauditedStateChangeError extends Error {
  constructor(
    readonly record: StateRecord,
    cause: unknown,
  ) {
    super(
      `${record.scope} is now ${record.state} (version ${record.version}), but the audit log could not record it ` +
        `(${errorText(cause)}): the change will not survive a store restart by replay until it is written down`,
    );
    this.name = 'UnauditedStateChangeError';
  }
}

export interface OperatorChangeOptions {
  /**
   * Append TRADING_STATE_CHANGED after the store took the change. Off when a gatekeeper subscribed to the
   * same store records it already (the `KillSwitch`); on for a lone process such as the CLI.
   */
  readonly recordChanged: boolean;
  /** A kill: the store refuses it, atomically, if the scope became stricter meanwhile (never loosens). */
  readonly tightenOnly?: boolean;
}

/**
 * True when `change` is a kill that keeps or raises what the store enforces now (a resume never is, even from
 * ACTIVE: it always needs its record).
 */
export function isTightening(store: TradingStateStore, change: StateChange): boolean {
  return change.state !== 'ACTIVE' && strictness(change.state) >= strictness(store.cache.stateOf(change.scope));
}

/**
 * Applies an operator's change: REQUESTED, then the store, then CHANGED (when `recordChanged`) or FAILED.
 * A loosening whose request cannot be written is refused with the store untouched. A tightening goes ahead
 * regardless and throws `UnauditedStateChangeError` afterwards if any of its events could not be written.
 */
export async function applyOperatorChange(
  store: TradingStateStore,
  audit: AuditSink,
  change: StateChange,
  options: OperatorChangeOptions,
): Promise<StateRecord> {
  const tightening = isTightening(store, change);
  let auditError: unknown;
  try {
    audit.append(STATE_CHANGE_REQUESTED, change.actor, {
      scope: change.scope,
      from: store.cache.stateOf(change.scope),
      to: change.state,
      reason: change.reason,
    });
  } catch (err) {
    if (!tightening) {
      throw new Error(`${change.scope}: ${change.state} refused, the audit log could not record the request (${errorText(err)})`);
    }
    auditError = err;
  }
  let record: StateRecord;
  const before = store.cache.record(change.scope)?.version ?? 0;
  try {
    record = await store.set(change, { tightenOnly: options.tightenOnly === true });
  } catch (err) {
    // A listener (a subscribed gatekeeper's audit write) can fail after the store took the change.
    const held = store.cache.record(change.scope);
    if (held !== undefined && held.version > before && held.state === change.state && held.actor === change.actor) {
      throw new UnauditedStateChangeError(held, err);
    }
    try {
      audit.append(STATE_CHANGE_FAILED, change.actor, { scope: change.scope, to: change.state, reason: change.reason, error: errorText(err) });
    } catch {
      // The store error is the one to report; an unrecorded failure only leaves a request that replay treats
      // as unconfirmed (a tightening is then applied on replay, failing closed).
    }
    throw err;
  }
  if (options.recordChanged) {
    try {
      audit.append(STATE_CHANGED, record.actor, stateChangePayload(record));
    } catch (err) {
      auditError ??= err;
    }
  }
  if (auditError !== undefined) throw new UnauditedStateChangeError(record, auditError);
  return record;
}
