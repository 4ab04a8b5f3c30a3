import { describe, expect, it } from 'vitest';
import { generateSynthetic } from '../data/index.js';
import { backtestInstrument } from './backtest-job.js';
import { gridAgentSpecs, parseGridAxis, runSweep, sweepJobs } from './sweep.js';
import { runWalkForward } from './walk-forward.js';

describe('sweeps', () => {
  it('expands a grid and seeds into one job per cell', () => {
    const axes = [parseGridAxis('fast=5,10'), parseGridAxis('slow=30,60')];
    expect(gridAgentSpecs('sma-cross:size=0.5', axes)).toEqual([
      'sma-cross:size=0.5,fast=5,slow=30',
      'sma-cross:size=0.5,fast=5,slow=60',
      'sma-cross:size=0.5,fast=10,slow=30',
      'sma-cross:size=0.5,fast=10,slow=60',
    ]);
    expect(sweepJobs({ agent: 'random', synth: 'gbm' }, [], [1, 2, 3]).map((j) => j.seed)).toEqual([1, 2, 3]);
    expect(() => parseGridAxis('fast')).toThrow(/--grid: must be key=v1,v2/);
  });

  it('runs every cell in this thread and reports progress', async () => {
    const progress: number[] = [];
    const cells = await runSweep(sweepJobs({ agent: 'random:p=0.2', synth: 'gbm:bars=300,seed=2' }, [], [1, 2]), {
      workers: 0,
      onProgress: (d) => progress.push(d),
    });
    expect(progress).toEqual([1, 2]);
    expect(cells.map((c) => c.seed)).toEqual([1, 2]);
    expect(cells[0].metrics.final_equity).not.toBe(cells[1].metrics.final_equity);
  });
});

describe('walk-forward', () => {
  it('chooses parameters on each train window and stitches the test windows', async () => {
    const bars = generateSynthetic({ model: 'regime', bars: 1_200, seed: 4 });
    const r = await runWalkForward({
      bars,
      instrument: backtestInstrument('SYN/USD'),
      agent: 'sma-cross',
      axes: [parseGridAxis('fast=5,10'), parseGridAxis('slow=20,40')],
      trainBars: 600,
      testBars: 200,
      mode: 'rolling',
      objective: 'sharpe',
      initialCash: 10_000,
    });
    expect(r.windows.map((w) => [w.window.testStart, w.window.testEnd])).toEqual([
      [600, 800],
      [800, 1000],
      [1000, 1200],
    ]);
    expect(r.stitchedEquity.length).toBe(1 + 3 * 199);
    const product = r.windows.reduce((p, w) => p * (1 + w.test.metrics.total_return), 1);
    expect(r.stitched.total_return).toBeCloseTo(product - 1, 9);
  });
});
