/**
 * Issue 12's parity test: `bulwark paper` on `replay:FILE,speed=max` and `bulwark backtest` on the same file,
 * agent, rules, risk and fill settings write identical decisions.csv and trades.csv (and equity.csv), byte for byte.
 * Nothing in these files names the run, so no column is left out of the comparison.
 */
import { EventEmitter } from 'node:events';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateSynthetic, parseSynthSpec, writeBarsCsv } from '../../data/index.js';
import { runBacktestCommand } from './backtest.js';
import { type PaperFlags, runPaperCommand } from './paper.js';

const dir = mkdtempSync(join(tmpdir(), 'bulwark-paper-parity-'));
const file = join(dir, 'bars.csv');
const rules = join(dir, 'rules.yaml');
const risk = join(dir, 'risk.yaml');
beforeAll(async () => {
  await writeBarsCsv(file, generateSynthetic(parseSynthSpec('regime:bars=700,seed=12')));
  // Limits that bite on this series: masked proposals, trade pacing and a gatekeeper cap on order size.
  writeFileSync(rules, 'max_position_pct: 0.6\nmin_bars_between_trades: 6\nmax_trades_per_day: 2\nmax_order_pct: 0.4\n');
  writeFileSync(risk, 'limits:\n  maxOrderNotionalQuote: 3000\n');
});
afterAll(() => (process.env.KEEP_PARITY ? undefined : rmSync(dir, { recursive: true, force: true })));

const FILES = ['decisions.csv', 'trades.csv', 'equity.csv'] as const;

async function both(name: string, agent: string, extra: { rules?: boolean; risk?: boolean } = {}): Promise<{ paper: string; backtest: string }> {
  const paper = join(dir, `${name}-paper`);
  const backtest = join(dir, `${name}-backtest`);
  const common = {
    agent,
    seed: '7',
    feesBps: '10',
    spreadBps: '4',
    slippageBps: '2',
    cash: '10000',
    ...(extra.rules === true ? { rules } : {}),
    ...(extra.risk === true ? { risk } : {}),
  };
  const flags: PaperFlags = { ...common, feed: `replay:${file},speed=max`, session: paper, onStop: 'cancel', json: true, redisPrefix: 'bulwark:ks:' };
  await runPaperCommand(flags, () => undefined, new EventEmitter());
  await runBacktestCommand({ ...common, data: file, out: backtest, json: true });
  return { paper, backtest };
}

function expectSameFiles(a: string, b: string): void {
  for (const f of FILES) {
    const left = readFileSync(join(a, f), 'utf8');
    const right = readFileSync(join(b, f), 'utf8');
    expect(left.split('\n').length, f).toBeGreaterThan(10);
    expect(left, `${f} differs`).toBe(right);
  }
}

describe('paper on a speed=max replay = backtest on the same file', () => {
  it('sma-cross with rules and risk: identical decisions.csv, trades.csv and equity.csv', async () => {
    const { paper, backtest } = await both('sma', 'sma-cross:fast=3,slow=8,size=0.3', { rules: true, risk: true });
    expectSameFiles(paper, backtest);
    const decisions = readFileSync(join(paper, 'decisions.csv'), 'utf8');
    // The limits did bite, so the comparison covers masked and denied decisions too.
    expect(decisions).toMatch(/,MASKED,|,DENIED,/);
    expect(readFileSync(join(paper, 'trades.csv'), 'utf8').split('\n').length).toBeGreaterThan(3);
  }, 120_000);

  it('a session stopped at bar 300 (orders kept) and resumed from its directory writes the same files as the backtest', async () => {
    const { backtest } = await both('whole', 'random:p=0.1');
    const session = join(dir, 'resumed-paper');
    const flags: PaperFlags = {
      agent: 'random:p=0.1',
      seed: '7',
      feesBps: '10',
      spreadBps: '4',
      slippageBps: '2',
      cash: '10000',
      feed: `replay:${file},speed=max`,
      session,
      onStop: 'keep',
      json: true,
      redisPrefix: 'bulwark:ks:',
    };
    const signals = new EventEmitter();
    let lines = 0;
    const first = await runPaperCommand(flags, () => ++lines === 300 && signals.emit('SIGINT'), signals);
    expect(first.decisions).toBe(300);
    await runPaperCommand(flags, () => undefined, new EventEmitter());
    expectSameFiles(session, backtest);
  }, 120_000);

  it('a seeded random agent without limits: identical files (the generator runs the same sequence)', async () => {
    const { paper, backtest } = await both('random', 'random:p=0.1');
    expectSameFiles(paper, backtest);
  }, 120_000);
});
