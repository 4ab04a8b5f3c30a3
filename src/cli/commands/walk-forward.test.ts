import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runWalkForwardCommand, type WalkForwardFlags } from './sweep.js';

const dir = mkdtempSync(join(tmpdir(), 'bulwark-cli-walk-forward-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const flags = (out: string, extra: Partial<WalkForwardFlags> = {}): WalkForwardFlags => ({
  synth: 'regime:bars=900,seed=4',
  agent: 'sma-cross:size=0.3',
  grid: ['fast=3,5', 'slow=12,20'],
  seed: '0',
  trainBars: '300',
  testBars: '200',
  mode: 'rolling',
  objective: 'sharpe',
  out: join(dir, out),
  json: true,
  ...extra,
});

describe('bulwark walk-forward outputs', () => {
  it('writes each window as a backtest and the stitched equity as a CSV that matches the result', async () => {
    const r = await runWalkForwardCommand(flags('wf'));
    expect(r.result.windows).toHaveLength(3);
    for (const [i, w] of r.result.windows.entries()) {
      const wd = join(r.out, `window-${i + 1}`);
      expect(r.files.windowDirs[i]).toBe(wd);
      const metrics = JSON.parse(readFileSync(join(wd, 'metrics.json'), 'utf8'));
      expect(metrics.final_equity).toBe(w.test.metrics.final_equity);
      expect(metrics.n_trades).toBe(w.test.metrics.n_trades);
      const equity = readFileSync(join(wd, 'equity.csv'), 'utf8').trim().split('\n');
      expect(equity).toHaveLength(1 + 200);
      expect(Number(equity.at(-1)?.split(',')[4])).toBe(w.test.equity.at(-1));
      const trades = readFileSync(join(wd, 'trades.csv'), 'utf8').trim().split('\n');
      expect(trades.length - 1).toBe(w.test.trades.length);
      expect(readFileSync(join(wd, 'decisions.csv'), 'utf8').trim().split('\n')).toHaveLength(1 + 200);
      // The chosen spec keeps the base parameters (size=) next to the searched ones.
      expect(w.chosenAgent).toMatch(/^sma-cross:size=0\.3,fast=\d,slow=\d+$/);
    }
    const rows = readFileSync(r.files.stitchedEquity, 'utf8').trim().split('\n');
    expect(rows[0]).toBe('bar,time,window,close,equity,drawdown');
    expect(rows).toHaveLength(1 + r.result.stitchedEquity.length);
    const cells = rows.slice(1).map((l) => l.split(','));
    expect(cells.map((c) => Number(c[4]))).toEqual(Array.from(r.result.stitchedEquity));
    // Bars run over the test segments without repeats; each window's rows name it.
    expect(cells[0].slice(0, 3).map(String)).toEqual(['300', cells[0][1], '1']);
    expect(cells.at(-1)?.[0]).toBe('899');
    expect(cells.filter((c) => c[2] === '2')).toHaveLength(199);
    const bars = cells.map((c) => Number(c[0]));
    expect(bars.every((b, i) => i === 0 || b > bars[i - 1])).toBe(true);
    expect(Number(cells.at(-1)?.[4]) / Number(cells[0][4]) - 1).toBeCloseTo(r.result.stitched.total_return, 12);
    expect(existsSync(r.files.report)).toBe(true);
    expect(r.warning).toBeNull();
  }, 120_000);

  it('warns, naming the windows, when a test segment never traded', async () => {
    // A slow average longer than the test window: the fresh test run never finishes its warm-up, so never trades.
    const r = await runWalkForwardCommand(flags('idle', { grid: ['fast=3', 'slow=250'], testBars: '200' }));
    expect(r.result.windows.every((w) => w.test.fills.length === 0)).toBe(true);
    expect(r.idleWindows).toEqual([1, 2, 3]);
    expect(r.warning).toBe('window(s) 1, 2, 3 never traded in their test segment: their figures say nothing about the agent.');
  }, 120_000);
});
