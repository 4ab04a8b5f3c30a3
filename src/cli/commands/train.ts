/**
 * `bulwark train --config FILE [--seed N] [--out runs/NAME] [--resume]`: trains PPO-Lag on the trading env
 * from a YAML config, with a live progress bar, per-epoch metrics (JSONL and CSV), checkpoints every K epochs
 * and after the last, and an HTML learning curve at the end. `--resume` continues bit-for-bit from
 * `OUT/checkpoints/last.json`.
 */
import { existsSync } from 'node:fs';
import { appendFile, mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import cliProgress from 'cli-progress';
import type { Command } from 'commander';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { parseWithSchema } from '../../core/index.js';
import { tradingEnvConfigSchema } from '../../env/index.js';
import {
  initBackend,
  ppoHyperSchema,
  readCheckpointFile,
  regimeDataset,
  trainPpoLag,
  tradingVecEnvFactory,
  writeCheckpointFile,
  type EpochStats,
} from '../../agents/index.js';
import { learningCurveHtml } from './learning-curve.js';

const trainFileSchema = z.strictObject({
  /** PPO-Lag hyperparameters (see agents/ppo-config.ts). */
  train: ppoHyperSchema.default(ppoHyperSchema.parse({})),
  task: z
    .strictObject({
      /** Bars of seeded synthetic regime-switching data. */
      bars: z.number().int().min(100).default(20_000),
      /** Seed of the market data. */
      dataSeed: z.number().int().min(0).default(1),
      /** Use the env's action mask (the Constraint Logic Engine's, where configured). */
      useMask: z.boolean().default(true),
      env: tradingEnvConfigSchema.default(tradingEnvConfigSchema.parse({})),
    })
    .default({ bars: 20_000, dataSeed: 1, useMask: true, env: tradingEnvConfigSchema.parse({}) }),
  /** Checkpoint every this many epochs (the last epoch is always saved). */
  checkpointEvery: z.number().int().min(0).default(10),
});

export type TrainFile = z.output<typeof trainFileSchema>;

export const METRIC_COLUMNS: readonly (keyof EpochStats)[] = [
  'epoch',
  'envSteps',
  'episodeReturn',
  'episodeCost',
  'costLimit',
  'lambda',
  'episodeLength',
  'episodes',
  'pgLoss',
  'vLossReward',
  'vLossCost',
  'entropy',
  'approxKl',
  'clipfrac',
  'explainedVariance',
  'explainedVarianceCost',
  'updatePasses',
  'maskedActions',
  'maskedSteps',
  'clippedActions',
];

export async function loadTrainFile(path: string): Promise<TrainFile> {
  const text = await readFile(path, 'utf8');
  return parseWithSchema(trainFileSchema, parseYaml(text) ?? {}, path);
}

function csvLine(e: EpochStats): string {
  return METRIC_COLUMNS.map((k) => String(e[k])).join(',');
}

export function registerTrainCommand(program: Command): void {
  program
    .command('train')
    .description('train a PPO-Lag policy on the trading env from a YAML config')
    .requiredOption('--config <file>', 'YAML config: train (hyperparameters), task (data, env), checkpointEvery')
    .option('--seed <n>', 'override train.seed')
    .option('--out <dir>', 'run directory', '')
    .option('--resume', 'continue from OUT/checkpoints/last.json', false)
    .action(async (opts: { config: string; seed?: string; out: string; resume: boolean }) => {
      const file = await loadTrainFile(opts.config);
      if (opts.seed !== undefined) {
        const seed = Number(opts.seed);
        if (!Number.isInteger(seed) || seed < 0) throw new Error(`--seed: must be a whole number >= 0, got '${opts.seed}'`);
        file.train.seed = seed;
      }
      const out = opts.out || join('runs', `ppo-${file.train.algorithm}-seed${file.train.seed}`);
      const ckptDir = join(out, 'checkpoints');
      const resume = opts.resume ? await readCheckpointFile(join(ckptDir, 'last.json')) : undefined;
      if (!opts.resume && existsSync(join(ckptDir, 'last.json'))) {
        throw new Error(`--out: ${out} already holds a run; pass --resume to continue it or choose another --out`);
      }
      const backend = await initBackend();
      process.stderr.write(`backend: ${backend.name}${backend.skipped.length ? ` (skipped ${backend.skipped.join('; ')})` : ''}\n`);
      await mkdir(ckptDir, { recursive: true });
      await writeFile(join(out, 'config.json'), `${JSON.stringify(file, null, 2)}\n`);
      await writeFile(
        join(out, 'meta.json'),
        `${JSON.stringify({ backend: backend.name, backendSkipped: backend.skipped, tfjs: backend.tfjsVersion, node: process.version, seed: file.train.seed, resumedFromEpoch: resume?.epoch ?? null }, null, 2)}\n`,
      );
      // Metric files restart from the checkpoint's history, so a resumed run's files equal an uninterrupted run's.
      const jsonlPath = join(out, 'metrics.jsonl');
      const csvPath = join(out, 'metrics.csv');
      const past = resume?.history ?? [];
      await writeFile(jsonlPath, past.map((e) => `${JSON.stringify(e)}\n`).join(''));
      await writeFile(csvPath, `${METRIC_COLUMNS.join(',')}\n${past.map((e) => `${csvLine(e)}\n`).join('')}`);

      const bar = new cliProgress.SingleBar(
        { format: 'epoch {value}/{total} | {sps} steps/s | return {ret} | cost {cost} / {limit} | λ {lambda}', hideCursor: true },
        cliProgress.Presets.shades_classic,
      );
      bar.start(file.train.epochs, resume?.epoch ?? 0, { sps: '-', ret: '-', cost: '-', limit: file.train.costLimit, lambda: '-' });
      const dataset = regimeDataset(file.task.bars, file.task.dataSeed);
      const result = await trainPpoLag({
        ...file.train,
        makeVecEnv: tradingVecEnvFactory(dataset, file.task.env),
        useMask: file.task.useMask,
        resume,
        checkpointEvery: file.checkpointEvery,
        onEpoch: async (e, p) => {
          await appendFile(jsonlPath, `${JSON.stringify(e)}\n`);
          await appendFile(csvPath, `${csvLine(e)}\n`);
          bar.update(e.epoch, {
            sps: Math.round(p.envStepsPerSec),
            ret: e.episodeReturn.toFixed(4),
            cost: e.episodeCost.toFixed(2),
            limit: e.costLimit,
            lambda: e.lambda.toFixed(3),
          });
        },
        onCheckpoint: async (c) => {
          await writeCheckpointFile(join(ckptDir, `epoch-${String(c.epoch).padStart(5, '0')}.json`), c);
          await writeCheckpointFile(join(ckptDir, 'last.json'), c);
        },
      });
      bar.stop();
      result.policy.dispose();
      await writeFile(join(out, 'curve.html'), learningCurveHtml(`PPO (${file.train.algorithm}) seed ${file.train.seed}`, result.history));
      const last = result.history.at(-1);
      process.stdout.write(
        `${JSON.stringify({ out, backend: result.backend.name, epochs: result.history.length, envSteps: last?.envSteps, episodeReturn: last?.episodeReturn, episodeCost: last?.episodeCost, costLimit: file.train.costLimit, lambda: last?.lambda })}\n`,
      );
    });
}
