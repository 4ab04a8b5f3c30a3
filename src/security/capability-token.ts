/**
 * Capability tokens: Ed25519-signed JWTs (jose) that say what one agent or operator may do, for a few
 * minutes. Issuing checks the grant against the role; verifying checks the algorithm, the issuer's own key,
 * the audience, the times, the lifetime, the claims and the revocation list, and caches the result per token
 * until it expires, so a request pays for one signature check per token, not one per request.
 */
import { randomUUID, type KeyObject } from 'node:crypto';
import { SignJWT, decodeJwt, decodeProtectedHeader, errors as joseErrors, jwtVerify, type JWTPayload } from 'jose';
import type { Clock } from '../core/index.js';
import {
  type CapabilityGrant,
  type TokenRole,
  type Tool,
  type TradingMode,
  DEFAULT_TOKEN_TTL_SEC,
  MAX_TOKEN_TTL_SEC,
  TOKEN_AUDIENCE,
  TOKEN_ISSUERS,
  capabilityClaimsSchema,
  subjectSchema,
} from './capability-claims.js';
import type { RevocationList } from './revocation-list.js';
import { TokenError } from './token-errors.js';

export interface TokenRequest {
  readonly role: TokenRole;
  /** Agent id or operator id. */
  readonly subject: string;
  readonly tools: readonly Tool[];
  /** Symbols an agent may trade (`*` for all); ignored content for ops tokens but must be an array. */
  readonly symbols: readonly string[];
  /** Largest notional of one order, quote currency. Required for agent tokens. */
  readonly notionalCap?: number;
  readonly mode: TradingMode;
  /** Lifetime; default 300 s, at most 3600 s. */
  readonly ttlSec?: number;
  /** Start of validity, ms since epoch; default now. */
  readonly notBeforeMs?: number;
}

export interface IssuedToken {
  readonly token: string;
  readonly jti: string;
  readonly expiresAtMs: number;
}

/** Signs a token for `request` with the issuer key of its role. Throws a RangeError naming the bad field. */
export async function issueCapabilityToken(request: TokenRequest, issuerKey: KeyObject, clock: Clock): Promise<IssuedToken> {
  const ttlSec = request.ttlSec ?? DEFAULT_TOKEN_TTL_SEC;
  if (!Number.isInteger(ttlSec) || ttlSec <= 0 || ttlSec > MAX_TOKEN_TTL_SEC) {
    throw new RangeError(`ttlSec: must be a whole number of seconds in 1..${MAX_TOKEN_TTL_SEC}, got ${ttlSec}`);
  }
  const subject = subjectSchema.safeParse(request.subject);
  if (!subject.success) throw new RangeError(`subject: ${subject.error.issues[0]?.message ?? 'invalid'}, got '${request.subject}'`);
  const claims = capabilityClaimsSchema.safeParse({
    role: request.role,
    tools: [...new Set(request.tools)],
    symbols: [...new Set(request.symbols)],
    notional_cap: request.notionalCap,
    mode: request.mode,
  });
  if (!claims.success) {
    const issue = claims.error.issues[0];
    throw new RangeError(`${issue?.path.join('.') || 'claims'}: ${issue?.message ?? 'invalid'}`);
  }
  const nowSec = Math.floor(clock.nowMs() / 1000);
  const nbfSec = request.notBeforeMs === undefined ? nowSec : Math.floor(request.notBeforeMs / 1000);
  // Token ids must be unguessable, so they come from the OS CSPRNG rather than a seeded simulation RNG.
  const jti = randomUUID();
  const expSec = nbfSec + ttlSec;
  const token = await new SignJWT({ ...claims.data })
    .setProtectedHeader({ alg: 'EdDSA', typ: 'JWT' })
    .setIssuer(TOKEN_ISSUERS[request.role])
    .setAudience(TOKEN_AUDIENCE)
    .setSubject(subject.data)
    .setJti(jti)
    .setIssuedAt(nowSec)
    .setNotBefore(nbfSec)
    .setExpirationTime(expSec)
    .sign(issuerKey);
  return { token, jti, expiresAtMs: expSec * 1000 };
}

