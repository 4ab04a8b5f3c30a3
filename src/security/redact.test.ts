import { describe, expect, it } from 'vitest';
import { REDACTED, isSecretKey, redactSecrets } from './redact.js';

describe('redactSecrets', () => {
  it.each([
    'apiKey',
    'API_KEY',
    'x-api-key',
    'secret',
    'apiSecret',
    'client_secret',
    'password',
    'passphrase',
    'token',
    'accessToken',
    'refresh_token',
    'privateKey',
    'privateKeyPem',
    'authorization',
    'Authorization',
    'credentials',
    'cookie',
    'sessionId',
    'secretKey',
  ])('redacts a value under the key %s', (key) => {
    expect(redactSecrets({ [key]: 'hunter2' })[key]).toBe(REDACTED);
  });

  it.each(['tokenBucket', 'keyId', 'orderId', 'instrument', 'qty', 'reason', 'author'])('keeps the key %s', (key) => {
    expect(isSecretKey(key)).toBe(false);
    expect(redactSecrets({ [key]: 'v' })[key]).toBe('v');
  });

  it('redacts at any depth, inside objects and arrays, and whole sub-objects under a secret key', () => {
    const out = redactSecrets({
      venue: { name: 'binance', credentials: { apiKey: 'k', secret: 's' } },
      accounts: [{ id: 1, password: 'p' }, { id: 2 }],
      deep: { a: { b: { c: { token: 't' } } } },
    });
    expect(out).toEqual({
      venue: { name: 'binance', credentials: REDACTED },
      accounts: [{ id: 1, password: REDACTED }, { id: 2 }],
      deep: { a: { b: { c: { token: REDACTED } } } },
    });
  });

  it('redacts credential-looking values under innocent keys (PEM private keys, bearer tokens)', () => {
    const pem = '-----BEGIN PRIVATE KEY-----\nMC4CAQAwBQYDK2VwBCIEIA==\n-----END PRIVATE KEY-----\n';
    const out = redactSecrets({ note: pem, header: 'Bearer abc.def.ghi', list: ['ok', 'Basic dXNlcjpwYXNz'] });
    expect(out).toEqual({ note: REDACTED, header: REDACTED, list: ['ok', REDACTED] });
  });

  it('never mutates the input and returns it unchanged when there is nothing to redact', () => {
    const clean = { a: 1, b: [1, 2], c: { d: 'x' } };
    expect(redactSecrets(clean)).toBe(clean);
    const dirty = { a: 1, inner: { apiKey: 'k' }, other: { x: 1 } };
    const out = redactSecrets(dirty);
    expect(dirty.inner.apiKey).toBe('k');
    expect(out.other).toBe(dirty.other);
  });

  it('keeps null and undefined under secret keys as they are (nothing to hide)', () => {
    expect(redactSecrets({ apiKey: null, token: undefined })).toEqual({ apiKey: null, token: undefined });
  });
});
