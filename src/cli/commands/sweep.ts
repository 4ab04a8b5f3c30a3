/**
 * `bulwark sweep` and `bulwark walk-forward`: many backtests of a rule-based agent over a parameter grid.
 * The sweep runs each cell on local worker threads with a progress bar; walk-forward chooses parameters on
 * each train window and reports every window and the stitched out-of-sample result.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join, resolve } from 'node:path';
import cliProgress from 'cli-progress';
import type { Command } from 'commander';
import { z } from 'zod';
import {
  type BacktestJob,
  type BacktestMetrics,
  type MeanSd,
  type SweepCell,
  type SweepMetricKey,
  type SweepSummaryRow,
  SWEEP_METRIC_KEYS,
  type WalkForwardObjective,
  type WalkForwardResult,
  countsTotal,
  createRuleAgent,
  csvField,
  gridAgentSpecs,
  isLearnedAgentSpec,
  parseLearnedAgentSpec,
  formatMetric,
  parseGridAxis,
  prepareJob,
  runSweep,
  planSweep,
  runWalkForward,
  stitchWalkForward,
  walkForwardOptionsOf,
  summarizeSweep,
  textTable,
  walkForwardWindows,
  writeReportHtml,
  writeRunFiles,
  writeStitchedEquityCsv,
} from '../../backtests/index.js';
import { jobFromFlags } from './backtest.js';
import { addCsvOptions } from '../csv-flags.js';
import { addSessionOptions, parseWholeNumberFlag, parseWholeNumberListFlag } from '../flags.js';
import { queueProgress } from '../queue-progress.js';

const collect = (value: string, previous: string[]): string[] => [...previous, value];

function progressBar(enabled: boolean, total: number, label: string): { update: (done: number) => void; stop: () => void } {
  if (!enabled) return { update: () => undefined, stop: () => undefined };
  const bar = new cliProgress.SingleBar(
    { format: `${label} [{bar}] {value}/{total} | {eta_formatted} left`, stream: process.stderr, hideCursor: true },
    cliProgress.Presets.shades_classic,
  );
  bar.start(total, 0);
  return { update: (d) => bar.update(d), stop: () => bar.stop() };
}

async function runLocally(jobs: readonly BacktestJob[], workers: number, showBar: boolean): Promise<SweepCell[]> {
  const bar = progressBar(showBar, jobs.length, 'sweep');
  return runSweep(jobs, { workers, onProgress: (d) => bar.update(d) }).finally(() => bar.stop());
}

/** One sweep job per cell on the queue; the cells come back in the order of the local sweep. */
async function runOnQueue(jobs: readonly BacktestJob[], redisUrl: string, out: string, showBar: boolean): Promise<SweepCell[]> {
  const { checkRedisUrl, enqueueAndWait } = await import('../../jobs/index.js');
  const progress = queueProgress('sweep', showBar);
  const run = await enqueueAndWait({
    redisUrl: checkRedisUrl(redisUrl, '--queue'),
    kind: 'sweep',
    items: jobs.map((job) => ({ job })),
    runDir: out,
    onProgress: (d, t, w) => progress.update(d, t, w),
  }).finally(() => progress.stop());
  return run.results.map((r) => sweepCellSchema.parse(r.output));
}

const sweepCellSchema = z.object({ agent: z.string(), seed: z.number(), metrics: z.custom<BacktestMetrics>((m) => typeof m === 'object' && m !== null) });

