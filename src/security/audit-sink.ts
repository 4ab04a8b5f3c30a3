/**
 * Where components write audit events. The gatekeeper, the constraint engine, the gateway and the sandbox
 * depend on this small interface only; the tamper-evident file log implements it, and so does the
 * in-memory sink used by tests and by runs that keep no log.
 */
export interface AuditSink {
  /**
   * Records one event. `type` is a stable event name (`ORDER_DENIED`, `TRADING_STATE_CHANGED`, …),
   * `actor` who caused it (`agent:ID`, `operator:ID`, `system`), `payload` plain JSON data.
   */
  append(type: string, actor: string, payload: Readonly<Record<string, unknown>>): void;
}

export interface RecordedAuditEvent {
  readonly type: string;
  readonly actor: string;
  readonly payload: Readonly<Record<string, unknown>>;
}

/** Keeps events in memory, in order. */
export class MemoryAuditSink implements AuditSink {
  readonly events: RecordedAuditEvent[] = [];
  append(type: string, actor: string, payload: Readonly<Record<string, unknown>>): void {
    this.events.push({ type, actor, payload });
  }
}

/** Discards events (for runs that explicitly keep no audit trail). */
export const discardAuditSink: AuditSink = { append: () => undefined };
