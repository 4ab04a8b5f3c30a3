/**
 * `bulwark train --config FILE [--seed N] [--out runs/NAME] [--resume] [--eval-every K --eval-data SOURCE]`:
 * trains PPO-Lag on the trading env from a YAML config, with per-epoch metrics (JSONL and CSV), checkpoints
 * every K epochs and after the last, and an HTML learning curve at the end. `--resume` continues bit-for-bit
 * from `OUT/checkpoints/last.json`. The run itself is `runTrainJob` (agents/train-run.ts); this file parses
 * flags, shows progress (a bar on a terminal, one plain line per epoch otherwise) and turns SIGINT into a
 * clean stop with a checkpoint of the last finished epoch.
 */
import cliProgress from 'cli-progress';
import type { Command } from 'commander';
import { definedFields } from '../../core/index.js';
import { type EpochProgress, type MetricRow, type TrainSummary, runTrainJob } from '../../agents/index.js';
import type { QueuedTrainRun } from '../../jobs/index.js';
import { accountFromFlags, addAccountOptions, type AccountFlags } from '../account-flags.js';
import { addCsvOptions, type CsvFlags, csvOptionsFromFlags } from '../csv-flags.js';
import { type SessionFlags, addSessionOptions, parseWholeNumberFlag, sessionFromFlags } from '../flags.js';

export interface TrainOptions extends CsvFlags, AccountFlags, SessionFlags {
  config: string;
  seed?: string;
  /** Run directory; default runs/ppo-ALGORITHM-seedN. */
  out?: string;
  resume?: boolean;
  /** Overrides task.data: a CSV file (relative to the working directory) or a synthetic spec. */
  data?: string;
  /** Overrides task.rules: a rules file (relative to the working directory). */
  rules?: string;
  /** Override task.from / task.to: the first and last bar (open time, UTC) training may use. */
  from?: string;
  to?: string;
  evalEvery?: string;
  evalData?: string;
  evalEpisodes?: string;
  /** `bar`: a live progress bar (a terminal); `lines`: one plain line per epoch (a log file, a pipe); false: none. */
  progress?: 'bar' | 'lines' | false;
  /** Where progress goes; default stderr (stdout carries the summary JSON). */
  write?: (text: string) => void;
  /** Stops the run after the epoch in progress, with a checkpoint (the command wires SIGINT to it). */
  signal?: AbortSignal;
  command?: readonly string[];
  /** `--tier` (queued runs): 0 trains in the worker's process, 1 in a worker thread with a heap cap; 2-3 refused. */
  tier?: string;
  /** `--memory-mb` (with `--tier 1`): the training thread's heap cap. */
  memoryMb?: string;
}

const fixed = (x: number, digits: number): string => (Number.isFinite(x) ? x.toFixed(digits) : '-');

/** `epoch 3/50 | steps 6144 | return 0.0123 | cost 1.20 / 1 | λ 0.034 | 1.2 s`: one epoch, for logs. */
export function epochLine(row: MetricRow, epochs: number): string {
  const cost = Number.isFinite(row.episodeCost) ? fixed(row.episodeCost, 2) : `- (est. ${fixed(row.lambdaCost, 2)})`;
  const held = row.evalReturn === undefined ? '' : ` | held-out return ${fixed(row.evalReturn, 4)} cost ${fixed(row.evalCost ?? Number.NaN, 2)}`;
  return `epoch ${row.epoch}/${epochs} | steps ${row.envSteps} | return ${fixed(row.episodeReturn, 4)} | cost ${cost} / ${row.costLimit} | λ ${fixed(row.lambda, 3)} | ${fixed(row.wallSeconds, 1)} s${held}`;
}

/** The progress of a run: a bar, one plain line per epoch, or nothing. */
function trainProgress(mode: 'bar' | 'lines' | false, write: (text: string) => void): {
  onStart: (run: { startEpoch: number; epochs: number; costLimit: number }) => void;
  onEpoch: (row: MetricRow, p: Pick<EpochProgress, 'envStepsPerSec'>) => void;
  stop: () => void;
} {
  const bar = new cliProgress.SingleBar(
    { format: 'epoch {value}/{total} | {sps} steps/s | return {ret} | cost {cost} / {limit} | λ {lambda}', hideCursor: true },
    cliProgress.Presets.shades_classic,
  );
  let total = 0;
  let barOn = false;
  return {
    onStart: (run) => {
      total = run.epochs;
      if (mode === 'bar') {
        bar.start(run.epochs, run.startEpoch, { sps: '-', ret: '-', cost: '-', limit: run.costLimit, lambda: '-' });
        barOn = true;
      }
    },
    onEpoch: (row, p) => {
      if (mode === 'lines') write(`${epochLine(row, total)}\n`);
      if (mode !== 'bar') return;
      bar.update(row.epoch, {
        sps: Math.round(p.envStepsPerSec),
        ret: fixed(row.episodeReturn, 4),
        cost: fixed(row.episodeCost, 2),
        limit: row.costLimit,
        lambda: fixed(row.lambda, 3),
      });
    },
    stop: () => {
      if (barOn) bar.stop();
    },
  };
}