function withDataFlags(cmd: Command, agentHelp: string, repeatableAgent = false): Command {
  const withAgent = addSessionOptions(addCsvOptions(cmd.option('--data <file>', 'OHLCV CSV file'))).option('--synth <spec>', 'synthetic market, e.g. regime:bars=5000,seed=3');
  return (repeatableAgent ? withAgent.option('--agent <spec>', agentHelp, collect, []) : withAgent.requiredOption('--agent <spec>', agentHelp))
    .option('--grid <key=v1,v2,…>', 'a parameter axis (repeatable)', collect, [])
    .option('--rules <file>', 'Constraint Logic Engine rule set')
    .option('--risk <file>', 'risk gatekeeper config')
    .option('--config <file>', 'backtest config (cash, fill model, schedule)')
    .option('--fees-bps <n>', 'fee in bps of notional')
    .option('--spread-bps <n>', 'full quoted spread in bps')
    .option('--slippage-bps <n>', 'fixed slippage in bps')
    .option('--cash <n>', 'starting cash')
    .option('--from <date>', 'first bar (UTC)')
    .option('--to <date>', 'last bar (UTC)')
    .option('--seed <n>', 'seed', '0')
    .option('--periods-per-year <n>', "bars per year for annualising (default: read from the data's calendar)")
    .option('--account <type>', 'the venue account: cash (default) or margin')
    .option('--leverage <n>', 'margin account: largest |position value| / equity (default 1)')
    .option('--maintenance-margin <f>', 'margin account: maintenance requirement as a share of position value (default 0.5 / leverage)')
    .option('--json', 'print one JSON object only', false);
}

type Flags = Parameters<typeof jobFromFlags>[0] & { grid: string[]; json: boolean };

export type SweepFlags = Omit<Flags, 'agent'> & { agent: string[]; seeds: string; workers: string; out: string; queue?: string };

export interface SweepCommandResult {
  readonly cells: SweepCell[];
  readonly summary: SweepSummaryRow[];
  readonly notes: string[];
  readonly out: string;
  readonly files: { readonly csv: string; readonly json: string; readonly summaryCsv: string; readonly summaryJson: string };
}

const meanSdCell = (key: SweepMetricKey, m: MeanSd): string => {
  const one = (v: number): string => (key === 'n_trades' ? v.toFixed(1) : formatMetric(key, { [key]: v }));
  if (m.mean === null) return 'n/a';
  return m.sd === null ? one(m.mean) : `${one(m.mean)} ± ${one(m.sd)}`;
};

/** Runs `bulwark sweep` and writes its files: every cell (sweep.csv/json) and mean ± sd per combination (sweep-summary.csv/json). */
export async function runSweepCommand(flags: SweepFlags): Promise<SweepCommandResult> {
  if (flags.agent.length === 0) throw new RangeError('--agent: required (a rule agent spec or a checkpoint; repeat it to sweep several)');
  const base: BacktestJob = jobFromFlags({ ...flags, agent: flags.agent[0] });
  await prepareJob(base); // validates every input once, before any worker starts
  const seeds = parseWholeNumberListFlag(flags.seeds, '--seeds', 0);
  const workers = parseWholeNumberFlag(flags.workers, '--workers', 0);
  const { jobs, notes } = planSweep(base, flags.agent, flags.grid.map(parseGridAxis), seeds);
  const out = resolve(flags.out);
  const cells = flags.queue === undefined ? await runLocally(jobs, workers, !flags.json) : await runOnQueue(jobs, flags.queue, out, !flags.json);
  const summary = summarizeSweep(cells);
  mkdirSync(out, { recursive: true });
  const keys = SWEEP_METRIC_KEYS;
  const files = {
    csv: join(out, 'sweep.csv'),
    json: join(out, 'sweep.json'),
    summaryCsv: join(out, 'sweep-summary.csv'),
    summaryJson: join(out, 'sweep-summary.json'),
  };
  const csv = [
    ['agent', 'seed', ...keys].join(','),
    ...cells.map((c) => [csvField(c.agent), c.seed, ...keys.map((k) => c.metrics[k] ?? '')].join(',')),
  ].join('\n');
  writeFileSync(files.csv, `${csv}\n`);
  writeFileSync(files.json, `${JSON.stringify(cells, null, 2)}\n`);
  const summaryCsv = [
    ['agent', 'seeds', ...keys.flatMap((k) => [`${k}_mean`, `${k}_sd`])].join(','),
    ...summary.map((r) => [csvField(r.agent), r.seeds.length, ...keys.flatMap((k) => [r.metrics[k].mean ?? '', r.metrics[k].sd ?? ''])].join(',')),
  ].join('\n');
  writeFileSync(files.summaryCsv, `${summaryCsv}\n`);
  writeFileSync(files.summaryJson, `${JSON.stringify({ summary, notes }, null, 2)}\n`);
  return { cells, summary, notes, out, files };
}

export type WalkForwardFlags = Flags & { trainBars: string; testBars: string; mode: string; objective: string; out: string; queue?: string };

