/**
 * The backtest's bar loop over the one decision chain (`execution/`), bar by bar:
 *
 *   open of bar t:   the venue matches what was decided at t−1 (fees, spread, slippage, impact, lot, min notional)
 *   close of bar t:  mark the account → operator actions due (kill-switch) → Constraint Logic Engine (locks, mask
 *                    or interval) → the agent proposes → the chain: mask → size → gatekeeper → venue → decision
 *
 * This file only records what the chain decided (decision log, fills, trade book, kill-switch events); the chain
 * itself is the one the training env and live sessions use. The loop allocates nothing per bar on its own; it
 * awaits only when a trading state changed (so a hard kill's cancel-and-flatten completes before the next decision).
 */
import { type ActionSpec, type Bars, type Instrument, type Ledger, barIntervalMs } from '../core/index.js';
import { type Rules, auditLockListener, overLimitBits } from '../constraints/index.js';
import { AccountState, DecisionChain, GatekeeperLink, SimVenue, compileChainRules, startEpisode, stepBar } from '../execution/index.js';
import type { GatekeeperConfig } from '../risk-gatekeeper/index.js';
import type { AuditSink } from '../security/index.js';
import type { AccountModel, SimFillConfig } from '../venues/index.js';
import type { ScheduledAction } from './backtest-config.js';
import type { DecisionLog } from './decision-log.js';
import type { AnyBacktestAgent, BacktestAgent } from './rule-agents.js';
import { isBoxAgent } from './rule-agents.js';
import { type RecorderContext, RunRecorder, checkedBoxLow } from './run-recorder.js';
import type { KillSwitchEvent } from './run-record.js';
import type { FillLog, TradeBook } from './trades.js';

export interface BarLoopOptions {
  readonly bars: Bars;
  readonly instrument: Instrument;
  readonly agent: AnyBacktestAgent;
  readonly initialCash: number;
  readonly fill: SimFillConfig;
  /** The account the venue keeps (cash or margin). */
  readonly account: AccountModel;
  readonly rules: Rules | null;
  readonly risk: GatekeeperConfig | null;
  readonly schedule: readonly ScheduledAction[];
  readonly seed: number;
  readonly audit: AuditSink;
  readonly agentId: string;
  readonly observe?: (t: number, ledger: Ledger, out: Float32Array) => void;
  readonly obsDim?: number;
}

export class BarLoop {
  readonly bars: Bars;
  readonly n: number;
  readonly intervalMs: number;
  readonly actions: readonly ActionSpec[];
  readonly account: AccountState;
  readonly venue: SimVenue;
  readonly chain: DecisionChain;
  readonly gatekeeper: GatekeeperLink | null;
  /** Decisions, equity, fills, trades and kill-switch events, recorded as a paper session records them. */
  readonly recorder: RunRecorder;
  private readonly options: BarLoopOptions;
  private readonly discrete: BacktestAgent | null;
  private readonly ctx: RecorderContext;
  private readonly obs: Float32Array | null;

  constructor(options: BarLoopOptions) {
    this.options = options;
    const { bars, instrument, agent } = options;
    this.bars = bars;
    this.n = bars.length;
    this.intervalMs = barIntervalMs(bars);
    this.discrete = isBoxAgent(agent) ? null : agent;
    const box = isBoxAgent(agent) ? agent : null;
    this.recorder = new RunRecorder(agent, this.n);
    this.actions = this.recorder.actions;
    this.account = new AccountState(options.initialCash, instrument.symbol, instrument.session);
    this.venue = new SimVenue({ instrument, fill: options.fill, fillHistory: 0, account: options.account, initialCash: options.initialCash });
    this.gatekeeper =
      options.risk === null
        ? null
        : new GatekeeperLink({
            config: options.risk,
            instrument,
            agentId: options.agentId,
            audit: options.audit,
            venue: this.venue,
            onStateChange: (r) => this.recorder.recordStateChange(r.changedAtMs, r.previous, r.state, r.actor, r.reason),
          });
    const rules =
      options.rules === null
        ? null
        : compileChainRules(options.rules, {
            // A Box agent has no action list: the engine judges its targets by the interval.
            ...(this.discrete === null ? {} : { actions: this.actions }),
            fill: options.fill,
            instrument,
          });
    this.chain = new DecisionChain({
      instrument,
      account: this.account,
      venue: this.venue,
      actionType: box === null ? 'discrete' : 'box',
      actions: this.actions,
      ...(this.discrete === null ? {} : { sizing: this.discrete.sizing }),
      ...(box === null ? {} : { boxLow: checkedBoxLow(box) }),
      rules,
      onLockEvent: auditLockListener(options.audit),
      gatekeeper: this.gatekeeper,
      agentId: options.agentId,
      audit: options.audit,
      listener: this.recorder.listener,
    });
    this.obs = options.observe ? new Float32Array(options.obsDim ?? 0) : null;
    this.ctx = { t: 0, bars, positionQty: 0, equity: options.initialCash, cash: options.initialCash, mask: this.chain.mask, obs: this.obs };
  }

