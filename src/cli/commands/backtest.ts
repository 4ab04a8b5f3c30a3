/**
 * `bulwark backtest --data FILE | --synth MODEL[:k=v,…] --agent SPEC [--rules FILE] [--risk FILE] …`:
 * one run through the full chain, its files and report.html in --out, a summary table (or one JSON object).
 */
import { join, resolve } from 'node:path';
import type { Command } from 'commander';
import { definedFields } from '../../core/index.js';
import { resolveHome } from '../../security/index.js';
import { z } from 'zod';
import { type BacktestJob, type BacktestMetrics, type SummaryRun, prepareJob, renderSummary, annualisedCaveat } from '../../backtests/index.js';
import { type BacktestRunOptions, type BacktestRunResult, runBacktestInto } from '../../jobs/index.js';
import { queueProgress } from '../queue-progress.js';
import { type CodeOrigin, parseTier } from '../../sandbox/index.js';
import { accountFromFlags, addAccountOptions, type AccountFlags } from '../account-flags.js';
import { addCsvOptions, type CsvFlags, csvOptionsFromFlags } from '../csv-flags.js';
import { type SessionFlags, addSessionOptions, parseNumberFlag, parseWholeNumberFlag, sessionFromFlags } from '../flags.js';

export interface BacktestFlags extends CsvFlags, SessionFlags, AccountFlags {
  data?: string;
  synth?: string;
  agent: string;
  rules?: string;
  risk?: string;
  config?: string;
  feesBps?: string;
  spreadBps?: string;
  slippageBps?: string;
  cash?: string;
  from?: string;
  to?: string;
  seed: string;
  periodsPerYear?: string;
  out?: string;
  json: boolean;
  tier?: string;
  origin?: string;
  trustedKeys?: string;
  decisionTimeoutMs?: string;
  home?: string;
  sealEvery?: string;
  sealIntervalMs?: string;
  heldOut?: boolean;
  queue?: string;
}

function numberFlag(value: string | undefined, flag: string): number | undefined {
  return value === undefined ? undefined : parseNumberFlag(value, flag, { atLeast: 0 });
}

export function jobFromFlags(f: BacktestFlags): BacktestJob {
  const seed = f.seed === undefined ? undefined : parseWholeNumberFlag(f.seed, '--seed', 0);
  const session = sessionFromFlags(f);
  return {
    agent: f.agent,
    ...definedFields({
      data: f.data,
      synth: f.synth,
      csv: f.data === undefined ? undefined : csvOptionsFromFlags(f),
      rules: f.rules,
      risk: f.risk,
      config: f.config,
      feesBps: numberFlag(f.feesBps, '--fees-bps'),
      spreadBps: numberFlag(f.spreadBps, '--spread-bps'),
      slippageBps: numberFlag(f.slippageBps, '--slippage-bps'),
      // One rule, one message: the same '> 0' the config file's cash field states.
      cash: f.cash === undefined ? undefined : parseNumberFlag(f.cash, '--cash', { above: 0 }),
      from: f.from,
      to: f.to,
      seed,
      periodsPerYear: f.periodsPerYear === undefined ? undefined : parseNumberFlag(f.periodsPerYear, '--periods-per-year', { above: 0 }),
      heldOut: f.heldOut === true ? true : undefined,
    }),
    ...accountFromFlags(f),
    ...(session === undefined ? {} : { session }),
  };
}

export function registerBacktestCommand(program: Command): void {
  const cmd = program
    .command('backtest')
    .description('run an agent over history through the full safety chain and write metrics, CSVs and report.html')
    .option('--data <file>', 'OHLCV CSV file')
    .option('--synth <spec>', 'synthetic market, e.g. regime:bars=5000,seed=3')
    .requiredOption('--agent <spec>', 'CHECKPOINT (file or bulwark train run directory) | buy-and-hold | sma-cross[:fast=10,slow=30] | random[:p=0.05] | FILE.mjs (a JavaScript strategy, sandboxed), with size=F or qty=Q')
    .option('--rules <file>', 'Constraint Logic Engine rule set (YAML/JSON)')
    .option('--risk <file>', 'risk gatekeeper config (YAML/JSON)')
    .option('--config <file>', 'backtest config: cash, fill model, scheduled soft/hard kill and resume')
    .option('--fees-bps <n>', 'fee in bps of notional (maker and taker)')
    .option('--spread-bps <n>', 'full quoted spread in bps (a taker pays half)')
    .option('--slippage-bps <n>', 'fixed slippage in bps per taker fill')
    .option('--cash <n>', 'starting cash in quote currency (default 10000)')
    .option('--from <date>', 'first bar (open time, UTC), e.g. 2021-01-01')
    .option('--to <date>', 'last bar (open time, UTC)')
    .option('--held-out', "checkpoint agent: keep only the bars its training did not see (error if none)", false)
    .option('--seed <n>', 'seed for random agents', '0')
    .option('--periods-per-year <n>', "bars per year for annualising (default: read from the data's calendar)")
    .option('--out <dir>', 'output directory (default runs/backtest-<time>)')
    .option('--json', 'print one JSON object (the metrics and the output paths) only', false)
    .option('--tier <n>', 'sandbox tier for a JavaScript agent (FILE.mjs) or a checkpoint: raises the tier its risk score gives, never lowers it (0-3)')
    .option('--origin <origin>', 'where the agent comes from (risk score): FILE.mjs local (default) | third-party; a checkpoint own-checkpoint (default) | third-party')
    .option('--trusted-keys <dir>', 'directory of Ed25519 public keys (*.pub.pem); FILE.sig (FILE.mjs or a checkpoint file) signed by one lowers the risk score')
    .option('--decision-timeout-ms <n>', 'sandboxed agent: a later answer is HOLD and counted (default 250)')
    .option('--home <dir>', 'home whose key signs the audit log and whose witness keeps its checkpoints (default: BULWARK_HOME, else ~/.bulwark)')
    .option('--seal-every <n>', 'seal the audit log every N events (default 1000)')
    .option('--seal-interval-ms <ms>', 'seal the audit log when its oldest unsealed event is this old (default 1000)')
    .option('--queue <redis-url>', 'run on a bulwark worker through this Redis (BullMQ) and wait; the files land in --out (storage the workers share)')
    .action(async (flags: BacktestFlags) => {
      const r: BacktestCommandResult = flags.queue === undefined ? await runBacktestCommand(flags) : await runBacktestOnQueue(flags, flags.queue);
      if (flags.json) {
        const caveat = annualisedCaveat(r.record.metrics);
        const extra = caveat === null ? {} : { annualised_caveat: caveat.replace(/^\* /, '') };
        process.stdout.write(`${JSON.stringify({ ...r.record.metrics, ...extra, limits_note: r.record.limits.note, agent_notes: r.notes, files: r.files })}\n`);
        return;
      }
      const notes = r.notes.map((n) => `${n}\n`).join('');
      process.stdout.write(`${notes}${renderSummary([r.record], r.source)}\nReport: ${r.files['report.html']}\nFiles:  ${r.out}\n`);
    });
  addCsvOptions(cmd);
  addSessionOptions(cmd);
  addAccountOptions(cmd);
}

