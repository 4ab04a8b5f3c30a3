/**
 * `bulwark eval` as a job: load a checkpoint and a market (CSV or synthetic, cut to --from/--to or to the part
 * training did not see), score the policy over N episodes under the training rules (or others, with a warning),
 * and say where the run differs from training (provenance).
 */
import { UTC_SESSION, describeTradingSession, parseTradingSession, sliceBars, withTradingSession } from '../core/index.js';
import { type Rules, loadRulesFile } from '../constraints/index.js';
import { type CsvLoadOptions, loadMarketSource, resolveFeatureSpec } from '../data/index.js';
import { createDataset } from '../env/index.js';
import { type AccountType, accountConfigOf, accountWithOverrides, describeAccount, parseAccountConfig } from '../venues/index.js';
import { type EvalSummary, evaluatePolicy } from './evaluate-policy.js';
import { loadPolicyCheckpoint } from './policy-checkpoint.js';
import { type DataIdentity, csvIdentity, heldOutRange, provenanceWarnings, synthIdentity, trainedSession } from './provenance.js';
import { checkObservationLayout } from './trained-env.js';

export interface EvalRunOptions {
  /** A checkpoint file or a `bulwark train` run directory. */
  checkpoint: string;
  data?: string;
  /** Options of the CSV loader for `data` (the shared CSV flags). */
  csv?: CsvLoadOptions;
  synth?: string;
  from?: string;
  to?: string;
  episodes: number;
  deterministic: boolean;
  seed: number;
  /** A rules file to evaluate under instead of the training rules. */
  rules?: string;
  /** Keep only the bars training did not see (needs a checkpoint that records its provenance). */
  heldOut?: boolean;
  /** `--account`, `--leverage`, `--maintenance-margin`: evaluate on another account than training's (warned). */
  account?: { account?: AccountType; leverage?: number; maintenanceMargin?: number };
  /** `--day-start` (dayStartsAt) / `--timezone`: another trading day than training's, key by key (warned). */
  session?: { timezone?: string; dayStartsAt?: string };
}

export interface EvalRunResult {
  summary: EvalSummary;
  /** The checkpoint file read, and its algorithm, epoch and seed. */
  checkpoint: { path: string; algorithm: string; epoch: number; seed: number };
  /** The data scored: its source, the bars episodes were drawn from, and their first and last open time. */
  data: { source: string; bars: number; first: string; last: string };
  /** Where the rules came from: 'training', the --rules file, or 'none'. */
  rules: string;
  /** The venue account the episodes ran on (training's unless --account and friends say otherwise). */
  account: string;
  /** The instrument's trading day the episodes ran on (training's unless --day-start/--timezone say otherwise). */
  tradingDay: string;
  /** Provenance warnings and what --held-out chose, one line each. */
  notes: string[];
}

export async function runEvalJob(opts: EvalRunOptions): Promise<EvalRunResult> {
  const loaded = await loadPolicyCheckpoint(opts.checkpoint, 'CHECKPOINT');
  const market = await loadMarketSource({
    ...(opts.data === undefined ? {} : { data: opts.data }),
    ...(opts.synth === undefined ? {} : { synth: opts.synth }),
    ...(opts.from === undefined ? {} : { from: opts.from }),
    ...(opts.to === undefined ? {} : { to: opts.to }),
    ...(opts.csv === undefined ? {} : { csv: opts.csv }),
  });
  const identity: DataIdentity = opts.data !== undefined ? await csvIdentity(opts.data) : synthIdentity(opts.synth ?? '');
  const notes: string[] = [];
  const prov = loaded.provenance;
  let start = market.history.offset;
  let end = start + market.bars.length;
  if (opts.heldOut === true) {
    if (prov === null) throw new RangeError(`--held-out: ${loaded.path} records no training data range (trained before provenance was recorded); give --from/--to instead`);
    const r = heldOutRange(prov, identity, market.bars);
    notes.push(`${r.note}.`);
    end = start + r.end;
    start += r.start;
  }
  const rules: Rules | null = opts.rules !== undefined ? loadRulesFile(opts.rules, `--rules ${opts.rules}`) : ((prov?.rules.content ?? null) as Rules | null);
  const rulesFrom = opts.rules !== undefined ? opts.rules : prov?.rules.content ? 'training' : 'none';
  // The account the env keeps: training's (the checkpoint's env), with the account flags applied key by key.
  const trainedAccount = loaded.env.env.account;
  const overrides = opts.account ?? {};
  const account =
    Object.keys(overrides).length === 0
      ? parseAccountConfig(trainedAccount, `CHECKPOINT ${loaded.path}: env.account`)
      : parseAccountConfig(accountWithOverrides(trainedAccount, overrides), 'account (--account, --leverage, --maintenance-margin)');
  const trained = { ...loaded.env, env: { ...loaded.env.env, account: accountConfigOf(account) } };
  // The trading day: training's (its provenance), with the flags applied key by key.
  const trainedDay = prov === null ? undefined : trainedSession(prov, `CHECKPOINT ${loaded.path}`);
  const sessionFlags = Object.fromEntries(Object.entries(opts.session ?? {}).filter(([, v]) => v !== undefined));
  const session = Object.keys(sessionFlags).length === 0 ? trainedDay : parseTradingSession({ ...(trainedDay ?? UTC_SESSION), ...sessionFlags }, 'trading day (--day-start, --timezone)');
  const plain = createDataset({ bars: market.history.bars, featureSpec: resolveFeatureSpec(loaded.env.featureSpec) });
  const dataset = { ...plain, instrument: withTradingSession(plain.instrument, session) };
  checkObservationLayout(loaded.env, dataset.features, dataset.intervalMs, `CHECKPOINT ${loaded.path}`);
  const scored = sliceBars(market.history.bars, start, end);
  if (prov === null) {
    notes.push(`Warning: ${loaded.path} records no provenance (rules, data range, fill model): differences from training cannot be checked.`);
  } else {
    // The env uses the checkpoint's own fill model, so only rules and data can differ from training here.
    // A checkpoint from before provenance kept the account still names it in its env section.
    notes.push(...provenanceWarnings({ ...prov, account: prov.account ?? trainedAccount }, { rules, fill: null, data: identity, bars: scored, account, session: session ?? UTC_SESSION }));
  }
  const summary = evaluatePolicy(loaded.policy, trained, dataset, {
    episodes: opts.episodes,
    deterministic: opts.deterministic,
    seed: opts.seed,
    costLimit: loaded.costLimit,
    range: { startIndex: start, endIndex: end },
    ...(rules === null ? {} : { constraints: { rules, mode: 'lenient' as const } }),
  });
  return {
    summary,
    checkpoint: { path: loaded.path, algorithm: loaded.algorithm, epoch: loaded.epoch, seed: loaded.seed },
    data: { source: market.source, bars: end - start, first: new Date(scored.time[0]).toISOString(), last: new Date(scored.time[scored.length - 1]).toISOString() },
    rules: rulesFrom,
    account: describeAccount(account),
    tradingDay: describeTradingSession(session),
    notes,
  };
}
