/**
 * The gateway's audit log: where its records go, and the tail ops read back with a verification of the
 * whole file against the signer's public key. A gateway on an in-memory sink (tests, embedded runs) can show
 * its events but cannot verify them: it says so (`NOT_VERIFIABLE`) instead of claiming OK.
 */
import type { KeyObject } from 'node:crypto';
import { type AuditEvent, AuditLog, type AuditSink, MemoryAuditSink, readAuditEvents, verifyAuditLog } from '../security/index.js';

export interface AuditTail {
  readonly verification: {
    readonly status: 'OK' | 'FAILED' | 'NOT_VERIFIABLE';
    readonly message?: string;
    readonly events?: number;
    readonly lastSeq?: number;
    readonly lastSealedSeq?: number;
    readonly unsealedEvents?: number;
  };
  readonly events: readonly Pick<AuditEvent, 'seq' | 'timeMs' | 'type' | 'actor' | 'payload'>[];
}

export interface AuditTrail {
  readonly sink: AuditSink;
  tail(limit: number): AuditTail;
}

/** A signed file log; the tail seals what is pending, then verifies the file and reads its last events. */
export function fileAuditTrail(log: AuditLog, publicKey: KeyObject): AuditTrail {
  return {
    sink: log,
    tail(limit) {
      // Sealed now, so every event so far is signed; the log is still open, so it has no close checkpoint yet.
      log.checkpoint('manual');
      const report = verifyAuditLog(log.path, publicKey, { allowUnsealed: true });
      const verification = {
        status: report.ok ? ('OK' as const) : ('FAILED' as const),
        events: report.events,
        lastSeq: report.lastSeq,
        lastSealedSeq: report.lastSealedSeq,
        unsealedEvents: report.unsealedEvents,
        ...(report.ok ? {} : { message: report.problem ?? `the log does not verify after seq ${report.lastSeq}` }),
      };
      const events = report.ok ? readAuditEvents(log.path).slice(-limit) : [];
      return { verification, events };
    },
  };
}

/** An in-memory trail: events are shown, never verified. */
export function memoryAuditTrail(sink: MemoryAuditSink = new MemoryAuditSink()): AuditTrail & { readonly memory: MemoryAuditSink } {
  return {
    sink,
    memory: sink,
    tail(limit) {
      const all = sink.events;
      const from = Math.max(0, all.length - limit);
      const events = all.slice(from).map((e, i) => ({ seq: from + i + 1, timeMs: 0, type: e.type, actor: e.actor, payload: e.payload }));
      return { verification: { status: 'NOT_VERIFIABLE', message: 'in-memory audit sink: nothing signed to verify' }, events };
    },
  };
}
