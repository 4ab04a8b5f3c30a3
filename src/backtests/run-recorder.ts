/**
 * What a run records, bar by bar, around the one decision chain: the agent's proposal and the chain's verdict
 * (decision log), equity and position at each close, fills, round-trip trades and kill-switch events. The
 * backtest's bar loop and a live paper session both record through this class, so the files they write
 * (decisions.csv, trades.csv, equity.csv) are the same function of the same decisions — the parity the paper
 * session promises. Columns grow by doubling, so a live session of unknown length records as a backtest does.
 */
import type { ActionSpec, Bars, Fill } from '../core/index.js';
import { RULE_IDS } from '../constraints/index.js';
import type { ChainListener, Decision, DecisionChain } from '../execution/index.js';
import type { TradingState } from '../risk-gatekeeper/index.js';
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
import type { KillSwitchEvent, LiquidationEvent } from './run-record.js';
import { FillLog, TradeBook } from './trades.js';

/** The context an agent reads at a decision (one object per run, rewritten per bar). */
export interface RecorderContext extends DecisionContext {
  t: number;
  /** A live session's history buffer is replaced as it grows. */
  bars: Bars;
  positionQty: number;
  equity: number;
  cash: number;
}

/** One recorded decision as a journal keeps it: a resumed live session rebuilds its decision log from these. */
export interface RecordedDecision {
  /** Index in TRADING_STATES. */
  readonly state: number;
  /** The action proposed (−1: none). */
  readonly proposed: number;
  readonly mask: number;
  readonly maskRule: string;
  /** One of the GATE_* codes. */
  readonly gate: number;
  readonly reason: string;
  readonly qty: number;
  /** Box runs: the target proposed, the interval [lo, hi] and the target executed (null: none). */
  readonly target: readonly [number | null, number | null, number | null, number | null] | null;
  /** The agent's order, when one was sent (a later venue refusal is recorded against it). */
  readonly order: string | null;
}

/** The reason decisions.csv gives an order the chain sent to trim a drifted position (`on_drift: trim`). */
export const DRIFT_TRIM_REASON = 'DRIFT_TRIM';

export class RunRecorder {
  /** Equity and signed position at each recorded bar's close (the first `length` slots are valid). */
  equity: Float64Array;
  positionQty: Float64Array;
  decisions: DecisionLog;
  readonly fills = new FillLog();
  readonly book = new TradeBook();
  readonly killEvents: KillSwitchEvent[] = [];
  /** The venue's liquidations of a margin account, in order. */
  readonly liquidations: LiquidationEvent[] = [];
  /** First bar at whose close the account was ruined (the chain sent nothing after it), or −1. */
  ruinedAtBar = -1;
  /** Decisions taken while a drawdown or daily-loss lock was engaged, and while the drawdown lock was. */
  barsLocked = 0;
  barsDrawdownLocked = 0;
  /** Proposals masked per rule id (RULE_IDS order); Box: targets clipped per rule id. */
  readonly maskCounts = new Uint32Array(RULE_IDS.length);
  readonly clipCounts = new Uint32Array(RULE_IDS.length);
  /** Bars the account spent over each limit (RULE_IDS order), as marked at the bar's close: limits that drift. */
  readonly overLimitCounts = new Uint32Array(RULE_IDS.length);
  /** Orders the chain sent to trim a drifted position back to its limit (`on_drift: trim`), per rule that was over. */
  readonly trimCounts = new Uint32Array(RULE_IDS.length);
  readonly actions: readonly ActionSpec[];
  /** Bars recorded so far. */
  length = 0;
  private readonly discrete: BacktestAgent | null;
  private readonly box: BoxBacktestAgent | null;
  /** The bar being recorded (fills and kill-switch events belong to it). */
  private t = 0;
  private timeMs = 0;
  /** The agent's last order and the bar it was decided at, so that a venue refusal is recorded there. */
  private lastOrderId = '';
  private lastOrderBar = -1;
  private lastOrderFilled = false;

  constructor(agent: AnyBacktestAgent, capacity: number) {
    this.discrete = isBoxAgent(agent) ? null : agent;
    this.box = isBoxAgent(agent) ? agent : null;
    if (this.box !== null) checkedBoxLow(this.box);
    this.actions = this.discrete === null ? [] : this.discrete.actions;
    const n = Math.max(1, capacity);
    this.equity = new Float64Array(n);
    this.positionQty = new Float64Array(n);
    this.decisions = new DecisionLog(n, { targets: this.box !== null });
  }