export interface TokenVerifierOptions {
  /** Public keys of the issuers this gateway trusts; a role without a key is refused as a wrong issuer. */
  readonly publicKeys: Readonly<Partial<Record<TokenRole, KeyObject>>>;
  readonly revocations: RevocationList;
  readonly clock: Clock;
  /** Allowed clock skew between issuer and gateway. Default 2 s. */
  readonly clockToleranceSec?: number;
  /** Most verified tokens kept. Default 50,000. */
  readonly cacheCapacity?: number;
}

const ISSUER_ROLE = new Map<string, TokenRole>(Object.entries(TOKEN_ISSUERS).map(([role, iss]) => [iss, role as TokenRole]));

export class TokenVerifier {
  private readonly cache = new Map<string, CapabilityGrant>();
  private readonly publicKeys: Readonly<Partial<Record<TokenRole, KeyObject>>>;
  private readonly revocations: RevocationList;
  private readonly clock: Clock;
  private readonly toleranceMs: number;
  private readonly capacity: number;
  /** Signature checks made (cache misses that reached jose); for tests and metrics. */
  signatureChecks = 0;

  constructor(options: TokenVerifierOptions) {
    this.publicKeys = options.publicKeys;
    this.revocations = options.revocations;
    this.clock = options.clock;
    this.toleranceMs = (options.clockToleranceSec ?? 2) * 1000;
    this.capacity = options.cacheCapacity ?? 50_000;
  }

  /** The grant of a valid token; throws `TokenError` with the reason otherwise. */
  async verify(token: string): Promise<CapabilityGrant> {
    const nowMs = this.clock.nowMs();
    const cached = this.cache.get(token);
    const grant = cached ?? (await this.verifyUncached(token, nowMs));
    if (nowMs >= grant.expiresAtMs + this.toleranceMs) {
      this.cache.delete(token);
      throw new TokenError('TOKEN_EXPIRED', `token ${grant.jti} expired at ${new Date(grant.expiresAtMs).toISOString()}`);
    }
    // Checked on every request, cached or not: a revocation applies to tokens already verified.
    const health = this.revocations.health(nowMs);
    if (health !== 'OK') throw new TokenError('REVOCATION_UNAVAILABLE', `revocation list is ${health}: tokens are refused until it answers`);
    if (this.revocations.isRevoked(grant.jti)) throw new TokenError('TOKEN_REVOKED', `token ${grant.jti} is revoked`);
    if (cached === undefined) this.remember(token, grant, nowMs);
    return grant;
  }

  private remember(token: string, grant: CapabilityGrant, nowMs: number): void {
    if (this.cache.size >= this.capacity) {
      for (const [t, g] of this.cache) if (nowMs >= g.expiresAtMs + this.toleranceMs) this.cache.delete(t);
      // Still full of live tokens: drop the oldest (Map keeps insertion order); it is only re-verified.
      if (this.cache.size >= this.capacity) {
        const oldest = this.cache.keys().next();
        if (oldest.done !== true) this.cache.delete(oldest.value);
      }
    }
    this.cache.set(token, grant);
  }

  private async verifyUncached(token: string, nowMs: number): Promise<CapabilityGrant> {
    if (!/^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*\.[A-Za-z0-9_-]*$/.test(token)) {
      throw new TokenError('TOKEN_MALFORMED', 'token: not a compact JWS (header.payload.signature)');
    }
    const role = this.claimedRole(token);
    const key = this.publicKeys[role];
    if (key === undefined) throw new TokenError('TOKEN_WRONG_ISSUER', `token: issuer ${TOKEN_ISSUERS[role]} is not trusted here`);
    let payload: JWTPayload;
    try {
      this.signatureChecks += 1;
      ({ payload } = await jwtVerify(token, key, {
        algorithms: ['EdDSA'],
        issuer: TOKEN_ISSUERS[role],
        audience: TOKEN_AUDIENCE,
        currentDate: new Date(nowMs),
        clockTolerance: this.toleranceMs / 1000,
        requiredClaims: ['sub', 'jti', 'exp', 'iat'],
      }));
    } catch (err) {
      throw joseFailure(err);
    }
    return this.grantOf(payload, role);
  }

