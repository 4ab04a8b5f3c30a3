/**
 * The main job (`npm start` → `bulwark demo`), on embedded defaults: no Redis, no network.
 *
 * 1. A seeded regime-switching market (bull, bear, crash); the last quarter is held out.
 * 2. Train three arms briefly on the first three quarters: plain PPO (no cost term, no mask), PPO-Lag unmasked
 *    (the Lagrangian cost term λ alone) and PPO-Lag on masked envs (both). Unmasked, λ must rise to bring the
 *    training cost down; masked, the cost stays at 0 and λ with it (the mask alone holds it, so a PPO + mask arm
 *    would train the same policy). In the backtest the engine masks plain PPO's proposals: the mask alone again.
 * 3. Backtest them, and a small buy-and-hold, on the held-out quarter through the full chain: Constraint
 *    Logic Engine (the seed design's rules: position 20 %, drawdown 10 %, daily loss 3 %), risk gatekeeper,
 *    sim fills, audit log; then PPO-Lag + mask once more with a scripted soft kill and, later, a hard kill.
 * 4. Print the comparison (training cost and final λ beside the backtest figures) and write report.html.
 */
import { join } from 'node:path';
import { MS_PER_DAY, sliceBars } from '../core/index.js';
import { parseRules, type Rules } from '../constraints/index.js';
import { generateSynthetic } from '../data/index.js';
import { COST_NAMES, type CostConfig, TradingVecEnv, createDataset, parseTradingEnvConfig, writeCostSignals } from '../env/index.js';
import type { EpochStats, PpoLagCheckpoint } from '../agents/index.js';
import { parseGatekeeperConfig } from '../risk-gatekeeper/index.js';
import { parseSimFillConfig } from '../venues/index.js';
import type { ScheduledAction } from './backtest-config.js';
import { backtestInstrument } from './backtest-job.js';
import { envObservation, PolicyAgent } from './policy-agent.js';
import { writeReportHtml } from './report-html.js';
import { writeRunFiles } from './report-files.js';
import { type RunAuditStatus, openRunAudit } from './run-audit.js';
import type { BacktestRecord } from './run-record.js';
import { type AnyBacktestAgent, createRuleAgent } from './rule-agents.js';
import type { BulwarkHome } from '../security/index.js';
import { runBacktest } from './runner.js';
import { formatMetric, textTable } from './summary-table.js';

export interface DemoOptions {
  readonly seed: number;
  readonly outDir: string;
  /** Bars of market data (the last quarter is held out). */
  readonly bars: number;
  /** Training epochs per agent (numEnvs × rolloutSteps env steps each). */
  readonly epochs: number;
  readonly numEnvs: number;
  readonly rolloutSteps: number;
  readonly onProgress?: (line: string) => void;
  /** Signs each run's audit log with the home's key and witnesses it there (`bulwark demo` passes it). */
  readonly home?: BulwarkHome;
}

export const DEMO_DEFAULTS: Omit<DemoOptions, 'outDir'> = { seed: 7, bars: 12_000, epochs: 30, numEnvs: 8, rolloutSteps: 256 };

/** The seed design's limits, shared by training costs, the mask and the cost column of the table. */
const MAX_POSITION = 0.2;
const MAX_DRAWDOWN = 0.1;
const MAX_DAILY_LOSS = 0.03;
const EPISODE_BARS = 256;
const COST_LIMIT = 5;
/**
 * Adam learning rate of λ. The default 0.035 is tuned for hundreds of epochs (Adam moves λ by about its rate per
 * epoch); in a 30-epoch demo 0.1 lets the unmasked arm's λ rise far enough to pull its cost down.
 */
const LAMBDA_LR = 0.1;
/** The training cost the table shows: the mean episode cost over the last epochs of training. */
const LAST_EPOCHS = 5;
const WINDOW = 16;
const TRAIN_FRACTION = 0.75;
/** Target position levels (shares of equity): 0.5 breaks the 20 % position limit, so the mask matters. */
const TARGET_LEVELS = [0, 0.1, 0.2, 0.5];
/** The training env's cost config (indicator mode, unit weights), also what `costPerEpisode` scores with. */
const DEMO_COSTS: CostConfig = parseTradingEnvConfig(
  { costs: { maxDrawdown: MAX_DRAWDOWN, maxPositionFraction: MAX_POSITION, maxDailyLoss: MAX_DAILY_LOSS } },
  'demo env costs',
).costs;

