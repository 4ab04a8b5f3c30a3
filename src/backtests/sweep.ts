/**
 * Parameter and seed sweeps: every combination of a grid of agent parameters and a list of seeds, each a
 * full backtest, run on local worker threads (or in this thread with `workers: 0`).
 */
import { Worker } from 'node:worker_threads';
import type { BacktestJob } from './backtest-job.js';
import { runJob } from './backtest-job.js';
import { loadCheckpointAgent } from './checkpoint-agent.js';
import type { BacktestMetrics } from './run-record.js';
import { isRuleAgentSpec, parseAgentParams } from './rule-agents.js';
import { runPool } from './worker-pool.js';

export interface GridAxis {
  readonly key: string;
  readonly values: readonly number[];
}

/** Parses `fast=5,10,20` into an axis. */
export function parseGridAxis(text: string): GridAxis {
  const eq = text.indexOf('=');
  const key = eq < 0 ? '' : text.slice(0, eq).trim();
  const values = eq < 0 ? [] : text.slice(eq + 1).split(',').map((v) => Number(v.trim()));
  if (key === '' || values.length === 0 || values.some((v) => !Number.isFinite(v))) {
    throw new RangeError(`--grid: must be key=v1,v2,… with numbers, got '${text}'`);
  }
  return { key, values };
}

/** Every agent spec of the grid: the base spec's parameters, then one value per axis. */
export function gridAgentSpecs(baseSpec: string, axes: readonly GridAxis[]): string[] {
  const { name, params } = parseAgentParams(baseSpec);
  let combos: Record<string, number>[] = [{ ...params }];
  for (const axis of axes) combos = combos.flatMap((c) => axis.values.map((v) => ({ ...c, [axis.key]: v })));
  return combos.map((c) => {
    const kv = Object.entries(c).map(([k, v]) => `${k}=${v}`);
    return kv.length > 0 ? `${name}:${kv.join(',')}` : name;
  });
}

export interface SweepCell {
  readonly agent: string;
  readonly seed: number;
  readonly metrics: BacktestMetrics;
}

export interface SweepOptions {
  /** Worker threads; 0 runs every job in this thread. */
  readonly workers: number;
  readonly onProgress?: (done: number, total: number) => void;
}

export function sweepJobs(base: BacktestJob, axes: readonly GridAxis[], seeds: readonly number[]): BacktestJob[] {
  const specs = gridAgentSpecs(base.agent, axes);
  return specs.flatMap((agent) => seeds.map((seed) => ({ ...base, agent, seed })));
}

/**
 * Whether an agent's decisions depend on the run's seed. The seed reaches only the agent (the fill model is
 * deterministic): of the rule agents only `random` draws from it, and a checkpoint acts on its policy's
 * deterministic action.
 */
export function agentUsesSeed(spec: string): boolean {
  return isRuleAgentSpec(spec) && parseAgentParams(spec).name === 'random';
}

export interface SweepPlan {
  readonly jobs: BacktestJob[];
  /** What the plan changed from what was asked, for the terminal and the JSON output. */
  readonly notes: string[];
}

/**
 * The jobs of a sweep over one or more base agents (rule specs or checkpoint paths). An agent that uses no
 * randomness runs once, on the first seed, with a note: the other seeds would only repeat its row.
 */
export function planSweep(base: BacktestJob, agents: readonly string[], axes: readonly GridAxis[], seeds: readonly number[]): SweepPlan {
  if (agents.length === 0) throw new RangeError('--agent: give at least one agent');
  if (seeds.length === 0) throw new RangeError('--seeds: give at least one seed');
  const notes: string[] = [];
  const jobs = agents.flatMap((agent) => {
    if (!isRuleAgentSpec(agent) && axes.length > 0) {
      throw new RangeError(`--grid: ${agent} is a checkpoint, which has no parameters to sweep; give several --agent checkpoints instead`);
    }
    if (agentUsesSeed(agent) || seeds.length === 1) return sweepJobs({ ...base, agent }, axes, seeds);
    notes.push(
      `${agent} uses no randomness: every seed gives the same result, so it ran once (seed ${seeds[0]}) instead of ${seeds.length} times.`,
    );
    return sweepJobs({ ...base, agent }, axes, seeds.slice(0, 1));
  });
  return { jobs, notes };
}

/** The metrics a sweep reports and summarises, in column order. */
export const SWEEP_METRIC_KEYS = ['total_return', 'sharpe', 'max_drawdown', 'n_trades', 'fees_paid', 'final_equity'] as const;
export type SweepMetricKey = (typeof SWEEP_METRIC_KEYS)[number];

export interface MeanSd {
  readonly mean: number | null;
  /** Sample standard deviation (n − 1); null with fewer than two finite values. */
  readonly sd: number | null;
  /** How many seeds gave a finite value (a ruined run has no Sharpe). */
  readonly n: number;
}

export interface SweepSummaryRow {
  readonly agent: string;
  readonly seeds: number[];
  readonly metrics: Record<SweepMetricKey, MeanSd>;
}

export function meanSd(values: readonly (number | null | undefined)[]): MeanSd {
  const xs = values.filter((v): v is number => typeof v === 'number' && Number.isFinite(v));
  if (xs.length === 0) return { mean: null, sd: null, n: 0 };
  const mean = xs.reduce((a, b) => a + b, 0) / xs.length;
  if (xs.length < 2) return { mean, sd: null, n: 1 };
  const variance = xs.reduce((a, x) => a + (x - mean) ** 2, 0) / (xs.length - 1);
  return { mean, sd: Math.sqrt(variance), n: xs.length };
}

/** One row per parameter combination (agent spec), in the sweep's order: mean ± sd of each metric across its seeds. */
export function summarizeSweep(cells: readonly SweepCell[]): SweepSummaryRow[] {
  const groups = new Map<string, SweepCell[]>();
  for (const cell of cells) groups.set(cell.agent, [...(groups.get(cell.agent) ?? []), cell]);
  return [...groups].map(([agent, group]) => ({
    agent,
    seeds: group.map((c) => c.seed),
    metrics: Object.fromEntries(SWEEP_METRIC_KEYS.map((k) => [k, meanSd(group.map((c) => c.metrics[k]))])) as Record<SweepMetricKey, MeanSd>,
  }));
}

/** One cell of a sweep: its backtest's metrics (no benchmark run). The one path of local threads and queue workers. */
export async function runSweepCell(job: BacktestJob): Promise<BacktestMetrics> {
  return (await runJob(job, { benchmark: false, loadAgent: loadCheckpointAgent })).metrics;
}

export async function runSweep(jobs: readonly BacktestJob[], options: SweepOptions): Promise<SweepCell[]> {
  let metrics: BacktestMetrics[];
  if (options.workers === 0) {
    metrics = [];
    for (const job of jobs) {
      metrics.push(await runSweepCell(job));
      options.onProgress?.(metrics.length, jobs.length);
    }
  } else {
    const url = new URL('./sweep-worker.js', import.meta.url);
    metrics = await runPool<BacktestJob, BacktestMetrics>(jobs, {
      createWorker: () => new Worker(url),
      concurrency: options.workers,
      ...(options.onProgress ? { onProgress: options.onProgress } : {}),
    });
  }
  return jobs.map((job, i) => ({ agent: job.agent, seed: job.seed ?? 0, metrics: metrics[i] }));
}
