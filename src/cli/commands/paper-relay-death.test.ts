/**
 * A fault drill end to end: the sandbox's shared relay thread dies in the middle of a paper session whose agent
 * runs in tier 2. The session must fail closed: the agent is stopped and audited (SANDBOX_AGENT_STOPPED, a
 * crash), the trading state goes REDUCING after it, every later bar is REDUCING, and the session runs to its end
 * (no decision hangs).
 */
import { EventEmitter } from 'node:events';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { currentRelayThread } from '../../sandbox/index.js';
import { runPaperCommand } from './paper.js';
import { replayCsvFixture } from '../test-helpers/replay-fixture.js';

const agent = fileURLToPath(new URL('../../sandbox/test-agents/momentum-agent.mjs', import.meta.url));
const { dir, file } = replayCsvFixture('bulwark-paper-relay-', 'regime:bars=200,seed=8');

type Row = { seq: number; state: string };

describe('bulwark paper --tier 2 when the sandbox relay thread dies', () => {
  it('the agent is stopped and audited, the session goes REDUCING and runs to its end', async () => {
    const session = join(dir, 'session');
    const lines: string[] = [];
    // One-hour bars at 180,000x: a bar every 20 ms. The drill ends the relay once 30 bars have been decided.
    let drilled = false;
    const drill = setInterval(() => {
      const relay = currentRelayThread();
      if (relay === null || drilled || lines.join('').split('\n').length < 30) return;
      drilled = true;
      void relay.terminate();
    }, 5);
    try {
      const r = await runPaperCommand(
        {
          agent: `${agent}:up=2`,
          feed: `replay:${file},speed=180000`,
          session,
          cash: '10000',
          onStop: 'cancel',
          json: true,
          seed: '0',
          redisPrefix: 'bulwark:ks:',
          tier: '2',
          decisionTimeoutMs: '1000',
        },
        (t) => lines.push(t),
        new EventEmitter(),
      );
      expect(r.summary).toMatch(/stopped: crash: sandbox relay thread exited/);
      // Found gone while the supervisor waited: no late count piles up to a deadline stop.
      expect(r.summary).toMatch(/Sandbox tier 2: \d+ decisions, [01] late \(HOLD\)/);
    } finally {
      clearInterval(drill);
    }
    expect(drilled).toBe(true);
    const rows = lines.join('').trim().split('\n').map((l) => JSON.parse(l) as Row);
    expect(rows).toHaveLength(199);
    const events = readFileSync(join(session, 'audit.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    const stopped = events.findIndex((e) => e.type === 'SANDBOX_AGENT_STOPPED');
    expect(stopped).toBeGreaterThan(0);
    expect(JSON.stringify(events[stopped].payload)).toMatch(/crash: sandbox relay thread exited/);
    const reducing = events.findIndex((e, i) => i > stopped && e.type === 'TRADING_STATE_CHANGED' && JSON.stringify(e.payload).includes('REDUCING'));
    expect(reducing).toBeGreaterThan(stopped);
    const firstReducing = rows.findIndex((row) => row.state === 'REDUCING');
    expect(firstReducing).toBeGreaterThan(0);
    expect(firstReducing).toBeLessThan(rows.length - 1);
    expect(rows.slice(0, firstReducing).every((row) => row.state === 'ACTIVE')).toBe(true);
    expect(rows.slice(firstReducing).every((row) => row.state === 'REDUCING')).toBe(true);
  }, 120_000);
});
