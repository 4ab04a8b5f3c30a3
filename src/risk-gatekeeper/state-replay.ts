/**
 * The latch survives restarts: the last state of every scope is rebuilt from the TRADING_STATE_CHANGED
 * events of the audit log (Redis here keeps nothing on disk). An operator's request to tighten a scope
 * (TRADING_STATE_CHANGE_REQUESTED) that no later CHANGED or FAILED event of that scope settles may have
 * reached the store without its confirmation reaching the log: replay applies it (failing closed). An
 * unsettled loosening is not applied. Works on any sequence of `{ type, actor, payload }`: the events
 * `readAuditEvents` returns, or a `MemoryAuditSink`'s.
 */
import { z } from 'zod';
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
export const STATE_CHANGED = 'TRADING_STATE_CHANGED';
/** An operator's request, written before the store is touched: `{ scope, from, to, reason }`. */
export const STATE_CHANGE_REQUESTED = 'TRADING_STATE_CHANGE_REQUESTED';
/** The store refused the request or could not be reached: `{ scope, to, reason, error }`. */
export const STATE_CHANGE_FAILED = 'TRADING_STATE_CHANGE_FAILED';

/** The payload of a TRADING_STATE_CHANGED event: written by every gatekeeper and the CLI, read by the replay. */
export function stateChangePayload(r: StateRecord): Record<string, unknown> {
  return { scope: r.scope, from: r.previous, to: r.state, version: r.version, reason: r.reason, changedAtMs: r.changedAtMs };
}

const stateEnum = z.enum(['ACTIVE', 'REDUCING', 'HALTED']);
const requestSchema = z.object({ scope: z.string(), to: stateEnum, reason: z.string() });
const failedSchema = z.object({ scope: z.string() });

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
});

/**
 * Per scope, the record with the highest version (a later event wins a tie), tightened by any unsettled
 * operator request (see the module comment). Throws on a state event that cannot be read: a latch we cannot
 * rebuild must not be guessed.
 */
export function replayTradingStates(events: Iterable<ReplayableEvent>): StateRecord[] {
  const latest = new Map<Scope, StateRecord>();
  const unsettled = new Map<Scope, UnsettledRequest>();
  let index = 0;
  for (const e of events) {
    index += 1;
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
    const cur = latest.get(scope);
    if (cur !== undefined && cur.version > p.version) continue;
    latest.set(scope, {
      scope,
      state: p.to,
      previous: p.from,
      version: p.version,
      actor: e.actor,
      reason: p.reason,
      changedAtMs: p.changedAtMs,
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