/** The run's options from the flags (numbers parsed, errors naming the flag). */
function trainRunOf(opts: TrainOptions): QueuedTrainRun {
  const seed = opts.seed === undefined ? undefined : parseWholeNumberFlag(opts.seed, '--seed', 0);
  const evalEvery = opts.evalEvery === undefined ? undefined : parseWholeNumberFlag(opts.evalEvery, '--eval-every', 1);
  const evalEpisodes = opts.evalEpisodes === undefined ? undefined : parseWholeNumberFlag(opts.evalEpisodes, '--eval-episodes', 1);
  const csv = csvOptionsFromFlags(opts);
  const account = accountFromFlags(opts);
  // Checked here so an error names the flag; the run merges them key by key into task.session.
  sessionFromFlags(opts);
  const session = definedFields({ dayStartsAt: opts.dayStart, timezone: opts.timezone });
  return {
    config: opts.config,
    ...definedFields({
      seed,
      out: opts.out,
      resume: opts.resume,
      data: opts.data,
      rules: opts.rules,
      from: opts.from,
      to: opts.to,
      evalEvery,
      evalData: opts.evalData,
      evalEpisodes,
      command: opts.command,
    }),
    // Flag groups: passed only when at least one of their flags was given.
    ...(Object.keys(csv).length === 0 ? {} : { csv }),
    ...(Object.keys(account).length === 0 ? {} : { account }),
    ...(Object.keys(session).length === 0 ? {} : { session }),
  };
}

/** `--tier` / `--memory-mb` of a queued run, checked before anything is queued (each error names its flag). */
async function trainTierOf(opts: TrainOptions): Promise<{ tier?: 0 | 1; memoryMb?: number }> {
  const { parseTier, sandboxLimitsSchema } = await import('../../sandbox/index.js');
  const tier = opts.tier === undefined ? undefined : parseTier(opts.tier);
  if (tier === 2 || tier === 3) {
    throw new RangeError(`--tier: ${tier} is for agent code; training runs built-in PPO code, no job code: give 0 (in the worker's process) or 1 (a worker thread with a memory cap: crash containment)`);
  }
  if (opts.memoryMb === undefined) return definedFields({ tier });
  if (tier !== 1) throw new RangeError('--memory-mb: caps the tier-1 training thread; give it with --tier 1');
  // The sandbox limits' bounds for a heap cap, as the payload checks them on the worker.
  const cap = sandboxLimitsSchema.shape.memoryMb.unwrap();
  const memoryMb = parseWholeNumberFlag(opts.memoryMb, '--memory-mb', cap.minValue ?? 1);
  if (cap.maxValue !== null && memoryMb > cap.maxValue) throw new RangeError(`--memory-mb: at most ${cap.maxValue}, got ${memoryMb}`);
  return { tier, memoryMb };
}

/** The whole `bulwark train` command: parse the flags, run the job, show its progress. */
export async function runTrain(opts: TrainOptions): Promise<TrainSummary> {
  // A local run trains in this process: a tier is a worker's choice, for a queued run.
  if ((opts.tier !== undefined && opts.tier !== '0') || opts.memoryMb !== undefined) {
    throw new RangeError(`${opts.tier !== undefined && opts.tier !== '0' ? '--tier' : '--memory-mb'}: applies to a queued run (--queue): a local run trains in this process (tier 0)`);
  }
  const run = trainRunOf(opts);
  const progress = trainProgress(opts.progress ?? false, opts.write ?? ((text: string) => void process.stderr.write(text)));
  try {
    return await runTrainJob({ ...run, ...(opts.signal === undefined ? {} : { signal: opts.signal }), onStart: progress.onStart, onEpoch: progress.onEpoch });
  } finally {
    progress.stop();
  }
}

/**
 * `bulwark train --queue URL`: the same run as a `train` job on a worker (which writes the run directory where this
 * run would, on storage the workers share); the epochs show as they finish there.
 */