export interface DemoRow {
  readonly run: string;
  /** Training: mean episode cost over the last epochs and λ at the end (null for runs that did not train). */
  readonly train_cost_per_episode: number | null;
  readonly final_lambda: number | null;
  readonly total_return: number;
  readonly sharpe: number | null;
  readonly max_drawdown: number;
  readonly max_drawdown_limit: number;
  readonly cost_per_episode: number;
  readonly cost_limit: number;
  readonly masked: number;
  readonly rejected: number;
  readonly kill_switch_events: number;
}

/** The training arms: which of the two levers (the cost term λ, the mask) each one pulls. */
export type DemoArm = 'ppo' | 'ppoLag' | 'ppoLagMask';

interface DemoArmSpec {
  readonly arm: DemoArm;
  readonly algorithm: 'ppo' | 'ppo-lag';
  readonly useMask: boolean;
  readonly name: string;
  /** Output folder of the arm's runs (and of its checkpoint). */
  readonly slug: string;
}

const DEMO_ARMS: readonly DemoArmSpec[] = [
  { arm: 'ppo', algorithm: 'ppo', useMask: false, name: 'PPO (plain, unmasked)', slug: 'ppo' },
  { arm: 'ppoLag', algorithm: 'ppo-lag', useMask: false, name: 'PPO-Lag, unmasked (λ alone)', slug: 'ppo-lag-unmasked' },
  { arm: 'ppoLagMask', algorithm: 'ppo-lag', useMask: true, name: 'PPO-Lag + mask', slug: 'ppo-lag' },
];

export interface DemoResult {
  readonly rows: readonly DemoRow[];
  readonly benchmark_return: number;
  readonly reportPath: string;
  readonly table: string;
  readonly training: Readonly<Record<DemoArm, readonly EpochStats[]>>;
  /** The trained policies' checkpoints (self-describing: `bulwark backtest --agent PATH` runs them again). */
  readonly checkpoints: Readonly<Record<DemoArm, string>>;
}

/**
 * The CMDP cost of a run as the env defines it (env `writeCostSignals` on every bar, with the training env's
 * cost config: one per bar and per limit breached), scaled to a training episode's length so it compares with
 * the cost limit d. The account's peak and day-start equity are replayed from the run's equity series.
 */
export function costPerEpisode(rec: BacktestRecord, costs: CostConfig = DEMO_COSTS): number {
  const signals = new Float64Array(COST_NAMES.length);
  const account = { equity: 0, peakEquity: 0, positionQty: 0, price: 0, dayStartEquity: 0 };
  let cost = 0;
  let day = -1;
  for (let t = 0; t < rec.equity.length; t++) {
    const eq = rec.equity[t];
    if (eq > account.peakEquity) account.peakEquity = eq;
    const d = Math.floor(rec.bars.time[t] / MS_PER_DAY);
    if (d !== day) {
      day = d;
      account.dayStartEquity = t > 0 ? rec.equity[t - 1] : eq;
    }
    account.equity = eq;
    account.positionQty = rec.positionQty[t];
    account.price = rec.bars.close[t];
    cost += writeCostSignals(signals, 0, account, costs);
  }
  return (cost * EPISODE_BARS) / Math.max(1, rec.equity.length);
}

function total(counts: Record<string, number>): number {
  let s = 0;
  for (const v of Object.values(counts)) s += v;
  return s;
}

