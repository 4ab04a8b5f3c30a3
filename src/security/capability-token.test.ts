import { generateKeyPairSync } from 'node:crypto';
import { SignJWT, UnsecuredJWT, base64url } from 'jose';
import { describe, expect, it } from 'vitest';
import { FakeClock } from '../core/index.js';
import { TOKEN_AUDIENCE, TOKEN_ISSUERS } from './capability-claims.js';
import { type TokenRequest, TokenVerifier, issueCapabilityToken } from './capability-token.js';
import { MemoryRevocationList } from './revocation-list.js';
import { TokenError, type TokenErrorCode } from './token-errors.js';

const T0 = Date.UTC(2026, 0, 5, 12);

function keys() {
  return { agent: generateKeyPairSync('ed25519'), ops: generateKeyPairSync('ed25519') };
}

const agentRequest: TokenRequest = {
  role: 'agent',
  subject: 'alpha',
  tools: ['orders.submit', 'positions.read'],
  symbols: ['BTC/USDT'],
  notionalCap: 5_000,
  mode: 'paper',
};

function setup() {
  const clock = new FakeClock(T0);
  const k = keys();
  const revocations = new MemoryRevocationList(clock);
  const verifier = new TokenVerifier({
    publicKeys: { agent: k.agent.publicKey, ops: k.ops.publicKey },
    revocations,
    clock,
  });
  return { clock, k, revocations, verifier };
}

async function refusedWith(p: Promise<unknown>): Promise<TokenErrorCode> {
  try {
    await p;
  } catch (err) {
    if (err instanceof TokenError) return err.code;
    throw err;
  }
  throw new Error('expected a TokenError, the token was accepted');
}