export interface WalkForwardCommandResult {
  readonly result: WalkForwardResult;
  readonly out: string;
  /** The windows table as printed. */
  readonly table: string;
  /** Windows (1-based) whose test segment never traded, and the warning about them (null when none). */
  readonly idleWindows: number[];
  readonly warning: string | null;
  readonly files: {
    readonly report: string;
    readonly json: string;
    readonly stitchedEquity: string;
    readonly windowDirs: string[];
    /** Learned agents: each window's trained policy (window-N/checkpoint.json), in window order; empty otherwise. */
    readonly checkpoints: string[];
  };
  /** `--queue`: the run id, which worker ran each window's job, and completions that found their result recorded. */
  readonly queued: { readonly runId: string; readonly jobs: readonly { jobId: string; worker: string }[]; readonly duplicates: number } | null;
}

/**
 * Runs `bulwark walk-forward` and writes its files: report.html, walk-forward.json, stitched-equity.csv and,
 * per window, its test run's metrics.json, equity.csv, trades.csv and decisions.csv in window-N/.
 */
export async function runWalkForwardCommand(flags: WalkForwardFlags): Promise<WalkForwardCommandResult> {
  if (flags.mode !== 'rolling' && flags.mode !== 'expanding') throw new RangeError(`--mode: must be rolling or expanding, got '${flags.mode}'`);
  const objectives: readonly WalkForwardObjective[] = ['sharpe', 'total_return', 'calmar'];
  const objective = objectives.find((x) => x === flags.objective);
  if (objective === undefined) throw new RangeError(`--objective: must be one of ${objectives.join(', ')}, got '${flags.objective}'`);
  const job = jobFromFlags(flags);
  const p = await prepareJob(job);
  const axes = flags.grid.map(parseGridAxis);
  const trainBars = parseWholeNumberFlag(flags.trainBars, '--train-bars', 1);
  const testBars = parseWholeNumberFlag(flags.testBars, '--test-bars', 1);
  const nWindows = walkForwardWindows({ totalBars: p.bars.length, trainBars, testBars, mode: flags.mode }).length;
  const out = resolve(flags.out);
  const options = await walkForwardOptionsOf(p, job.agent, { axes, trainBars, testBars, mode: flags.mode, objective });
  let result: WalkForwardResult;
  let queued: WalkForwardCommandResult['queued'] = null;
  if (flags.queue === undefined) {
    const bar = progressBar(!flags.json, nWindows, 'walk-forward');
    result = await runWalkForward({ ...options, onWindow: (d) => bar.update(d) }).finally(() => bar.stop());
  } else {
    // Every input is checked here, before a job is queued: a bad agent or grid fails now, not on each worker.
    if (isLearnedAgentSpec(job.agent)) {
      parseLearnedAgentSpec(job.agent);
      if (axes.length > 0) throw new RangeError('--grid: parameter grids are for rule-based agents; a learned agent (ppo, ppo-lag) is trained in each window');
    } else {
      for (const spec of gridAgentSpecs(job.agent, axes)) createRuleAgent(spec);
    }
    // One job per window; the workers return each window's whole test record, stitched here as runWalkForward does.
    const { absoluteJobPaths, checkRedisUrl, runWalkForwardOnQueue } = await import('../../jobs/index.js');
    const progress = queueProgress('walk-forward', !flags.json);
    const q = await runWalkForwardOnQueue({
      redisUrl: checkRedisUrl(flags.queue, '--queue'),
      job: absoluteJobPaths(job),
      axes,
      trainBars,
      testBars,
      mode: flags.mode,
      objective,
      windows: nWindows,
      runDir: out,
      onProgress: (d, t, w) => progress.update(d, t, w),
    }).finally(() => progress.stop());
    result = stitchWalkForward(q.windows, options);
    queued = { runId: q.run.runId, jobs: q.run.results.map((r) => ({ jobId: r.jobId, worker: r.worker })), duplicates: q.run.duplicates };
  }
  const header = ['window', 'train bars', 'test bars', 'chosen', `train ${objective}`, 'test return', 'test Sharpe', 'test max DD', 'blocked by rules', 'fills'];
  const rows = result.windows.map((w) => [
    String(w.window.index + 1),
    `${w.window.trainStart}–${w.window.trainEnd - 1}`,
    `${w.window.testStart}–${w.window.testEnd - 1}`,
    w.chosenAgent,
    w.trainObjective === null ? 'n/a' : w.trainObjective.toFixed(3),
    formatMetric('total_return', w.test.metrics),
    formatMetric('sharpe', w.test.metrics),
    formatMetric('max_drawdown', w.test.metrics),
    String(countsTotal(w.test.metrics.proposals_blocked_by_rules)),
    String(w.test.fills.length),
  ]);
  // A window that never traded says nothing about the agent: say so instead of letting a flat row pass.
  const idleWindows = result.windows.filter((w) => w.test.fills.length === 0).map((w) => w.window.index + 1);
  const s = result.stitched;
  rows.push(['stitched out-of-sample', '', `${result.windows[0]?.window.testStart ?? 0}–${(result.windows.at(-1)?.window.testEnd ?? p.bars.length) - 1}`, '', '', formatMetric('total_return', s), formatMetric('sharpe', s), formatMetric('max_drawdown', s), '', '']);
  mkdirSync(out, { recursive: true });
  // Each window's test run as a backtest writes it: metrics.json, equity.csv, trades.csv, decisions.csv.
  const windowDirs = result.windows.map((w) => writeRunFiles(join(out, `window-${w.window.index + 1}`), w.test).dir);
  // A learned agent's window policy, as `bulwark train` writes one: `backtest --agent window-N/checkpoint.json` reruns it.
  const checkpoints: string[] = [];
  const trained = result.windows.filter((w) => w.checkpoint !== undefined);
  if (trained.length > 0) {
    const { writeCheckpointFile } = await import('../../agents/index.js'); // loaded already: the windows trained with it
    for (const w of trained) {
      const path = join(windowDirs[result.windows.indexOf(w)], 'checkpoint.json');
      if (w.checkpoint !== undefined) await writeCheckpointFile(path, w.checkpoint);
      checkpoints.push(path);
    }
  }
  const checkpointOf = (i: number): string | null => (trained.length > 0 ? join(windowDirs[i], 'checkpoint.json') : null);
  const files = { report: join(out, 'report.html'), json: join(out, 'walk-forward.json'), stitchedEquity: join(out, 'stitched-equity.csv'), windowDirs, checkpoints };
  writeStitchedEquityCsv(files.stitchedEquity, result, p.bars);
  writeReportHtml(
    files.report,
    result.windows.map((w) => ({ ...w.test, agent: `window ${w.window.index + 1}: ${w.chosenAgent}` })),
    {
      title: `Walk-forward (${flags.mode}): ${job.agent}`,
      notes: [
        `Data: ${p.source}. Objective: ${objective}.`,
        ...(checkpoints.length === 0 ? [] : [`Each window's trained policy: ${join(out, 'window-N', 'checkpoint.json')} (backtest one with --agent).`]),
      ],
      tables: [{ title: 'Windows', columns: header, rows }],
    },
  );
  writeFileSync(
    files.json,
    `${JSON.stringify({ windows: result.windows.map((w, i) => ({ ...w.window, chosen: w.chosenAgent, train_objective: w.trainObjective, training: w.training ?? null, checkpoint: checkpointOf(i), test: w.test.metrics })), stitched: s }, null, 2)}\n`,
  );
  const warning =
    idleWindows.length === 0 ? null : `window(s) ${idleWindows.join(', ')} never traded in their test segment: their figures say nothing about the agent.`;
  return { result, out, table: textTable(header, rows), idleWindows, warning, files, queued };
}

