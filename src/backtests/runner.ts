/**
 * The backtest runner: drives an agent through the chain that paper trading uses, bar by bar.
 *
 *   close of bar t: mark the ledger → Constraint Logic Engine (locks, mask) → agent proposes an action
 *     → masked? record and hold → size the order → risk gatekeeper (pre-trade checks, trading state)
 *   (a Box agent proposes a target position instead: clipped onto the engine's allowed interval, the clip
 *     recorded, then sized as the trading env sizes it; box-targets.ts)
 *   open of bar t+1: the venue's fill model fills what passed (fees, spread, slippage, impact, lot, min notional)
 *
 * Scheduled operator actions (soft kill, hard kill, resume) go through the kill-switch at the first
 * decision at or after their time. The hot loop allocates nothing per bar; it awaits only when a trading
 * state changed (so a hard kill's cancel-and-flatten completes before the next decision).
 */
import {
  type ActionSpec,
  type Bars,
  Ledger,
  type Instrument,
  barIntervalMs,
  barsPerYear,
  floorToLot,
  utcDayIndex,
  actionOrderQty,
} from '../core/index.js';
import {
  type CompiledRules,
  type ConstraintState,
  type Rules,
  RULE_IDS,
  auditLockListener,
  compileRules,
  createConstraintState,
  syncStateFromAccount,
  updateLocks,
  writeActionMask,
} from '../constraints/index.js';
import { type GatekeeperConfig, parseGatekeeperConfig } from '../risk-gatekeeper/index.js';
import { type AuditSink, discardAuditSink } from '../security/index.js';
import {
  type CompiledSimFill,
  FillResult,
  FillStatus,
  type SimFillConfigInput,
  compileSimFill,
  fillMarketOrderInto,
  fillStatusName,
  parseSimFillConfig,
} from '../venues/index.js';
import type { ScheduledAction } from './backtest-config.js';
import { BoxTargets } from './box-targets.js';
import {
  DecisionLog,
  GATE_ACCEPTED,
  GATE_DENIED,
  GATE_MASKED,
  MAX_ACTIONS,
  type TradingStateName,
  countRuleBits,
  ruleCounts,
  tradingStateIndex,
} from './decision-log.js';
import { performanceMetrics, returnMetrics } from './metrics.js';
import { RiskChain } from './risk-chain.js';
import type { AnyBacktestAgent, BacktestAgent, DecisionContext } from './rule-agents.js';
import { createRuleAgent, isBoxAgent } from './rule-agents.js';
import type { BacktestMetrics, BacktestRecord, KillSwitchEvent, LimitsInfo } from './run-record.js';
import { FillLog, TradeBook } from './trades.js';

export interface BacktestOptions {
  readonly bars: Bars;
  readonly instrument: Instrument;
  /** An agent choosing from an action list, or a Box agent naming a target position. */
  readonly agent: AnyBacktestAgent;
  /** Starting cash, quote currency. */
  readonly initialCash: number;
  /** Fill model; the backtest defaults are the venue's except impact 0 and participation 1 (see README). */
  readonly fill?: SimFillConfigInput;
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
}

/** Backtest defaults for the fill model: costs as the venue's defaults, one account takes what the bar trades. */
export const BACKTEST_FILL_DEFAULTS: SimFillConfigInput = { impactBps: 0, maxParticipation: 1 };

const NO_ORDER = 0;
const CLOSE_NUDGE = 1e-12;

export function limitsNote(rules: Rules | null, risk: GatekeeperConfig | null, gatekeeperFromSchedule: boolean): string {
  if (rules === null && risk === null && !gatekeeperFromSchedule) {
    return 'No --rules and no --risk: no limits applied beyond the venue validity checks (lot size, min notional, volume).';
  }
  const parts: string[] = [];
  parts.push(rules === null ? 'no Constraint Logic Engine rules' : 'Constraint Logic Engine rules applied');
  if (risk !== null) parts.push('risk gatekeeper applied');
  else if (gatekeeperFromSchedule) parts.push('risk gatekeeper with default limits (the schedule needs the kill-switch)');
  else parts.push('no risk gatekeeper');
  return `${parts.join('; ')}; venue validity checks always apply.`;
}