describe('capability tokens', () => {
  it('issue_then_verify_returns_the_grant_with_agent_tools_symbols_cap_mode_and_5_minute_lifetime', async () => {
    const { clock, k, verifier } = setup();
    const issued = await issueCapabilityToken(agentRequest, k.agent.privateKey, clock);
    const grant = await verifier.verify(issued.token);
    expect(grant.role).toBe('agent');
    expect(grant.subject).toBe('alpha');
    expect(grant.jti).toBe(issued.jti);
    expect([...grant.tools]).toEqual(['orders.submit', 'positions.read']);
    expect(grant.symbols).toEqual(new Set(['BTC/USDT']));
    expect(grant.notionalCap).toBe(5_000);
    expect(grant.mode).toBe('paper');
    expect(grant.expiresAtMs - T0).toBe(300_000);
  });

  it('verify_caches_per_token_so_only_the_first_request_checks_the_signature', async () => {
    const { clock, k, verifier } = setup();
    const { token } = await issueCapabilityToken(agentRequest, k.agent.privateKey, clock);
    for (let i = 0; i < 5; i++) await verifier.verify(token);
    expect(verifier.signatureChecks).toBe(1);
  });

  it('issue_refuses_a_lifetime_over_one_hour_an_ops_tool_on_an_agent_token_and_an_agent_without_cap', async () => {
    const { clock, k } = setup();
    await expect(issueCapabilityToken({ ...agentRequest, ttlSec: 3601 }, k.agent.privateKey, clock)).rejects.toThrow(/ttlSec/);
    await expect(issueCapabilityToken({ ...agentRequest, tools: ['ops.kill'] }, k.agent.privateKey, clock)).rejects.toThrow(
      /tools: ops.kill is not a tool of a agent token/,
    );
    await expect(issueCapabilityToken({ ...agentRequest, notionalCap: undefined }, k.agent.privateKey, clock)).rejects.toThrow(
      /notional_cap/,
    );
    await expect(issueCapabilityToken({ ...agentRequest, subject: 'bad id' }, k.agent.privateKey, clock)).rejects.toThrow(/subject/);
  });

  it('expired_token_is_refused_even_when_cached', async () => {
    const { clock, k, verifier } = setup();
    const { token } = await issueCapabilityToken({ ...agentRequest, ttlSec: 60 }, k.agent.privateKey, clock);
    await verifier.verify(token);
    clock.advance(63_000);
    expect(await refusedWith(verifier.verify(token))).toBe('TOKEN_EXPIRED');
    const fresh = setup();
    const old = await issueCapabilityToken({ ...agentRequest, ttlSec: 60 }, fresh.k.agent.privateKey, fresh.clock);
    fresh.clock.advance(120_000);
    expect(await refusedWith(fresh.verifier.verify(old.token))).toBe('TOKEN_EXPIRED');
  });

  it('not_yet_valid_token_is_refused', async () => {
    const { clock, k, verifier } = setup();
    const { token } = await issueCapabilityToken({ ...agentRequest, notBeforeMs: T0 + 60_000 }, k.agent.privateKey, clock);
    expect(await refusedWith(verifier.verify(token))).toBe('TOKEN_NOT_YET_VALID');
  });

  it('token_signed_by_another_key_is_refused_as_bad_signature', async () => {
    const { clock, verifier } = setup();
    const stranger = generateKeyPairSync('ed25519');
    const { token } = await issueCapabilityToken(agentRequest, stranger.privateKey, clock);
    expect(await refusedWith(verifier.verify(token))).toBe('TOKEN_BAD_SIGNATURE');
  });

  it('agent_claims_signed_with_the_agent_key_but_naming_the_ops_issuer_do_not_verify', async () => {
    const { clock, k, verifier } = setup();
    const forged = await new SignJWT({ role: 'ops', tools: ['ops.kill'], symbols: [], mode: 'paper' })
      .setProtectedHeader({ alg: 'EdDSA' })
      .setIssuer(TOKEN_ISSUERS.ops)
      .setAudience(TOKEN_AUDIENCE)
      .setSubject('alpha')
      .setJti('x1')
      .setIssuedAt(T0 / 1000)
      .setExpirationTime(T0 / 1000 + 60)
      .sign(k.agent.privateKey);
    expect(await refusedWith(verifier.verify(forged))).toBe('TOKEN_BAD_SIGNATURE');
    expect(clock.nowMs()).toBe(T0);
  });

  it('alg_none_and_hs256_are_refused', async () => {
    const { verifier } = setup();
    const none = new UnsecuredJWT({ role: 'agent', tools: ['orders.submit'], symbols: ['*'], notional_cap: 1, mode: 'paper' })
      .setIssuer(TOKEN_ISSUERS.agent)
      .setAudience(TOKEN_AUDIENCE)
      .setSubject('alpha')
      .setJti('n1')
      .setIssuedAt(T0 / 1000)
      .setExpirationTime(T0 / 1000 + 60)
      .encode();
    expect(await refusedWith(verifier.verify(none))).toBe('TOKEN_ALG_NOT_ALLOWED');
    const hs = await new SignJWT({ role: 'agent' })
      .setProtectedHeader({ alg: 'HS256' })
      .setIssuer(TOKEN_ISSUERS.agent)
      .sign(new TextEncoder().encode('a shared secret of thirty-two bytes!'));
    expect(await refusedWith(verifier.verify(hs))).toBe('TOKEN_ALG_NOT_ALLOWED');
  });

  it('unknown_issuer_wrong_audience_and_garbage_are_refused_with_their_reasons', async () => {
    const { k, verifier } = setup();
    const base = () =>
      new SignJWT({ role: 'agent', tools: ['orders.submit'], symbols: ['*'], notional_cap: 1, mode: 'paper' })
        .setProtectedHeader({ alg: 'EdDSA' })
        .setSubject('alpha')
        .setJti('j')
        .setIssuedAt(T0 / 1000)
        .setExpirationTime(T0 / 1000 + 60);
    const otherIssuer = await base().setIssuer('someone-else').setAudience(TOKEN_AUDIENCE).sign(k.agent.privateKey);
    expect(await refusedWith(verifier.verify(otherIssuer))).toBe('TOKEN_WRONG_ISSUER');
    const otherAudience = await base().setIssuer(TOKEN_ISSUERS.agent).setAudience('elsewhere').sign(k.agent.privateKey);
    expect(await refusedWith(verifier.verify(otherAudience))).toBe('TOKEN_WRONG_ISSUER');
    expect(await refusedWith(verifier.verify('not a token'))).toBe('TOKEN_MALFORMED');
    expect(await refusedWith(verifier.verify(`${base64url.encode('{')}.e30.sig`))).toBe('TOKEN_MALFORMED');
  });

  it('a_token_signed_for_longer_than_one_hour_by_a_valid_key_is_refused', async () => {
    const { k, verifier } = setup();
    const long = await new SignJWT({ role: 'agent', tools: ['orders.submit'], symbols: ['*'], notional_cap: 1, mode: 'paper' })
      .setProtectedHeader({ alg: 'EdDSA' })
      .setIssuer(TOKEN_ISSUERS.agent)
      .setAudience(TOKEN_AUDIENCE)
      .setSubject('alpha')
      .setJti('long')
      .setIssuedAt(T0 / 1000)
      .setExpirationTime(T0 / 1000 + 7200)
      .sign(k.agent.privateKey);
    expect(await refusedWith(verifier.verify(long))).toBe('TOKEN_LIFETIME_TOO_LONG');
  });

  it('claims_with_an_unknown_tool_or_a_missing_jti_are_refused', async () => {
    const { k, verifier } = setup();
    const bad = await new SignJWT({ role: 'agent', tools: ['orders.submit', 'root'], symbols: ['*'], notional_cap: 1, mode: 'paper' })
      .setProtectedHeader({ alg: 'EdDSA' })
      .setIssuer(TOKEN_ISSUERS.agent)
      .setAudience(TOKEN_AUDIENCE)
      .setSubject('alpha')
      .setJti('bad')
      .setIssuedAt(T0 / 1000)
      .setExpirationTime(T0 / 1000 + 60)
      .sign(k.agent.privateKey);
    expect(await refusedWith(verifier.verify(bad))).toBe('TOKEN_CLAIMS_INVALID');
    const noJti = await new SignJWT({ role: 'agent', tools: ['orders.submit'], symbols: ['*'], notional_cap: 1, mode: 'paper' })
      .setProtectedHeader({ alg: 'EdDSA' })
      .setIssuer(TOKEN_ISSUERS.agent)
      .setAudience(TOKEN_AUDIENCE)
      .setSubject('alpha')
      .setIssuedAt(T0 / 1000)
      .setExpirationTime(T0 / 1000 + 60)
      .sign(k.agent.privateKey);
    expect(await refusedWith(verifier.verify(noJti))).toBe('TOKEN_CLAIMS_INVALID');
  });

  it('revoked_jti_is_refused_even_after_the_token_was_cached', async () => {
    const { clock, k, verifier, revocations } = setup();
    const issued = await issueCapabilityToken(agentRequest, k.agent.privateKey, clock);
    await verifier.verify(issued.token);
    await revocations.revoke(issued.jti, issued.expiresAtMs);
    expect(await refusedWith(verifier.verify(issued.token))).toBe('TOKEN_REVOKED');
  });

  it('a_closed_revocation_list_fails_closed_for_every_token', async () => {
    const { clock, k, verifier, revocations } = setup();
    const issued = await issueCapabilityToken(agentRequest, k.agent.privateKey, clock);
    await revocations.close();
    expect(await refusedWith(verifier.verify(issued.token))).toBe('REVOCATION_UNAVAILABLE');
  });

  it('an_ops_token_verifies_only_with_the_ops_key', async () => {
    const { clock, k, verifier } = setup();
    const ops = await issueCapabilityToken(
      { role: 'ops', subject: 'ops-ann', tools: ['ops.kill', 'ops.status'], symbols: [], mode: 'paper' },
      k.ops.privateKey,
      clock,
    );
    const grant = await verifier.verify(ops.token);
    expect(grant.role).toBe('ops');
    expect(grant.notionalCap).toBe(Number.POSITIVE_INFINITY);
    const agentOnly = new TokenVerifier({ publicKeys: { agent: k.agent.publicKey }, revocations: new MemoryRevocationList(clock), clock });
    expect(await refusedWith(agentOnly.verify(ops.token))).toBe('TOKEN_WRONG_ISSUER');
  });
});
