/**
 * Ed25519 keys for signing audit checkpoints. Error messages name the file and the problem, never the key
 * material: Node's own key-parsing errors are replaced, not wrapped.
 */
import { createHash, createPrivateKey, createPublicKey, generateKeyPairSync, type KeyObject } from 'node:crypto';
import { closeSync, mkdirSync, openSync, readFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { errnoCode } from './errno-code.js';

export interface AuditKeyPair {
  readonly publicKeyPem: string;
  readonly privateKeyPem: string;
  /** Short fingerprint of the public key, written into every checkpoint. */
  readonly keyId: string;
}

/** Makes a new Ed25519 key pair (PEM: PKCS#8 private, SPKI public). */
export function generateAuditKeyPair(): AuditKeyPair {
  const { publicKey, privateKey } = generateKeyPairSync('ed25519');
  return {
    publicKeyPem: publicKey.export({ type: 'spki', format: 'pem' }).toString(),
    privateKeyPem: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
    keyId: auditKeyId(publicKey),
  };
}

/** First 16 hex digits of the SHA-256 of the public key's SPKI DER form. */
export function auditKeyId(key: KeyObject): string {
  const publicKey = key.type === 'private' ? createPublicKey(key) : key;
  const der = publicKey.export({ type: 'spki', format: 'der' });
  return createHash('sha256').update(der).digest('hex').slice(0, 16);
}

function looksLikePem(text: string): boolean {
  return text.includes('-----BEGIN ');
}

function readKeyText(source: string, what: string): string {
  if (looksLikePem(source)) return source;
  try {
    return readFileSync(source, 'utf8');
  } catch (err) {
    const code = errnoCode(err, 'unreadable');
    throw new Error(`${what} file '${source}': cannot be read (${code})`);
  }
}

/**
 * Loads the private key that signs checkpoints, from a KeyObject, a PEM string or a PEM file path.
 * Throws if it is not an Ed25519 private key.
 */
export function loadSigningKey(source: KeyObject | string): KeyObject {
  const where = typeof source === 'string' && !looksLikePem(source) ? `'${source}'` : 'given as PEM';
  let key: KeyObject;
  if (typeof source === 'string') {
    const text = readKeyText(source, 'signing key');
    try {
      key = createPrivateKey(text);
    } catch {
      throw new Error(`signing key ${where}: not a PEM private key`);
    }
  } else {
    key = source;
  }
  if (key.type !== 'private') throw new Error(`signing key ${where}: is a ${key.type} key, expected a private key`);
  if (key.asymmetricKeyType !== 'ed25519') {
    throw new Error(`signing key ${where}: is ${key.asymmetricKeyType ?? 'unknown'}, expected ed25519`);
  }
  return key;
}

/**
 * Loads the public key that verifies checkpoints, from a KeyObject, a PEM string or a PEM file path
 * (a private key is accepted and reduced to its public half). Throws if it is not Ed25519.
 */
export function loadPublicKey(source: KeyObject | string): KeyObject {
  const where = typeof source === 'string' && !looksLikePem(source) ? `'${source}'` : 'given as PEM';
  let key: KeyObject;
  if (typeof source === 'string') {
    const text = readKeyText(source, 'public key');
    try {
      key = createPublicKey(text);
    } catch {
      throw new Error(`public key ${where}: not a PEM public key`);
    }
  } else {
    key = source.type === 'private' ? createPublicKey(source) : source;
  }
  if (key.type !== 'public') throw new Error(`public key ${where}: is a ${key.type} key, expected a public key`);
  if (key.asymmetricKeyType !== 'ed25519') {
    throw new Error(`public key ${where}: is ${key.asymmetricKeyType ?? 'unknown'}, expected ed25519`);
  }
  return key;
}

export interface WrittenAuditKeys {
  readonly privateKeyPath: string;
  readonly publicKeyPath: string;
  readonly keyId: string;
}

/**
 * Writes a new key pair into `dir` as `audit-signing.pem` (mode 0600) and `audit-signing.pub.pem`.
 * Refuses to overwrite existing files: replacing a signing key by accident would orphan old checkpoints.
 */
export function writeAuditKeyPair(dir: string): WrittenAuditKeys {
  return writeEd25519KeyPair(dir, 'audit-signing');
}

/**
 * Writes a new Ed25519 key pair into `dir` as `NAME.pem` (mode 0600) and `NAME.pub.pem`; refuses to
 * overwrite. Audit signing keys and capability-token issuer keys are both written this way.
 */
export function writeEd25519KeyPair(dir: string, name: string): WrittenAuditKeys {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const pair = generateAuditKeyPair();
  const privateKeyPath = join(dir, `${name}.pem`);
  const publicKeyPath = join(dir, `${name}.pub.pem`);
  writeNewFile(privateKeyPath, pair.privateKeyPem, 0o600);
  writeNewFile(publicKeyPath, pair.publicKeyPem, 0o644);
  return { privateKeyPath, publicKeyPath, keyId: pair.keyId };
}

function writeNewFile(path: string, text: string, mode: number): void {
  let fd: number;
  try {
    // 'wx' creates or fails; the mode is applied at creation, so the private key is never world-readable.
    fd = openSync(path, 'wx', mode);
  } catch (err) {
    const code = errnoCode(err);
    throw new Error(
      code === 'EEXIST' ? `key file '${path}': already exists, not overwritten` : `key file '${path}': cannot create (${code})`,
    );
  }
  try {
    writeSync(fd, text);
  } finally {
    closeSync(fd);
  }
}
