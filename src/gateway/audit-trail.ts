/**
 * The gateway's audit log: where its records go, and the tail ops read back with a verification of the
 * whole file against the signer's public key. A gateway on an in-memory sink (tests, embedded runs) can show
 * its events but cannot verify them: it says so (`NOT_VERIFIABLE`) instead of claiming OK.
 *
 * Durability: a file trail acknowledges nothing before it is recorded. Every request that changed something
 * (an order accepted, a kill, a resume …) is answered only after its records are fdatasync'd (`ack: fsync`,
 * the default) or written to the OS (`ack: write`), by group commit (`groupCommit`): one flush per batch of
 * concurrent requests. A crash after the answer loses no acknowledged request (with `write`, a crash of the
 * machine may); one before it may lose the unanswered request's records, and the caller, having no answer,
 * cannot rely on it. Refusals are recorded without waiting (nothing changed).
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
  /**
   * Resolves once every record appended so far is on disk; rejects when it cannot be (the request that waited
   * is then not acknowledged). The gateway answers a request that changed something only after this.
   */
  durable(): Promise<void>;
  /** The log accepts records; when false the gateway is not ready and refuses every order (fails closed). */
  writable(): boolean;
  /** Tells `observer` of each group-commit flush from now on (file trails; the gateway's metrics). */
  observeFlushes?(observer: FlushObserver): void;
}

/**
 * When a request that changed something is answered:
 * - `fsync`: after its records are fdatasync'd — survives a crash of the gateway or of the machine (power loss);
 * - `write`: after they are written to the OS — survives a crash (kill -9) of the gateway, not of the machine;
 *   the disk is flushed at each signed checkpoint (every 1000 events or 1 s) in the background.
 */
export type AuditAck = 'fsync' | 'write';

/** Told of each flush that succeeded: how long it took (write, and fdatasync with `fsync`) and how many requests it answered. */
export type FlushObserver = (flushMs: number, requests: number) => void;

/**
 * Group commit over a signed log: a request waiting for durability joins the batch of its event-loop turn, and
 * one write (and, for `fsync`, one fdatasync on the thread pool) covers the batch; requests arriving while it
 * runs form the next batch. So the disk is flushed once per batch, not per request, and nothing is
 * acknowledged before its batch is written (and flushed).
 */
export function groupCommit(log: AuditLog, ack: AuditAck = 'fsync', onFlush?: FlushObserver): () => Promise<void> {
  let waiting: { resolve: () => void; reject: (err: Error) => void }[] = [];
  let running = false;
  let acked = 0;
  const run = async (): Promise<void> => {
    running = true;
    // Everything appended in this turn of the event loop joins the first batch.
    await new Promise((resolve) => setImmediate(resolve));
    while (waiting.length > 0) {
      const batch = waiting;
      waiting = [];
      const started = onFlush === undefined ? 0 : performance.now();
      try {
        acked = ack === 'fsync' ? await log.syncToDisk() : log.writeBuffered();
        onFlush?.(performance.now() - started, batch.length);
        for (const w of batch) w.resolve();
      } catch (err) {
        const e = err instanceof Error ? err : new Error(String(err));
        for (const w of batch) w.reject(e);
      }
    }
    running = false;
  };
  return () => {
    if (Math.max(acked, log.durableSeq) >= log.lastSeq) return Promise.resolve();
    return new Promise<void>((resolve, reject) => {
      waiting.push({ resolve, reject });
      if (!running) void run();
    });
  };
}

/** A signed file log; the tail seals what is pending, then verifies the file and reads its last events. */
export function fileAuditTrail(log: AuditLog, publicKey: KeyObject, ack: AuditAck = 'fsync'): AuditTrail {
  let observer: FlushObserver | undefined;
  return {
    sink: log,
    durable: groupCommit(log, ack, (ms, requests) => observer?.(ms, requests)),
    writable: () => log.writable,
    observeFlushes: (o) => {
      observer = o;
    },
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
    durable: () => Promise.resolve(),
    writable: () => true,
    tail(limit) {
      const all = sink.events;
      const from = Math.max(0, all.length - limit);
      const events = all.slice(from).map((e, i) => ({ seq: from + i + 1, timeMs: 0, type: e.type, actor: e.actor, payload: e.payload }));
      return { verification: { status: 'NOT_VERIFIABLE', message: 'in-memory audit sink: nothing signed to verify' }, events };
    },
  };
}
