/**
 * The audit log of a backtest run: the tamper-evident log (hash chain, signed checkpoints) in the run's
 * directory. With a home (`BulwarkHome`) it is signed by the home's key, whose public half is in the home's
 * keyring: the trust anchor is not beside the log. Its checkpoints also go to the home's witness, and closing
 * it writes the run record (`run.json`: the key's fingerprint, the final seq and hash, the witness), which
 * `bulwark audit verify --run DIR` checks. Sealed every `sealEvery` events and every `sealIntervalMs`, like
 * every log. Without a home (benchmarks) a key is made for the run and only its fingerprint is recorded.
 */
import { createPublicKey, type KeyObject } from 'node:crypto';
import { closeSync, existsSync, fsyncSync, mkdirSync, openSync, renameSync, rmSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import {
  AuditLog,
  type BulwarkHome,
  FileWitness,
  ensureHomeSigningKey,
  generateAuditKeyPair,
  loadKeyring,
  readWitnessFile,
  verifyAuditLog,
  witnessFilePath,
} from '../security/index.js';

export interface RunAuditOptions {
  /** Sign with the home's key and witness into the home; without it a key is made for this run only. */
  readonly home?: BulwarkHome;
  /** Seal after this many events. Default 1000. */
  readonly sealEvery?: number;
  /** Seal when the oldest unsealed event is this old (ms, wall clock). Default 1000. */
  readonly sealIntervalMs?: number;
}

/** What `run.json` says about the run's audit log. */
export interface RunAuditRecord {
  readonly log: string;
  readonly logId: string;
  readonly keyId: string;
  readonly finalSeq: number;
  readonly finalHash: string;
  /** The witness file, or null when the run kept none. */
  readonly witness: string | null;
  /** The keyring that trusts `keyId`, or null for a run key nobody trusts. */
  readonly keyring: string | null;
}

/** What the report says of a finished run's audit log: verified or not, how far it is sealed, by which key. */
export interface RunAuditStatus {
  readonly verified: boolean;
  /** Why it did not verify ('' when it did). */
  readonly problem: string;
  readonly events: number;
  /** The last seq a signed checkpoint covers, and whether the log ends with its close checkpoint. */
  readonly sealedSeq: number;
  readonly closedCleanly: boolean;
  /** Fingerprint (key id) of the key that sealed it. */
  readonly keyId: string;
  /** What it was verified against: the home's keyring, or the run's own key when no home trusts one. */
  readonly trustAnchor: string;
  /** The witness compared ('' when none). */
  readonly witness: string;
}

export interface RunAudit {
  readonly log: AuditLog;
  readonly path: string;
  /** Seals and closes the log and writes `run.json`; returns what it recorded. Idempotent. */
  finish(): RunAuditRecord;
  /** Finishes the run if needed, then verifies its log as `bulwark audit verify` would (chain, seals, signer, witness). */
  verify(): RunAuditStatus;
}

export const RUN_RECORD_FILE = 'run.json';

export function openRunAudit(dir: string, options: RunAuditOptions = {}): RunAudit {
  mkdirSync(dir, { recursive: true });
  const path = join(dir, 'audit.jsonl');
  // A rerun into the same directory replaces the run's files, its log included (a new chain).
  rmSync(path, { force: true });
  rmSync(join(dir, RUN_RECORD_FILE), { force: true });
  const home = options.home;
  const signingKey = home === undefined ? generateAuditKeyPair().privateKeyPem : ensureHomeSigningKey(home).signingKeyPath;
  const log = AuditLog.open({
    path,
    signingKey,
    checkpointEvery: options.sealEvery ?? 1000,
    checkpointIntervalMs: options.sealIntervalMs ?? 1000,
    fsync: 'checkpoint',
    ...(home === undefined ? {} : { witness: new FileWitness(home.witnessDir) }),
  });
  let record: RunAuditRecord | undefined;
  // The trust anchor: the home's keyring (not beside the log); a run without a home has only its own key.
  const trust = (): { keys: KeyObject[]; anchor: string } =>
    home === undefined
      ? { keys: [createPublicKey(signingKey)], anchor: 'the run key only (no home keyring trusts it)' }
      : { keys: [...loadKeyring(home.keyringPath).values()], anchor: `keyring ${home.keyringPath}` };
  const finish = (): RunAuditRecord => {
    if (record !== undefined) return record;
    log.close();
    record = {
      log: 'audit.jsonl',
      logId: log.id,
      keyId: log.signerKeyId,
      finalSeq: log.lastSeq,
      finalHash: log.lastEventHash,
      witness: home === undefined || log.id === '' ? null : witnessFilePath(home.witnessDir, log.id),
      keyring: home === undefined ? null : home.keyringPath,
    };
    writeSyncedFile(join(dir, RUN_RECORD_FILE), `${JSON.stringify({ audit: record }, null, 2)}\n`);
    return record;
  };
  return {
    log,
    path,
    verify(): RunAuditStatus {
      const rec = finish();
      const { keys, anchor } = trust();
      const witness = rec.witness !== null && existsSync(rec.witness) ? rec.witness : '';
      const report = verifyAuditLog(path, keys, witness === '' ? {} : { witness: readWitnessFile(witness) });
      const matchesRecord = report.lastSeq === rec.finalSeq && report.lastHash === rec.finalHash;
      return {
        verified: report.ok && matchesRecord,
        problem: report.ok ? (matchesRecord ? '' : `the log ends at seq ${report.lastSeq}, the run record says ${rec.finalSeq}`) : (report.problem ?? 'unknown problem'),
        events: report.events,
        sealedSeq: report.lastSealedSeq,
        closedCleanly: report.closedCleanly,
        keyId: report.lastKeyId === '' ? rec.keyId : report.lastKeyId,
        trustAnchor: anchor,
        witness,
      };
    },
    finish,
  };
}

/** Temp file, fsync, rename: the run record is whole or absent, never half-written. */
function writeSyncedFile(path: string, text: string): void {
  const tmp = `${path}.tmp-${process.pid}`;
  const fd = openSync(tmp, 'w', 0o644);
  try {
    writeSync(fd, text);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(tmp, path);
}
