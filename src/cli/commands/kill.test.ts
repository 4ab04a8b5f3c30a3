import { randomUUID } from 'node:crypto';
import { existsSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { testRedisUrl } from '../../test-support/redis-server.js';
import { systemClock } from '../../core/index.js';
import { RedisStateStore } from '../../risk-gatekeeper/index.js';
import { readAuditEvents } from '../../security/index.js';
import { runCommand } from '../test-helpers/run-command.js';
import { registerKillCommand } from './kill.js';

const REDIS_URL = testRedisUrl();
const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function run(args: string[]): Promise<string> {
  return (await runCommand(registerKillCommand, args)).out;
}

/** A fresh key prefix in the real Redis and a temporary directory, both removed after the spec. */
function redisFixture(): { prefix: string; dir: string; store: RedisStateStore } {
  const prefix = `bulwark:test:${randomUUID()}:`;
  const dir = mkdtempSync(join(tmpdir(), 'bulwark-kill-'));
  const store = new RedisStateStore({ url: REDIS_URL, keyPrefix: prefix, clock: systemClock });
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  cleanups.push(async () => {
    await store.deleteAll();
    await store.close();
  });
  return { prefix, dir, store };
}

describe('bulwark kill / resume / status', () => {
  it('kill_hard_then_resume_flip_redis_and_write_signed_audit_events', async () => {
    const { prefix, dir, store } = redisFixture();
    const common = ['--redis', REDIS_URL, '--prefix', prefix, '--audit', join(dir, 'a.jsonl'), '--keys', join(dir, 'keys')];
    const killed = await run(['kill', '--hard', '--scope', 'agent:a1', '--reason', 'runaway', '--operator', 'alice', ...common]);
    expect(killed).toMatch(/^agent:a1: ACTIVE -> HALTED \(version 1, .*operator:alice\): runaway/);
    const status = JSON.parse(await run(['status', '--json', '--redis', REDIS_URL, '--prefix', prefix]));
    expect(status.scopes).toMatchObject([{ scope: 'agent:a1', state: 'HALTED' }]);
    await run(['resume', '--scope', 'agent:a1', '--reason', 'fixed', '--operator', 'bob', ...common]);
    await store.connect();
    expect(store.cache.stateOf('agent:a1')).toBe('ACTIVE');
    const events = readAuditEvents(join(dir, 'a.jsonl'));
    // The request is on record before Redis is touched, the change after.
    expect(events.map((e) => [e.type, e.actor, e.payload.to])).toEqual([
      ['TRADING_STATE_CHANGE_REQUESTED', 'operator:alice', 'HALTED'],
      ['TRADING_STATE_CHANGED', 'operator:alice', 'HALTED'],
      ['TRADING_STATE_CHANGE_REQUESTED', 'operator:bob', 'ACTIVE'],
      ['TRADING_STATE_CHANGED', 'operator:bob', 'ACTIVE'],
    ]);
    expect(statSync(join(dir, 'keys', 'audit-signing.pem')).mode & 0o777).toBe(0o600);
  });

  // Regression: the audit log was opened after Redis outside the try, so a held log left the store open and
  // the command never exited; and an unreachable Redis still left a fresh key pair behind.
  it('kill_when_the_audit_log_is_held_then_the_kill_is_applied_and_the_command_fails_naming_the_audit_problem', async () => {
    const { prefix, dir, store } = redisFixture();
    const audit = join(dir, 'a.jsonl');
    writeFileSync(`${audit}.lock`, `${process.pid}\n`);
    const common = ['--redis', REDIS_URL, '--prefix', prefix, '--audit', audit, '--keys', join(dir, 'k')];
    // The brake engages although nothing can be written down; the exit is non-zero and says why.
    await expect(run(['kill', '--hard', '--reason', 'x', ...common])).rejects.toThrow(
      /global is now HALTED \(version 1\), but the audit log could not record it \(.*already open for writing/,
    );
    await store.connect();
    expect(store.cache.stateOf('global')).toBe('HALTED');
    // A resume that cannot be recorded is refused, Redis untouched.
    await expect(run(['resume', '--reason', 'y', ...common])).rejects.toThrow(/already open for writing/);
    await new Promise((r) => setTimeout(r, 50));
    expect(store.cache.stateOf('global')).toBe('HALTED');
    expect(existsSync(audit)).toBe(false);
  });

  it('kill_when_redis_is_unreachable_then_fails_cleanly_leaving_nothing_behind', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'bulwark-kill-'));
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
    const unreachable = ['kill', '--hard', '--reason', 'x', '--redis', 'redis://127.0.0.1:1', '--audit', join(dir, 'b', 'a.jsonl'), '--keys', join(dir, 'k2')];
    await expect(run(unreachable)).rejects.toThrow(/cannot connect/);
    expect(existsSync(join(dir, 'k2'))).toBe(false);
    expect(existsSync(join(dir, 'b'))).toBe(false);
  });

  it('resume_when_the_audit_log_cannot_be_replayed_is_refused_but_a_kill_still_goes_ahead', async () => {
    const { prefix, dir, store } = redisFixture();
    const audit = join(dir, 'a.jsonl');
    writeFileSync(audit, 'not an audit log\n');
    const common = ['--redis', REDIS_URL, '--prefix', prefix, '--audit', audit, '--keys', join(dir, 'k')];
    await expect(run(['kill', '--soft', '--reason', 'x', ...common])).rejects.toThrow(/global is now REDUCING \(version 1\), but the audit log could not record it/);
    await store.connect();
    expect(store.cache.stateOf('global')).toBe('REDUCING');
    await expect(run(['resume', '--reason', 'y', ...common])).rejects.toThrow(/line 1/);
    await new Promise((r) => setTimeout(r, 50));
    expect(store.cache.stateOf('global')).toBe('REDUCING');
  });

  it('kill_without_exactly_one_mode_or_with_a_bad_scope_fails_with_a_clear_message', async () => {
    await expect(run(['kill', '--reason', 'x'])).rejects.toThrow('give exactly one of --soft or --hard');
    await expect(run(['kill', '--soft', '--hard', '--reason', 'x'])).rejects.toThrow('give exactly one of --soft or --hard');
    await expect(run(['kill', '--hard', '--scope', 'desk:1', '--reason', 'x'])).rejects.toThrow(/scope: must be global/);
  });
});
