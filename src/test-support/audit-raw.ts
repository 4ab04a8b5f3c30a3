import type { AuditEventType } from '../security/index.js';

/**
 * Tests of the audit storage (chain, checkpoints, tail, verify) write free-form payloads: the log stores and
 * verifies any JSON a JavaScript caller or an older version wrote, and checks only that the type is a member of
 * the vocabulary. Production code writes through the typed `append`.
 */
export function appendRaw<R>(
  log: { append(type: AuditEventType, actor: string, payload: never): R },
  actor: string,
  payload: Readonly<Record<string, unknown>>,
  type: AuditEventType = 'GATEWAY_STOPPED',
): R {
  return log.append(type, actor, payload as never);
}
