/** `bulwark gateway --config`: modes other than paper and unknown fields are refused, naming the field. */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { loadGatewayConfig } from './gateway-config.js';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function configFile(text: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'bulwark-gw-config-'));
  dirs.push(dir);
  const path = join(dir, 'gateway.yaml');
  writeFileSync(path, text);
  return path;
}

describe('gateway config', () => {
  it.each(['testnet', 'live'])('mode_%s_is_refused_at_load_naming_the_field_and_why', async (mode) => {
    const path = configFile(`mode: ${mode}\nmarkets: [{ symbol: BTC/USDT, synth: "regime:bars=50,seed=1" }]\n`);
    await expect(loadGatewayConfig(path)).rejects.toThrow(/mode.*ccxt venue.*only paper/s);
  });

  it('an_unknown_mode_is_refused_naming_the_field', async () => {
    await expect(loadGatewayConfig(configFile('mode: papr\n'))).rejects.toThrow(/mode/);
  });

  it('paper_is_the_default_and_loads_the_markets', async () => {
    const loaded = await loadGatewayConfig(configFile('markets: [{ symbol: ETH/USDT, synth: "regime:bars=50,seed=1" }]\n'));
    expect(loaded.config.mode).toBe('paper');
    expect(loaded.markets.map((m) => m.instrument.symbol)).toEqual(['ETH/USDT']);
    expect(loaded.config.auditAck).toBe('fsync');
  });

  it('an_unknown_field_and_a_bad_audit_ack_are_refused_naming_them', async () => {
    await expect(loadGatewayConfig(configFile('modes: paper\n'))).rejects.toThrow(/modes/);
    await expect(loadGatewayConfig(configFile('auditAck: never\n'))).rejects.toThrow(/auditAck/);
  });
});
