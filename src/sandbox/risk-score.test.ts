import { generateKeyPairSync, sign } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { chooseTier, isSignedByTrustedKey, riskFloor } from './risk-score.js';

describe('risk score -> tier', () => {
  it('builtin code in a backtest may run in-process', () => {
    expect(chooseTier({ origin: 'builtin', signedByTrustedKey: false, permissions: [], mode: 'backtest' }).tier).toBe(0);
  });

  it('unsigned third-party code never runs below tier 2, even in a backtest', () => {
    const floor = riskFloor({ origin: 'third-party', signedByTrustedKey: false, permissions: [], mode: 'backtest' });
    expect(floor.floor).toBeGreaterThanOrEqual(2);
  });

  it('live trading needs tier 2 or higher for code not signed by a trusted key', () => {
    for (const origin of ['own-checkpoint', 'local', 'third-party'] as const) {
      expect(riskFloor({ origin, signedByTrustedKey: false, permissions: [], mode: 'live' }).floor).toBeGreaterThanOrEqual(2);
    }
  });

  it('unsigned third-party code asking for permissions in live trading gets gVisor (tier 3)', () => {
    expect(riskFloor({ origin: 'third-party', signedByTrustedKey: false, permissions: ['tmp-write'], mode: 'live' }).floor).toBe(3);
  });

  it('a signature by a trusted key lowers the floor', () => {
    const unsigned = riskFloor({ origin: 'local', signedByTrustedKey: false, permissions: [], mode: 'paper' });
    const signed = riskFloor({ origin: 'local', signedByTrustedKey: true, permissions: [], mode: 'paper' });
    expect(signed.score).toBeLessThan(unsigned.score);
    expect(signed.floor).toBeLessThanOrEqual(unsigned.floor);
  });

  it('--tier raises the tier above the floor', () => {
    const c = chooseTier({ origin: 'own-checkpoint', signedByTrustedKey: true, permissions: [], mode: 'backtest' }, 3);
    expect(c).toMatchObject({ tier: 3, floor: 0 });
  });

  it('--tier below the floor is refused with the floor and the reasons', () => {
    expect(() => chooseTier({ origin: 'third-party', signedByTrustedKey: false, permissions: [], mode: 'live' }, 1)).toThrow(
      /--tier: 1 is below this agent's floor of tier [23] \(risk score \d+: origin third-party/,
    );
  });
});

describe('code signatures', () => {
  const dir = mkdtempSync(join(tmpdir(), 'bulwark-sig-'));
  const trusted = generateKeyPairSync('ed25519');
  const other = generateKeyPairSync('ed25519');
  const file = join(dir, 'agent.mjs');
  writeFileSync(file, 'export default { decide() { return 0; } };\n');

  it('accepts a signature by a trusted key over the exact bytes', () => {
    writeFileSync(`${file}.sig`, sign(null, Buffer.from('export default { decide() { return 0; } };\n'), trusted.privateKey).toString('base64'));
    expect(isSignedByTrustedKey(file, [other.publicKey, trusted.publicKey])).toBe(true);
  });

  it('refuses a signature by an untrusted key, a modified file and a missing signature', () => {
    writeFileSync(`${file}.sig`, sign(null, Buffer.from('export default { decide() { return 0; } };\n'), other.privateKey).toString('base64'));
    expect(isSignedByTrustedKey(file, [trusted.publicKey])).toBe(false);
    writeFileSync(`${file}.sig`, sign(null, Buffer.from('export default { decide() { return 1; } };\n'), trusted.privateKey).toString('base64'));
    expect(isSignedByTrustedKey(file, [trusted.publicKey])).toBe(false);
    expect(isSignedByTrustedKey(join(dir, 'nope.mjs'), [trusted.publicKey])).toBe(false);
  });
});
