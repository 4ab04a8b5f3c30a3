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
import { type ActionSpec, type Bars, type Fill, type Instrument, type Ledger, barIntervalMs } from '../core/index.js';
import { RULE_IDS, type Rules, auditLockListener } from '../constraints/index.js';
import {
  AccountState,
  type Decision,
  DecisionChain,
  GatekeeperLink,
  SimVenue,
  compileChainRules,
  startEpisode,
  stepBar,
} from '../execution/index.js';
import type { GatekeeperConfig } from '../risk-gatekeeper/index.js';
import type { AuditSink } from '../security/index.js';
import type { SimFillConfig } from '../venues/index.js';
import type { ScheduledAction } from './backtest-config.js';
import {
  DecisionLog,
  GATE_ACCEPTED,
  GATE_DENIED,
  GATE_MASKED,
  GATE_NO_ORDER,
  GATE_VENUE_REJECTED,
  countRuleBits,
  packMask,
  tradingStateIndex,
} from './decision-log.js';
import type { AnyBacktestAgent, BacktestAgent, BoxBacktestAgent, DecisionContext } from './rule-agents.js';
import { isBoxAgent } from './rule-agents.js';
import type { KillSwitchEvent } from './run-record.js';
import { FillLog, TradeBook } from './trades.js';

export interface BarLoopOptions {
  readonly bars: Bars;
  readonly instrument: Instrument;
  readonly agent: AnyBacktestAgent;
  readonly initialCash: number;
  readonly fill: SimFillConfig;
  readonly rules: Rules | null;
  readonly risk: GatekeeperConfig | null;
  readonly schedule: readonly ScheduledAction[];
  readonly seed: number;
  readonly audit: AuditSink;
  readonly agentId: string;
  readonly observe?: (t: number, ledger: Ledger, out: Float32Array) => void;
  readonly obsDim?: number;
}

/** The mutable context the agent reads at each decision (one object, rewritten per bar). */
interface AgentContext extends DecisionContext {
  t: number;
  positionQty: number;
  equity: number;
  cash: number;
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
  readonly equity: Float64Array;
  readonly positionQty: Float64Array;
  readonly decisions: DecisionLog;
  readonly fills = new FillLog();
  readonly book = new TradeBook();
  readonly killEvents: KillSwitchEvent[] = [];
  /** Proposals masked per rule id (RULE_IDS order); Box: targets clipped per rule id. */
  readonly maskCounts = new Uint32Array(RULE_IDS.length);
  readonly clipCounts = new Uint32Array(RULE_IDS.length);
  private readonly options: BarLoopOptions;
  private readonly discrete: BacktestAgent | null;
  private readonly box: BoxBacktestAgent | null;
  private readonly ctx: AgentContext;
  private readonly obs: Float32Array | null;
  private t = 0;
  /** The agent's last order and the bar it was decided at, so that a venue refusal is recorded there. */
  private lastOrderId = '';
  private lastOrderBar = -1;
  private lastOrderFilled = false;

  constructor(options: BarLoopOptions) {
    this.options = options;
    const { bars, instrument, agent } = options;
    this.bars = bars;
    this.n = bars.length;
    this.intervalMs = barIntervalMs(bars);
    this.discrete = isBoxAgent(agent) ? null : agent;
    this.box = isBoxAgent(agent) ? agent : null;
    this.actions = this.discrete === null ? [] : this.discrete.actions;
    this.account = new AccountState(options.initialCash, instrument.symbol);
    this.venue = new SimVenue({ instrument, fill: options.fill, fillHistory: 0 });
    this.gatekeeper =
      options.risk === null
        ? null
        : new GatekeeperLink({
            config: options.risk,
            instrument,
            agentId: options.agentId,
            audit: options.audit,
            venue: this.venue,
            onStateChange: (r) => {
              this.killEvents.push({ bar: this.t, timeMs: r.changedAtMs, from: r.previous, to: r.state, actor: r.actor, reason: r.reason });
            },
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
      actionType: this.box === null ? 'discrete' : 'box',
      actions: this.actions,
      ...(this.discrete === null ? {} : { sizing: this.discrete.sizing }),
      ...(this.box === null ? {} : { boxLow: checkedBoxLow(this.box) }),
      rules,
      onLockEvent: auditLockListener(options.audit),
      gatekeeper: this.gatekeeper,
      agentId: options.agentId,
      audit: options.audit,
      listener: {
        onFill: (fill, signedQty) => this.recordFill(fill, signedQty),
        onVenueRefusal: (id, reason) => this.recordVenueRefusal(id, reason),
      },
    });
    this.equity = new Float64Array(this.n);
    this.positionQty = new Float64Array(this.n);
    this.decisions = new DecisionLog(this.n, { targets: this.box !== null });
    this.obs = options.observe ? new Float32Array(options.obsDim ?? 0) : null;
    this.ctx = { t: 0, bars, positionQty: 0, equity: options.initialCash, cash: options.initialCash, mask: this.chain.mask, obs: this.obs };
  }

  async run(): Promise<void> {
    const { bars, n, intervalMs, chain, venue } = this;
    this.options.agent.reset(this.options.seed);
    try {
      for (let t = 0; t < n; t++) {
        this.t = t;
        if (t === 0) startEpisode(chain, venue, bars, 0, intervalMs);
        else stepBar(chain, venue, bars, t, intervalMs);
        this.equity[t] = this.account.equity;
        this.positionQty[t] = this.account.positionQty;
        if (t === n - 1) break; // nothing decided now could fill
        const decisionMs = bars.time[t] + intervalMs;
        await this.operatorActionsDue(decisionMs);
        this.decide(t, decisionMs);
        await this.agentFaultDue(decisionMs);
        if (this.gatekeeper !== null && this.gatekeeper.pendingChange) await this.gatekeeper.settle();
      }
    } finally {
      this.gatekeeper?.dispose();
    }
  }

