/**
 * `runBacktest`: an agent through the one decision chain over history (bar-loop.ts), then the record: metrics,
 * the trade list, the decision log and a buy-and-hold benchmark on the same bars and costs.
 */
import { type Bars, type Instrument, type Ledger, elapsedYears, inferCalendar } from '../core/index.js';
import type { Rules } from '../constraints/index.js';
import { type GatekeeperConfig, parseGatekeeperConfig } from '../risk-gatekeeper/index.js';
import { type AuditSink, discardAuditSink } from '../security/index.js';
import { type AccountModel, CASH_ACCOUNT, type SimFillConfigInput, parseSimFillConfig } from '../venues/index.js';
import type { ScheduledAction } from './backtest-config.js';
import { BarLoop } from './bar-loop.js';
import { type DecisionLog, GATE_DENIED, GATE_VENUE_REJECTED, MAX_ACTIONS, ruleCounts } from './decision-log.js';
import { performanceMetrics, returnMetrics } from './metrics.js';
import type { AnyBacktestAgent } from './rule-agents.js';
import { createRuleAgent, isBoxAgent } from './rule-agents.js';
import type { BacktestMetrics, BacktestRecord, LimitsInfo } from './run-record.js';
import type { RunRecorder } from './run-recorder.js';

export interface BacktestOptions {
  readonly bars: Bars;
  readonly instrument: Instrument;
  /** An agent choosing from an action list, or a Box agent naming a target position. */
  readonly agent: AnyBacktestAgent;
  /** Starting cash, quote currency. */
  readonly initialCash: number;
  /** Fill model; the backtest defaults are the venue's except impact 0 and participation 1 (see README). */
  readonly fill?: SimFillConfigInput;
  /** The account the venue keeps (venues/account-model.ts); a spot cash account by default. */
  readonly account?: AccountModel;
  /** Constraint Logic Engine rules; null = no mask. */
  readonly rules?: Rules | null;
  /** Gatekeeper config; null = no gatekeeper (unless a schedule needs the kill-switch). */
  readonly risk?: GatekeeperConfig | null;
  readonly schedule?: readonly ScheduledAction[];
  readonly seed?: number;
  readonly audit?: AuditSink;
  /** Also run buy-and-hold on the same bars and costs as the benchmark (default true). */
  readonly benchmark?: boolean;
  /** For learned agents: writes the observation of bar t (seeing bars ≤ t and the account) into `out`. */
  readonly observe?: (t: number, ledger: Ledger, out: Float32Array) => void;
  readonly obsDim?: number;
  readonly agentId?: string;
  /** Bars per year for annualising; default: read from the data's own calendar (`inferCalendar`). */
  readonly periodsPerYear?: number;
}


export function limitsNote(rules: Rules | null, risk: GatekeeperConfig | null, gatekeeperFromSchedule: boolean): string {
  if (rules === null && risk === null && !gatekeeperFromSchedule) {
    return 'No --rules and no --risk: no limits applied beyond the venue validity checks (lot size, min notional, volume).';
  }
  const parts: string[] = [];
  parts.push(
    rules === null
      ? 'no Constraint Logic Engine rules'
      : `Constraint Logic Engine rules applied (on_drift: ${rules.on_drift}: a position over an exposure limit by price moves is ${rules.on_drift === 'trim' ? 'trimmed back at the next decision' : 'kept, only increases blocked'})`,
  );
  if (risk !== null) parts.push('risk gatekeeper applied');
  else if (gatekeeperFromSchedule) parts.push('risk gatekeeper with default limits (the schedule or the sandbox supervisor needs the kill-switch)');
  else parts.push('no risk gatekeeper');
  return `${parts.join('; ')}; venue validity checks always apply.`;
}

/** Which limits a run had: `given` is the --risk config, `inForce` the gatekeeper's (defaults when only the kill-switch needs one). */
export function limitsInfo(rules: Rules | null, given: GatekeeperConfig | null, inForce: GatekeeperConfig | null, gatekeeperWithoutRisk: boolean): LimitsInfo {
  return {
    applied: rules !== null || inForce !== null,
    note: limitsNote(rules, given, gatekeeperWithoutRisk),
    maxDrawdown: rules !== null ? rules.max_drawdown_pct : inForce !== null ? inForce.drawdownHaltPct : null,
  };
}

