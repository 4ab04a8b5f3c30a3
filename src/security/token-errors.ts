/**
 * The closed list of reasons a capability token is refused. The gateway's error registry gives each its
 * HTTP status; here they are only codes with a one-line meaning.
 */
export const TOKEN_REASONS = {
  TOKEN_MISSING: 'no bearer token in the Authorization header',
  TOKEN_MALFORMED: 'the token is not a compact JWS (three base64url parts)',
  TOKEN_ALG_NOT_ALLOWED: 'the token is not signed with EdDSA (alg none, HS256 and every other algorithm are refused)',
  TOKEN_BAD_SIGNATURE: "the signature does not verify with the issuer's key",
  TOKEN_WRONG_ISSUER: 'the token names an issuer (or audience) this gateway does not trust',
  TOKEN_EXPIRED: 'the token has expired',
  TOKEN_NOT_YET_VALID: 'the token is not valid yet (nbf or iat in the future)',
  TOKEN_LIFETIME_TOO_LONG: 'the token lives longer than the most allowed (1 hour)',
  TOKEN_CLAIMS_INVALID: 'a claim is missing or malformed (sub, jti, exp, iat, role, tools, symbols, notional_cap, mode)',
  TOKEN_REVOKED: 'the token id (jti) is on the revocation list',
  REVOCATION_UNAVAILABLE: 'the revocation list cannot be read: every token is refused until it can (fails closed)',
} as const;

export type TokenErrorCode = keyof typeof TOKEN_REASONS;

/** A refused token: a stable code and a message that never contains the token itself. */
export class TokenError extends Error {
  constructor(
    readonly code: TokenErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'TokenError';
  }
}
