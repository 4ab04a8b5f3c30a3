/**
 * The audit log of a backtest run: the tamper-evident log (hash chain, signed checkpoints) in the run's
 * directory, signed with a key made for this run. Only the public key is kept, beside the log, so that
 * `bulwark audit verify` can check it; the private key never touches the disk.
 */
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { AuditLog, generateAuditKeyPair } from '../security/index.js';

export interface RunAudit {
  readonly log: AuditLog;
  readonly path: string;
  readonly publicKeyPath: string;
}

export function openRunAudit(dir: string): RunAudit {
  mkdirSync(dir, { recursive: true });
  const pair = generateAuditKeyPair();
  const path = join(dir, 'audit.jsonl');
  const publicKeyPath = join(dir, 'audit.pub.pem');
  // A rerun into the same directory replaces the run's files, its log included (a new key starts a new chain).
  rmSync(path, { force: true });
  writeFileSync(publicKeyPath, pair.publicKeyPem);
  // Checkpoints by count only: a backtest's events come in bursts, real-time sealing would add nothing.
  const log = AuditLog.open({ path, signingKey: pair.privateKeyPem, checkpointEvery: 10_000, sealTimer: false, fsync: 'checkpoint' });
  return { log, path, publicKeyPath };
}
