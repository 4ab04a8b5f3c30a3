import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { AuditLog } from '../../security/index.js';
import { type CommandRun, runCommand } from '../test-helpers/run-command.js';
import { registerAuditCommand } from './audit.js';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function run(args: string[]): Promise<CommandRun> {
  return runCommand(registerAuditCommand, args);
}

/** A key pair and a closed log of `n` events signed with it. */
async function signedLog(n: number): Promise<{ dir: string; log: string; pub: string; priv: string }> {
  const dir = mkdtempSync(join(tmpdir(), 'bulwark-audit-cli-'));
  dirs.push(dir);
  const keys = await run(['audit', 'keygen', '--out', join(dir, 'keys')]);
  const priv = join(dir, 'keys', 'audit-signing.pem');
  const pub = join(dir, 'keys', 'audit-signing.pub.pem');
  expect(keys.out).toContain(`private key: ${priv} (mode 0600, keep it secret)`);
  expect(keys.out).not.toContain('PRIVATE KEY');
  const log = join(dir, 'a.jsonl');
  const writer = AuditLog.open({ path: log, signingKey: priv, checkpointEvery: 3 });
  for (let i = 0; i < n; i++) writer.append('ORDER_DENIED', 'agent:a1', { i, reasons: ['RATE_LIMIT'] });
  writer.close();
  return { dir, log, pub, priv };
}

describe('bulwark audit keygen / verify', () => {
  it('keygen_then_verify_of_a_closed_log_reports_ok_and_exits_zero', async () => {
    const { log, pub, priv } = await signedLog(7);
    expect(statSync(priv).mode & 0o777).toBe(0o600);
    const r = await run(['audit', 'verify', log, '--pubkey', pub]);
    expect(r.exitCode).toBe(0);
    expect(r.out).toMatch(/^OK: .*a\.jsonl: 7 events, \d+ valid checkpoints, sealed up to seq 7\n$/);
    const json = await run(['audit', 'verify', log, '--pubkey', pub, '--json']);
    expect(JSON.parse(json.out)).toMatchObject({ ok: true, events: 7, lastSealedSeq: 7, closedCleanly: true });
  });

  it('verify_when_an_event_was_modified_then_exits_one_naming_the_first_bad_seq', async () => {
    const { log, pub } = await signedLog(7);
    const text = readFileSync(log, 'utf8').replace('"i":4', '"i":40');
    writeFileSync(log, text);
    const r = await run(['audit', 'verify', log, '--pubkey', pub]);
    expect(r.exitCode).toBe(1);
    expect(r.out).toMatch(/^FAILED: .*a\.jsonl: first bad seq 5 \(line \d+\): /);
  });

  it('verify_with_min_seq_beyond_the_log_fails_as_a_cut_file_and_a_bad_min_seq_is_refused', async () => {
    const { log, pub } = await signedLog(6);
    const r = await run(['audit', 'verify', log, '--pubkey', pub, '--min-seq', '9']);
    expect(r.exitCode).toBe(1);
    expect(r.out).toMatch(/^FAILED: /);
    await expect(run(['audit', 'verify', log, '--pubkey', pub, '--min-seq', '-1'])).rejects.toThrow("--min-seq: must be a whole number >= 0, got '-1'");
  });

  it('verify_with_the_wrong_public_key_fails', async () => {
    const { log } = await signedLog(4);
    const other = await signedLog(1);
    const r = await run(['audit', 'verify', log, '--pubkey', other.pub]);
    expect(r.exitCode).toBe(1);
    expect(r.out).toMatch(/^FAILED: /);
  });
});