  get equity(): Float64Array {
    return this.recorder.equity;
  }
  get positionQty(): Float64Array {
    return this.recorder.positionQty;
  }
  get decisions(): DecisionLog {
    return this.recorder.decisions;
  }
  get fills(): FillLog {
    return this.recorder.fills;
  }
  get book(): TradeBook {
    return this.recorder.book;
  }
  get killEvents(): readonly KillSwitchEvent[] {
    return this.recorder.killEvents;
  }

  async run(): Promise<void> {
    const { bars, n, intervalMs, chain, venue } = this;
    this.options.agent.reset(this.options.seed);
    try {
      for (let t = 0; t < n; t++) {
        this.recorder.beginBar(t, bars.time[t]);
        if (t === 0) startEpisode(chain, venue, bars, 0, intervalMs);
        else stepBar(chain, venue, bars, t, intervalMs);
        this.recorder.markBar(this.account.equity, this.account.positionQty);
        if (chain.rules !== null) this.recorder.countOverLimit(overLimitBits(this.account, chain.rules));
        if (t === n - 1) {
          // Nothing decided now could fill, but the state in force still belongs to the bar: left at its default
          // the last row of a killed run would read ACTIVE though nothing resumed.
          this.recorder.recordFinalState(t, this.gatekeeper === null ? null : this.gatekeeper.state());
          break;
        }
        const decisionMs = bars.time[t] + intervalMs;
        // Awaited only when there is something to wait for: an await on every bar costs more than the rest of it.
        if (this.operatorWorkDue(decisionMs)) await this.operatorActionsDue(decisionMs);
        this.decide(t, decisionMs);
        const fault = this.options.agent.takeFault?.() ?? null;
        if (fault !== null) await this.agentFault(fault, decisionMs);
        if (this.gatekeeper !== null && this.gatekeeper.pendingChange) await this.gatekeeper.settle();
      }
    } finally {
      this.gatekeeper?.dispose();
    }
  }

  /** Scheduled operator actions due by now go through the kill-switch; a changed state settles first. */
  private scheduleIdx = 0;
  /** A scheduled operator action is due by `decisionMs`, or a changed trading state has not settled yet. */
  private operatorWorkDue(decisionMs: number): boolean {
    const gk = this.gatekeeper;
    if (gk === null) return false;
    const schedule = this.options.schedule;
    return gk.pendingChange || (this.scheduleIdx < schedule.length && schedule[this.scheduleIdx].atMs <= decisionMs);
  }

  private async operatorActionsDue(decisionMs: number): Promise<void> {
    const gk = this.gatekeeper;
    if (gk === null) return;
    const schedule = this.options.schedule;
    while (this.scheduleIdx < schedule.length && schedule[this.scheduleIdx].atMs <= decisionMs) {
      const s = schedule[this.scheduleIdx++];
      gk.update(decisionMs, this.account.price, this.account);
      await gk.operate(s.action, s.operator, s.reason);
    }
    if (gk.pendingChange) await gk.settle();
  }

  /** A sandboxed agent that was stopped (`reason`): its session goes REDUCING (a soft kill by the supervisor). */
  private async agentFault(reason: string, decisionMs: number): Promise<void> {
    const gk = this.gatekeeper;
    if (gk === null) return;
    gk.update(decisionMs, this.account.price, this.account);
    await gk.operate('soft_kill', 'sandbox-supervisor', `agent stopped: ${reason}`);
  }

  /** The agent proposes; the chain decides; the recorder records it. */
  private decide(t: number, decisionMs: number): void {
    const ctx = this.ctx;
    const account = this.account;
    ctx.t = t;
    ctx.positionQty = account.positionQty;
    ctx.equity = account.equity;
    ctx.cash = account.cash;
    if (this.obs !== null && this.options.observe) this.options.observe(t, account.ledger, this.obs);
    this.recorder.decide(this.chain, ctx, decisionMs, this.gatekeeper === null ? null : this.gatekeeper.state());
  }
}
