import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { systemClock } from '../../core/index.js';
import { MemoryRevocationList, TokenVerifier, loadTokenPublicKey } from '../../security/index.js';
import { runCommand } from '../test-helpers/run-command.js';
import { registerTokenCommand } from './token.js';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function home(): string {
  const d = mkdtempSync(join(tmpdir(), 'bulwark-home-'));
  dirs.push(d);
  return d;
}

describe('bulwark token', () => {
  it('issue_agent_prints_a_token_the_home_public_key_verifies_with_the_given_scope', async () => {
    const h = home();
    const run = await runCommand(registerTokenCommand, [
      'token', 'issue', '--role', 'agent', '--agent', 'alpha', '--symbols', 'BTC/USDT,ETH/USDT',
      '--notional-cap', '2500', '--tools', 'orders.submit,state.read', '--ttl', '120', '--home', h,
    ]);
    const token = run.out.trim();
    expect(statSync(join(h, 'keys', 'token-agent.pem')).mode & 0o077).toBe(0);
    const verifier = new TokenVerifier({
      publicKeys: { agent: loadTokenPublicKey(h, 'agent') },
      revocations: new MemoryRevocationList(systemClock),
      clock: systemClock,
    });
    const grant = await verifier.verify(token);
    expect(grant.subject).toBe('alpha');
    expect([...grant.tools]).toEqual(['orders.submit', 'state.read']);
    expect(grant.symbols).toEqual(new Set(['BTC/USDT', 'ETH/USDT']));
    expect(grant.notionalCap).toBe(2500);
    expect(grant.expiresAtMs - grant.issuedAtMs).toBe(120_000);
  });

  it('issue_ops_uses_a_separate_key_and_json_prints_jti_and_expiry', async () => {
    const h = home();
    const run = await runCommand(registerTokenCommand, ['token', 'issue', '--role', 'ops', '--subject', 'ann', '--home', h, '--json']);
    const parsed = JSON.parse(run.out) as { token: string; jti: string; expiresAt: string };
    expect(parsed.jti).toMatch(/^[0-9a-f-]{36}$/);
    expect(Date.parse(parsed.expiresAt)).toBeGreaterThan(Date.now());
    expect(statSync(join(h, 'keys', 'token-ops.pem')).isFile()).toBe(true);
    const agentOnly = new TokenVerifier({
      publicKeys: { agent: loadTokenPublicKey(h, 'ops') },
      revocations: new MemoryRevocationList(systemClock),
      clock: systemClock,
    });
    await expect(agentOnly.verify(parsed.token)).rejects.toThrow(/issuer/);
  });

  it('issue_refuses_bad_flags_naming_the_flag', async () => {
    const h = home();
    const base = ['token', 'issue', '--home', h];
    await expect(runCommand(registerTokenCommand, [...base, '--role', 'root', '--subject', 'a'])).rejects.toThrow(/--role/);
    await expect(runCommand(registerTokenCommand, [...base, '--role', 'agent', '--subject', 'a', '--notional-cap', '5'])).rejects.toThrow(/--symbols/);
    await expect(runCommand(registerTokenCommand, [...base, '--role', 'agent', '--subject', 'a', '--symbols', 'X'])).rejects.toThrow(/--notional-cap/);
    await expect(
      runCommand(registerTokenCommand, [...base, '--role', 'agent', '--subject', 'a', '--symbols', 'X', '--notional-cap', '5', '--ttl', '7200']),
    ).rejects.toThrow(/--ttl: at most 3600/);
    await expect(
      runCommand(registerTokenCommand, [...base, '--role', 'agent', '--subject', 'a', '--symbols', 'X', '--notional-cap', '5', '--tools', 'ops.kill']),
    ).rejects.toThrow(/--tools: 'ops.kill' is not a tool of a agent token/);
    await expect(runCommand(registerTokenCommand, [...base, '--role', 'ops', '--subject', 'a', '--mode', 'real'])).rejects.toThrow(/--mode/);
  });

  it('home_comes_from_BULWARK_HOME_when_no_flag_is_given', async () => {
    const h = home();
    const before = process.env.BULWARK_HOME;
    process.env.BULWARK_HOME = h;
    try {
      await runCommand(registerTokenCommand, ['token', 'keys']);
      expect(statSync(join(h, 'keys', 'token-ops.pub.pem')).isFile()).toBe(true);
    } finally {
      if (before === undefined) delete process.env.BULWARK_HOME;
      else process.env.BULWARK_HOME = before;
    }
  });
});
