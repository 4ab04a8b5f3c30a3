export { type AuditSink, type RecordedAuditEvent, MemoryAuditSink, discardAuditSink } from './audit-sink.js';
export { canonicalJson } from './canonical-json.js';
export { errnoCode } from './errno-code.js';
export { REDACTED, redactSecrets, redactInlineSecrets, isSecretKey, isSecretValue } from './redact.js';
export {
  type AuditKeyPair,
  type WrittenAuditKeys,
  generateAuditKeyPair,
  auditKeyId,
  loadSigningKey,
  loadPublicKey,
  writeAuditKeyPair,
} from './audit-keys.js';
export {
  type AuditEvent,
  type AuditCheckpoint,
  type AuditRecord,
  type CheckpointReason,
  GENESIS_HASH,
  AuditRecordError,
  parseAuditLine,
  computeEventHash,
} from './audit-record.js';
export { type AuditFsyncPolicy, type AuditLogOptions, AuditLog, closeOpenAuditLogs } from './audit-log.js';
export {
  type AuditVerifyReport,
  type AuditVerifyOptions,
  type AuditTornTail,
  type ReadAuditEventsOptions,
  AuditLogCorruptError,
  verifyAuditLog,
  readAuditEvents,
} from './audit-verify.js';
export { type AuditBenchOptions, benchAudit } from './bench.js';