  /** The chain's fills and venue refusals, recorded at the current bar. */
  readonly listener: ChainListener = {
    onFill: (fill, signedQty) => this.recordFill(fill, signedQty),
    onVenueRefusal: (id, reason) => this.recordVenueRefusal(id, reason),
    onLiquidation: (e) =>
      this.liquidations.push({ bar: this.t, timeMs: e.timeMs, positionQty: e.positionQty, price: e.price, equity: e.equity, requirement: e.requirement }),
    onRuin: () => {
      if (this.ruinedAtBar < 0) this.ruinedAtBar = this.t;
    },
  };

  /** Counts a decision taken under a lock (only HOLD and closes allowed). */
  private countLocks(chain: DecisionChain): void {
    const a = chain.account;
    if (a.drawdownLocked) this.barsDrawdownLocked++;
    if (a.drawdownLocked || a.dailyLossLockDay !== -1) this.barsLocked++;
  }

  /** Bar `t` (open time `timeMs`) begins: the venue's fills at its open belong to it. */
  beginBar(t: number, timeMs: number): void {
    if (t >= this.equity.length) this.grow(Math.max(t + 1, this.equity.length * 2));
    this.t = t;
    this.timeMs = timeMs;
  }

  /** Bar `t` was marked at its close. */
  markBar(equity: number, positionQty: number): void {
    const t = this.t;
    this.equity[t] = equity;
    this.positionQty[t] = positionQty;
    if (t + 1 > this.length) this.length = t + 1;
  }

  /** The limits (`RULE_BIT`s, constraints `overLimitBits`) the account was over at the current bar's close. */
  countOverLimit(bits: number): void {
    if (bits !== 0) countRuleBits(bits, this.overLimitCounts);
  }

  /** A trading-state change while bar `t` is current. */
  recordStateChange(timeMs: number, from: TradingState, to: TradingState, actor: string, reason: string): void {
    this.killEvents.push({ bar: this.t, timeMs, from, to, actor, reason });
  }

  /**
   * The agent proposes at bar `ctx.t`, the chain decides, the log records it. `state` is the trading state the
   * decision was taken in (null: the run has no gatekeeper).
   */
  decide(chain: DecisionChain, ctx: RecorderContext, decisionMs: number, state: TradingState | null): Decision | null {
    const t = ctx.t;
    const d = this.decisions;
    this.countLocks(chain);
    d.state[t] = state === null ? 0 : tradingStateIndex(state);
    d.maskBits[t] = packMask(chain.mask);
    let decision: Decision;
    if (this.box !== null) {
      const proposed = this.box.target(ctx);
      if (!Number.isFinite(proposed)) {
        throw new RangeError(`agent ${this.box.label}: target must be a finite share of equity, got ${proposed} at bar ${t}`);
      }
      decision = chain.decideTarget(proposed, decisionMs);
      this.recordTarget(chain, t, decision);
    } else if (this.discrete !== null) {
      const proposed = this.discrete.act(ctx);
      if (!(proposed >= 0 && proposed < this.actions.length) || !Number.isInteger(proposed)) {
        throw new RangeError(`agent ${this.discrete.label}: action must be an integer in [0, ${this.actions.length}), got ${proposed} at bar ${t}`);
      }
      d.proposed[t] = proposed;
      decision = chain.decideAction(proposed, decisionMs);
    } else return null;
    this.recordDecision(t, decision);
    if (chain.trimmed && decision.outcome === 'SUBMITTED') this.recordTrim(t, decision.clipBits);
    return decision;
  }

  /** A decision the agent was not asked for (a HALTED session): only the state and mask are recorded. */
  recordSkipped(chain: DecisionChain, t: number, state: TradingState): void {
    this.countLocks(chain);
    this.decisions.state[t] = tradingStateIndex(state);
    this.decisions.maskBits[t] = packMask(chain.mask);
  }

  /**
   * The last bar of a finite run, where nothing is decided (nothing decided could fill): only the trading state in
   * force is recorded, so that a run halted to its end does not read ACTIVE there (issue 15).
   */
  recordFinalState(t: number, state: TradingState | null): void {
    this.decisions.state[t] = state === null ? 0 : tradingStateIndex(state);
  }

