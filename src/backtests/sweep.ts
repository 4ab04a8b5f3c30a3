/**
 * Parameter and seed sweeps: every combination of a grid of agent parameters and a list of seeds, each a
 * full backtest, run on local worker threads (or in this thread with `workers: 0`).
 */
import { Worker } from 'node:worker_threads';
import type { BacktestJob } from './backtest-job.js';
import { runJob } from './backtest-job.js';
import { loadCheckpointAgent } from './checkpoint-agent.js';
import type { BacktestMetrics } from './run-record.js';
import { parseAgentParams } from './rule-agents.js';
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
