/**
 * `bulwark bench NAME --json`: each benchmark measures one hot path and prints one JSON object.
 * Benchmarks live beside the code they measure; this file only maps names to them.
 */
import type { Command } from 'commander';
import { parseNumberFlag } from '../flags.js';

export type BenchResult = Record<string, unknown>;
export interface BenchOptions {
  json: boolean;
  /** Scales the work of a benchmark down (for smoke tests) or up. */
  scale: number;
  /** A Redis server for the benchmarks that need one (`--redis URL`); without it they start their own. */
  redisUrl?: string;
  /** `bench killswitch --restart`. */
  restart?: boolean;
}

type BenchFn = (options: BenchOptions) => Promise<BenchResult>;

// -- benchmarks (one entry each: name: lazy loader) --
const BENCHMARKS: Record<string, () => Promise<BenchFn>> = {
  gatekeeper: async () => (await import('../../risk-gatekeeper/index.js')).benchGatekeeper,
  killswitch: async () => (await import('../../risk-gatekeeper/index.js')).benchKillswitch,
  mask: async () => (await import('../../constraints/index.js')).benchMask,
  audit: async () => (await import('../../security/index.js')).benchAudit,
  env: async () => (await import('../../env/index.js')).benchEnv,
  data: async () => (await import('../../data/index.js')).benchData,
  backtest: async () => (await import('../../backtests/index.js')).benchBacktest,
  train: async () => (await import('../../agents/index.js')).benchTrain,
  gateway: async () => (await import('../../gateway/index.js')).benchGateway,
  paper: async () => (await import('../../live/index.js')).benchPaper,
  startup: async () => (await import('../startup-bench.js')).benchStartup,
  sandbox: async () => (await import('../../sandbox/index.js')).benchSandbox,
  queue: async () => (await import('../../jobs/index.js')).benchQueue,
};

export function registerBenchCommand(program: Command): void {
  program
    .command('bench')
    .description('measure a hot path and print JSON (bulwark bench --help lists the benchmarks)')
    .argument('<name>', `benchmark name, one of: ${Object.keys(BENCHMARKS).join(', ')}`)
    .option('--json', 'print one JSON object only', false)
    .option('--scale <x>', 'scale the amount of work (1 = full benchmark)', '1')
    .option('--redis <url>', 'Redis server for the benchmarks that need one (killswitch, startup, queue; killswitch and queue start their own without it)')
    .option('--restart', 'killswitch: measure Redis restart (and wipe) -> every gatekeeper fail-closed', false)
    .action(async (name: string, opts: { json: boolean; scale: string; redis?: string; restart: boolean }) => {
      const load = BENCHMARKS[name];
      if (!load) {
        throw new Error(`bench: unknown benchmark '${name}'; choose one of: ${Object.keys(BENCHMARKS).join(', ')}`);
      }
      const scale = parseNumberFlag(opts.scale, '--scale', { above: 0 });
      const run = await load();
      if (opts.restart && name !== 'killswitch') throw new Error('bench: --restart applies to killswitch only');
      const result = await run({ json: opts.json, scale, restart: opts.restart, ...(opts.redis === undefined ? {} : { redisUrl: opts.redis }) });
      process.stdout.write(`${JSON.stringify(result, null, opts.json ? 0 : 2)}\n`);
    });
}