export interface BacktestCommandResult {
  readonly record: SummaryRun;
  readonly source: string;
  readonly out: string;
  readonly notes: readonly string[];
  readonly files: Record<string, string>;
}

const queuedBacktestSchema = z.object({
  agent: z.string(),
  source: z.string(),
  bars: z.number(),
  box: z.boolean(),
  limits_note: z.string(),
  metrics: z.custom<BacktestMetrics>((m) => typeof m === 'object' && m !== null),
  notes: z.array(z.string()),
  files: z.record(z.string(), z.string()),
  out: z.string(),
});

/** `backtest --queue`: the same run as a backtest job on a worker, which writes the files into --out. */
async function runBacktestOnQueue(flags: BacktestFlags, redisUrl: string): Promise<BacktestCommandResult> {
  const o = backtestRunOptions(flags);
  await prepareJob(o.job); // every input checked here, before a job is queued
  const { checkRedisUrl, enqueueAndWait } = await import('../../jobs/index.js');
  const progress = queueProgress('backtest', !flags.json);
  const run = await enqueueAndWait({
    redisUrl: checkRedisUrl(redisUrl, '--queue'),
    kind: 'backtest',
    items: [
      {
        job: o.job,
        sandbox: {
          ...(o.tier === undefined ? {} : { tier: o.tier }),
          // --origin takes only these two (backtestRunOptions refused anything else).
          origin: o.origin === 'third-party' ? 'third-party' : 'local',
          ...(o.trustedKeysDir === undefined ? {} : { trustedKeysDir: resolve(o.trustedKeysDir) }),
          ...(o.decisionTimeoutMs === undefined ? {} : { decisionTimeoutMs: o.decisionTimeoutMs }),
        },
      },
    ],
    runDir: resolve(o.out),
    onProgress: (d, t, w) => progress.update(d, t, w),
  }).finally(() => progress.stop());
  const r = queuedBacktestSchema.parse(run.results[0]?.output);
  return {
    record: { agent: r.agent, metrics: r.metrics, limits: { note: r.limits_note }, bars: { length: r.bars }, decisions: { targets: r.box ? [] : null } },
    source: r.source,
    out: r.out,
    notes: [...r.notes, `Ran as queue job ${run.results[0]?.jobId ?? ''} on worker ${run.results[0]?.worker ?? ''}.`],
    files: r.files,
  };
}

const ORIGINS: readonly CodeOrigin[] = ['local', 'own-checkpoint', 'third-party'];

/** The flags of a run turned into typed options (each error names its flag). */
export function backtestRunOptions(flags: BacktestFlags, job: BacktestJob = jobFromFlags(flags)): BacktestRunOptions {
  const origin = flags.origin === undefined ? undefined : ORIGINS.find((o) => o === flags.origin);
  if (flags.origin !== undefined && origin === undefined) throw new RangeError(`--origin: must be local, own-checkpoint or third-party, got '${flags.origin}'`);
  return {
    job,
    out: flags.out ?? join('runs', `backtest-${new Date().toISOString().replace(/[:.]/g, '-')}`),
    ...(flags.tier === undefined ? {} : { tier: parseTier(flags.tier) }),
    ...(origin === undefined ? {} : { origin }),
    ...(flags.trustedKeys === undefined ? {} : { trustedKeysDir: flags.trustedKeys }),
    ...(flags.decisionTimeoutMs === undefined ? {} : { decisionTimeoutMs: parseNumberFlag(flags.decisionTimeoutMs, '--decision-timeout-ms', { atLeast: 1 }) }),
    home: resolveHome(flags.home),
    ...(flags.sealEvery === undefined ? {} : { sealEvery: parseWholeNumberFlag(flags.sealEvery, '--seal-every', 1) }),
    ...(flags.sealIntervalMs === undefined ? {} : { sealIntervalMs: parseNumberFlag(flags.sealIntervalMs, '--seal-interval-ms', { above: 0 }) }),
  };
}

/** The whole `bulwark backtest` command short of printing: load, run the chain, write the files and the report. */
export async function runBacktestCommand(flags: BacktestFlags): Promise<BacktestRunResult> {
  return runBacktestInto(backtestRunOptions(flags));
}
