export {
  type AuditEventPayloads,
  type AuditEventType,
  type AuditEventOf,
  type AuditOrderPayload,
  type AuditStateChangePayload,
  type AuditRestoredRecord,
  type AuditLockPayload,
  type AuditRequestPayload,
  AUDIT_EVENT_TYPES,
  isAuditEventType,
} from './audit-events.js';
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
export { type FileLine, readFileLines } from './audit-lines.js';
export {
  type AuditVerifyReport,
  type AuditVerifyOptions,
  type AuditTornTail,
  type ReadAuditEventsOptions,
  AuditLogCorruptError,
  auditLogId,
  verifyAuditLog,
  readAuditEvents,
} from './audit-verify.js';
export { type AuditBenchOptions, benchAudit } from './bench.js';
export { BULWARK_HOME_ENV, resolveBulwarkHome } from './bulwark-home.js';
export { writeEd25519KeyPair } from './audit-keys.js';
export {
  type TokenRole,
  type TradingMode,
  type AgentTool,
  type OpsTool,
  type Tool,
  type CapabilityGrant,
  TRADING_MODES,
  AGENT_TOOLS,
  OPS_TOOLS,
  TOKEN_ISSUERS,
  TOKEN_AUDIENCE,
  DEFAULT_TOKEN_TTL_SEC,
  MAX_TOKEN_TTL_SEC,
  toolsOfRole,
  grantsSymbol,
} from './capability-claims.js';
export { TOKEN_REASONS, type TokenErrorCode, TokenError } from './token-errors.js';
export {
  type TokenRequest,
  type IssuedToken,
  type TokenVerifierOptions,
  issueCapabilityToken,
  TokenVerifier,
} from './capability-token.js';
export {
  type RevocationList,
  type RevocationHealth,
  type RedisRevocationListOptions,
  MemoryRevocationList,
  RedisRevocationList,
} from './revocation-list.js';
export { type TokenKeyPaths, tokenKeysDir, tokenKeyPaths, ensureTokenKeys, loadTokenSigningKey, loadTokenPublicKey } from './token-keys.js';
export { type AuditWitness, FileWitness, readWitnessFile, witnessFilePath } from './audit-witness.js';
export { type BulwarkHome, resolveHome, ensureHomeSigningKey, trustPublicKey, loadKeyring } from './home.js';
