/**
 * What a gateway restores on start: the trading states of its signed audit log, or — when that log cannot be
 * trusted — nothing, and a reason to refuse every order (fail closed). A latch rebuilt from a log someone
 * edited could be a kill that was quietly removed.
 *
 * Trusted means: the hash chain is sound, every checkpoint is signed by the home's audit key, and the log holds
 * every checkpoint its witness (a second file, `witness/gateway/` in the home) was given, so a log cut back to
 * an earlier checkpoint or removed is caught. A torn last line is a crash, not tampering: it is set aside as
 * the log opens. Events after the last signed checkpoint (a crash before the next seal) count only where they
 * tighten a scope: anyone could have appended them.
 */
import { existsSync, readdirSync, statSync } from 'node:fs';
import type { KeyObject } from 'node:crypto';
import { type StateRecord, replayTradingStates } from '../risk-gatekeeper/index.js';
import {
  type AuditCheckpoint,
  type AuditEvent,
  type AuditVerifyReport,
  AuditRecordError,
  type FileLine,
  auditLogId,
  parseAuditLine,
  readFileLines,
  readWitnessFile,
  verifyAuditLog,
  witnessFilePath,
} from '../security/index.js';

export interface GatewayLogState {
  /** Each scope's last state, as the log has it (empty when there is no log yet or it cannot be trusted). */
  readonly records: readonly StateRecord[];
  /** Set when the log cannot be trusted: why, and what to do. Every order is then refused. */
  readonly problem?: string;
  readonly lastSeq: number;
  readonly lastSealedSeq: number;
}

const repair = (witnessDir: string): string =>
  'trading states are not restored and every order is refused; inspect it with bulwark audit verify FILE --pubkey ' +
  `HOME/keys/audit-signing.pub.pem --allow-unsealed --witness ${witnessDir}/ID.jsonl, then move the log and its witness aside and restart ` +
  '(the kills it held are then gone: apply them again)';

export function readGatewayLog(path: string, publicKey: KeyObject, witnessDir: string): GatewayLogState {
  const witnessFiles = existsSync(witnessDir) ? readdirSync(witnessDir).filter((f) => f.endsWith('.jsonl')) : [];
  const refuse = (problem: string, at?: AuditVerifyReport): GatewayLogState => ({
    records: [],
    problem: `audit log ${path}: ${problem}: ${repair(witnessDir)}`,
    lastSeq: at?.lastSeq ?? 0,
    lastSealedSeq: at?.lastSealedSeq ?? 0,
  });
  if (!existsSync(path) || statSync(path).size === 0) {
    if (witnessFiles.length === 0) return { records: [], lastSeq: 0, lastSealedSeq: 0 };
    return refuse(`missing or empty, but its witness ${witnessDir} holds checkpoints of an earlier log (removed or cut to nothing)`);
  }
  // The witness is picked by the log id the first line claims, so the log is read and verified once (its events
  // collected on the way); the claim is checked by that verification (an unsound first event fails it whatever
  // witness was picked).
  const logId = claimedLogId(path);
  const witnessPath = logId === '' ? '' : witnessFilePath(witnessDir, logId);
  const witness: readonly AuditCheckpoint[] | undefined = witnessPath !== '' && existsSync(witnessPath) ? readWitnessFile(witnessPath) : undefined;
  const witnessedSeq = witness === undefined ? 0 : witness.reduce((m, c) => Math.max(m, c.seq), 0);
  const events: AuditEvent[] = [];
  const report = verifyAuditLog(path, publicKey, { allowUnsealed: true, collect: events, ...(witness === undefined ? {} : { witness }) });
  if (witness === undefined && report.logId !== '' && witnessFiles.length > 0) {
    return refuse(`its first event is not the one its witness ${witnessDir} saw (the log was replaced)`, report);
  }
  if (!report.ok && report.tornTail === undefined) {
    return refuse(`does not verify at seq ${report.firstBadSeq ?? '?'} (${report.problem ?? 'unsound'})`, report);
  }
  // A torn first line leaves no sound event, so no log id to find a witness by: with a witness of an earlier log
  // present that is a log cut inside its first line (or replaced by a fragment), not a fresh log's first crash.
  if (report.logId === '' && witnessFiles.length > 0) {
    return refuse(`holds no sound event (a torn first line), but its witness ${witnessDir} holds checkpoints of an earlier log (cut or replaced)`, report);
  }
  // A torn tail ends the scan before the witness is compared with the log's end: compare here.
  if (report.lastSeq < witnessedSeq) {
    return refuse(`ends at seq ${report.lastSeq} but its witness holds a checkpoint at seq ${witnessedSeq} (events were cut)`, report);
  }
  try {
    // The sound events before a torn tail, if any (the log is sound up to there: checked above).
    const records = replayTradingStates(events, { sealedThroughSeq: report.lastSealedSeq });
    return { records, lastSeq: report.lastSeq, lastSealedSeq: report.lastSealedSeq };
  } catch (err) {
    return refuse(`its trading-state events cannot be replayed (${err instanceof Error ? err.message : String(err)})`, report);
  }
}

/**
 * The log id the first line of `path` claims ('' when that line is not a complete first event). Unverified: it
 * only picks the witness file, and the verification that follows checks the event it came from.
 */
function claimedLogId(path: string): string {
  // Only the first line is read: the generator's file is closed by `return()` before the rest is touched.
  const lines = readFileLines(path);
  let first: IteratorResult<FileLine>;
  try {
    first = lines.next();
  } catch {
    return ''; // unreadable (a directory, no permission): the verification says why
  } finally {
    lines.return(undefined);
  }
  // No line, or a torn one (no newline): no complete first event to claim an id.
  if (first.done === true || !first.value.complete) return '';
  try {
    const record = parseAuditLine(first.value.text);
    return record.kind === 'event' && record.event.seq === 1 ? auditLogId(record.event.hash) : '';
  } catch (err) {
    if (err instanceof AuditRecordError) return '';
    throw err;
  }
}
