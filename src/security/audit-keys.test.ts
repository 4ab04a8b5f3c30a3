import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { auditKeyId, generateAuditKeyPair, loadPublicKey, loadSigningKey, writeAuditKeyPair } from './audit-keys.js';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'bulwark-audit-keys-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe('audit keys', () => {
  it('writes a key pair with the private key readable by its owner only', () => {
    const written = writeAuditKeyPair(dir);
    expect(statSync(written.privateKeyPath).mode & 0o777).toBe(0o600);
    expect(readFileSync(written.publicKeyPath, 'utf8')).toContain('BEGIN PUBLIC KEY');
    const signing = loadSigningKey(written.privateKeyPath);
    const pub = loadPublicKey(written.publicKeyPath);
    expect(auditKeyId(signing)).toBe(written.keyId);
    expect(auditKeyId(pub)).toBe(written.keyId);
  });

  it('never overwrites an existing key', () => {
    writeAuditKeyPair(dir);
    expect(() => writeAuditKeyPair(dir)).toThrow(/already exists, not overwritten/);
  });

  it('gives the same key id for the private key and its public half, and different ids for different keys', () => {
    const a = generateAuditKeyPair();
    expect(auditKeyId(loadSigningKey(a.privateKeyPem))).toBe(a.keyId);
    expect(auditKeyId(loadPublicKey(a.publicKeyPem))).toBe(a.keyId);
    expect(generateAuditKeyPair().keyId).not.toBe(a.keyId);
  });

  it('accepts a private key where a public key is expected (reducing it to its public half)', () => {
    const a = generateAuditKeyPair();
    expect(loadPublicKey(a.privateKeyPem).type).toBe('public');
  });

  it('refuses a public key as signing key, naming the problem but not the key', () => {
    const a = generateAuditKeyPair();
    let message = '';
    try {
      loadSigningKey(a.publicKeyPem);
    } catch (err) {
      message = String(err);
    }
    expect(message).toMatch(/signing key given as PEM/);
    expect(message).not.toContain(a.publicKeyPem.split('\n')[1]);
  });

  it('refuses a non-Ed25519 key and a file that is not a key, without echoing file contents', () => {
    const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey;
    expect(() => loadSigningKey(ec)).toThrow(/is ec, expected ed25519/);
    const junk = join(dir, 'junk.pem');
    const written = writeAuditKeyPair(dir);
    expect(() => loadSigningKey(join(dir, 'missing.pem'))).toThrow(/cannot be read \(ENOENT\)/);
    expect(() => loadPublicKey(junk)).toThrow(/'.*junk.pem': cannot be read/);
    expect(() => loadSigningKey(written.publicKeyPath)).toThrow(/not a PEM private key/);
  });
});
