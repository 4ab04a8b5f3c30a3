/**
 * The audit side of the one home (`bulwark-home.ts` says where it is): the kill-switch audit log, the audit
 * signing key, the keyring of trusted public keys and the witness files.
 */
import { appendFileSync, existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { KeyObject } from 'node:crypto';
import { auditKeyId, loadPublicKey, writeAuditKeyPair } from './audit-keys.js';
import { BULWARK_HOME_ENV, resolveBulwarkHome } from './bulwark-home.js';
import { errnoCode } from './errno-code.js';

export interface BulwarkHome {
  /** Absolute path of the home directory. */
  readonly dir: string;
  /** Where it came from, for `status`: `--home`, `BULWARK_HOME` or the per-user default. */
  readonly source: '--home' | 'BULWARK_HOME' | 'per-user default';
  readonly keysDir: string;
  readonly signingKeyPath: string;
  readonly publicKeyPath: string;
  /** PEM public keys whose signatures `bulwark audit verify` trusts. */
  readonly keyringPath: string;
  readonly killSwitchLogPath: string;
  readonly witnessDir: string;
}

/** Resolves the home (`resolveBulwarkHome`) and the paths in it; the directory is not created. */
export function resolveHome(flag?: string, env: NodeJS.ProcessEnv = process.env): BulwarkHome {
  const abs = resolveBulwarkHome(flag, env);
  const source: BulwarkHome['source'] = flag !== undefined ? '--home' : env[BULWARK_HOME_ENV] !== undefined ? 'BULWARK_HOME' : 'per-user default';
  const keysDir = join(abs, 'keys');
  return {
    dir: abs,
    source,
    keysDir,
    signingKeyPath: join(keysDir, 'audit-signing.pem'),
    publicKeyPath: join(keysDir, 'audit-signing.pub.pem'),
    keyringPath: join(abs, 'trusted-keys.pem'),
    killSwitchLogPath: join(abs, 'audit', 'killswitch.jsonl'),
    witnessDir: join(abs, 'witness'),
  };
}

/**
 * The home's signing key, made on first use (private key mode 0600) and its public half added to the home's
 * keyring. Returns the private key path and the key id (fingerprint).
 */
export function ensureHomeSigningKey(home: BulwarkHome): { signingKeyPath: string; keyId: string; made: boolean } {
  if (existsSync(home.signingKeyPath)) {
    const keyId = auditKeyId(loadPublicKey(home.signingKeyPath));
    if (!keyringIds(home.keyringPath).has(keyId)) trustPublicKey(home.keyringPath, readFileSync(home.publicKeyPath, 'utf8'));
    return { signingKeyPath: home.signingKeyPath, keyId, made: false };
  }
  mkdirSync(home.dir, { recursive: true, mode: 0o700 });
  const written = writeAuditKeyPair(home.keysDir);
  trustPublicKey(home.keyringPath, readFileSync(written.publicKeyPath, 'utf8'));
  return { signingKeyPath: written.privateKeyPath, keyId: written.keyId, made: true };
}

/** Appends a PEM public key to a keyring file (created if missing). */
export function trustPublicKey(keyringPath: string, publicKeyPem: string): string {
  const key = loadPublicKey(publicKeyPem);
  const id = auditKeyId(key);
  if (keyringIds(keyringPath).has(id)) return id;
  appendFileSync(keyringPath, `# key ${id}\n${key.export({ type: 'spki', format: 'pem' }).toString()}`, { mode: 0o644 });
  return id;
}

/** Every PEM public key in a keyring file, by key id. Throws naming the file when it cannot be read or holds none. */
export function loadKeyring(path: string): Map<string, KeyObject> {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new Error(`keyring '${path}': cannot be read (${errnoCode(err)})`);
  }
  const blocks = text.match(/-----BEGIN PUBLIC KEY-----[\s\S]*?-----END PUBLIC KEY-----/g) ?? [];
  if (blocks.length === 0) throw new Error(`keyring '${path}': holds no PEM public key`);
  const keys = new Map<string, KeyObject>();
  blocks.forEach((pem, i) => {
    let key: KeyObject;
    try {
      key = loadPublicKey(`${pem}\n`);
    } catch (err) {
      throw new Error(`keyring '${path}': key #${i + 1} ${err instanceof Error ? err.message : String(err)}`);
    }
    keys.set(auditKeyId(key), key);
  });
  return keys;
}

function keyringIds(path: string): Set<string> {
  return existsSync(path) ? new Set(loadKeyring(path).keys()) : new Set();
}
