import { generateKeyPairSync, sign } from 'node:crypto';
import { copyFileSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { registerBacktestCommand } from './backtest.js';
import { runCommand } from '../test-helpers/run-command.js';

const agent = fileURLToPath(new URL('../../sandbox/test-agents/momentum-agent.mjs', import.meta.url));
const out = mkdtempSync(join(tmpdir(), 'bulwark-sandbox-bt-'));

async function backtest(extra: readonly string[], name: string): Promise<Record<string, unknown>> {
  const r = await runCommand(registerBacktestCommand, [
    'backtest', '--synth', 'regime:bars=400,seed=5', '--json', '--out', join(out, name), ...extra,
  ]);
  expect(r.exitCode).toBe(0);
  return JSON.parse(r.out) as Record<string, unknown>;
}

describe('bulwark backtest --tier', () => {
  it('a signed JavaScript strategy gives the same run in tiers 1, 2 and 3: the sandbox changes isolation, not results', async () => {
    // Signed by a trusted key, a local strategy's floor is tier 1, so all three tiers may run it.
    const keys = mkdtempSync(join(tmpdir(), 'bulwark-trusted-'));
    const pair = generateKeyPairSync('ed25519');
    writeFileSync(join(keys, 'ops.pub.pem'), pair.publicKey.export({ type: 'spki', format: 'pem' }));
    const signedDir = mkdtempSync(join(tmpdir(), 'bulwark-signed-'));
    const signed = join(signedDir, 'momentum-agent.mjs');
    copyFileSync(agent, signed);
    writeFileSync(`${signed}.sig`, sign(null, readFileSync(signed), pair.privateKey).toString('base64'));
    const runs = [];
    for (const tier of ['1', '2', '3']) {
      runs.push(await backtest(['--agent', `${signed}:up=2,size=0.2`, '--tier', tier, '--trusted-keys', keys, '--decision-timeout-ms', '5000'], `t${tier}`));
    }
    const metrics = runs.map((r) => ({ ret: r.total_return, trades: r.n_trades, equity: r.final_equity, rejections: r.rejections }));
    expect(metrics[0].trades).toBeGreaterThan(0);
    expect(metrics[1]).toEqual(metrics[0]);
    expect(metrics[2]).toEqual(metrics[0]);
    expect(String(runs[1].agent_notes)).toMatch(/sandbox tier 2 \(floor 1, .*signed by a trusted key.*Sandbox tier 2: 399 decisions, 0 late/s);
  }, 120_000);

  it('without --tier an unsigned local strategy runs at its floor (tier 2); --tier below the floor is refused', async () => {
    const r = await backtest(['--agent', `${agent}:up=2`], 'floor');
    expect(String(r.agent_notes)).toContain('sandbox tier 2 (floor 2');
    await expect(runCommand(registerBacktestCommand, ['backtest', '--synth', 'regime:bars=400,seed=5', '--agent', agent, '--origin', 'third-party', '--tier', '1', '--out', join(out, 'refused')]))
      .rejects.toThrow(/--tier: 1 is below this agent's floor of tier 3/);
  }, 60_000);

  it('an agent that crashes mid-run is stopped: audited, the session goes REDUCING, every later decision is HOLD', async () => {
    const r = await backtest(['--agent', `${agent}:up=2,crashAt=200`, '--tier', '2', '--decision-timeout-ms', '5000'], 'crash');
    expect(String(r.agent_notes)).toMatch(/stopped: agent-error: Error: deliberate crash at bar 200/);
    const files = r.files as Record<string, string>;
    const events = readFileSync(files['audit.jsonl'], 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    const stopped = events.findIndex((e) => e.type === 'SANDBOX_AGENT_STOPPED');
    expect(stopped).toBeGreaterThan(0);
    const reducing = events.findIndex((e, i) => i > stopped && e.type === 'TRADING_STATE_CHANGED' && JSON.stringify(e.payload).includes('REDUCING'));
    expect(reducing).toBeGreaterThan(stopped);
    const decisions = readFileSync(files['decisions.csv'], 'utf8').trim().split('\n');
    const header = decisions[0].split(',');
    const barCol = header.indexOf('bar');
    const proposedCol = header.indexOf('proposed');
    const stateCol = header.indexOf('trading_state');
    const after = decisions.slice(1).map((l) => l.split(',')).filter((c) => Number(c[barCol]) > 200 && Number(c[barCol]) < 399);
    expect(after.length).toBeGreaterThan(100);
    expect(after.every((c) => c[proposedCol] === 'HOLD' && c[stateCol] === 'REDUCING')).toBe(true);
  }, 60_000);
});
