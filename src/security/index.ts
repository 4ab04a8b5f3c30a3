export { type AuditSink, type RecordedAuditEvent, MemoryAuditSink, discardAuditSink } from './audit-sink.js';
