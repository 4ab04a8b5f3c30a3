import { describe, expect, it } from 'vitest';
import { generateSynthetic } from '../data/index.js';
import { parseTradingEnvConfig } from '../env/index.js';
import { SIM_FILL_DEFAULTS, parseSimFillConfig } from '../venues/index.js';
import { backtestInstrument } from './backtest-job.js';
import { createRuleAgent } from './rule-agents.js';
import { runBacktest } from './runner.js';

describe('one set of fill defaults', () => {
  it('the training env, the backtest and a bare venue config all default to SIM_FILL_DEFAULTS', () => {
    expect(parseTradingEnvConfig({}).fill).toEqual(SIM_FILL_DEFAULTS);
    expect(parseSimFillConfig({})).toEqual(SIM_FILL_DEFAULTS);
    expect(Object.isFrozen(SIM_FILL_DEFAULTS)).toBe(true);
    // Costs that bind: a default that silently dropped impact or the participation cap would show here.
    expect(SIM_FILL_DEFAULTS.impactBps).toBeGreaterThan(0);
    expect(SIM_FILL_DEFAULTS.maxParticipation).toBeLessThan(1);
  });

  it('a backtest given no fill model fills exactly as one given SIM_FILL_DEFAULTS', async () => {
    const bars = generateSynthetic({ model: 'gbm', bars: 300, seed: 5 });
    const instrument = backtestInstrument('TEST/USD');
    const run = (fill?: typeof SIM_FILL_DEFAULTS) =>
      runBacktest({ bars, instrument, agent: createRuleAgent('sma-cross:fast=5,slow=20'), initialCash: 10_000, seed: 1, ...(fill ? { fill } : {}) });
    const [implicit, explicit] = [await run(), await run(SIM_FILL_DEFAULTS)];
    expect(implicit.fills.length).toBeGreaterThan(0);
    expect(implicit.fills).toEqual(explicit.fills);
    expect(implicit.equity).toEqual(explicit.equity);
  });
});
