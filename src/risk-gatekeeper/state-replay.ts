/**
 * The latch survives restarts: the last state of every scope is rebuilt from the TRADING_STATE_CHANGED
 * events of the audit log (Redis here keeps nothing on disk). An operator's request to tighten a scope
 * (TRADING_STATE_CHANGE_REQUESTED) that no later CHANGED or FAILED event of that scope settles may have
 * reached the store without its confirmation reaching the log: replay applies it (failing closed). An
 * unsettled loosening is not applied. Works on any sequence of `{ type, actor, payload }`: the events
 * `readAuditEvents` returns, or a `MemoryAuditSink`'s.
 */
import { z } from 'zod';
import type { AuditEventType, AuditRestoredRecord, AuditStateChangePayload } from '../security/index.js';
import { type Scope, type StateRecord, type TradingState, parseScope, strictness } from './trading-state.js';

export interface ReplayableEvent {
  readonly type: string;
  readonly actor: string;
  readonly payload: Readonly<Record<string, unknown>>;
  /** When the event was written (audit file events have it); dates an unsettled request on replay. */
  readonly timeMs?: number;
}

// Audit event types of trading-state changes.
/** Written once the store holds a change, by the gatekeeper subscribed to it or by the CLI: `stateChangePayload`. */
export const STATE_CHANGED = 'TRADING_STATE_CHANGED' satisfies AuditEventType;
/** An operator's request, written before the store is touched: `{ scope, from, to, reason }`. */
export const STATE_CHANGE_REQUESTED = 'TRADING_STATE_CHANGE_REQUESTED' satisfies AuditEventType;
/** The store refused the request or could not be reached: `{ scope, to, reason, error }`. */
export const STATE_CHANGE_FAILED = 'TRADING_STATE_CHANGE_FAILED' satisfies AuditEventType;
/**
 * A restore, written before the store is touched: `{ epoch, previousEpoch, reason, records }` (every scope's
 * record under the new epoch). Replay takes it as the whole state from then on.
 */
export const STATE_RESTORED = 'TRADING_STATE_RESTORED' satisfies AuditEventType;
/** The store refused or could not take a restore: `{ epoch, error }`. Replay undoes that RESTORED event. */
export const STATE_RESTORE_FAILED = 'TRADING_STATE_RESTORE_FAILED' satisfies AuditEventType;

/** The payload of a TRADING_STATE_CHANGED event: written by every gatekeeper and the CLI, read by the replay. */
export function stateChangePayload(r: StateRecord): AuditStateChangePayload {
  const p = { scope: r.scope, from: r.previous, to: r.state, version: r.version, reason: r.reason, changedAtMs: r.changedAtMs };
  return r.epoch === undefined ? p : { ...p, epoch: r.epoch };
}

/** One record as a RESTORED event lists it. */
export function restoredRecordPayload(r: StateRecord): AuditRestoredRecord {
  return { scope: r.scope, state: r.state, previous: r.previous, version: r.version, actor: r.actor, reason: r.reason, changedAtMs: r.changedAtMs };
}

const stateEnum = z.enum(['ACTIVE', 'REDUCING', 'HALTED']);
const requestSchema = z.object({ scope: z.string(), to: stateEnum, reason: z.string() });
const failedSchema = z.object({ scope: z.string() });
const restoredSchema = z.object({
  epoch: z.string().min(1),
  previousEpoch: z.string().nullable(),
  records: z.array(
    z.object({
      scope: z.string(),
      state: stateEnum,
      previous: stateEnum,
      version: z.number().int().positive(),
      actor: z.string(),
      reason: z.string(),
      changedAtMs: z.number(),
    }),
  ),
});
const restoreFailedSchema = z.object({ epoch: z.string() });

interface UnsettledRequest {
  readonly to: TradingState;
  readonly timeMs: number | undefined;
  readonly actor: string;
  readonly reason: string;
}
const payloadSchema = z.object({
  scope: z.string(),
  from: stateEnum,
  to: stateEnum,
  version: z.number().int().nonnegative(),
  reason: z.string(),
  changedAtMs: z.number(),
  epoch: z.string().optional(),
});

export interface ReplayOptions {
  /**
   * Events after this seq are not covered by a signed checkpoint: anyone could have appended them. They count
   * only where they tighten (as unsettled requests do). Events need a `seq` for this; default: all sealed.
   */
  readonly sealedThroughSeq?: number;
}

