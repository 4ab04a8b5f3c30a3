import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runBacktestCommand } from './backtest.js';
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
      // …and so does the window's run record (its agent label), which the summary tables print.
      expect(w.test.agent).toMatch(/^sma-cross:fast=\d,slow=\d+,size=0\.3$/);
    }
    expect(readFileSync(r.files.report, 'utf8')).toContain('size=0.3');
    expect(r.files.checkpoints).toEqual([]);
    expect(existsSync(join(r.out, 'window-1', 'checkpoint.json'))).toBe(false);
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

  it('a learned agent writes each window\'s trained policy to window-N/checkpoint.json, with its training provenance', async () => {
    const r = await runWalkForwardCommand(
      flags('learned', { synth: 'regime:bars=700,seed=6', agent: 'ppo-lag:epochs=1,envs=2,steps=16,hidden=8,window=4,episode=16', grid: [], account: 'margin', leverage: '2' }),
    );
    expect(r.result.windows).toHaveLength(2);
    expect(r.files.checkpoints).toEqual([join(r.out, 'window-1', 'checkpoint.json'), join(r.out, 'window-2', 'checkpoint.json')]);
    const json = JSON.parse(readFileSync(r.files.json, 'utf8'));
    expect(json.windows.map((w: { checkpoint: string }) => w.checkpoint)).toEqual(r.files.checkpoints);
    expect(readFileSync(r.files.report, 'utf8')).toContain('checkpoint.json');
    for (const [i, w] of r.result.windows.entries()) {
      const c = JSON.parse(readFileSync(r.files.checkpoints[i], 'utf8'));
      expect(c.format).toBe('bulwark.ppo-lag.checkpoint.v1');
      expect(c.hyperparams.seed).toBe(w.training?.seed);
      // Provenance: the window's train bars only, the account it trained on, the rules it was masked by (none here).
      expect(c.provenance.data.bars).toBe(w.window.trainEnd - w.window.trainStart);
      expect(c.provenance.data.kind).toBe('synthetic');
      expect(c.provenance.account).toEqual({ type: 'margin', leverage: 2, maintenanceMargin: 0.25 });
      expect(c.env.env.account).toEqual({ type: 'margin', leverage: 2, maintenanceMargin: 0.25 });
    }
    // The checkpoint is a backtest agent; a cash-account backtest of it says the account differs from training.
    const bt = await runBacktestCommand({ synth: 'regime:bars=700,seed=6', agent: r.files.checkpoints[0], seed: '0', json: true, out: join(dir, 'bt-window-1'), home: join(dir, 'home') });
    expect(bt.notes.join('\n')).toContain('Warning: account differs from training: trained on margin 2x');
    expect(bt.notes.join('\n')).not.toContain('records no provenance');
    expect(bt.notes.join('\n')).toMatch(/overlap the training data/);
  }, 240_000);
});
