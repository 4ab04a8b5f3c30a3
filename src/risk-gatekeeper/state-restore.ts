/**
 * Restoring the kill-switch latch: the latest state of every scope, rebuilt from the signed audit log, merged
 * with whatever the store still holds, written back under a new restored epoch, and audited as a restore
 * before the store is touched (a restore may re-enable trading, so it must be on record first).
 *
 * Merge, per scope: within one epoch the higher version wins; across epochs (the log's record predates a wipe,
 * or the store holds a kill made after it) the stricter state wins. A restore therefore never writes an older
 * state over a newer one and never loosens what either side holds; a loosening it cannot order is redone with
 * `resume`.
 */
import { randomUUID } from 'node:crypto';
import type { Clock } from '../core/index.js';
import type { AuditSink } from '../security/index.js';
import { errorText } from './gatekeeper.js';
import { STATE_RESTORED, STATE_RESTORE_FAILED, restoredRecordPayload } from './state-replay.js';
import { RestoreConflictError, type TradingStateStore } from './state-store.js';
import { type Scope, type StateRecord, type StoreEpoch, strictness } from './trading-state.js';

export interface RestoreRequest {
  /** Records replayed from the audit log (`replayTradingStates`). */
  readonly fromLog: readonly StateRecord[];
  /** `operator:ID` or `system` (a restore on start). */
  readonly actor: string;
  readonly reason: string;
  /** Where the records came from (the audit log and its last sealed seq), recorded with the restore. */
  readonly source: string;
  readonly clock: Clock;
  readonly audit: AuditSink;
}

export interface RestoreOutcome {
  readonly epoch: StoreEpoch;
  readonly previousEpoch: string | null;
  /** Every scope's record as restored (versions start at 1 in the new epoch). */
  readonly records: readonly StateRecord[];
  /** Scopes whose store record was kept over the log's (newer, or stricter across epochs). */
  readonly keptFromStore: readonly Scope[];
}

const MAX_ATTEMPTS = 5;

/** Per scope, the record to restore (see the module comment); sorted by scope. */
export function mergeForRestore(fromLog: readonly StateRecord[], fromStore: readonly StateRecord[]): { records: StateRecord[]; keptFromStore: Scope[] } {
  const merged = new Map<Scope, StateRecord>();
  const keptFromStore: Scope[] = [];
  for (const l of fromLog) merged.set(l.scope, l);
  for (const s of fromStore) {
    const l = merged.get(s.scope);
    if (l === undefined || storeWins(l, s)) {
      merged.set(s.scope, s);
      if (l !== undefined && l.state !== s.state) keptFromStore.push(s.scope);
    }
  }
  const records = [...merged.values()].sort((a, b) => a.scope.localeCompare(b.scope));
  return { records, keptFromStore: keptFromStore.sort() };
}

function storeWins(log: StateRecord, store: StateRecord): boolean {
  if (store.epoch !== undefined && store.epoch === log.epoch) return store.version >= log.version;
  return strictness(store.state) >= strictness(log.state);
}

/**
 * Rebuilds the store from `request.fromLog` (merged with what it holds) under a new restored epoch, which every
 * reader adopts. Throws, leaving the store untouched, if the store holds unreadable records or the restore
 * cannot be recorded; retries when the store changes under it.
 */
export async function restoreTradingStates(store: TradingStateStore, request: RestoreRequest): Promise<RestoreOutcome> {
  for (let attempt = 1; ; attempt++) {
    const snap = await store.snapshot();
    if (snap.unreadable.length > 0) {
      throw new Error(`restore refused: the store holds unreadable record(s) ${snap.unreadable.join(', ')}; inspect and delete them first`);
    }
    const { records: merged, keptFromStore } = mergeForRestore(request.fromLog, snap.records);
    const epoch: StoreEpoch = { id: randomUUID(), restored: true, createdAtMs: request.clock.nowMs(), actor: request.actor, reason: request.reason };
    const records = merged.map((r, i): StateRecord => ({ ...r, version: i + 1, epoch: epoch.id }));
    const previousEpoch = snap.epoch?.id ?? null;
    try {
      request.audit.append(STATE_RESTORED, request.actor, {
        epoch: epoch.id,
        previousEpoch,
        reason: request.reason,
        source: request.source,
        records: records.map(restoredRecordPayload),
      });
    } catch (err) {
      throw new Error(`restore refused: the audit log could not record it (${errorText(err)})`);
    }
    try {
      await store.replaceAll(epoch, records, snap);
      return { epoch, previousEpoch, records, keptFromStore };
    } catch (err) {
      try {
        request.audit.append(STATE_RESTORE_FAILED, request.actor, { epoch: epoch.id, error: errorText(err) });
      } catch {
        // The store error is the one to report; replay of an unconfirmed restore only ever tightens (merge).
      }
      if (!(err instanceof RestoreConflictError) || attempt >= MAX_ATTEMPTS) throw err;
    }
  }
}
