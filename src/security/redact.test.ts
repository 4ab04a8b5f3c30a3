import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { REDACTED, isSecretKey, redactInlineSecrets, redactSecrets } from './redact.js';

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

  it('cuts secrets out of free text in place and keeps the rest readable', () => {
    const out = redactSecrets({
      error: 'binance {"apiKey":"AKIA123","secret":"s3cr3t","recvWindow":5000} rejected',
      reason: 'rotated: password=hunter2, api_key: abc123; operator alice',
      url: 'cannot connect to redis://default:pa55w0rd@10.0.0.5:6379/0',
      header: 'request failed with Authorization: Bearer eyJhbGciOiJFZERTQSJ9.eyJzdWIiOiJhIn0.sig',
    });
    expect(out).toEqual({
      error: `binance {"apiKey":"${REDACTED}","secret":"${REDACTED}","recvWindow":5000} rejected`,
      reason: `rotated: password=${REDACTED}, api_key: ${REDACTED}; operator alice`,
      url: `cannot connect to redis://default:${REDACTED}@10.0.0.5:6379/0`,
      header: `request failed with Authorization: ${REDACTED}`,
    });
  });

  it('leaves text without secrets as the same string, prose and innocent pairs included', () => {
    for (const text of [
      'MAX_POSITION: symbol=BTC/USD, maxQty=2, gotQty=2.001, pendingQty=1',
      'scope: global, tokenBucket=5, keyId=k1',
      'Basic strategy: buy the dip',
      'mailto:alice@example.com and https://example.com/a@b',
    ]) {
      expect(redactInlineSecrets(text)).toBe(text);
    }
    const payload = { reason: 'soft kill: volatility' };
    expect(redactSecrets(payload)).toBe(payload);
  });

  it('a secret written as a pair anywhere in random text never survives, and redacting twice changes nothing', () => {
    const prose = fc.string({ unit: fc.constantFrom(...'abc xyz:=,;"\'{}[]@/.-_0123456789\t'.split('')), maxLength: 40 });
    const token = fc.string({ unit: fc.constantFrom(...'QWERTYUIOPqwertyuiop0123456789'.split('')), minLength: 6, maxLength: 30 });
    const key = fc.constantFrom('apiKey', 'secret', 'password', 'api_key', 'accessToken', 'privateKey');
    const sep = fc.constantFrom('=', ': ', ':', ' = ', '":"');
    fc.assert(
      fc.property(prose, key, sep, token, prose, (before, k, s, t, after) => {
        const secret = `ZZ${t}`;
        const text = `${before} ${k}${s}${secret} ${after}`;
        const once = redactInlineSecrets(text);
        expect(once).not.toContain(secret);
        expect(redactInlineSecrets(once)).toBe(once);
      }),
      { seed: 7, numRuns: 2_000 },
    );
  });
});
