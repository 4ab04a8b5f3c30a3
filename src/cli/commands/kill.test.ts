import { existsSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { systemClock } from '../../core/index.js';
import { RedisStateStore } from '../../risk-gatekeeper/index.js';
import { readAuditEvents, verifyAuditLog } from '../../security/index.js';
import { startRedisServer, testRedisUrl, type RedisServerHandle } from '../../test-support/redis-server.js';
import { type CommandRun, runCommand } from '../test-helpers/run-command.js';
import { registerKillCommand } from './kill.js';

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function run(args: string[]): Promise<string> {
  return (await runCommand(registerKillCommand, args)).out;
}
async function runWithCode(args: string[]): Promise<CommandRun> {
  return await runCommand(registerKillCommand, args);
}

let prefixSeq = 0;
/** A fresh key prefix in `url` and a home directory of the spec's own, both removed after it. */
function fixture(url = testRedisUrl()): { common: string[]; home: string; store: RedisStateStore; url: string; prefix: string } {
  prefixSeq += 1;
  const prefix = `bulwark:kill-cli:${process.pid}:${prefixSeq}:`;
  const home = mkdtempSync(join(tmpdir(), 'bulwark-home-'));
  const store = new RedisStateStore({ url, keyPrefix: prefix, clock: systemClock });
  cleanups.push(() => rmSync(home, { recursive: true, force: true }));
  cleanups.push(async () => {
    await store.deleteAll().catch(() => undefined);
    await store.close();
  });
  return { common: ['--redis', url, '--prefix', prefix, '--home', home], home, store, url, prefix };
}

async function wipe(url: string): Promise<void> {
  const raw = new Redis(url);
  try {
    await raw.flushdb();
  } finally {
    raw.disconnect();
  }
}

interface StatusJson {
  home: string;
  global: string;
  health: string;
  store: { epoch: { id: string; restored: boolean } | null; health: string };
  audit: { lastSealedSeq: number; scopes: { scope: string; state: string }[] };
  scopes: { scope: string; state: string }[];
  differences: { scope: string; store: string; audit: string }[];
}
async function status(common: string[]): Promise<{ json: StatusJson; exitCode: number }> {
  const r = await runWithCode(['status', '--json', ...common]);
  return { json: JSON.parse(r.out) as StatusJson, exitCode: r.exitCode };
}

describe('bulwark kill / resume / status', () => {
  it('kill_hard_then_resume_flip_redis_and_write_signed_audit_events_in_the_home', async () => {
    const { common, home, store } = fixture();
    const killed = await run(['kill', '--hard', '--scope', 'agent:a1', '--reason', 'runaway', '--operator', 'alice', ...common]);
    // A fresh store is restored (from no log: nothing) before the first flip, so it carries a restored epoch.
    expect(killed).toMatch(/restored 0 scope\(s\) from .*killswitch\.jsonl under epoch/);
    expect(killed).toMatch(/agent:a1: ACTIVE -> HALTED \(version 1, .*operator:alice\): runaway/);
    const s = await status(common);
    expect(s.exitCode).toBe(0);
    expect(s.json).toMatchObject({ home, health: 'OK', store: { epoch: { restored: true } }, differences: [] });
    expect(s.json.scopes).toMatchObject([{ scope: 'agent:a1', state: 'HALTED' }]);
    await run(['resume', '--scope', 'agent:a1', '--reason', 'fixed', '--operator', 'bob', ...common]);
    await store.connect();
    expect(store.cache.stateOf('agent:a1')).toBe('ACTIVE');
    const log = join(home, 'audit', 'killswitch.jsonl');
    expect(readAuditEvents(log).map((e) => [e.type, e.actor, e.payload.to])).toEqual([
      ['TRADING_STATE_RESTORED', 'operator:alice', undefined],
      ['TRADING_STATE_CHANGE_REQUESTED', 'operator:alice', 'HALTED'],
      ['TRADING_STATE_CHANGED', 'operator:alice', 'HALTED'],
      ['TRADING_STATE_CHANGE_REQUESTED', 'operator:bob', 'ACTIVE'],
      ['TRADING_STATE_CHANGED', 'operator:bob', 'ACTIVE'],
    ]);
    expect(statSync(join(home, 'keys', 'audit-signing.pem')).mode & 0o777).toBe(0o600);
    // The log verifies against the home's keyring (not a key beside it), sealed to its end.
    expect(verifyAuditLog(log, join(home, 'trusted-keys.pem'))).toMatchObject({ ok: true, closedCleanly: true });
  });

  // Finding 4: `kill --soft` on a HALTED scope moved it to REDUCING.
  it('kill_soft_on_a_halted_scope_is_refused_pointing_at_resume_to_reducing_which_does_it_on_the_record', async () => {
    const { common, store } = fixture();
    await run(['kill', '--hard', '--reason', 'incident', ...common]);
    await expect(run(['kill', '--soft', '--reason', 'calmer', ...common])).rejects.toThrow(
      /global is HALTED: a kill only tightens.*bulwark resume --to reducing --scope global/,
    );
    await store.connect();
    expect(store.cache.stateOf('global')).toBe('HALTED');
    const out = await run(['resume', '--to', 'reducing', '--reason', 'calmer', '--operator', 'bob', ...common]);
    expect(out).toMatch(/global: HALTED -> REDUCING .*operator:bob\): calmer/);
    await expect(run(['resume', '--to', 'reducing', '--reason', 'again', ...common])).rejects.toThrow(/would not loosen it/);
    await expect(run(['resume', '--to', 'paused', '--reason', 'x', ...common])).rejects.toThrow(/--to: must be active or reducing/);
  });

  // Findings 1 and 5: after a wipe, status said ACTIVE (never changed), and state was found relative to the cwd.
  it('after_a_wipe_status_says_loudly_that_store_and_log_differ_and_kill_restore_brings_the_halt_back_from_another_directory', async () => {
    const server = await startRedisServer();
    cleanups.push(() => server.stop());
    const { common, home, prefix } = fixture(server.url);
    await run(['kill', '--hard', '--reason', 'incident', ...common]);
    await wipe(server.url);

    const cwd = process.cwd();
    const elsewhere = mkdtempSync(join(tmpdir(), 'bulwark-elsewhere-'));
    cleanups.push(() => rmSync(elsewhere, { recursive: true, force: true }));
    process.chdir(elsewhere);
    const before = process.env.BULWARK_HOME;
    process.env.BULWARK_HOME = home;
    cleanups.push(() => {
      process.chdir(cwd);
      if (before === undefined) delete process.env.BULWARK_HOME;
      else process.env.BULWARK_HOME = before;
    });
    // No --home: BULWARK_HOME is the home wherever the command runs.
    const viaEnv = ['--redis', server.url, '--prefix', prefix];
    const text = await runWithCode(['status', ...viaEnv]);
    expect(text.exitCode).toBe(1);
    expect(text.out).toContain(`home: ${home} (BULWARK_HOME)`);
    expect(text.out).toMatch(/NO EPOCH, health UNKNOWN/);
    expect(text.out).toMatch(/global: store ACTIVE \(never changed\) \| audit log HALTED {3}<-- DIFFERS/);
    expect(text.out).toMatch(/!! THE STORE'S STATE CANNOT BE TRUSTED/);
    expect(text.out).toMatch(/!! STORE AND AUDIT LOG DISAGREE on global \(store ACTIVE, log HALTED\)/);

    const restored = await run(['kill', 'restore', '--reason', 'redis was wiped', '--operator', 'carol', ...viaEnv]);
    expect(restored).toMatch(/restored 1 scope\(s\) from .* under epoch .* \(previous epoch none\)/);
    expect(restored).toMatch(/global: HALTED \(operator:/);
    const s = await status(viaEnv);
    expect(s).toMatchObject({ exitCode: 0, json: { global: 'HALTED', health: 'OK', differences: [] } });
  });

  // Findings 2 and 3: versions restarting at 0, and a kill on another scope replaying an old ACTIVE v8.
  it('after_a_wipe_a_kill_restores_first_and_a_later_kill_on_an_unrelated_scope_never_changes_global', async () => {
    const server = await startRedisServer();
    cleanups.push(() => server.stop());
    const { common, store } = fixture(server.url);
    // Eight flips: the log's last global record is ACTIVE at a high version.
    for (let i = 0; i < 4; i++) {
      await run(['kill', '--hard', '--reason', `incident ${i}`, ...common]);
      await run(['resume', '--reason', `fixed ${i}`, ...common]);
    }
    await wipe(server.url);
    const halted = await run(['kill', '--hard', '--reason', 'after the wipe', ...common]);
    expect(halted).toMatch(/restored 1 scope\(s\)/);
    expect(halted).toMatch(/global: ACTIVE -> HALTED \(version 2,/);
    await run(['kill', '--hard', '--scope', 'agent:zz', '--reason', 'unrelated', ...common]);
    await store.connect();
    expect(store.cache.stateOf('global')).toBe('HALTED');
    expect(store.cache.stateOf('agent:zz')).toBe('HALTED');
    const s = await status(common);
    expect(s.json.differences).toEqual([]);
  });

  it('kill_when_the_audit_log_is_held_then_the_kill_is_applied_and_the_command_fails_naming_the_audit_problem', async () => {
    const { common, home, store } = fixture();
    await run(['kill', '--soft', '--scope', 'agent:b', '--reason', 'first', ...common]);
    const audit = join(home, 'audit', 'killswitch.jsonl');
    writeFileSync(`${audit}.lock`, `${process.pid}\n`);
    // The brake engages although nothing can be written down; the exit is non-zero and says why.
    await expect(run(['kill', '--hard', '--reason', 'x', ...common])).rejects.toThrow(
      /global is now HALTED \(version 2\), but the audit log could not record it \(.*already open for writing/,
    );
    await store.connect();
    expect(store.cache.stateOf('global')).toBe('HALTED');
    // A resume that cannot be recorded is refused, Redis untouched.
    await expect(run(['resume', '--reason', 'y', ...common])).rejects.toThrow(/already open for writing/);
    await new Promise((r) => setTimeout(r, 50));
    expect(store.cache.stateOf('global')).toBe('HALTED');
  });

  it('kill_when_redis_is_unreachable_then_fails_cleanly_leaving_nothing_behind', async () => {
    const home = mkdtempSync(join(tmpdir(), 'bulwark-home-'));
    cleanups.push(() => rmSync(home, { recursive: true, force: true }));
    const inner = join(home, 'h');
    await expect(run(['kill', '--hard', '--reason', 'x', '--redis', 'redis://127.0.0.1:1', '--home', inner])).rejects.toThrow(/cannot connect/);
    expect(existsSync(inner)).toBe(false);
  });

  it('resume_when_the_audit_log_cannot_be_replayed_is_refused_but_a_kill_still_goes_ahead', async () => {
    const { common, home, store } = fixture();
    await run(['kill', '--soft', '--scope', 'agent:c', '--reason', 'first', ...common]);
    writeFileSync(join(home, 'audit', 'killswitch.jsonl'), 'not an audit log\n');
    await expect(run(['kill', '--soft', '--reason', 'x', ...common])).rejects.toThrow(/global is now REDUCING \(version 2\), but the audit log could not record it/);
    await store.connect();
    expect(store.cache.stateOf('global')).toBe('REDUCING');
    await expect(run(['resume', '--reason', 'y', ...common])).rejects.toThrow(/line 1/);
    await new Promise((r) => setTimeout(r, 50));
    expect(store.cache.stateOf('global')).toBe('REDUCING');
  });

  it('kill_without_exactly_one_mode_a_reason_or_with_a_bad_scope_fails_with_a_clear_message', async () => {
    await expect(run(['kill', '--reason', 'x'])).rejects.toThrow('give exactly one of --soft or --hard');
    await expect(run(['kill', '--soft', '--hard', '--reason', 'x'])).rejects.toThrow('give exactly one of --soft or --hard');
    await expect(run(['kill', '--hard', '--scope', 'desk:1', '--reason', 'x'])).rejects.toThrow(/scope: must be global/);
    await expect(run(['kill', '--hard'])).rejects.toThrow(/kill: --reason is required/);
    await expect(run(['kill', 'restore'])).rejects.toThrow(/kill restore: --reason is required/);
  });
});

describe('bulwark kill against its own redis-server', () => {
  let server: RedisServerHandle;
  beforeAll(async () => {
    server = await startRedisServer();
  });
  afterAll(async () => {
    await server.stop();
  });

  it('a_restart_of_redis_shows_in_status_and_kill_restore_rebuilds_every_scope', async () => {
    const { common } = fixture(server.url);
    await run(['kill', '--hard', '--scope', 'instrument:BTC/USD', '--reason', 'venue', ...common]);
    await run(['kill', '--soft', '--reason', 'caution', ...common]);
    await server.restart();
    expect((await status(common)).json).toMatchObject({ health: 'UNKNOWN', store: { epoch: null } });
    await run(['kill', 'restore', '--reason', 'restarted', ...common]);
    const s = await status(common);
    expect(s.exitCode).toBe(0);
    expect(s.json.scopes.map((r) => [r.scope, r.state])).toEqual([
      ['global', 'REDUCING'],
      ['instrument:BTC/USD', 'HALTED'],
    ]);
  });
});
