import { describe, expect, it } from 'vitest';
import { parseRules } from '../constraints/index.js';
import { generateSynthetic } from '../data/index.js';
import { backtestInstrument } from './backtest-job.js';
import { parseGridAxis } from './sweep.js';
import { parseLearnedAgentSpec, windowSeed } from './walk-forward-learned.js';
import { type WalkForwardOptions, runWalkForward } from './walk-forward.js';

const bars = generateSynthetic({ model: 'regime', bars: 700, seed: 6 });
/** Tiny training: 1 epoch of 2 envs × 16 steps, hidden 8, window 4. */
const TINY = 'epochs=1,envs=2,steps=16,hidden=8,window=4,episode=16';
const options = (agent: string): WalkForwardOptions => ({
  bars,
  instrument: backtestInstrument('SYN/USD'),
  agent,
  axes: [],
  trainBars: 300,
  testBars: 200,
  mode: 'rolling',
  objective: 'total_return',
  initialCash: 10_000,
  rules: parseRules({ max_position_pct: 0.2, max_drawdown_pct: 0.1 }),
  seed: 5,
});

describe('walk-forward with learned agents', () => {
  it('ppo_lag_then_trains_in_each_window_from_its_own_seed_and_stitches_the_test_windows', async () => {
    const done: number[] = [];
    const r = await runWalkForward({ ...options(`ppo-lag:${TINY}`), onWindow: (d) => done.push(d) });
    expect(done).toEqual([1, 2]);
    expect(r.windows.map((w) => [w.window.trainStart, w.window.testStart, w.window.testEnd])).toEqual([
      [0, 300, 500],
      [200, 500, 700],
    ]);
    const seeds = r.windows.map((w) => w.training?.seed);
    expect(seeds).toEqual([windowSeed(5, 0), windowSeed(5, 1)]);
    expect(seeds[0]).not.toBe(seeds[1]);
    for (const w of r.windows) {
      expect(w.chosenAgent).toBe(`ppo-lag:${TINY} (seed ${w.training?.seed})`);
      expect(w.test.equity.length).toBe(200);
      expect(w.trainObjective).not.toBeNull();
      // Mask-aware: the policy never proposes an action the Constraint Logic Engine masked.
      expect(w.test.metrics.masked_actions).toEqual({});
    }
    // Chained by returns: the first window's 200 equities, then the second's 199 returns after its start.
    expect(r.stitchedEquity.length).toBe(399);
    const again = await runWalkForward(options(`ppo-lag:${TINY}`));
    expect(Array.from(again.stitchedEquity)).toEqual(Array.from(r.stitchedEquity));
  });

  it('plain_ppo_then_trains_without_the_mask', async () => {
    const r = await runWalkForward(options(`ppo:${TINY}`));
    expect(r.windows).toHaveLength(2);
    expect(parseLearnedAgentSpec('ppo').useMask).toBe(false);
    expect(parseLearnedAgentSpec('ppo-lag').useMask).toBe(true);
    expect(r.stitched.total_return).toBeCloseTo((r.stitchedEquity.at(-1) ?? Number.NaN) / 10_000 - 1, 9);
  });

  it('bad_spec_or_a_grid_then_names_the_problem', async () => {
    expect(() => parseLearnedAgentSpec('ppo-lag:epochs=0')).toThrow(/epochs/);
    expect(() => parseLearnedAgentSpec('ppo-lag:lr=1')).toThrow(/unknown field 'lr'/);
    await expect(runWalkForward({ ...options('ppo-lag'), axes: [parseGridAxis('epochs=1,2')] })).rejects.toThrow(/--grid: parameter grids are for rule-based agents/);
  });
});
