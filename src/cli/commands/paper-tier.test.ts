import { EventEmitter } from 'node:events';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { type PaperFlags, runPaperCommand } from './paper.js';
import { replayCsvFixture } from '../test-helpers/replay-fixture.js';

const agent = fileURLToPath(new URL('../../sandbox/test-agents/momentum-agent.mjs', import.meta.url));
const { dir, file } = replayCsvFixture('bulwark-paper-tier-', 'regime:bars=300,seed=8');

const flags = (session: string, extra: Partial<PaperFlags>): PaperFlags => ({
  agent,
  feed: `replay:${file},speed=max`,
  session,
  cash: '10000',
  onStop: 'cancel',
  json: true,
  seed: '0',
  redisPrefix: 'bulwark:ks:',
  ...extra,
});

type Row = { seq: number; state: string; outcome: string };

async function paper(session: string, extra: Partial<PaperFlags>): Promise<{ rows: Row[]; summary: string; events: Record<string, unknown>[] }> {
  const lines: string[] = [];
  const r = await runPaperCommand(flags(session, extra), (t) => lines.push(t), new EventEmitter());
  const rows = lines.join('').trim().split('\n').map((l) => JSON.parse(l) as Row);
  const events = readFileSync(join(session, 'audit.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
  return { rows, summary: r.summary, events };
}

describe('bulwark paper --tier', () => {
  it('an unsigned local strategy runs at its paper floor (tier 2); --tier 1 is refused', async () => {
    const { rows, summary } = await paper(join(dir, 'floor'), { agent: `${agent}:up=2`, decisionTimeoutMs: '5000' });
    expect(rows).toHaveLength(299);
    expect(summary).toContain('Agent ran in sandbox tier 2 (floor 2, risk score 4; unsigned). Sandbox tier 2: 299 decisions, 0 late (HOLD).');
    await expect(runPaperCommand(flags(join(dir, 'refused'), { tier: '1' }), () => undefined, new EventEmitter())).rejects.toThrow(
      /--tier: 1 is below this agent's floor of tier 2/,
    );
    await expect(runPaperCommand(flags(join(dir, 'refused'), { agent: 'buy-and-hold', tier: '2' }), () => undefined, new EventEmitter())).rejects.toThrow(
      /--tier: 'buy-and-hold' is a built-in rule agent/,
    );
  }, 120_000);

  it('a late answer is HOLD and counted; the session goes on trading', async () => {
    const { rows, summary, events } = await paper(join(dir, 'late'), { agent: `${agent}:up=2,slowAt=150,slowMs=700`, tier: '2', decisionTimeoutMs: '500' });
    expect(rows).toHaveLength(299);
    expect(rows[150].outcome).toBe('NO_ORDER');
    expect(summary).toMatch(/Sandbox tier 2: 299 decisions, 1 late \(HOLD\)\.$/m);
    expect(rows.every((r) => r.state === 'ACTIVE')).toBe(true);
    expect(events.some((e) => e.type === 'SANDBOX_AGENT_STOPPED')).toBe(false);
  }, 120_000);

  it('an agent that crashes is stopped: audited, the session goes REDUCING, every later decision is HOLD', async () => {
    const { rows, summary, events } = await paper(join(dir, 'crash'), { agent: `${agent}:up=2,crashAt=120`, tier: '3', decisionTimeoutMs: '5000' });
    expect(summary).toMatch(/stopped: agent-error: Error: deliberate crash at bar 120/);
    const stopped = events.findIndex((e) => e.type === 'SANDBOX_AGENT_STOPPED');
    expect(stopped).toBeGreaterThan(0);
    expect(events[stopped].payload).toMatchObject({ tier: 3, decisions: 121 });
    const reducing = events.findIndex((e, i) => i > stopped && e.type === 'TRADING_STATE_CHANGED' && JSON.stringify(e.payload).includes('REDUCING'));
    expect(reducing).toBeGreaterThan(stopped);
    expect(rows.slice(0, 120).every((r) => r.state === 'ACTIVE')).toBe(true);
    expect(rows.slice(121).every((r) => r.state === 'REDUCING')).toBe(true);
  }, 120_000);
});