export async function runDemo(options: DemoOptions): Promise<DemoResult> {
  // Loaded here, not at the top, so that importing backtests/ does not load TensorFlow.js.
  const { describeTrainedEnv, policyFromCheckpoint, trainPpoLag, tradingVecEnvFactory, writeCheckpointFile } = await import('../agents/index.js');
  const log = options.onProgress ?? (() => undefined);
  const { seed } = options;
  const bars = generateSynthetic({ model: 'regime', bars: options.bars, seed });
  const dataset = createDataset({ bars });
  const cut = Math.floor(bars.length * TRAIN_FRACTION);
  const fill = parseSimFillConfig({}, 'demo fill');
  const envConfig = {
    actions: { targetLevels: TARGET_LEVELS },
    windowSize: WINDOW,
    episodeLength: EPISODE_BARS,
    fill,
    costs: DEMO_COSTS,
    split: { part: 'train' as const, trainFraction: TRAIN_FRACTION },
  };
  const actions = [{ name: 'HOLD', kind: 'HOLD' as const, fraction: 0 }, ...TARGET_LEVELS.map((f) => ({ name: `TARGET_${f}`, kind: 'TARGET' as const, fraction: f }))];

  // ---- training ----------------------------------------------------------------------------------------------
  const rules: Rules = parseRules({
    max_position_pct: MAX_POSITION,
    max_drawdown_pct: MAX_DRAWDOWN,
    daily_loss_limit_pct: MAX_DAILY_LOSS,
  });
  // Masked arms train with the engine's masks (the same rules the backtest applies); the others without it.
  const train = async ({ algorithm, useMask, name, slug }: DemoArmSpec) => {
    const started = Date.now();
    const last: { c: PpoLagCheckpoint | null } = { c: null };
    const result = await trainPpoLag({
      makeVecEnv: useMask
        ? (numEnvs) => new TradingVecEnv({ dataset, numEnvs, config: envConfig, constraints: { rules, mode: 'lenient' } })
        : tradingVecEnvFactory(dataset, envConfig),
      numEnvs: options.numEnvs,
      rolloutSteps: options.rolloutSteps,
      epochs: options.epochs,
      seed,
      algorithm,
      useMask,
      costLimit: COST_LIMIT,
      lambdaLr: LAMBDA_LR,
      onCheckpoint: (c) => {
        last.c = c;
      },
      onEpoch: (s) => {
        if (s.epoch === options.epochs || s.epoch % 10 === 0) {
          log(`  ${name} epoch ${s.epoch}/${options.epochs}: return ${s.episodeReturn.toFixed(3)}, cost ${s.episodeCost.toFixed(1)}, λ ${s.lambda.toFixed(3)}`);
        }
      },
    });
    log(`  ${name}: ${options.epochs * options.numEnvs * options.rolloutSteps} env steps in ${((Date.now() - started) / 1000).toFixed(1)} s (${result.backend.name})`);
    // The backtests run the policy rebuilt from its checkpoint (CPU forward pass), as `--agent CHECKPOINT` would.
    result.policy.dispose();
    if (last.c === null) throw new Error(`${name}: training wrote no checkpoint`);
    const checkpoint = { ...last.c, env: describeTrainedEnv(dataset, envConfig, { useMask }) };
    const path = join(options.outDir, slug, 'checkpoints', 'last.json');
    await writeCheckpointFile(path, checkpoint);
    return { history: result.history, policy: policyFromCheckpoint(checkpoint, path).policy, path };
  };
  log(`Training on bars 0–${cut - 1} of a seeded regime-switching market (seed ${seed}); bars ${cut}–${bars.length - 1} are held out.`);
  const trained = new Map<DemoArm, Awaited<ReturnType<typeof train>>>();
  for (const spec of DEMO_ARMS) trained.set(spec.arm, await train(spec));
  const armOf = (arm: DemoArm) => {
    const t = trained.get(arm);
    if (t === undefined) throw new Error(`demo: arm ${arm} did not train`);
    return t;
  };

  // ---- backtests on the held-out segment, through the full chain ---------------------------------------------
  const test = sliceBars(bars, cut);
  const { obsDim, observe } = envObservation(dataset.features, cut, WINDOW);
  const risk = parseGatekeeperConfig({});
  const instrument = backtestInstrument('SYNTH/USD');
  const n = test.length;
  const hourAfter = (bar: number) => test.time[bar] + 3_600_000;
  const drill: ScheduledAction[] = [
    { atMs: hourAfter(Math.floor(n * 0.4)), action: 'soft_kill', operator: 'demo-ops', reason: 'scripted soft kill (drill)' },
    { atMs: hourAfter(Math.floor(n * 0.7)), action: 'hard_kill', operator: 'demo-ops', reason: 'scripted hard kill (drill)' },
  ];
  // A policy trained on masked envs is mask-aware (its masked logits are −∞); the others propose blind and the
  // engine blocks what breaks a rule.
  const runs: { slug: string; agent: AnyBacktestAgent; schedule: ScheduledAction[]; arm: DemoArm | null }[] = [
    ...DEMO_ARMS.map((a) => ({ slug: a.slug, agent: new PolicyAgent(a.name, armOf(a.arm).policy, actions, a.useMask), schedule: [], arm: a.arm })),
    { slug: 'buy-and-hold', agent: createRuleAgent('buy-and-hold:size=0.18'), schedule: [], arm: null },
    { slug: 'ppo-lag-kill', agent: new PolicyAgent('PPO-Lag + mask, soft→hard kill', armOf('ppoLagMask').policy, actions, true), schedule: drill, arm: 'ppoLagMask' },
  ];
  const records: BacktestRecord[] = [];
  const audits: RunAuditStatus[] = [];
  for (const r of runs) {
    const dir = join(options.outDir, r.slug);
    const audit = openRunAudit(dir, options.home === undefined ? {} : { home: options.home });
    try {
      const rec = await runBacktest({
        bars: test,
        instrument,
        agent: r.agent,
        initialCash: 10_000,
        fill,
        rules,
        risk,
        schedule: r.schedule,
        seed,
        audit: audit.log,
        observe,
        obsDim,
        agentId: r.slug,
      });
      records.push(rec);
      writeRunFiles(dir, rec);
      audits.push(audit.verify());
    } finally {
      audit.log.close();
    }
  }

  // ---- comparison --------------------------------------------------------------------------------------------
  const training = (arm: DemoArm | null) => {
    if (arm === null) return { cost: null, lambda: null };
    const history = armOf(arm).history;
    const last = history.slice(-LAST_EPOCHS).filter((e) => Number.isFinite(e.episodeCost));
    return {
      cost: last.length === 0 ? null : last.reduce((s, e) => s + e.episodeCost, 0) / last.length,
      lambda: history.at(-1)?.lambda ?? null,
    };
  };
  const rows: DemoRow[] = records.map((r, i) => ({
    run: r.agent,
    train_cost_per_episode: training(runs[i].arm).cost,
    final_lambda: training(runs[i].arm).lambda,
    total_return: r.metrics.total_return,
    sharpe: r.metrics.sharpe,
    max_drawdown: r.metrics.max_drawdown,
    max_drawdown_limit: MAX_DRAWDOWN,
    cost_per_episode: costPerEpisode(r),
    cost_limit: COST_LIMIT,
    masked: total(r.metrics.proposals_blocked_by_rules),
    rejected: total(r.metrics.rejections),
    kill_switch_events: r.metrics.kill_switch_events,
  }));
  const bench = records[0].metrics.benchmark;
  const trainCostLabel = `train cost/ep (last ${LAST_EPOCHS})`;
  const header = ['run', trainCostLabel, 'final λ', 'return', 'Sharpe', `max DD (limit ${MAX_DRAWDOWN * 100}%)`, `cost/episode (limit ${COST_LIMIT})`, 'masked', 'rejected', 'kill events'];
  const fixed = (x: number | null, digits: number) => (x === null ? '' : x.toFixed(digits));
  const body = rows.map((r) => [
    r.run,
    fixed(r.train_cost_per_episode, 1),
    fixed(r.final_lambda, 3),
    formatMetric('total_return', r),
    formatMetric('sharpe', r),
    formatMetric('max_drawdown', r),
    r.cost_per_episode.toFixed(1),
    String(r.masked),
    String(r.rejected),
    String(r.kill_switch_events),
  ]);
  if (bench) body.push(['buy-and-hold 100%, no limits', '', '', formatMetric('total_return', bench), formatMetric('sharpe', bench), formatMetric('max_drawdown', bench), '', '', '', '']);
  const table = textTable(header, body);
  const reportPath = join(options.outDir, 'report.html');
  writeReportHtml(reportPath, records, {
    title: 'Bulwark demo: the cost term λ and the mask, alone and together, on a held-out market segment',
    notes: [
      `Seeded regime-switching market (seed ${seed}), ${bars.length} hourly bars; trained on the first ${cut}, backtested on the last ${n}.`,
      `Every run goes through the Constraint Logic Engine (position ≤ ${MAX_POSITION * 100}%, drawdown ≤ ${MAX_DRAWDOWN * 100}%, daily loss ≤ ${MAX_DAILY_LOSS * 100}%), the risk gatekeeper and the sim fill model; the last run adds a scripted soft kill and a hard kill.`,
      `Cost per episode counts bars breaching a limit (per ${EPISODE_BARS}-bar episode); PPO-Lag was trained to keep it ≤ ${COST_LIMIT} (λ learning rate ${LAMBDA_LR}). ` +
        `Training cost is the mean over the last ${LAST_EPOCHS} epochs. Unmasked, λ alone brings PPO-Lag's training cost down; ` +
        `masked, the mask alone holds it at 0 and λ never moves; in the backtest the engine masks plain PPO's proposals (the masked column).`,
    ],
    extraColumns: [
      { label: trainCostLabel, values: rows.map((r) => fixed(r.train_cost_per_episode, 1)) },
      { label: 'final λ', values: rows.map((r) => fixed(r.final_lambda, 3)) },
      { label: `cost/episode (limit ${COST_LIMIT})`, values: rows.map((r) => r.cost_per_episode.toFixed(1)) },
    ],
    audit: audits,
  });
  return {
    rows,
    benchmark_return: bench ? bench.total_return : Number.NaN,
    reportPath,
    table,
    training: { ppo: armOf('ppo').history, ppoLag: armOf('ppoLag').history, ppoLagMask: armOf('ppoLagMask').history },
    checkpoints: { ppo: armOf('ppo').path, ppoLag: armOf('ppoLag').path, ppoLagMask: armOf('ppoLagMask').path },
  };
}
