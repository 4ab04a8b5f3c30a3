/**
 * What `bulwark audit verify` checks a log against: the trust anchor (a keyring or keys given on the command
 * line, else the home's keyring; never a key beside the log), the witness (given, else the home's witness for
 * the log's id), and for `--run DIR` the run record's key fingerprint, final seq and final hash.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { KeyObject } from 'node:crypto';
import { z } from 'zod';
import {
  type AuditCheckpoint,
  type AuditVerifyReport,
  type BulwarkHome,
  loadKeyring,
  loadPublicKey,
  readWitnessFile,
  verifyAuditLog,
  witnessFilePath,
} from '../../security/index.js';

export interface TrustOptions {
  readonly trustedKeys?: string;
  readonly pubkey?: readonly string[];
}

/** The trusted public keys and where they came from. Throws when there is no trust anchor at all. */
export function trustedKeys(opts: TrustOptions, home: BulwarkHome): { keys: KeyObject[]; source: string } {
  if (opts.trustedKeys !== undefined) return { keys: [...loadKeyring(opts.trustedKeys).values()], source: opts.trustedKeys };
  if (opts.pubkey !== undefined && opts.pubkey.length > 0) return { keys: opts.pubkey.map((p) => loadPublicKey(p)), source: opts.pubkey.join(', ') };
  if (existsSync(home.keyringPath)) return { keys: [...loadKeyring(home.keyringPath).values()], source: home.keyringPath };
  throw new Error(
    `audit verify: no trust anchor: give --trusted-keys FILE (a keyring of PEM public keys) or --pubkey, ` +
      `or keep one in the home (${home.keyringPath}); a key stored beside the log proves nothing`,
  );
}

export interface VerifyRequest {
  readonly file: string;
  readonly keys: readonly KeyObject[];
  readonly home: BulwarkHome;
  readonly witness?: string;
  readonly allowUnsealed: boolean;
  readonly minSeq?: number;
}

export interface VerifyOutcome {
  readonly report: AuditVerifyReport;
  /** The witness file compared, or '' when none was found. */
  readonly witness: string;
}

/** Verifies `file`; compares it with the given witness, or with the home's witness for its log id if there is one. */
export function verifyWithWitness(req: VerifyRequest): VerifyOutcome {
  const base = { allowUnsealed: req.allowUnsealed, ...(req.minSeq === undefined ? {} : { minSeq: req.minSeq }) };
  let witnessPath = req.witness ?? '';
  if (witnessPath === '') {
    const first = verifyAuditLog(req.file, req.keys, base);
    const candidate = first.logId === '' ? '' : witnessFilePath(req.home.witnessDir, first.logId);
    if (candidate === '' || !existsSync(candidate)) return { report: first, witness: '' };
    witnessPath = candidate;
  }
  const witness: AuditCheckpoint[] = readWitnessFile(witnessPath);
  return { report: verifyAuditLog(req.file, req.keys, { ...base, witness }), witness: witnessPath };
}

const runRecordSchema = z.object({
  audit: z.object({
    log: z.string().min(1),
    logId: z.string(),
    keyId: z.string().min(1),
    finalSeq: z.number().int().nonnegative(),
    finalHash: z.string(),
    witness: z.string().nullable(),
  }),
});

/** Verifies a run directory's log against its run record (`run.json`). */
export function verifyRun(dir: string, keys: readonly KeyObject[], home: BulwarkHome, witnessFlag: string | undefined): VerifyOutcome & { file: string } {
  const recordPath = join(dir, 'run.json');
  let parsed: z.infer<typeof runRecordSchema>;
  try {
    parsed = runRecordSchema.parse(JSON.parse(readFileSync(recordPath, 'utf8')));
  } catch (err) {
    const why = err instanceof z.ZodError ? err.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ') : err instanceof Error ? err.message : String(err);
    throw new Error(`audit verify --run: run record ${recordPath} is missing or unreadable (${why})`);
  }
  const rec = parsed.audit;
  const file = join(dir, rec.log);
  const homeWitness = rec.logId === '' ? '' : witnessFilePath(home.witnessDir, rec.logId);
  const witness = witnessFlag ?? (homeWitness !== '' && existsSync(homeWitness) ? homeWitness : (rec.witness ?? undefined));
  if (witness !== undefined && !existsSync(witness)) {
    throw new Error(`audit verify --run: the witness ${witness} named by the run record is missing`);
  }
  const out = verifyWithWitness({ file, keys, home, allowUnsealed: false, ...(witness === undefined ? {} : { witness }) });
  const r = out.report;
  if (!r.ok) return { ...out, file };
  const mismatch =
    r.lastKeyId !== rec.keyId
      ? `the log is sealed by key ${r.lastKeyId}, the run record names key ${rec.keyId}`
      : r.lastSeq !== rec.finalSeq
        ? `the log ends at seq ${r.lastSeq}, the run record's final seq is ${rec.finalSeq}`
        : r.lastHash !== rec.finalHash
          ? `event seq ${r.lastSeq} has another hash than the run record's final hash`
          : '';
  if (mismatch === '') return { ...out, file };
  const firstBadSeq = Math.min(r.lastSeq, rec.finalSeq) + (r.lastSeq === rec.finalSeq ? 0 : 1);
  return { report: { ...r, ok: false, firstBadSeq, line: 0, problem: `run record ${join(dir, 'run.json')}: ${mismatch}` }, witness: out.witness, file };
}
