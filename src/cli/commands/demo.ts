/**
 * `bulwark demo` (what `npm start` runs): trains PPO and PPO-Lag, each with and without the mask, on a seeded market, backtests
 * them and buy-and-hold on a held-out segment through the full safety chain (once with a scripted soft then
 * hard kill), prints the comparison and where report.html is. Embedded defaults: no Redis, no network.
 */
import type { Command } from 'commander';
import { dirname, relative, resolve } from 'node:path';
import { DEMO_DEFAULTS, runDemo } from '../../backtests/index.js';
import { resolveHome } from '../../security/index.js';
import { parseWholeNumberFlag } from '../flags.js';

export function registerDemoCommand(program: Command): void {
  program
    .command('demo')
    .description('the main job: train PPO and PPO-Lag, with and without the mask, briefly; backtest them through the full safety chain, write report.html')
    .option('--seed <n>', 'seed of the market and of training', String(DEMO_DEFAULTS.seed))
    .option('--epochs <n>', 'training epochs per agent', String(DEMO_DEFAULTS.epochs))
    .option('--bars <n>', 'bars of market data (the last quarter is held out)', String(DEMO_DEFAULTS.bars))
    .option('--out <dir>', 'output directory', 'runs/demo')
    .option('--json', 'print one JSON object (the comparison rows and the report path)', false)
    .option('--home <dir>', 'home whose key signs the runs\' audit logs (default: BULWARK_HOME, else ~/.bulwark)')
    .action(async (opts: { seed: string; epochs: string; bars: string; out: string; json: boolean; home?: string }) => {
      const started = Date.now();
      const say = (line: string) => {
        if (!opts.json) process.stdout.write(`${line}\n`);
      };
      const result = await runDemo({
        ...DEMO_DEFAULTS,
        seed: parseWholeNumberFlag(opts.seed, '--seed', 0),
        epochs: parseWholeNumberFlag(opts.epochs, '--epochs', 1),
        bars: parseWholeNumberFlag(opts.bars, '--bars', 2_000),
        outDir: resolve(opts.out),
        onProgress: say,
        home: resolveHome(opts.home),
      });
      if (opts.json) {
        process.stdout.write(`${JSON.stringify({ rows: result.rows, benchmark_return: result.benchmark_return, report: result.reportPath })}\n`);
        return;
      }
      say('');
      say(result.table);
      say('');
      say(`Report (opens offline in a browser): ${result.reportPath}`);
      say(`Done in ${((Date.now() - started) / 1000).toFixed(0)} s.`);
      say('');
      say('Next:');
      for (const hint of nextStepHints(relative(process.cwd(), dirname(dirname(result.checkpoints.ppoLagMask))) || '.')) say(`  ${hint}`);
    });
}

/**
 * What to try after the demo. `npx bulwark`: a fresh clone has no `bulwark` on its PATH (issue 15), and npx
 * finds the package's own bin.
 */
export function nextStepHints(ppoLagRunDir: string): string[] {
  return [
    `npx bulwark backtest --synth regime:bars=5000,seed=3 --agent ${ppoLagRunDir} --rules src/constraints/fixtures/seed-rules.yaml`,
    'npx bulwark backtest --synth regime:bars=5000,seed=3 --agent sma-cross --rules src/constraints/fixtures/seed-rules.yaml',
    'npx bulwark backtest --data FILE.csv --agent buy-and-hold --fees-bps 10 --out runs/bh',
    'npx bulwark bench backtest --json',
  ];
}
