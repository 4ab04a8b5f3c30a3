/**
 * The latch survives restarts: the last state of every scope is rebuilt from the TRADING_STATE_CHANGED
 * events of the audit log (Redis here keeps nothing on disk). Works on any sequence of `{ type, actor,
 * payload }`: the events `readAuditEvents` returns, or a `MemoryAuditSink`'s.
 */
import { z } from 'zod';
import { type Scope, type StateRecord, parseScope } from './trading-state.js';

export interface ReplayableEvent {
  readonly type: string;
  readonly actor: string;
  readonly payload: Readonly<Record<string, unknown>>;
}

/** The payload of a TRADING_STATE_CHANGED event: written by every gatekeeper and the CLI, read by the replay. */
export function stateChangePayload(r: StateRecord): Record<string, unknown> {
  return { scope: r.scope, from: r.previous, to: r.state, version: r.version, reason: r.reason, changedAtMs: r.changedAtMs };
}

const stateEnum = z.enum(['ACTIVE', 'REDUCING', 'HALTED']);
const payloadSchema = z.object({
  scope: z.string(),
  from: stateEnum,
  to: stateEnum,
  version: z.number().int().nonnegative(),
  reason: z.string(),
  changedAtMs: z.number(),
});

/**
 * Per scope, the record with the highest version (a later event wins a tie). Throws on a
 * TRADING_STATE_CHANGED event that cannot be read: a latch we cannot rebuild must not be guessed.
 */
export function replayTradingStates(events: Iterable<ReplayableEvent>): StateRecord[] {
  const latest = new Map<Scope, StateRecord>();
  let index = 0;
  for (const e of events) {
    index += 1;
    if (e.type !== 'TRADING_STATE_CHANGED') continue;
    const parsed = payloadSchema.safeParse(e.payload);
    if (!parsed.success) {
      const fields = parsed.error.issues.map((i) => i.path.join('.') || '(payload)').join(', ');
      throw new Error(`audit replay: TRADING_STATE_CHANGED event #${index} is unreadable (${fields})`);
    }
    const p = parsed.data;
    const scope = parseScope(p.scope);
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
  return [...latest.values()];
}
