/**
 * The two issuer keys of capability tokens, one per role, in `<home>/keys/`: `token-agent.pem` signs agent
 * tokens, `token-ops.pem` signs ops tokens (each with its `.pub.pem`). Separate keys mean that whoever can
 * mint agent tokens (a job scheduler, say) still cannot mint a token that reaches the kill-switch.
 */
import { existsSync } from 'node:fs';
import type { KeyObject } from 'node:crypto';
import { join } from 'node:path';
import { loadPublicKey, loadSigningKey, writeEd25519KeyPair } from './audit-keys.js';
import type { TokenRole } from './capability-claims.js';

export interface TokenKeyPaths {
  readonly privateKeyPath: string;
  readonly publicKeyPath: string;
}

export function tokenKeysDir(home: string): string {
  return join(home, 'keys');
}

export function tokenKeyPaths(home: string, role: TokenRole): TokenKeyPaths {
  const dir = tokenKeysDir(home);
  return { privateKeyPath: join(dir, `token-${role}.pem`), publicKeyPath: join(dir, `token-${role}.pub.pem`) };
}

/** Makes the role's key pair on first use (private key mode 0600); `created` says whether it was made now. */
export function ensureTokenKeys(home: string, role: TokenRole): TokenKeyPaths & { readonly created: boolean } {
  const paths = tokenKeyPaths(home, role);
  if (existsSync(paths.privateKeyPath)) return { ...paths, created: false };
  writeEd25519KeyPair(tokenKeysDir(home), `token-${role}`);
  return { ...paths, created: true };
}

/** The private key that signs the role's tokens; a missing file is an error naming the path. */
export function loadTokenSigningKey(home: string, role: TokenRole): KeyObject {
  return loadSigningKey(tokenKeyPaths(home, role).privateKeyPath);
}

/** The public key that verifies the role's tokens. */
export function loadTokenPublicKey(home: string, role: TokenRole): KeyObject {
  return loadPublicKey(tokenKeyPaths(home, role).publicKeyPath);
}
