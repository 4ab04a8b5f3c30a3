/**
 * The kill-switch's audit log in the home directory: replayed (verified against the home's keyring; events
 * after the last signed checkpoint count only where they tighten), opened for a flip (its key made on first
 * use), and used to restore a store that lost its state.
 */
import { existsSync, mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import type { Clock } from '../../core/index.js';
import {
  AuditLog,
  type AuditSink,
  type BulwarkHome,
  FileWitness,
  ensureHomeSigningKey,
  loadKeyring,
  readAuditEvents,
  verifyAuditLog,
} from '../../security/index.js';
import {
  type RestoreOutcome,
  type StateRecord,
  type TradingStateStore,
  replayTradingStates,
  restoreTradingStates,
} from '../../risk-gatekeeper/index.js';

export interface KillSwitchLogState {
  readonly path: string;
  /** The log's last state per scope (empty when there is no log yet). */
  readonly records: readonly StateRecord[];
  /** Seq of the last signed checkpoint, 0 when none (or no log). */
  readonly lastSealedSeq: number;
  readonly lastSeq: number;
  readonly exists: boolean;
}

/**
 * Replays the kill-switch log: the chain must be sound and every checkpoint signed by a key of the home's
 * keyring. Throws naming the log and the first bad seq otherwise.
 */
export function replayKillSwitchLog(home: BulwarkHome, path: string): KillSwitchLogState {
  if (!existsSync(path)) return { path, records: [], lastSealedSeq: 0, lastSeq: 0, exists: false };
  const keys = existsSync(home.keyringPath) ? [...loadKeyring(home.keyringPath).values()] : [];
  if (keys.length === 0) throw new Error(`kill-switch log ${path}: the home's keyring ${home.keyringPath} holds no key to check it with`);
  const report = verifyAuditLog(path, keys, { allowUnsealed: true });
  if (!report.ok) {
    throw new Error(`kill-switch log ${path}: first bad seq ${report.firstBadSeq ?? '?'}: ${report.problem ?? 'unsound'}`);
  }
  const events = readAuditEvents(path);
  const records = replayTradingStates(events, { sealedThroughSeq: report.lastSealedSeq });
  return { path, records, lastSealedSeq: report.lastSealedSeq, lastSeq: report.lastSeq, exists: true };
}

/** Opens the kill-switch log for writing, making the home's signing key on first use; checkpoints go to the home's witness. */
export function openKillSwitchLog(home: BulwarkHome, path: string, clock: Clock): AuditLog {
  const key = ensureHomeSigningKey(home);
  if (key.made) process.stderr.write(`made an audit signing key: ${key.signingKeyPath} (mode 0600), key id ${key.keyId}, trusted in ${home.keyringPath}\n`);
  mkdirSync(dirname(path), { recursive: true });
  return AuditLog.open({ path, signingKey: key.signingKeyPath, clock, witness: new FileWitness(home.witnessDir) });
}

/** True when the store's state cannot be trusted until restored (no epoch, an unrestored one, unreadable). */
export function needsRestore(store: TradingStateStore, nowMs: number): boolean {
  const epoch = store.epoch();
  return epoch === undefined || !epoch.restored || store.health(nowMs) === 'UNKNOWN';
}

/** Restores `store` from the replayed log, audited to `audit`. */
export async function restoreFromLog(
  store: TradingStateStore,
  log: KillSwitchLogState,
  audit: AuditSink,
  who: { actor: string; reason: string; clock: Clock },
): Promise<RestoreOutcome> {
  const source = log.exists ? `${log.path} up to seq ${log.lastSeq} (sealed to seq ${log.lastSealedSeq})` : `${log.path} (no log yet: nothing to restore)`;
  return await restoreTradingStates(store, { fromLog: log.records, actor: who.actor, reason: who.reason, source, clock: who.clock, audit });
}
