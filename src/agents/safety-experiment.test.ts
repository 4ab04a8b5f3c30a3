import { describe, expect, it } from 'vitest';
import { DEFAULT_SAFETY_OPTIONS, formatSafetyTable, runSafetyExperiment, summariseSafety } from './index.js';

describe('safety experiment', () => {
  it('tiny_run_then_only_the_masked_arm_sees_masked_actions_and_the_table_has_one_row_per_arm', async () => {
    const runs = await runSafetyExperiment({ ...DEFAULT_SAFETY_OPTIONS, seed: 1, seeds: 1, epochs: 1, numEnvs: 4, episodeLength: 32 });
    expect(runs.map((r) => r.arm)).toEqual(['ppo', 'ppo-lag', 'ppo-lag+mask']);
    for (const r of runs) {
      expect(Number.isFinite(r.episodeReturn)).toBe(true);
      expect(r.maxDrawdown).toBeGreaterThanOrEqual(0);
      if (r.arm !== 'ppo-lag+mask') expect(r.trainMaskedActions + r.evalMaskedActions).toBe(0);
    }
    expect(runs[0].finalLambda).toBe(0);
    const table = formatSafetyTable(summariseSafety(runs, DEFAULT_SAFETY_OPTIONS.costLimit));
    expect(table.split('\n')).toHaveLength(5);
    expect(table).toContain('ppo-lag+mask');
  });
});
