/**
 * `bulwark audit keygen --out DIR` and `bulwark audit verify FILE | --run DIR`: make the checkpoint signing
 * keys and check an audit log against a trust anchor that is not beside it, its seals and its witness.
 * Verify exits 1 on any problem, naming the first bad sequence number and the last sealed one.
 * Private keys are only ever written to their file; nothing here prints them.
 */
import type { Command } from 'commander';
import { type AuditVerifyReport, resolveHome, writeAuditKeyPair } from '../../security/index.js';
import { type VerifyOutcome, trustedKeys, verifyRun, verifyWithWitness } from './audit-verify-run.js';
import { parseWholeNumberFlag } from '../flags.js';

function describeReport(path: string, r: AuditVerifyReport): string {
  if (!r.ok) {
    const at = r.line !== undefined && r.line > 0 ? ` (line ${r.line})` : '';
    return (
      `FAILED: ${path}: first bad seq ${r.firstBadSeq ?? '?'}${at}: ${r.problem ?? 'unknown problem'}\n` +
      `  sound before it: ${r.events} events, ${r.checkpoints} checkpoints, last sealed seq ${r.lastSealedSeq}\n`
    );
  }
  let text = `OK: ${path}: ${r.events} events, ${r.checkpoints} valid checkpoints, sealed up to seq ${r.lastSealedSeq}\n`;
  if (r.unsealedEvents > 0) {
    text += `  note: ${r.unsealedEvents} event(s) after seq ${r.lastSealedSeq} are chained but not yet signed (unsealed)\n`;
  }
  if (!r.closedCleanly) text += '  note: the log does not end with a close checkpoint (writer still open, crashed or file cut)\n';
  return text;
}

export function registerAuditCommand(program: Command): void {
  const audit = program.command('audit').description('tamper-evident audit log: keys and verification');

  audit
    .command('keygen')
    .description('write a new Ed25519 key pair for signing audit checkpoints (private key file mode 0600)')
    .requiredOption('--out <dir>', 'directory for audit-signing.pem and audit-signing.pub.pem')
    .action((opts: { out: string }) => {
      const written = writeAuditKeyPair(opts.out);
      process.stdout.write(
        `private key: ${written.privateKeyPath} (mode 0600, keep it secret)\n` +
          `public key:  ${written.publicKeyPath}\nkey id:      ${written.keyId}\n`,
      );
    });

  audit
    .command('verify')
    .description(
      'check hash chain, sequence, signatures by a trusted key, seals to the end and the witness; exit 1 naming the first bad seq',
    )
    .argument('[file]', 'audit log (JSONL); or --run DIR')
    .option('--run <dir>', "verify a run directory's audit log against its run record (run.json: key fingerprint, final seq)")
    .option('--trusted-keys <file>', "keyring (PEM public keys) whose signatures are trusted (default: the home's keyring)")
    .option('--pubkey <file...>', 'trust these Ed25519 public key(s) (PEM) instead of a keyring')
    .option('--home <dir>', 'home holding the keyring and the witness (default: BULWARK_HOME, else ~/.bulwark)')
    .option('--witness <file>', "witness file to compare with (default: the home's witness for this log, if any)")
    .option('--allow-unsealed', 'accept events after the last checkpoint and a missing close checkpoint (a writer still open)', false)
    .option('--min-seq <n>', 'fail unless the log reaches at least this seq (detects a file cut at a checkpoint)')
    .option('--json', 'print the report as one JSON object', false)
    .action(
      (
        fileArg: string | undefined,
        opts: { run?: string; trustedKeys?: string; pubkey?: string[]; home?: string; witness?: string; allowUnsealed: boolean; minSeq?: string; json: boolean },
      ) => {
        if ((fileArg === undefined) === (opts.run === undefined)) throw new Error('audit verify: give a log file or --run DIR (one of them)');
        if (opts.trustedKeys !== undefined && opts.pubkey !== undefined) throw new Error('audit verify: give --trusted-keys or --pubkey, not both');
        const minSeq = opts.minSeq === undefined ? undefined : parseWholeNumberFlag(opts.minSeq, '--min-seq', 0);
        const home = resolveHome(opts.home);
        const trust = trustedKeys({ ...(opts.trustedKeys === undefined ? {} : { trustedKeys: opts.trustedKeys }), ...(opts.pubkey === undefined ? {} : { pubkey: opts.pubkey }) }, home);
        let file: string;
        let outcome: VerifyOutcome;
        if (opts.run !== undefined) {
          if (opts.allowUnsealed) throw new Error('audit verify --run: a finished run is sealed to its end; --allow-unsealed does not apply');
          ({ file, ...outcome } = verifyRun(opts.run, trust.keys, home, opts.witness));
        } else {
          file = fileArg ?? '';
          outcome = verifyWithWitness({
            file,
            keys: trust.keys,
            home,
            allowUnsealed: opts.allowUnsealed,
            ...(opts.witness === undefined ? {} : { witness: opts.witness }),
            ...(minSeq === undefined ? {} : { minSeq }),
          });
        }
        const { report, witness } = outcome;
        if (opts.json) process.stdout.write(`${JSON.stringify({ ...report, trustedKeys: trust.source, witness })}\n`);
        else process.stdout.write(`${describeReport(file, report)}  trusted keys: ${trust.source}; witness: ${witness === '' ? 'none found' : witness}\n`);
        if (!report.ok) process.exitCode = 1;
      },
    );
}