/** Runs one backtest through the full chain. Same inputs and seed, same record. */
export async function runBacktest(options: BacktestOptions): Promise<BacktestRecord> {
  const { bars, instrument, agent } = options;
  const n = bars.length;
  if (n < 2) throw new RangeError(`bars: need at least 2 bars to fill one order, got ${n}`);
  // Exactly one of the two is set: the agent choosing from an action list, or the Box agent.
  const discrete: BacktestAgent | null = isBoxAgent(agent) ? null : agent;
  const actions: readonly ActionSpec[] = discrete === null ? [] : discrete.actions;
  if (actions.length > MAX_ACTIONS) throw new RangeError(`agent.actions: at most ${MAX_ACTIONS}, got ${actions.length}`);
  const seed = options.seed ?? 0;
  const audit = options.audit ?? discardAuditSink;
  const schedule = options.schedule ?? [];
  const rules = options.rules ?? null;
  const gatekeeperFromSchedule = (options.risk ?? null) === null && schedule.length > 0;
  const riskConfig = options.risk ?? (gatekeeperFromSchedule ? parseGatekeeperConfig({}, 'default gatekeeper config') : null);
  const fillConfig = parseSimFillConfig({ ...BACKTEST_FILL_DEFAULTS, ...(options.fill ?? {}) }, 'fill');
  const sim: CompiledSimFill = compileSimFill(fillConfig, instrument);
  const intervalMs = barIntervalMs(bars);
  const nActions = actions.length;
  const agentId = options.agentId ?? 'backtest';

  // -- Layer 2: Constraint Logic Engine --
  let compiled: CompiledRules | null = null;
  const cstate: ConstraintState = createConstraintState({ equity: options.initialCash, price: bars.close[0], symbol: instrument.symbol });
  if (rules !== null) {
    compiled = compileRules(rules, {
      // A Box agent has no action list: the engine judges its targets by the interval (the default list is unused).
      ...(discrete === null ? {} : { actions }),
      fillModel: {
        spread_bps: fillConfig.spreadBps,
        slippage_bound_bps: fillConfig.slippageBps + fillConfig.impactBps,
        fee_bps: fillConfig.takerFeeBps,
      },
    });
  }
  const lockListener = auditLockListener(audit);
  const mask = new Uint8Array(nActions).fill(1);
  const reasons = new Uint32Array(nActions);

  // -- account, venue, records --
  const ledger = new Ledger(options.initialCash);
  ledger.reset(bars.time[0], bars.open[0]);
  const fill = new FillResult();
  const equity = new Float64Array(n);
  const positionQty = new Float64Array(n);
  const decisions = new DecisionLog(n, { targets: discrete === null });
  const fills = new FillLog();
  const book = new TradeBook();
  const killEvents: KillSwitchEvent[] = [];
  const maskCounts = new Uint32Array(RULE_IDS.length);
  const obs = options.observe ? new Float32Array(options.obsDim ?? 0) : null;

  // The order waiting for the next open: either a signed quantity or a signed quote amount.
  let pendingQty = 0;
  let pendingQuote = 0;
  let pendingBar = -1;
  let pendingFlattenQty = 0;
  let tradesToday = 0;
  let tradeDay = utcDayIndex(bars.time[0]);
  let lastFillBar = -1;
  let t = 0;

  const risk =
    riskConfig === null
      ? null
      : new RiskChain({
          config: riskConfig,
          instrument,
          agentId,
          audit,
          venue: {
            cancelPending: () => {
              const had = pendingQty !== 0 || pendingQuote !== 0 ? 1 : 0;
              pendingQty = 0;
              pendingQuote = 0;
              return had;
            },
            positionQty: () => ledger.positionQty,
            queueFlatten: (q) => {
              pendingFlattenQty = q * (1 + CLOSE_NUDGE);
            },
          },
          onStateChange: (r) => {
            killEvents.push({ bar: t, timeMs: r.changedAtMs, from: r.previous, to: r.state, actor: r.actor, reason: r.reason });
          },
        });

  let scheduleIdx = 0;
  const ctx: {
    t: number;
    bars: Bars;
    positionQty: number;
    equity: number;
    cash: number;
    mask: Uint8Array;
    obs: Float32Array | null;
  } = { t: 0, bars, positionQty: 0, equity: options.initialCash, cash: options.initialCash, mask, obs };
  const agentCtx: DecisionContext = ctx;
  const boxTargets = isBoxAgent(agent) ? new BoxTargets(agent, compiled, decisions) : null;
  agent.reset(seed);

  const bookFill = (bar: number): void => {
    ledger.applyFill(fill.signedQty, fill.price, fill.fee);
    book.onFill(bar, bars.time[bar], fill.signedQty, fill.price, fill.fee);
    fills.push(bar, fill.signedQty, fill.price, fill.fee);
    tradesToday++;
    lastFillBar = bar;
    audit.append('FILL', `agent:${agentId}`, {
      symbol: instrument.symbol,
      bar,
      qty: fill.signedQty,
      price: fill.price,
      fee: fill.fee,
    });
  };

  const venueReject = (decisionBar: number): void => {
    if (fill.status === FillStatus.FILLED || fill.status === FillStatus.PARTIAL || fill.status === FillStatus.NONE) return;
    if (decisionBar < 0) return;
    decisions.gate[decisionBar] = GATE_DENIED;
    decisions.gateReason[decisionBar] = decisions.strings.intern(`VENUE_${fillStatusName(fill.status)}`);
  };

  try {
    for (t = 0; t < n; t++) {
      // -- open of bar t: fill what was decided at t−1 --
      if (t > 0 && (pendingQty !== 0 || pendingQuote !== 0 || pendingFlattenQty !== 0)) {
        const open = bars.open[t];
        const volume = bars.volume[t];
        const day = utcDayIndex(bars.time[t]);
        if (day !== tradeDay) {
          tradeDay = day;
          tradesToday = 0;
        }
        if (pendingFlattenQty !== 0) {
          fillMarketOrderInto(fill, pendingFlattenQty, open, volume, sim);
          if (fill.signedQty !== 0) bookFill(t);
          pendingFlattenQty = 0;
        }
        if (pendingQuote !== 0) {
          fillQuoteOrder(fill, pendingQuote, open, volume, sim);
          if (fill.signedQty !== 0) bookFill(t);
          else venueReject(pendingBar);
        } else if (pendingQty !== 0) {
          fillMarketOrderInto(fill, pendingQty, open, volume, sim);
          if (fill.signedQty !== 0) bookFill(t);
          else venueReject(pendingBar);
        }
        pendingQty = 0;
        pendingQuote = 0;
      }

      // -- close of bar t: mark, then decide --
      const decisionMs = bars.time[t] + intervalMs;
      ledger.mark(bars.close[t], decisionMs);
      equity[t] = ledger.equity;
      positionQty[t] = ledger.positionQty;
      if (t === n - 1) break; // nothing decided now could fill

      // Operator actions due by now, through the kill-switch.
      while (risk !== null && scheduleIdx < schedule.length && schedule[scheduleIdx].atMs <= decisionMs) {
        const s = schedule[scheduleIdx++];
        risk.update(decisionMs, bars.close[t], ledger, ledger.positionQty);
        await risk.operate(s.action, s.operator, s.reason);
      }
      if (risk !== null && risk.pendingChange) await risk.settle();
      decisions.state[t] = risk === null ? 0 : tradingStateIndex(risk.state() satisfies TradingStateName);

      // Layer 2: mask with reasons.
      if (compiled !== null) {
        syncStateFromAccount(cstate, ledger);
        cstate.tradesToday = utcDayIndex(decisionMs) === tradeDay ? tradesToday : 0;
        cstate.barsSinceLastTrade = lastFillBar < 0 ? Number.MAX_SAFE_INTEGER : t - lastFillBar;
        updateLocks(cstate, compiled, lockListener);
        if (discrete !== null) writeActionMask(cstate, compiled, mask, 0, reasons);
      }
      let bits = 0;
      for (let a = 0; a < nActions; a++) if (mask[a] !== 0) bits |= 1 << a;
      decisions.maskBits[t] = bits >>> 0;

      // Layer 1: the agent.
      ctx.t = t;
      ctx.positionQty = ledger.positionQty;
      ctx.equity = ledger.equity;
      ctx.cash = ledger.cash;
      if (obs !== null && options.observe) options.observe(t, ledger, obs);
      const price = bars.close[t];
      let qty = 0;
      let quote = 0;
      if (boxTargets !== null) {
        qty = boxTargets.order(t, agentCtx, cstate, price);
      } else if (discrete !== null) {
        const proposed = discrete.act(agentCtx);
        if (!(proposed >= 0 && proposed < nActions) || !Number.isInteger(proposed)) {
          throw new RangeError(`agent ${agent.label}: action must be an integer in [0, ${nActions}), got ${proposed} at bar ${t}`);
        }
        decisions.proposed[t] = proposed;
        if (mask[proposed] === 0) {
          decisions.gate[t] = GATE_MASKED;
          const first = countRuleBits(reasons[proposed], maskCounts);
          if (first !== null) decisions.maskRule[t] = decisions.strings.intern(first);
          continue;
        }

        // Size the order.
        const spec = actions[proposed];
        switch (spec.kind) {
          case 'HOLD':
            break;
          case 'CLOSE_POSITION':
            qty = -ledger.positionQty;
            break;
          case 'BUY':
          case 'SELL': {
            const sign = spec.kind === 'BUY' ? 1 : -1;
            const sizing = discrete.sizing;
            if (sizing.kind === 'qty') qty = sign * sizing.qty;
            else if (sizing.kind === 'fraction') quote = sign * Math.max(0, ledger.cash) * sizing.fraction;
            else qty = actionOrderQty(spec, ledger.positionQty, ledger.equity, price);
            break;
          }
          case 'TARGET':
            qty = (spec.fraction * ledger.equity) / price - ledger.positionQty;
            break;
        }
      }
      // Nudged by a part in 10¹² so that lot flooring (qty / lot in floating point) cannot leave one lot
      // behind when an order is meant to reach a position exactly (a close, a target of 0).
      qty *= 1 + CLOSE_NUDGE;
      const rawQty = quote !== 0 ? quote / price : qty;
      if (rawQty === 0 || !Number.isFinite(rawQty)) {
        decisions.gate[t] = NO_ORDER;
        continue;
      }
      // What the venue would accept: whole lots (the venue's own validity check, applied before the gatekeeper).
      const estQty = Math.sign(rawQty) * floorToLot(Math.abs(rawQty), instrument.lotSize);
      if (estQty === 0) {
        // Less than one lot: there is no order to send (a rebalance too small to trade).
        decisions.gate[t] = NO_ORDER;
        continue;
      }

      // Layer 3: the gatekeeper.
      if (risk !== null) {
        risk.update(decisionMs, price, ledger, ledger.positionQty);
        const rejections = risk.check(estQty, price);
        if (risk.pendingChange) await risk.settle();
        if (rejections !== null) {
          decisions.gate[t] = GATE_DENIED;
          decisions.gateReason[t] = decisions.strings.intern(rejections.map((x) => x.code).join('+'));
          continue;
        }
      }
      decisions.gate[t] = GATE_ACCEPTED;
      decisions.orderQty[t] = estQty;
      pendingQty = qty;
      pendingQuote = quote;
      pendingBar = t;
      audit.append('ORDER_SUBMITTED', `agent:${agentId}`, { symbol: instrument.symbol, bar: t, qty: estQty, quote });
    }
  } finally {
    risk?.dispose();
  }

  const last = n - 1;
  const trades = book.finish(last, bars.time[last], bars.close[last]);
  const bpy = barsPerYear(intervalMs);
  const perf = performanceMetrics(
    { equity, positionQty, trades, tradedNotional: fills.tradedNotional(), feesPaid: ledger.feesPaid },
    bpy,
  );
  const rejections: Record<string, number> = {};
  for (let i = 0; i < decisions.length; i++) {
    if (decisions.gate[i] !== GATE_DENIED) continue;
    for (const code of decisions.strings.name(decisions.gateReason[i]).split('+')) rejections[code] = (rejections[code] ?? 0) + 1;
  }

  let benchmarkEquity: Float64Array | null = null;
  if (options.benchmark !== false) {
    const bench = await runBacktest({
      bars,
      instrument,
      agent: createRuleAgent('buy-and-hold'),
      initialCash: options.initialCash,
      fill: options.fill ?? {},
      seed,
      benchmark: false,
    });
    benchmarkEquity = bench.equity;
  }
  const limits: LimitsInfo = {
    applied: rules !== null || riskConfig !== null,
    note: limitsNote(rules, options.risk ?? null, gatekeeperFromSchedule),
    maxDrawdown: rules !== null ? rules.max_drawdown_pct : riskConfig !== null ? riskConfig.drawdownHaltPct / 100 : null,
  };
  const metrics: BacktestMetrics = {
    ...perf,
    masked_actions: ruleCounts(maskCounts),
    clipped_targets: boxTargets === null ? {} : ruleCounts(boxTargets.clipCounts),
    rejections,
    kill_switch_events: killEvents.length,
    benchmark: benchmarkEquity === null ? null : returnMetrics(benchmarkEquity, bpy),
    agent: agent.label,
    bars: n,
    bar_interval_ms: intervalMs,
    limits_applied: limits.applied,
    seed,
  };
  return {
    agent: agent.label,
    bars,
    actions,
    equity,
    positionQty,
    benchmarkEquity,
    fills,
    trades,
    decisions,
    killSwitchEvents: killEvents,
    limits,
    metrics,
  };
}

/**
 * Fills an order sized in quote currency: `|quote| / fill price` units at whatever price it fills. A buy
 * leaves room for its fee, so that investing all cash never overdraws it. Writes into `out`.
 */
export function fillQuoteOrder(out: FillResult, quote: number, open: number, volume: number, sim: CompiledSimFill): FillResult {
  const sign = quote > 0 ? 1 : -1;
  const amount = Math.abs(quote);
  // First pass finds the fill price at the quantity the open suggests; the second fills at that price's quantity
  // (a smaller order never pays more impact, so the second price is at most the first).
  fillMarketOrderInto(out, (sign * amount) / open, open, volume, sim);
  if (out.signedQty === 0) return out;
  const feeFactor = sign > 0 ? 1 + sim.takerFeeFrac : 1;
  return fillMarketOrderInto(out, (sign * amount) / (out.price * feeFactor), open, volume, sim);
}
