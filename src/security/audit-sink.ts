/**
 * Where components write audit events. The gatekeeper, the constraint engine, the gateway and the sandbox
 * depend on this small interface only; the tamper-evident file log implements it, and so does the
 * in-memory sink used by tests and by runs that keep no log.
 */
import type { AuditEventPayloads, AuditEventType } from './audit-events.js';

export interface AuditSink {
  /**
   * Records one event: `type` one member of the closed vocabulary (`audit-events.ts`) and `payload` that
   * member's payload; `actor` who caused it (`agent:ID`, `operator:ID`, `system`).
   */
  append<T extends AuditEventType>(type: T, actor: string, payload: AuditEventPayloads[T]): void;
}

/** An event as a sink recorded it (the payload read back as plain data). */
export interface RecordedAuditEvent {
  readonly type: AuditEventType;
  readonly actor: string;
  readonly payload: Readonly<Record<string, unknown>>;
}

/** Keeps events in memory, in order. */
export class MemoryAuditSink implements AuditSink {
  readonly events: RecordedAuditEvent[] = [];
  append<T extends AuditEventType>(type: T, actor: string, payload: AuditEventPayloads[T]): void {
    this.events.push({ type, actor, payload: payload as Readonly<Record<string, unknown>> });
  }
}

/** Discards events (for runs that explicitly keep no audit trail). */
export const discardAuditSink: AuditSink = { append: () => undefined };