/** Runs one backtest through the full chain. Same inputs and seed, same record. */
export async function runBacktest(options: BacktestOptions): Promise<BacktestRecord> {
  const { bars, instrument, agent } = options;
  const n = bars.length;
  if (n < 2) throw new RangeError(`bars: need at least 2 bars to fill one order, got ${n}`);
  const actions = isBoxAgent(agent) ? [] : agent.actions;
  if (actions.length > MAX_ACTIONS) throw new RangeError(`agent.actions: at most ${MAX_ACTIONS}, got ${actions.length}`);
  const seed = options.seed ?? 0;
  const schedule = options.schedule ?? [];
  const rules = options.rules ?? null;
  // The kill-switch is needed for a schedule, and for a supervised agent (a stopped agent's session goes REDUCING).
  const supervised = agent.takeFault !== undefined;
  const gatekeeperFromSchedule = (options.risk ?? null) === null && (schedule.length > 0 || supervised);
  const risk = options.risk ?? (gatekeeperFromSchedule ? parseGatekeeperConfig({}, 'default gatekeeper config') : null);
  const loop = new BarLoop({
    bars,
    instrument,
    agent,
    initialCash: options.initialCash,
    fill: parseSimFillConfig(options.fill ?? {}, 'fill'),
    account: options.account ?? CASH_ACCOUNT,
    rules,
    risk,
    schedule,
    seed,
    audit: options.audit ?? discardAuditSink,
    agentId: options.agentId ?? 'backtest',
    ...(options.observe ? { observe: options.observe, obsDim: options.obsDim ?? 0 } : {}),
  });
  await loop.run();

  const benchmarkEquity =
    options.benchmark === false
      ? null
      : (
          await runBacktest({
            bars,
            instrument,
            agent: createRuleAgent('buy-and-hold'),
            initialCash: options.initialCash,
            fill: options.fill ?? {},
            ...(options.account === undefined ? {} : { account: options.account }),
            seed,
            benchmark: false,
          })
        ).equity;
  const limits = limitsInfo(rules, options.risk ?? null, risk, gatekeeperFromSchedule);
  return runRecordOf({
    bars: loop.bars,
    intervalMs: loop.intervalMs,
    recorder: loop.recorder,
    columns: loop.recorder,
    feesPaid: loop.account.ledger.feesPaid,
    account: options.account ?? CASH_ACCOUNT,
    agent,
    seed,
    limits,
    benchmarkEquity,
    ...(options.periodsPerYear === undefined ? {} : { periodsPerYear: options.periodsPerYear }),
  });
}

/** What a run record is made of: the bars, the recorder's columns (cut to the bars) and the run's settings. */
export interface RunRecordInput {
  readonly bars: Bars;
  readonly intervalMs: number;
  readonly recorder: RunRecorder;
  /** Equity, position and decisions, one slot per bar (the recorder's own, or its `snapshot()` in a live run). */
  readonly columns: { readonly equity: Float64Array; readonly positionQty: Float64Array; readonly decisions: DecisionLog };
  readonly feesPaid: number;
  /** The account the venue kept; cash when absent. */
  readonly account?: AccountModel;
  readonly agent: AnyBacktestAgent;
  readonly seed: number;
  readonly limits: LimitsInfo;
  readonly benchmarkEquity: Float64Array | null;
  readonly periodsPerYear?: number;
}

/** The record of a run (a finished backtest, or a paper session so far): series, trades, decisions, metrics. */
export function runRecordOf(input: RunRecordInput): BacktestRecord {
  const { bars, intervalMs, recorder, agent, seed, limits, benchmarkEquity } = input;
  const { equity, positionQty, decisions } = input.columns;
  const n = bars.length;
  const last = n - 1;
  const trades = recorder.book.finish(last, bars.time[last], bars.close[last]);
  const calendar = inferCalendar(bars, input.periodsPerYear);
  const bpy = calendar.periodsPerYear;
  const years = elapsedYears(bars.time);
  const perf = performanceMetrics(
    {
      equity,
      positionQty,
      trades,
      tradedNotional: recorder.fills.tradedNotional(),
      feesPaid: input.feesPaid,
    },
    bpy,
    years,
  );
  const rejections: Record<string, number> = {};
  for (let i = 0; i < decisions.length; i++) {
    if (decisions.gate[i] !== GATE_DENIED && decisions.gate[i] !== GATE_VENUE_REJECTED) continue;
    for (const code of decisions.strings.name(decisions.gateReason[i]).split('+')) rejections[code] = (rejections[code] ?? 0) + 1;
  }
  const ruined = recorder.ruinedAtBar >= 0;
  const decided = Math.max(1, n - 1);
  const account = input.account ?? CASH_ACCOUNT;
  const metrics: BacktestMetrics = {
    ...perf,
    // A risk-adjusted ratio of a run that lost everything says nothing: `ruined_at_bar` says what happened.
    ...(ruined ? { sharpe: null, sortino: null, calmar: null } : {}),
    proposals_blocked_by_rules: ruleCounts(recorder.maskCounts),
    // The old name of the same counts, for readers of metrics.json written before the rename (one release).
    masked_actions: ruleCounts(recorder.maskCounts),
    clipped_targets: isBoxAgent(agent) ? ruleCounts(recorder.clipCounts) : {},
    bars_over_limit: ruleCounts(recorder.overLimitCounts),
    drift_trims: ruleCounts(recorder.trimCounts),
    rejections,
    kill_switch_events: recorder.killEvents.length,
    account:
      account.type === 'cash'
        ? { type: 'cash' }
        : { type: 'margin', leverage: account.leverage, maintenance_margin: account.maintenanceMargin },
    liquidations: recorder.liquidations.length,
    ruined_at_bar: ruined ? recorder.ruinedAtBar : null,
    ruined_at: ruined ? new Date(bars.time[recorder.ruinedAtBar] + intervalMs).toISOString() : null,
    bars_locked: recorder.barsLocked,
    bars_drawdown_locked: recorder.barsDrawdownLocked,
    time_locked_pct: recorder.barsLocked / decided,
    benchmark: benchmarkEquity === null ? null : returnMetrics(benchmarkEquity, bpy, years),
    agent: agent.label,
    bars: n,
    bar_interval_ms: intervalMs,
    periods_per_year: bpy,
    calendar: calendar.description,
    limits_applied: limits.applied,
    seed,
  };
  return {
    agent: agent.label,
    bars,
    actions: recorder.actions,
    equity,
    positionQty,
    benchmarkEquity,
    fills: recorder.fills,
    trades,
    decisions,
    killSwitchEvents: recorder.killEvents,
    liquidations: recorder.liquidations,
    limits,
    metrics,
  };
}