/**
 * Per scope, the latest record: a later event wins, except that within one epoch a lower version never
 * replaces a higher one (a stale copy), and a record of an epoch that a restore has since replaced is ignored.
 * A RESTORED event sets the whole state (undone by its RESTORE_FAILED). Tightened by any unsettled operator
 * request (see the module comment). Throws on a state event that cannot be read: a latch we cannot rebuild must
 * not be guessed.
 */
export function replayTradingStates(events: Iterable<ReplayableEvent & { readonly seq?: number }>, options: ReplayOptions = {}): StateRecord[] {
  let latest = new Map<Scope, StateRecord>();
  const unsettled = new Map<Scope, UnsettledRequest>();
  const beforeRestore = new Map<string, { latest: Map<Scope, StateRecord>; retired: Set<string> }>();
  let retired = new Set<string>();
  let index = 0;
  for (const e of events) {
    index += 1;
    if (options.sealedThroughSeq !== undefined && e.seq !== undefined && e.seq > options.sealedThroughSeq) {
      // Unsigned tail: a change counts as a request (applied on replay only if it tightens).
      if (e.type === STATE_CHANGED) {
        const p = parseEvent(payloadSchema, e, index);
        unsettled.set(parseScope(p.scope), { to: p.to, timeMs: e.timeMs, actor: e.actor, reason: `${p.reason} (unsealed)` });
      } else if (e.type === STATE_CHANGE_REQUESTED) {
        const p = parseEvent(requestSchema, e, index);
        unsettled.set(parseScope(p.scope), { to: p.to, timeMs: e.timeMs, actor: e.actor, reason: p.reason });
      }
      continue;
    }
    if (e.type === STATE_RESTORED) {
      const p = parseEvent(restoredSchema, e, index);
      beforeRestore.set(p.epoch, { latest, retired });
      retired = new Set(retired);
      for (const r of latest.values()) if (r.epoch !== undefined) retired.add(r.epoch);
      if (p.previousEpoch !== null) retired.add(p.previousEpoch);
      latest = new Map();
      for (const r of p.records) {
        const scope = parseScope(r.scope);
        latest.set(scope, { ...r, scope, epoch: p.epoch });
      }
      unsettled.clear();
      continue;
    }
    if (e.type === STATE_RESTORE_FAILED) {
      const undo = beforeRestore.get(parseEvent(restoreFailedSchema, e, index).epoch);
      if (undo !== undefined) ({ latest, retired } = undo);
      continue;
    }
    if (e.type === STATE_CHANGE_REQUESTED) {
      const p = parseEvent(requestSchema, e, index);
      unsettled.set(parseScope(p.scope), { to: p.to, timeMs: e.timeMs, actor: e.actor, reason: p.reason });
      continue;
    }
    if (e.type === STATE_CHANGE_FAILED) {
      unsettled.delete(parseScope(parseEvent(failedSchema, e, index).scope));
      continue;
    }
    if (e.type !== STATE_CHANGED) continue;
    const p = parseEvent(payloadSchema, e, index);
    const scope = parseScope(p.scope);
    unsettled.delete(scope);
    if (p.epoch !== undefined && retired.has(p.epoch)) continue;
    const cur = latest.get(scope);
    if (cur !== undefined && cur.epoch === p.epoch && cur.version > p.version) continue;
    latest.set(scope, {
      scope,
      state: p.to,
      previous: p.from,
      version: p.version,
      actor: e.actor,
      reason: p.reason,
      changedAtMs: p.changedAtMs,
      ...(p.epoch === undefined ? {} : { epoch: p.epoch }),
    });
  }
  let maxVersion = 0;
  for (const r of latest.values()) if (r.version > maxVersion) maxVersion = r.version;
  for (const [scope, req] of unsettled) {
    const cur = latest.get(scope);
    const from = cur?.state ?? 'ACTIVE';
    if (strictness(req.to) <= strictness(from)) continue;
    maxVersion += 1;
    latest.set(scope, {
      scope,
      state: req.to,
      previous: from,
      version: maxVersion,
      actor: req.actor,
      reason: `${req.reason} (requested; its confirmation is missing from the audit log)`,
      changedAtMs: req.timeMs ?? cur?.changedAtMs ?? 0,
    });
  }
  return [...latest.values()];
}

function parseEvent<T>(schema: z.ZodType<T>, e: ReplayableEvent, index: number): T {
  const parsed = schema.safeParse(e.payload);
  if (!parsed.success) {
    const fields = parsed.error.issues.map((i) => i.path.join('.') || '(payload)').join(', ');
    throw new Error(`audit replay: ${e.type} event #${index} is unreadable (${fields})`);
  }
  return parsed.data;
}