export async function runTrainQueued(opts: TrainOptions, redisUrl: string): Promise<TrainSummary & { queue: { run_id: string; job_id: string; worker: string } }> {
  const run = trainRunOf(opts);
  const where = await trainTierOf(opts);
  const write = opts.write ?? ((text: string) => void process.stderr.write(text));
  const progress = trainProgress(opts.progress ?? false, write);
  const { checkRedisUrl, runTrainOnQueue } = await import('../../jobs/index.js');
  const url = checkRedisUrl(redisUrl, '--queue');
  let warned = false;
  try {
    const q = await runTrainOnQueue({
      redisUrl: url,
      run,
      ...where,
      onStart: progress.onStart,
      onEpoch: progress.onEpoch,
      onQueue: (done, total, workers) => {
        if (workers === 0 && done < total && !warned && opts.progress !== false) {
          warned = true;
          write('train: no worker serves this queue yet; start one with bulwark worker --queues train --redis URL\n');
        }
      },
    });
    const r = q.run.results[0];
    return { ...q.summary, queue: { run_id: q.run.runId, job_id: r?.jobId ?? '', worker: r?.worker ?? '' } };
  } finally {
    progress.stop();
  }
}

export function registerTrainCommand(program: Command): void {
  const cmd = program
    .command('train')
    .description('train a PPO-Lag policy on the trading env from a YAML config')
    .requiredOption('--config <file>', 'YAML config: train (hyperparameters), task (data, env, rules), checkpointEvery, eval')
    .option('--seed <n>', 'override train.seed')
    .option('--out <dir>', 'run directory (default runs/ppo-ALGORITHM-seedN)')
    .option('--data <source>', 'override task.data: an OHLCV CSV file, or a synthetic spec like regime:bars=20000,seed=3')
    .option('--rules <file>', 'override task.rules: the Constraint Logic Engine rules (YAML or JSON) the training envs enforce')
    .option('--from <date>', 'override task.from: first bar training may use (open time, UTC), e.g. 2021-01-01')
    .option('--to <date>', 'override task.to: last bar training may use (open time, UTC)')
    .option('--resume', 'continue from OUT/checkpoints/last.json', false)
    .option('--eval-every <k>', 'score the policy on held-out data every K epochs (and after the last); with --eval-data')
    .option('--eval-data <source>', 'held-out data for --eval-every: an OHLCV CSV file or a synthetic spec')
    .option('--eval-episodes <n>', 'episodes per held-out evaluation (default 10)')
    .option('--queue <redis-url>', 'run on a bulwark worker through this Redis (BullMQ) and wait; the run directory lands in --out (storage the workers share)')
    .option('--tier <n>', 'with --queue: 0 (default) trains in the worker process; 1 in a worker thread with a memory cap, so an out-of-memory or a crash fails this job, not the worker (crash containment, not a security boundary); 2-3 are refused (no job code to isolate)')
    .option('--memory-mb <n>', 'with --tier 1: the training thread\'s heap cap in MB (default the sandbox limits\' 256)')
    .action(async (opts: TrainOptions & { resume: boolean; queue?: string }) => {
      if (opts.queue !== undefined) {
        const { queue, ...flags } = opts;
        const summary = await runTrainQueued({ ...flags, progress: process.stderr.isTTY ? 'bar' : 'lines', command: ['bulwark', ...process.argv.slice(2)] }, queue);
        process.stdout.write(`${JSON.stringify(summary)}\n`);
        return;
      }
      // SIGINT finishes the epoch in progress, saves its checkpoint and exits 130; a second SIGINT quits at once.
      const stop = new AbortController();
      const onSigint = (): void => {
        if (stop.signal.aborted) process.exit(130);
        stop.abort();
        process.stderr.write('\nSIGINT: finishing the current epoch, then saving a checkpoint (Ctrl-C again quits without saving)\n');
      };
      process.on('SIGINT', onSigint);
      try {
        const summary = await runTrain({
          ...opts,
          progress: process.stderr.isTTY ? 'bar' : 'lines',
          signal: stop.signal,
          command: ['bulwark', ...process.argv.slice(2)],
        });
        process.stdout.write(`${JSON.stringify(summary)}\n`);
        if (summary.interrupted) {
          process.stderr.write(`interrupted: checkpoint of epoch ${summary.epochs} saved in ${summary.out}/checkpoints; continue with --resume\n`);
          process.exitCode = 130;
        }
      } finally {
        process.off('SIGINT', onSigint);
      }
    });
  // The same CSV flags as every command that loads a CSV (task.csv in the config; a flag wins per key).
  addCsvOptions(cmd);
  addAccountOptions(cmd, 'override task.env.account, the account the training envs keep');
  // Override task.session key by key; recorded in config.json and the checkpoints' provenance.
  addSessionOptions(cmd);
}