export function registerSweepCommands(program: Command): void {
  withDataFlags(
    program.command('sweep').description('backtest every parameter combination × seed on local worker threads; mean ± sd per combination across seeds'),
    'base agent: a rule agent spec (sma-cross:size=0.5, with --grid) or a checkpoint (a train run directory or checkpoint file); repeatable',
    true,
  )
    .option('--seeds <list>', 'comma-separated seeds (an agent that uses no randomness runs once, with a note)', '0')
    .option('--workers <n>', 'worker threads (0 = this thread)', String(Math.max(1, availableParallelism())))
    .option('--out <dir>', 'output directory', 'runs/sweep')
    .option('--queue <redis-url>', 'run the cells on bulwark worker processes through this Redis (BullMQ), one job per cell, instead of local threads')
    .action(async (flags: SweepFlags) => {
      const { cells, summary, notes, out } = await runSweepCommand(flags);
      if (flags.json) {
        process.stdout.write(`${JSON.stringify({ cells: cells.map((c) => ({ ...c.metrics, agent: c.agent, seed: c.seed })), summary, notes, out })}\n`);
        return;
      }
      const keys = SWEEP_METRIC_KEYS;
      const ranked = [...cells].sort((a, b) => (b.metrics.sharpe ?? -Infinity) - (a.metrics.sharpe ?? -Infinity));
      const rows = ranked.map((c) => [c.agent, String(c.seed), ...keys.map((k) => formatMetric(k, c.metrics))]);
      const parts = [textTable(['agent', 'seed', ...keys], rows)];
      // The summary answers "is this combination better, or was it one lucky seed?": only worth a table with several seeds.
      if (summary.some((r) => r.seeds.length > 1)) {
        const summaryRows = summary.map((r) => [r.agent, String(r.seeds.length), ...keys.map((k) => meanSdCell(k, r.metrics[k]))]);
        parts.push(`Mean ± sd across seeds (sample sd):\n${textTable(['agent', 'seeds', ...keys], summaryRows)}`);
      }
      if (notes.length > 0) parts.push(notes.map((n) => `Note: ${n}`).join('\n'));
      parts.push(`Files: ${out}/sweep.csv, sweep.json, sweep-summary.csv, sweep-summary.json`);
      process.stdout.write(`${parts.join('\n\n')}\n`);
    });

  withDataFlags(
    program.command('walk-forward').description('fit the agent on rolling/expanding train windows (parameter search, or PPO/PPO-Lag training), evaluate on the test windows after them'),
    'rule-based agent (sma-cross:size=0.5, with --grid) or learned: ppo-lag[:epochs=3,envs=4,steps=128,hidden=64,window=16,episode=128,cost=5,mask=1] | ppo[:…]',
  )
    .requiredOption('--train-bars <n>', 'bars per train window')
    .requiredOption('--test-bars <n>', 'bars per test window')
    .option('--mode <mode>', 'rolling | expanding', 'rolling')
    .option('--objective <name>', 'sharpe | total_return | calmar', 'sharpe')
    .option('--out <dir>', 'output directory', 'runs/walk-forward')
    .option('--queue <redis-url>', 'run the windows on bulwark worker processes through this Redis (BullMQ), one job per window, instead of in this process')
    .action(async (flags: WalkForwardFlags) => {
      const r = await runWalkForwardCommand(flags);
      if (flags.json) {
        const windows = r.result.windows.map((w, i) => ({ ...w.window, chosen: w.chosenAgent, ...(r.files.checkpoints.length === 0 ? {} : { checkpoint: r.files.checkpoints[i] }), test: w.test.metrics }));
        const queue = r.queued === null ? {} : { queue: { run_id: r.queued.runId, jobs: r.queued.jobs, duplicates: r.queued.duplicates } };
        process.stdout.write(`${JSON.stringify({ windows, stitched: r.result.stitched, never_traded: r.idleWindows, report: r.files.report, stitched_equity: r.files.stitchedEquity, ...queue })}\n`);
        return;
      }
      const warning = r.warning === null ? '' : `\nWarning: ${r.warning}\n`;
      const queued = r.queued === null ? '' : `Ran as ${r.queued.jobs.length} queue job(s) of run ${r.queued.runId} on ${new Set(r.queued.jobs.map((j) => j.worker)).size} worker(s); results in ${join(r.out, 'jobs')}/\n`;
      process.stdout.write(
        `${r.table}\n${warning}\nReport: ${r.files.report}\nStitched equity: ${r.files.stitchedEquity}\nWindow files: ${join(r.out, 'window-N')}/ (metrics.json, equity.csv, trades.csv, decisions.csv${r.files.checkpoints.length === 0 ? '' : ', checkpoint.json: the window\'s trained policy'})\n${queued}`,
      );
    });
}
