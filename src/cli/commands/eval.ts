/**
 * `bulwark eval CHECKPOINT --data FILE | --synth SPEC --episodes N [--deterministic] [--seed S] [--json]`:
 * scores a trained policy over N episodes on (ideally held-out) data, as OmniSafe and CleanRL users expect:
 * return, cost per episode against the training cost limit, masked steps and rejected proposals, mean ± sd.
 * The work is `runEvalJob` (agents/eval-run.ts); this file parses flags and prints.
 */
import type { Command } from 'commander';
import type { EvalRunResult, MeanSd } from '../../agents/index.js';
import { textTable } from '../../backtests/index.js';
import { accountFromFlags, addAccountOptions, type AccountFlags } from '../account-flags.js';
import { addCsvOptions, type CsvFlags, csvOptionsFromFlags } from '../csv-flags.js';
import { type SessionFlags, addSessionOptions, parseWholeNumberFlag, sessionFromFlags } from '../flags.js';

export interface EvalFlags extends CsvFlags, AccountFlags, SessionFlags {
  data?: string;
  synth?: string;
  from?: string;
  to?: string;
  episodes: string;
  deterministic: boolean;
  seed: string;
  rules?: string;
  heldOut: boolean;
  json: boolean;
}

export async function runEval(checkpoint: string, f: EvalFlags): Promise<EvalRunResult> {
  const episodes = parseWholeNumberFlag(f.episodes, '--episodes', 1);
  const seed = parseWholeNumberFlag(f.seed, '--seed', 0);
  const account = accountFromFlags(f);
  // Checked here so an error names the flag; the job merges them key by key into training's trading day.
  sessionFromFlags(f);
  const session = { ...(f.dayStart === undefined ? {} : { dayStartsAt: f.dayStart }), ...(f.timezone === undefined ? {} : { timezone: f.timezone }) };
  // agents/ (and TensorFlow.js behind it) loads only when eval runs.
  const { runEvalJob } = await import('../../agents/index.js');
  return runEvalJob({
    checkpoint,
    ...(f.data === undefined ? {} : { data: f.data, csv: csvOptionsFromFlags(f) }),
    ...(f.synth === undefined ? {} : { synth: f.synth }),
    ...(f.from === undefined ? {} : { from: f.from }),
    ...(f.to === undefined ? {} : { to: f.to }),
    ...(f.rules === undefined ? {} : { rules: f.rules }),
    episodes,
    deterministic: f.deterministic,
    seed,
    heldOut: f.heldOut,
    ...(Object.keys(account).length === 0 ? {} : { account }),
    ...(Object.keys(session).length === 0 ? {} : { session }),
  });
}

const num = (x: number, digits: number): string => (Number.isFinite(x) ? x.toFixed(digits) : '-');
const pm = (m: MeanSd, digits: number): [string, string] => [num(m.mean, digits), num(m.sd, digits)];

/** The terminal form: what was scored, then one row per quantity (mean, sd, min, max). */
export function formatEval(r: EvalRunResult): string {
  const s = r.summary;
  const per = s.perEpisode;
  const range = (f: (e: (typeof per)[number]) => number, digits: number): [string, string] => [num(Math.min(...per.map(f)), digits), num(Math.max(...per.map(f)), digits)];
  const rows = [
    ['return', ...pm(s.return, 4), ...range((e) => e.return, 4)],
    ['equity return', ...pm(s.equityReturn, 4), ...range((e) => e.equityReturn, 4)],
    [`cost (limit ${s.costLimit})`, ...pm(s.cost, 2), ...range((e) => e.cost, 2)],
    ['steps', ...pm(s.steps, 1), ...range((e) => e.steps, 0)],
    ['masked steps', ...pm(s.maskedSteps, 1), ...range((e) => e.maskedSteps, 0)],
    ['rejected', ...pm(s.rejected, 1), ...range((e) => e.rejected, 0)],
  ];
  const c = r.checkpoint;
  return [
    `Policy ${c.algorithm} from ${c.path} (epoch ${c.epoch}, seed ${c.seed})`,
    `Data: ${r.data.source}, ${r.data.bars} bars (${r.data.first} to ${r.data.last}); rules: ${r.rules}; account: ${r.account}; trading day: ${r.tradingDay}`,
    `${s.episodes} episodes, ${s.deterministic ? 'deterministic' : 'sampled'} actions, seed ${s.seed}`,
    ...r.notes,
    '',
    textTable(['per episode', 'mean', 'sd', 'min', 'max'], rows),
    '',
    `Episodes over the cost limit: ${s.overLimit} of ${s.episodes}`,
  ].join('\n');
}

export function registerEvalCommand(program: Command): void {
  const cmd = program
    .command('eval')
    .description('score a trained checkpoint over N episodes on held-out data: return, cost vs the limit, masked and rejected counts (mean ± sd)')
    .argument('<checkpoint>', 'checkpoint file or bulwark train run directory')
    .option('--data <file>', 'OHLCV CSV file')
    .option('--synth <spec>', 'synthetic market, e.g. regime:bars=5000,seed=9')
    .option('--from <date>', 'first bar episodes may use (open time, UTC)')
    .option('--to <date>', 'last bar episodes may use (open time, UTC)')
    .option('--held-out', 'keep only the bars training did not see (error if none)', false)
    .option('--episodes <n>', 'episodes to score', '10')
    .option('--deterministic', 'most probable allowed action (or the mean target) instead of sampling', false)
    .option('--seed <n>', 'seed of the episode starts and of the sampling', '0')
    .option('--rules <file>', 'evaluate under these rules instead of the training rules (warned)')
    .option('--json', 'print one JSON object (summary, per-episode scores, notes)', false)
    .action(async (checkpoint: string, flags: EvalFlags) => {
      const r = await runEval(checkpoint, flags);
      process.stdout.write(flags.json ? `${JSON.stringify(r)}\n` : `${formatEval(r)}\n`);
    });
  addCsvOptions(cmd);
  addAccountOptions(cmd, "the account the episodes run on (default: training's; another is warned)");
  // Default: the trading day training used (its checkpoint records it); another is warned.
  addSessionOptions(cmd);
}
