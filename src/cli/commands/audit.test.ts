import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { openRunAudit } from '../../backtests/index.js';
import {
  AuditLog,
  type BulwarkHome,
  FileWitness,
  computeEventHash,
  ensureHomeSigningKey,
  generateAuditKeyPair,
  resolveHome,
} from '../../security/index.js';
import { type CommandRun, runCommand } from '../test-helpers/run-command.js';
import { registerAuditCommand } from './audit.js';
import { appendRaw } from '../../test-support/audit-raw.js';

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
  for (let i = 0; i < n; i++) appendRaw(writer, 'agent:a1', { i, reasons: ['RATE_LIMIT'] }, 'ORDER_DENIED');
  writer.close();
  return { dir, log, pub, priv };
}

describe('bulwark audit keygen / verify', () => {
  it('keygen_then_verify_of_a_closed_log_reports_ok_and_exits_zero', async () => {
    const { log, pub, priv } = await signedLog(7);
    expect(statSync(priv).mode & 0o777).toBe(0o600);
    const r = await run(['audit', 'verify', log, '--pubkey', pub]);
    expect(r.exitCode).toBe(0);
    expect(r.out).toMatch(/^OK: .*a\.jsonl: 7 events, \d+ valid checkpoints, sealed up to seq 7\n {2}trusted keys: .*audit-signing\.pub\.pem; witness: none found\n$/);
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

// ---- issue 11: a cut or forged log never verifies ------------------------------------------------------------

/** A home of the spec's own and a log signed by its key (sealed every 3 events), witnessed there. */
function homeLog(n: number, close = true): { home: BulwarkHome; log: string; writer: AuditLog; dir: string } {
  const dir = mkdtempSync(join(tmpdir(), 'bulwark-audit-home-'));
  dirs.push(dir);
  const home = resolveHome(join(dir, 'home'));
  const key = ensureHomeSigningKey(home);
  const log = join(dir, 'run', 'audit.jsonl');
  mkdirSync(dirname(log), { recursive: true });
  const writer = AuditLog.open({ path: log, signingKey: key.signingKeyPath, checkpointEvery: 3, sealTimer: false, witness: new FileWitness(home.witnessDir) });
  for (let i = 1; i <= n; i++) appendRaw(writer, 'agent:a1', { i, reasons: ['RATE_LIMIT'] }, 'ORDER_DENIED');
  if (close) writer.close();
  return { home, log, writer, dir };
}

function lines(path: string): string[] {
  return readFileSync(path, 'utf8').split('\n').slice(0, -1);
}
function writeLinesTo(path: string, ls: readonly string[]): void {
  writeFileSync(path, ls.map((l) => `${l}\n`).join(''));
}

async function verify(args: string[]): Promise<{ exitCode: number; report: Record<string, unknown> }> {
  const r = await run(['audit', 'verify', ...args, '--json']);
  return { exitCode: r.exitCode, report: JSON.parse(r.out) as Record<string, unknown> };
}

describe('bulwark audit verify: trust anchor, seals and witness', () => {
  it('a_sound_closed_log_verifies_against_the_homes_keyring_and_its_witness', async () => {
    const { home, log } = homeLog(7);
    const r = await verify([log, '--home', home.dir]);
    expect(r.exitCode).toBe(0);
    expect(r.report).toMatchObject({ ok: true, lastSeq: 7, lastSealedSeq: 7, closedCleanly: true, trustedKeys: home.keyringPath, witnessedSeq: 7 });
    const text = await run(['audit', 'verify', log, '--home', home.dir]);
    expect(text.out).toMatch(/^OK: .*: 7 events, \d+ valid checkpoints, sealed up to seq 7\n {2}trusted keys: .*trusted-keys\.pem; witness: .*witness/);
  });

  it('a_file_cut_cleanly_after_any_full_line_exits_1_naming_the_last_sealed_seq', async () => {
    const { home, log } = homeLog(7);
    const all = lines(log);
    // After event 5 (sealed through 3), and after the count checkpoint at 6 (sealed, but not closed).
    const after5 = all.findIndex((l) => l.includes('"seq":5,') && !l.includes('checkpoint'));
    writeLinesTo(log, all.slice(0, after5 + 1));
    // Without the witness (another home), the seals alone catch it.
    const noWitness = ['--trusted-keys', home.keyringPath, '--home', join(home.dir, 'elsewhere')];
    let r = await verify([log, ...noWitness]);
    expect(r.exitCode).toBe(1);
    expect(r.report).toMatchObject({ ok: false, firstBadSeq: 4, lastSealedSeq: 3 });
    expect(String(r.report.problem)).toMatch(/2 event\(s\) after the last sealed seq 3 carry no signature/);
    const cp6 = all.findIndex((l) => l.includes('"kind":"checkpoint"') && l.includes('"seq":6,'));
    writeLinesTo(log, all.slice(0, cp6 + 1));
    r = await verify([log, ...noWitness]);
    expect(r.report).toMatchObject({ ok: false, firstBadSeq: 7, lastSealedSeq: 6 });
    expect(String(r.report.problem)).toMatch(/not its close checkpoint/);
    r = await verify([log, '--home', home.dir]);
    expect(r.exitCode).toBe(1);
    // Sealed to 6, but the witness holds the close checkpoint at 7: cut back.
    expect(r.report).toMatchObject({ ok: false, firstBadSeq: 7, lastSealedSeq: 6 });
    expect(String(r.report.problem)).toMatch(/witness holds a checkpoint at seq 7/);
  });

  it('a_log_cut_back_to_an_earlier_checkpoint_passes_alone_with_allow_unsealed_but_not_against_its_witness', async () => {
    const { home, log } = homeLog(9);
    const all = lines(log);
    const cp3 = all.findIndex((l) => l.includes('"kind":"checkpoint"') && l.includes('"seq":3,'));
    writeLinesTo(log, all.slice(0, cp3 + 1));
    // Alone, a log cut at a checkpoint is a shorter sound log (accepted as a writer still open) ...
    const alone = await verify([log, '--trusted-keys', home.keyringPath, '--home', join(home.dir, 'elsewhere'), '--allow-unsealed']);
    expect(alone).toMatchObject({ exitCode: 0, report: { ok: true, lastSeq: 3 } });
    // ... but the home's witness, found by the log's id, saw it reach seq 9.
    const witnessed = await verify([log, '--home', home.dir, '--allow-unsealed']);
    expect(witnessed.exitCode).toBe(1);
    expect(witnessed.report).toMatchObject({ ok: false, firstBadSeq: 4, lastSeq: 3, witnessedSeq: 9 });
    expect(String(witnessed.report.problem)).toMatch(/log ends at seq 3 but its witness holds a checkpoint at seq 9/);
  });

  it('a_forger_who_edits_an_event_recomputes_the_chain_and_deletes_the_checkpoints_exits_1_at_the_last_sealed_seq', async () => {
    const { home, log } = homeLog(7);
    const out: string[] = [];
    let prevHash = '';
    for (const l of lines(log)) {
      const rec = JSON.parse(l) as Record<string, unknown>;
      if (rec.kind === 'checkpoint') {
        if (Number(rec.seq) < 4) out.push(l); // keeps the seals before its edit, drops every later one
        continue;
      }
      const e = rec as { seq: number; timeMs: number; type: string; actor: string; payload: Record<string, unknown>; prevHash: string; hash: string };
      if (e.seq === 5) e.payload = { ...e.payload, reasons: [] };
      if (e.seq >= 5) {
        e.prevHash = prevHash;
        e.hash = computeEventHash(e);
      }
      prevHash = e.hash;
      out.push(JSON.stringify(e));
    }
    writeLinesTo(log, out);
    const r = await verify([log, '--trusted-keys', home.keyringPath, '--home', join(home.dir, 'elsewhere')]);
    expect(r.exitCode).toBe(1);
    expect(r.report).toMatchObject({ ok: false, lastSealedSeq: 3, firstBadSeq: 4 });
    // Even accepting an unsealed tail, the witness saw the real seq 6 (and 7).
    const lax = await verify([log, '--home', home.dir, '--allow-unsealed']);
    expect(lax.exitCode).toBe(1);
    expect(lax.report).toMatchObject({ ok: false, firstBadSeq: 6 });
    expect(String(lax.report.problem)).toMatch(/does not match the checkpoint its witness holds for seq 6/);
  });

  it('a_log_re_signed_with_a_new_key_written_over_the_public_key_beside_it_exits_1_untrusted_signer', async () => {
    const { home, log, dir } = homeLog(4);
    // The forger rewrites everything with a key of their own and leaves its public key beside the log.
    const forged = join(dir, 'forged.jsonl');
    const forgerKeys = generateAuditKeyPair();
    const w = AuditLog.open({ path: forged, signingKey: forgerKeys.privateKeyPem, sealTimer: false });
    for (let i = 1; i <= 4; i++) appendRaw(w, 'agent:a1', { i, reasons: [] }, 'ORDER_DENIED');
    w.close();
    writeFileSync(log, readFileSync(forged));
    writeFileSync(join(dirname(log), 'audit.pub.pem'), forgerKeys.publicKeyPem);
    const r = await verify([log, '--home', home.dir]);
    expect(r.exitCode).toBe(1);
    expect(r.report).toMatchObject({ ok: false, firstBadSeq: 1, lastSealedSeq: 0 });
    expect(String(r.report.problem)).toMatch(new RegExp(`signed by key ${forgerKeys.keyId}, not by the given key`));
  });

  it('an_empty_log_exits_1_naming_seq_1_and_no_trust_anchor_is_an_error_not_an_ok', async () => {
    const { home, dir } = homeLog(1);
    const empty = join(dir, 'empty.jsonl');
    writeFileSync(empty, '');
    const r = await verify([empty, '--home', home.dir]);
    expect(r).toMatchObject({ exitCode: 1, report: { ok: false, firstBadSeq: 1, events: 0 } });
    await expect(run(['audit', 'verify', empty, '--home', join(dir, 'no-home')])).rejects.toThrow(/no trust anchor/);
  });

  it('an_open_writer_verifies_only_with_allow_unsealed', async () => {
    const { home, log, writer } = homeLog(5, false);
    writer.checkpoint('manual'); // on disk, sealed, not closed
    appendRaw(writer, 'agent:a1', { i: 6, reasons: [] }, 'ORDER_DENIED');
    writer.checkpoint('manual');
    expect((await verify([log, '--home', home.dir])).exitCode).toBe(1);
    expect(await verify([log, '--home', home.dir, '--allow-unsealed'])).toMatchObject({ exitCode: 0, report: { ok: true, lastSeq: 6 } });
    writer.close();
  });

  it('verify_run_checks_the_run_records_key_fingerprint_final_seq_and_witness', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'bulwark-run-'));
    dirs.push(dir);
    const home = resolveHome(join(dir, 'home'));
    const runDir = join(dir, 'run');
    const audit = openRunAudit(runDir, { home, sealEvery: 2 });
    for (let i = 1; i <= 5; i++) appendRaw(audit.log, 'agent:a1', { i }, 'FILL');
    const rec = audit.finish();
    expect(rec).toMatchObject({ finalSeq: 5, keyId: ensureHomeSigningKey(home).keyId, keyring: home.keyringPath });
    expect(existsSync(join(runDir, 'audit.pub.pem'))).toBe(false); // no key beside the log
    expect(await verify(['--run', runDir, '--home', home.dir])).toMatchObject({ exitCode: 0, report: { ok: true, lastSeq: 5, witnessedSeq: 5 } });

    // Cut the last event and its close checkpoint, then re-seal the cut log with the home key: a sound, trusted,
    // closed log, caught by the run record's final seq (and by the witness).
    const all = lines(join(runDir, 'audit.jsonl'));
    writeLinesTo(join(runDir, 'audit.jsonl'), all.slice(0, -2));
    const resealed = AuditLog.open({ path: join(runDir, 'audit.jsonl'), signingKey: home.signingKeyPath, sealTimer: false });
    resealed.close();
    const r = await verify(['--run', runDir, '--home', home.dir]);
    expect(r.exitCode).toBe(1);
    expect(r.report).toMatchObject({ ok: false, firstBadSeq: 5 });
    expect(String(r.report.problem)).toMatch(/log ends at seq 4 but its witness holds a checkpoint at seq 5/);
    const json = JSON.parse(readFileSync(join(runDir, 'run.json'), 'utf8')) as { audit: { witness: string | null } };
    rmSync(String(json.audit.witness));
    await expect(verify(['--run', runDir, '--home', home.dir])).rejects.toThrow(/the witness .* named by the run record is missing/);
    // Even with the witness gone and unnamed, the run record's final seq catches the cut.
    writeFileSync(join(runDir, 'run.json'), JSON.stringify({ audit: { ...json.audit, witness: null } }));
    const noWitness = await verify(['--run', runDir, '--home', home.dir]);
    expect(noWitness.exitCode).toBe(1);
    expect(String(noWitness.report.problem)).toMatch(/the log ends at seq 4, the run record's final seq is 5/);
  });
});
