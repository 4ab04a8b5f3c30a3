/**
 * `bulwark train --config FILE [--seed N] [--out runs/NAME] [--resume]`: trains PPO-Lag on the trading env
 * from a YAML config, with a live progress bar, per-epoch metrics (JSONL and CSV), checkpoints every K epochs
 * and after the last, and an HTML learning curve at the end. `--resume` continues bit-for-bit from
 * `OUT/checkpoints/last.json`. The run itself is `runTrainJob` (agents/train-run.ts); this file parses flags
 * and draws progress.
 */
import cliProgress from 'cli-progress';
import type { Command } from 'commander';
import { runTrainJob, type TrainSummary } from '../../agents/index.js';
import { parseWholeNumberFlag } from '../flags.js';

export interface TrainOptions {
  config: string;
  seed?: string;
  /** Run directory; default runs/ppo-ALGORITHM-seedN. */
  out?: string;
  resume?: boolean;
  /** Overrides task.data: a CSV file (relative to the working directory) or a synthetic spec. */
  data?: string;
  /** Overrides task.rules: a rules file (relative to the working directory). */
  rules?: string;
  /** Draw the progress bar (on a terminal only; off in tests). */
  progress?: boolean;
}

/** The whole `bulwark train` command: parse the flags, run the job, draw its progress. */
export async function runTrain(opts: TrainOptions): Promise<TrainSummary> {
  const seed = opts.seed === undefined ? undefined : parseWholeNumberFlag(opts.seed, '--seed', 0);
  const showBar = opts.progress !== false;
  const bar = new cliProgress.SingleBar(
    { format: 'epoch {value}/{total} | {sps} steps/s | return {ret} | cost {cost} / {limit} | λ {lambda}', hideCursor: true },
    cliProgress.Presets.shades_classic,
  );
  try {
    return await runTrainJob({
      config: opts.config,
      seed,
      out: opts.out,
      resume: opts.resume,
      data: opts.data,
      rules: opts.rules,
      onStart: (run) => {
        if (showBar) bar.start(run.epochs, run.startEpoch, { sps: '-', ret: '-', cost: '-', limit: run.costLimit, lambda: '-' });
      },
      onEpoch: (e, p) => {
        if (!showBar) return;
        bar.update(e.epoch, {
          sps: Math.round(p.envStepsPerSec),
          ret: e.episodeReturn.toFixed(4),
          cost: e.episodeCost.toFixed(2),
          limit: e.costLimit,
          lambda: e.lambda.toFixed(3),
        });
      },
    });
  } finally {
    if (showBar) bar.stop();
  }
}

export function registerTrainCommand(program: Command): void {
  program
    .command('train')
    .description('train a PPO-Lag policy on the trading env from a YAML config')
    .requiredOption('--config <file>', 'YAML config: train (hyperparameters), task (data, env), checkpointEvery')
    .option('--seed <n>', 'override train.seed')
    .option('--out <dir>', 'run directory (default runs/ppo-ALGORITHM-seedN)')
    .option('--data <source>', 'override task.data: an OHLCV CSV file, or a synthetic spec like regime:bars=20000,seed=3')
    .option('--rules <file>', 'override task.rules: the Constraint Logic Engine rules (YAML or JSON) the training envs enforce')
    .option('--resume', 'continue from OUT/checkpoints/last.json', false)
    .action(async (opts: { config: string; seed?: string; out?: string; resume: boolean; data?: string; rules?: string }) => {
      const summary = await runTrain({ ...opts, progress: process.stderr.isTTY });
      process.stdout.write(`${JSON.stringify(summary)}\n`);
    });
}