  /** The role named by the (not yet verified) issuer; the key of that role alone is then tried. */
  private claimedRole(token: string): TokenRole {
    let alg: unknown;
    let iss: unknown;
    try {
      alg = decodeProtectedHeader(token).alg;
      iss = decodeJwt(token).iss;
    } catch {
      throw new TokenError('TOKEN_MALFORMED', 'token: header or payload is not base64url JSON');
    }
    if (alg !== 'EdDSA') throw new TokenError('TOKEN_ALG_NOT_ALLOWED', `token: alg ${JSON.stringify(alg ?? null)} is refused, only EdDSA`);
    const role = typeof iss === 'string' ? ISSUER_ROLE.get(iss) : undefined;
    if (role === undefined) throw new TokenError('TOKEN_WRONG_ISSUER', `token: issuer ${JSON.stringify(iss ?? null).slice(0, 80)} is not trusted`);
    return role;
  }

  private grantOf(payload: JWTPayload, role: TokenRole): CapabilityGrant {
    const parsed = capabilityClaimsSchema.safeParse(payload);
    const sub = subjectSchema.safeParse(payload.sub);
    const { jti, iat, exp } = payload;
    if (!parsed.success || !sub.success || typeof jti !== 'string' || jti === '' || typeof iat !== 'number' || typeof exp !== 'number') {
      const issue = parsed.success ? undefined : parsed.error.issues[0];
      const where = issue === undefined ? (sub.success ? 'jti/iat/exp' : 'sub') : `${issue.path.join('.')}: ${issue.message}`;
      throw new TokenError('TOKEN_CLAIMS_INVALID', `token: claims invalid (${where})`);
    }
    const claims = parsed.data;
    if (claims.role !== role) throw new TokenError('TOKEN_CLAIMS_INVALID', `token: role ${claims.role} signed by the ${role} issuer`);
    const nbf = typeof payload.nbf === 'number' ? payload.nbf : iat;
    if (exp - Math.min(iat, nbf) > MAX_TOKEN_TTL_SEC) {
      throw new TokenError('TOKEN_LIFETIME_TOO_LONG', `token ${jti}: lives ${exp - Math.min(iat, nbf)} s, at most ${MAX_TOKEN_TTL_SEC} s`);
    }
    return {
      role,
      subject: sub.data,
      jti,
      tools: new Set(claims.tools),
      symbols: claims.symbols.includes('*') ? 'ALL' : new Set(claims.symbols),
      notionalCap: claims.notional_cap ?? Number.POSITIVE_INFINITY,
      mode: claims.mode,
      issuedAtMs: iat * 1000,
      notBeforeMs: nbf * 1000,
      expiresAtMs: exp * 1000,
    };
  }
}

function joseFailure(err: unknown): TokenError {
  if (err instanceof joseErrors.JWTExpired) return new TokenError('TOKEN_EXPIRED', 'token: expired');
  if (err instanceof joseErrors.JWTClaimValidationFailed) {
    if (err.claim === 'nbf' || err.claim === 'iat') return new TokenError('TOKEN_NOT_YET_VALID', `token: ${err.claim} is in the future`);
    if (err.claim === 'iss' || err.claim === 'aud') return new TokenError('TOKEN_WRONG_ISSUER', `token: ${err.claim} is not trusted`);
    return new TokenError('TOKEN_CLAIMS_INVALID', `token: claim ${err.claim} invalid`);
  }
  if (err instanceof joseErrors.JWSSignatureVerificationFailed) return new TokenError('TOKEN_BAD_SIGNATURE', 'token: signature does not verify');
  if (err instanceof joseErrors.JOSEAlgNotAllowed) return new TokenError('TOKEN_ALG_NOT_ALLOWED', 'token: algorithm refused, only EdDSA');
  return new TokenError('TOKEN_MALFORMED', 'token: cannot be parsed as a signed JWT');
}
