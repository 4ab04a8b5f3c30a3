import { describe, expect, it } from 'vitest';
import { generateSynthetic } from '../data/index.js';
import { backtestInstrument } from './backtest-job.js';
import { agentUsesSeed, gridAgentSpecs, meanSd, parseGridAxis, planSweep, runSweep, summarizeSweep, sweepJobs } from './sweep.js';
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

describe('sweep seeds and summary', () => {
  it('runs an agent that uses no randomness once, with a note, and every seed of one that does', () => {
    expect(agentUsesSeed('random:p=0.2')).toBe(true);
    expect(agentUsesSeed('sma-cross:fast=5')).toBe(false);
    expect(agentUsesSeed('runs/train/checkpoints/last.json')).toBe(false);
    const plan = planSweep({ agent: 'x', synth: 'gbm' }, ['sma-cross:size=0.5', 'random'], [], [4, 5, 6]);
    expect(plan.jobs.map((j) => [j.agent, j.seed])).toEqual([
      ['sma-cross:size=0.5', 4],
      ['random', 4],
      ['random', 5],
      ['random', 6],
    ]);
    expect(plan.notes).toEqual([expect.stringMatching(/^sma-cross:size=0\.5 uses no randomness: .*ran once \(seed 4\) instead of 3 times/)]);
    // One seed asked: nothing to say.
    expect(planSweep({ agent: 'x' }, ['buy-and-hold'], [], [1]).notes).toEqual([]);
    expect(() => planSweep({ agent: 'x' }, ['runs/a'], [parseGridAxis('fast=5,10')], [0])).toThrow(/--grid: runs\/a is a checkpoint, which has no parameters/);
    expect(() => planSweep({ agent: 'x' }, [], [], [0])).toThrow(/--agent: give at least one agent/);
    expect(() => planSweep({ agent: 'x' }, ['random'], [], [])).toThrow(/--seeds: give at least one seed/);
  });

  it('mean ± sample sd per combination, skipping values a run did not have', () => {
    const m = meanSd([1, 2, 3, 4]);
    expect(m.mean).toBe(2.5);
    expect(m.sd).toBeCloseTo(Math.sqrt(5 / 3), 12);
    expect(meanSd([7])).toEqual({ mean: 7, sd: null, n: 1 });
    expect(meanSd([null, Number.NaN, undefined])).toEqual({ mean: null, sd: null, n: 0 });
    expect(meanSd([2, null, 4])).toEqual({ mean: 3, sd: Math.SQRT2, n: 2 });
  });

  it('summarises a seeded sweep by hand-checkable figures', async () => {
    const { jobs } = planSweep({ agent: 'x', synth: 'gbm:bars=300,seed=2' }, ['random:p=0.2'], [parseGridAxis('size=0.2,0.5')], [1, 2, 3]);
    const cells = await runSweep(jobs, { workers: 0 });
    const summary = summarizeSweep(cells);
    expect(summary.map((r) => [r.agent, r.seeds])).toEqual([
      ['random:p=0.2,size=0.2', [1, 2, 3]],
      ['random:p=0.2,size=0.5', [1, 2, 3]],
    ]);
    const returns = cells.slice(0, 3).map((c) => c.metrics.total_return);
    const mean = (returns[0] + returns[1] + returns[2]) / 3;
    const sd = Math.sqrt(returns.reduce((a, r) => a + (r - mean) ** 2, 0) / 2);
    expect(summary[0].metrics.total_return.mean).toBeCloseTo(mean, 12);
    expect(summary[0].metrics.total_return.sd).toBeCloseTo(sd, 12);
    expect(summary[0].metrics.total_return.sd).toBeGreaterThan(0);
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
