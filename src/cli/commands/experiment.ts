/**
 * `bulwark experiment safety --seed N`: plain PPO vs PPO-Lag vs PPO-Lag with the Constraint Logic Engine's mask
 * on the trading env (seeded regime-switching data), over several seeds; prints the comparison table.
 * The defaults take about four minutes on 2 cores; raise --epochs / --seeds for longer runs. The settings used
 * (which differ from the algorithm defaults: a shorter run, a faster λ) are printed above the table.
 */
import type { Command } from 'commander';
import { DEFAULT_SAFETY_OPTIONS, formatSafetySettings, formatSafetyTable, initBackend, runSafetyExperiment, summariseSafety } from '../../agents/index.js';
import { parseNumberFlag, parseWholeNumberFlag } from '../flags.js';

export function registerExperimentCommand(program: Command): void {
  const experiment = program.command('experiment').description('reproducible research experiments');
  const d = DEFAULT_SAFETY_OPTIONS;
  experiment
    .command('safety')
    .description('plain PPO vs PPO-Lag vs PPO-Lag + constraint mask on the trading env; prints a table')
    .option('--seed <n>', 'first seed', '1')
    .option('--seeds <k>', 'number of seeds per arm', String(d.seeds))
    .option('--epochs <n>', 'training epochs per run', String(d.epochs))
    .option('--envs <n>', 'parallel envs', String(d.numEnvs))
    .option('--episode-length <n>', 'steps per episode (= rollout steps)', String(d.episodeLength))
    .option('--cost-limit <x>', 'expected episode cost limit d', String(d.costLimit))
    .option('--lambda-lr <x>', 'Adam learning rate of λ (OmniSafe default 0.035 suits runs of hundreds of epochs)', String(d.lambdaLr))
    .option('--json', 'print the per-run results and the summary as JSON', false)
    .action(async (opts: Record<string, string | boolean>) => {
      const costLimit = parseNumberFlag(String(opts.costLimit), '--cost-limit', { atLeast: 0 });
      const lambdaLr = parseNumberFlag(String(opts.lambdaLr), '--lambda-lr', { above: 0 });
      const options = {
        ...d,
        seed: parseWholeNumberFlag(String(opts.seed), '--seed', 0),
        seeds: parseWholeNumberFlag(String(opts.seeds), '--seeds', 1),
        epochs: parseWholeNumberFlag(String(opts.epochs), '--epochs', 1),
        numEnvs: parseWholeNumberFlag(String(opts.envs), '--envs', 1),
        episodeLength: parseWholeNumberFlag(String(opts.episodeLength), '--episode-length', 2),
        costLimit,
        lambdaLr,
      };
      // Every flag is checked before the backend starts, so a typo fails at once.
      const backend = await initBackend();
      const json = opts.json === true;
      if (!json) process.stderr.write(`backend: ${backend.name}\n`);
      const runs = await runSafetyExperiment({
        ...options,
        onRunDone: (r) => {
          if (!json) process.stderr.write(`  ${r.arm} seed ${r.seed}: ${r.trainSeconds.toFixed(1)} s, cost ${r.episodeCost.toFixed(2)}\n`);
        },
      });
      const rows = summariseSafety(runs, costLimit);
      if (json) process.stdout.write(`${JSON.stringify({ backend: backend.name, settings: options, runs, summary: rows })}\n`);
      else process.stdout.write(`${formatSafetySettings(options, backend.name)}\n${formatSafetyTable(rows)}\n`);
    });
}
