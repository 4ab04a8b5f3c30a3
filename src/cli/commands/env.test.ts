import { describe, expect, it } from 'vitest';
import { runCommand } from '../test-helpers/run-command.js';
import { registerEnvCommand } from './env.js';

async function run(args: string[]): Promise<string> {
  return (await runCommand(registerEnvCommand, ['env', ...args])).out;
}

interface Report {
  observation: { obs_dim: number; window_size: number; feature_names: string[]; portfolio: string[] };
  action_space: string;
  actions: { index: number; name: string }[];
  episode: { seed: number; steps: { step: number; bar: number; action: string; cost: number }[]; total_cost: number };
}

describe('bulwark env inspect', () => {
  it('synth_market_then_prints_the_spaces_and_a_seeded_episode_the_same_twice', async () => {
    const args = ['inspect', '--synth', 'regime:bars=3000', '--seed', '5', '--steps', '6', '--window', '8', '--json'];
    const text = await run(args);
    const r = JSON.parse(text) as Report;
    expect(r.observation.window_size).toBe(8);
    expect(r.observation.obs_dim).toBe(8 * r.observation.feature_names.length + r.observation.portfolio.length);
    expect(r.observation.portfolio).toEqual(['position_value/equity', 'unrealised_pnl/equity', 'drawdown', 'time_of_day']);
    expect(r.action_space).toBe(`Discrete(${r.actions.length})`);
    expect(r.actions[0].name).toBe('HOLD');
    expect(r.episode.steps.map((s) => s.step)).toEqual([1, 2, 3, 4, 5, 6]);
    // Consecutive bars, one per step.
    for (let i = 1; i < r.episode.steps.length; i++) expect(r.episode.steps[i].bar).toBe(r.episode.steps[i - 1].bar + 1);
    expect(await run(args)).toBe(text);
    const human = await run(args.slice(0, -1));
    expect(human).toMatch(/^data: synthetic regime:bars=3000, 3000 bars, /);
    expect(human).toContain(`observation: ${r.observation.obs_dim} floats = 8 bars × [`);
  });

  it('without_exactly_one_market_or_with_bad_numbers_then_refused_naming_the_flag', async () => {
    await expect(run(['inspect'])).rejects.toThrow('give the market data with exactly one of --data FILE or --synth SPEC');
    await expect(run(['inspect', '--synth', 'regime', '--data', 'x.csv'])).rejects.toThrow('exactly one of --data FILE or --synth SPEC');
    await expect(run(['inspect', '--synth', 'regime', '--window', '0'])).rejects.toThrow("--window: must be a whole number >= 1, got '0'");
    await expect(run(['inspect', '--synth', 'regime', '--steps', 'many'])).rejects.toThrow("--steps: must be a whole number >= 1, got 'many'");
    await expect(run(['inspect', '--data', '/nonexistent/bars.csv'])).rejects.toThrow(/nonexistent\/bars\.csv/);
  });
});