  /** Scheduled operator actions due by now go through the kill-switch; a changed state settles first. */
  private scheduleIdx = 0;
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

  /** A sandboxed agent that was stopped: its session goes REDUCING (a soft kill by the supervisor). */
  private async agentFaultDue(decisionMs: number): Promise<void> {
    const reason = this.discrete?.takeFault?.() ?? null;
    const gk = this.gatekeeper;
    if (reason === null || gk === null) return;
    gk.update(decisionMs, this.account.price, this.account);
    await gk.operate('soft_kill', 'sandbox-supervisor', `agent stopped: ${reason}`);
  }

  /** The agent proposes; the chain decides; the decision log records it. */
  private decide(t: number, decisionMs: number): void {
    const d = this.decisions;
    d.state[t] = this.gatekeeper === null ? 0 : tradingStateIndex(this.gatekeeper.state());
    d.maskBits[t] = packMask(this.chain.mask);
    const ctx = this.ctx;
    const account = this.account;
    ctx.t = t;
    ctx.positionQty = account.positionQty;
    ctx.equity = account.equity;
    ctx.cash = account.cash;
    if (this.obs !== null && this.options.observe) this.options.observe(t, account.ledger, this.obs);
    let decision: Decision;
    if (this.box !== null) {
      const proposed = this.box.target(ctx);
      if (!Number.isFinite(proposed)) {
        throw new RangeError(`agent ${this.box.label}: target must be a finite share of equity, got ${proposed} at bar ${t}`);
      }
      decision = this.chain.decideTarget(proposed, decisionMs);
      this.recordTarget(t, decision);
    } else if (this.discrete !== null) {
      const proposed = this.discrete.act(ctx);
      if (!(proposed >= 0 && proposed < this.actions.length) || !Number.isInteger(proposed)) {
        throw new RangeError(`agent ${this.discrete.label}: action must be an integer in [0, ${this.actions.length}), got ${proposed} at bar ${t}`);
      }
      d.proposed[t] = proposed;
      decision = this.chain.decideAction(proposed, decisionMs);
    } else return;
    this.recordDecision(t, decision);
  }

  private recordDecision(t: number, decision: Decision): void {
    const d = this.decisions;
    switch (decision.outcome) {
      case 'NO_ORDER':
        d.gate[t] = GATE_NO_ORDER;
        return;
      case 'MASKED': {
        d.gate[t] = this.box === null ? GATE_MASKED : GATE_NO_ORDER;
        if (this.box === null) {
          const first = countRuleBits(decision.ruleBits, this.maskCounts);
          if (first !== null) d.maskRule[t] = d.strings.intern(first);
        }
        return;
      }
      case 'DENIED':
        d.gate[t] = GATE_DENIED;
        d.gateReason[t] = d.strings.intern(decision.rejections.map((x) => x.code).join('+'));
        return;
      case 'VENUE_REJECTED':
        d.gate[t] = GATE_VENUE_REJECTED;
        d.gateReason[t] = d.strings.intern(decision.reason);
        return;
      case 'SUBMITTED':
        d.gate[t] = GATE_ACCEPTED;
        d.orderQty[t] = decision.signedQty;
        this.lastOrderId = decision.order.clientOrderId;
        this.lastOrderBar = t;
        this.lastOrderFilled = false;
        return;
    }
  }

  /** Box columns: the target proposed, the interval it was judged against, the target sized, the clip. */
  private recordTarget(t: number, decision: Decision): void {
    const log = this.decisions.targets;
    if (log === null) return;
    const chain = this.chain;
    const low = chain.boxLow;
    log.proposed[t] = decision.proposedTarget;
    log.lo[t] = chain.rules === null ? low : clamp(chain.interval[0], low);
    log.hi[t] = chain.rules === null ? 1 : clamp(chain.interval[1], low);
    log.executed[t] = decision.executedTarget;
    if (decision.clipBits !== 0) {
      const first = countRuleBits(decision.clipBits, this.clipCounts);
      if (first !== null) this.decisions.maskRule[t] = this.decisions.strings.intern(first);
    }
  }

  private recordFill(fill: Fill, signedQty: number): void {
    const t = this.t;
    this.book.onFill(t, this.bars.time[t], signedQty, fill.price, fill.fee);
    this.fills.push(t, signedQty, fill.price, fill.fee);
    if (fill.clientOrderId === this.lastOrderId) this.lastOrderFilled = true;
  }

  /** The venue dropped the agent's order without filling any of it: the decision becomes a venue refusal. */
  private recordVenueRefusal(clientOrderId: string, reason: string): void {
    if (clientOrderId !== this.lastOrderId || this.lastOrderFilled || this.lastOrderBar < 0) return;
    const d = this.decisions;
    d.gate[this.lastOrderBar] = GATE_VENUE_REJECTED;
    d.gateReason[this.lastOrderBar] = d.strings.intern(reason);
  }
}

function checkedBoxLow(agent: BoxBacktestAgent): number {
  if (agent.boxLow !== -1 && agent.boxLow !== 0) {
    throw new RangeError(`agent ${agent.label}: boxLow must be -1 (long-short) or 0 (long-only), got ${agent.boxLow}`);
  }
  return agent.boxLow;
}

/** Clips a share onto the Box range [low, 1]. */
function clamp(x: number, low: number): number {
  return x < low ? low : x > 1 ? 1 : x;
}