  /** Decision `t` as a journal keeps it (`order`: the client order id the decision sent, if any). */
  exportDecision(t: number, order: string | null): RecordedDecision {
    const d = this.decisions;
    const tl = d.targets;
    const num = (x: number): number | null => (Number.isNaN(x) ? null : x);
    return {
      state: d.state[t],
      proposed: d.proposed[t],
      mask: d.maskBits[t],
      maskRule: d.strings.name(d.maskRule[t]),
      gate: d.gate[t],
      reason: d.strings.name(d.gateReason[t]),
      qty: d.orderQty[t],
      target: tl === null ? null : [num(tl.proposed[t]), num(tl.lo[t]), num(tl.hi[t]), num(tl.executed[t])],
      order,
    };
  }

  /** Puts back decision `t` from a journal (counts of masked and clipped proposals included). */
  importDecision(t: number, r: RecordedDecision): void {
    if (t >= this.equity.length) this.grow(Math.max(t + 1, this.equity.length * 2));
    const d = this.decisions;
    d.state[t] = r.state;
    d.proposed[t] = r.proposed;
    d.maskBits[t] = r.mask;
    d.maskRule[t] = r.maskRule === '' ? -1 : d.strings.intern(r.maskRule);
    d.gate[t] = r.gate;
    d.gateReason[t] = r.reason === '' ? -1 : d.strings.intern(r.reason);
    d.orderQty[t] = r.qty;
    const tl = d.targets;
    if (tl !== null && r.target !== null) {
      const [p, lo, hi, ex] = r.target;
      tl.proposed[t] = p ?? Number.NaN;
      tl.lo[t] = lo ?? Number.NaN;
      tl.hi[t] = hi ?? Number.NaN;
      tl.executed[t] = ex ?? Number.NaN;
    }
    if (r.maskRule !== '') {
      const k = RULE_IDS.indexOf(r.maskRule as (typeof RULE_IDS)[number]);
      if (k >= 0) (r.reason === DRIFT_TRIM_REASON ? this.trimCounts : this.box === null ? this.maskCounts : this.clipCounts)[k]++;
    }
    if (r.order !== null) {
      this.lastOrderId = r.order;
      this.lastOrderBar = t;
      this.lastOrderFilled = false;
    }
  }

  /** The recorded columns cut to `length` bars (copies: a live session goes on recording). */
  snapshot(): { equity: Float64Array; positionQty: Float64Array; decisions: DecisionLog } {
    const n = this.length;
    return { equity: this.equity.slice(0, n), positionQty: this.positionQty.slice(0, n), decisions: this.decisions.resized(n) };
  }

  private grow(capacity: number): void {
    const equity = new Float64Array(capacity);
    equity.set(this.equity);
    const positionQty = new Float64Array(capacity);
    positionQty.set(this.positionQty);
    this.equity = equity;
    this.positionQty = positionQty;
    this.decisions = this.decisions.resized(capacity);
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

  /** A drift trim: counted per rule that was over, the rule in `mask_rule` and DRIFT_TRIM as the decision's reason. */
  private recordTrim(t: number, bits: number): void {
    const d = this.decisions;
    const first = countRuleBits(bits, this.trimCounts);
    if (first !== null) d.maskRule[t] = d.strings.intern(first);
    d.gateReason[t] = d.strings.intern(DRIFT_TRIM_REASON);
  }

  /** Box columns: the target proposed, the interval it was judged against, the target sized, the clip. */
  private recordTarget(chain: DecisionChain, t: number, decision: Decision): void {
    const log = this.decisions.targets;
    if (log === null) return;
    const low = chain.boxLow;
    log.proposed[t] = decision.proposedTarget;
    log.lo[t] = chain.rules === null ? low : clamp(chain.interval[0], low);
    log.hi[t] = chain.rules === null ? 1 : clamp(chain.interval[1], low);
    log.executed[t] = decision.executedTarget;
    if (decision.clipBits !== 0 && !chain.trimmed) {
      const first = countRuleBits(decision.clipBits, this.clipCounts);
      if (first !== null) this.decisions.maskRule[t] = this.decisions.strings.intern(first);
    }
  }

  private recordFill(fill: Fill, signedQty: number): void {
    const t = this.t;
    this.book.onFill(t, this.timeMs, signedQty, fill.price, fill.fee);
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

export function checkedBoxLow(agent: BoxBacktestAgent): number {
  if (agent.boxLow !== -1 && agent.boxLow !== 0) {
    throw new RangeError(`agent ${agent.label}: boxLow must be -1 (long-short) or 0 (long-only), got ${agent.boxLow}`);
  }
  return agent.boxLow;
}

/** Clips a share onto the Box range [low, 1]. */
function clamp(x: number, low: number): number {
  return x < low ? low : x > 1 ? 1 : x;
}
