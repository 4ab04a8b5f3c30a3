/**
 * `bulwark audit keygen --out DIR` and `bulwark audit verify FILE --pubkey KEY`: make the checkpoint signing
 * keys and check an audit log. Verify exits 1 on any problem, naming the first bad sequence number.
 * Private keys are only ever written to their file; nothing here prints them.
 */
import type { Command } from 'commander';
import { type AuditVerifyReport, verifyAuditLog, writeAuditKeyPair } from '../../security/index.js';
import { parseWholeNumberFlag } from '../flags.js';

function describeReport(path: string, r: AuditVerifyReport): string {
  if (!r.ok) {
    const at = r.line !== undefined && r.line > 0 ? ` (line ${r.line})` : '';
    return (
      `FAILED: ${path}: first bad seq ${r.firstBadSeq ?? '?'}${at}: ${r.problem ?? 'unknown problem'}\n` +
      `  sound before it: ${r.events} events, ${r.checkpoints} checkpoints, sealed up to seq ${r.lastSealedSeq}\n`
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
    .description('check hash chain, sequence, checkpoint signatures and tail; exit 1 naming the first bad seq')
    .argument('<file>', 'audit log (JSONL)')
    .requiredOption('--pubkey <file...>', 'Ed25519 public key(s) (PEM) of the writer; several after a key rotation')
    .option('--min-seq <n>', 'fail unless the log reaches at least this seq (detects a file cut at a checkpoint)')
    .option('--json', 'print the report as one JSON object', false)
    .action((file: string, opts: { pubkey: string[]; minSeq?: string; json: boolean }) => {
      const minSeq = opts.minSeq === undefined ? undefined : parseWholeNumberFlag(opts.minSeq, '--min-seq', 0);
      const report = verifyAuditLog(file, opts.pubkey, minSeq === undefined ? {} : { minSeq });
      process.stdout.write(opts.json ? `${JSON.stringify(report)}\n` : describeReport(file, report));
      if (!report.ok) process.exitCode = 1;
    });
}
