/**
 * The risk gatekeeper: every order intent passes `check(order, context)` before any venue sees it.
 * Denials are results (and ORDER_DENIED audit events), never exceptions. Missing data fails closed.
 * Automatic triggers (circuit breaker, daily loss, drawdown) only ever make a state stricter.
 */
import { type Clock, type Instrument, renderReason } from '../core/index.js';
import type { AuditEventType, AuditOrderPayload, AuditSink } from '../security/index.js';
import { type GatekeeperConfig, type InstrumentLimits, limitsFor } from './config.js';
import type { AccountRisk, CallerIdentity, OrderIntent, RiskContext, TrustedPrice } from './context.js';
import { ClientIdMemory, RepeatRing } from './duplicates.js';
import {
  checkCollar,
  checkInstrumentRules,
  checkWellFormed,
  isReducing,
  minNotionalPrice,
  notionalPrice,
  positionAfter,
  trustedPriceOrReject,
} from './order-checks.js';
import { RateWindow } from './rate-window.js';
import { type RejectDetail, type Rejection, renderRejection } from './reasons.js';
import { STATE_CHANGED, stateChangePayload } from './state-replay.js';
import type { TradingStateStore } from './state-store.js';
import {
  type Scope,
  type StateRecord,
  type StoreHealth,
  type TradingState,
  type TradingStateView,
  strictness,
} from './trading-state.js';

export type CheckResult =
  | { readonly allowed: true }
  | { readonly allowed: false; readonly rejections: readonly Rejection[] };

const APPROVED: CheckResult = Object.freeze({ allowed: true });

interface AgentCounters {
  readonly perSec: RateWindow;
  readonly perMin: RateWindow;
  readonly actions: RateWindow;
}

export interface GatekeeperOptions {
  readonly config: GatekeeperConfig;
  readonly instruments: readonly Instrument[];
  readonly store: TradingStateStore;
  readonly clock: Clock;
  readonly audit: AuditSink;
}

export class RiskGatekeeper {
  readonly config: GatekeeperConfig;
  private readonly instruments = new Map<string, Instrument>();
  private readonly limits = new Map<string, InstrumentLimits>();
  private readonly store: TradingStateStore;
  private readonly clock: Clock;
  private readonly audit: AuditSink;
  private readonly agents = new Map<string, AgentCounters>();
  private readonly clientIds: ClientIdMemory;
  private readonly repeats: RepeatRing;
  /** Flattening orders the kill-switch issued and may still submit, as issued (compared field for field). */
  private readonly issuedFlattens = new Map<string, OrderIntent>();
  /** Scopes with an escalation in flight, so a trigger writes once rather than once per order. */
  private readonly pendingEscalations = new Set<string>();
  private readonly scratch: Rejection[] = [];
  private readonly maxPriceAgeMs: number;
  /** An unattributed caller is over the breaker's rate (alerted once per streak). */
  private unattributedBreakerOpen = false;
  private flattenSeq = 0;
  private readonly unsubscribe: () => void;

  constructor(options: GatekeeperOptions) {
    this.config = options.config;
    this.store = options.store;
    this.clock = options.clock;
    this.audit = options.audit;
    this.maxPriceAgeMs = this.config.maxPriceAgeSec * 1000;
    for (const inst of options.instruments) {
      this.instruments.set(inst.symbol, inst);
      this.limits.set(inst.symbol, limitsFor(this.config, inst.symbol));
    }
    this.clientIds = new ClientIdMemory(this.config.clientIdCapacity, this.config.clientIdTtlSec * 1000);
    this.repeats = new RepeatRing(this.config.repeatMemory, this.config.repeatWindowSec * 1000);
    // Every flip this gatekeeper learns of (its own, another process's via the store, an operator's) is audited.
    this.unsubscribe = this.store.onChange((r) => this.auditStateChange(r));
  }

  /** Read-only view of trading states for agents: no method of it changes anything. */
  stateView(): TradingStateView {
    const cache = this.store.cache;
    const store = this.store;
    const clock = this.clock;
    return Object.freeze({
      stateOf: (scope: Scope) => cache.stateOf(scope),
      effectiveState: (agentId: string | undefined, symbol: string | undefined) =>
        cache.effectiveState(agentId, symbol),
      health: (): StoreHealth => store.health(clock.nowMs()),
    });
  }

  dispose(): void {
    this.unsubscribe();
  }

  /** Flattening orders issued and not yet checked (0 once the kill-switch has submitted what it issued). */
  issuedFlattenCount(): number {
    return this.issuedFlattens.size;
  }

  /**
   * Judges one order. `caller`, when given, is the identity the transport authenticated (gateway token,
   * sandbox channel): the order is then attributed to `caller.agentId` and refused if its body names another
   * agent. Without it (in-process callers: envs, backtests) the order's own `agentId` is trusted.
   */
  check(order: OrderIntent, ctx: RiskContext, caller?: CallerIdentity): CheckResult {
    const agentId = caller === undefined ? order.agentId : caller.agentId;
    if (order.flattening === true) return this.checkFlattening(order, caller);
    const nowMs = this.clock.nowMs();
    // One scratch array reused by every check (copied only on a denial): no allocation on the approving path.
    const out = this.scratch;
    out.length = 0;
    if (caller !== undefined) checkCallerIdentity(order, caller, out);
    const instrument = this.instruments.get(order.symbol);
    const counters = this.countersFor(agentId);
    const breakerTripped = !counters.actions.allows(nowMs);
    counters.actions.record(nowMs);
    if (agentId === undefined && !breakerTripped) this.unattributedBreakerOpen = false;

    if (checkWellFormed(order, instrument, out) > 0 || instrument === undefined) {
      if (breakerTripped) this.tripBreaker(agentId, nowMs, out, false);
      return this.deny(order, out, agentId);
    }
    const limits = this.limits.get(order.symbol) ?? this.config.limits;

    // Trusted price, collar, instrument rules.
    const tp = trustedPriceOrReject(order.symbol, ctx.trustedPrice(order.symbol), nowMs, this.maxPriceAgeMs, this.config.maxClockSkewMs, out);
    const trusted = tp === undefined ? Number.NaN : tp.price;
    if (tp !== undefined) checkCollar(order, trusted, this.config.collarPct, out);
    checkInstrumentRules(order, instrument, limits, notionalPrice(order, trusted), minNotionalPrice(order, trusted), out);

    const pendingSigned = pendingSignedOrReject(order, ctx, out);
    const reducing = this.checkPosition(order, ctx, instrument, limits, tp, pendingSigned, nowMs, out);
    const openOrders = ctx.openOrderCount();
    if (!(Number.isInteger(openOrders) && openOrders >= 0)) {
      out.push({ code: 'NO_ACCOUNT', detail: { problem: 'open order count unreadable', got: String(openOrders) } });
    } else if (!(openOrders < this.config.maxOpenOrders)) {
      out.push({ code: 'MAX_OPEN_ORDERS', detail: { max: this.config.maxOpenOrders, open: openOrders } });
    }

    this.checkAccountTriggers(ctx, nowMs, reducing, out);
    this.checkTradingState(order.symbol, agentId, nowMs, reducing, pendingSigned, out);

    // Throttles, circuit breaker, duplicates, repeats.
    if (!counters.perSec.allows(nowMs)) {
      out.push({ code: 'RATE_LIMIT', detail: { window: '1s', max: this.config.maxOrdersPerSec } });
    } else if (!counters.perMin.allows(nowMs)) {
      out.push({ code: 'RATE_LIMIT', detail: { window: '1m', max: this.config.maxOrdersPerMin } });
    }
    if (breakerTripped) this.tripBreaker(agentId, nowMs, out, reducing);
    const firstSeenMs = this.clientIds.seenBeforeOrRemember(order.clientOrderId, nowMs);
    if (firstSeenMs !== undefined) {
      out.push({ code: 'DUPLICATE_ORDER', detail: { clientOrderId: order.clientOrderId, firstSeenMs } });
    }
    const same = this.repeats.countSame(order, nowMs);
    this.repeats.record(order, nowMs);
    if (same >= this.config.maxRepeats) {
      out.push({ code: 'REPEATED_ORDER', detail: { earlier: same, max: this.config.maxRepeats, windowSec: this.config.repeatWindowSec } });
      // One alert per streak: when the limit is first crossed, not on every looped copy after it.
      if (same === this.config.maxRepeats) this.alert('REPEATED_ORDER_ALERT', order, agentId, { earlier: same });
    }

    if (out.length > 0) return this.deny(order, out, agentId);
    counters.perSec.record(nowMs);
    counters.perMin.record(nowMs);
    if (this.config.auditApprovals) this.audit.append('ORDER_APPROVED', actorOf(agentId), orderPayload(order, agentId));
    return APPROVED;
  }

  /**
   * Post-trade position and exposure, judged on the worst case: every open order on the new order's side
   * fills first (opposite-side ones may never fill, so they are not counted). Reducing orders never breach a
   * limit they move away from. Returns whether the order reduces risk (false when the account cannot tell).
   * `pendingSigned` is the open quantity on the order's side, signed; NaN when unreadable (already refused).
   */
  private checkPosition(
    order: OrderIntent,
    ctx: RiskContext,
    instrument: Instrument,
    limits: InstrumentLimits,
    tp: TrustedPrice | undefined,
    pendingSigned: number,
    nowMs: number,
    out: Rejection[],
  ): boolean {
    const before = ctx.positionQty(order.symbol);
    // An unreadable position (NaN, ±Infinity) would slip past every comparison below: refuse instead.
    if (!Number.isFinite(before)) {
      out.push({ code: 'NO_ACCOUNT', detail: { problem: 'position unreadable', symbol: order.symbol, got: String(before) } });
      return false;
    }
    if (Number.isNaN(pendingSigned)) return false;
    const base = pendingSigned === 0 ? before : before + pendingSigned;
    const lot = instrument.lotSize;
    const after = positionAfter(base, order, lot);
    // Reducing against the worst-case base, and never crossing zero against the current position alone.
    // (The second follows from the first when pendingQty >= 0; it is kept as the rule's own statement.)
    if (isReducing(base, after) && isReducing(before, positionAfter(before, order, lot))) return true;
    if (Math.abs(after) > limits.maxPositionQty) {
      out.push({ code: 'MAX_POSITION', detail: withPending({ symbol: order.symbol, maxQty: limits.maxPositionQty, gotQty: after }, pendingSigned) });
    } else if (tp !== undefined && Math.abs(after) * tp.price > limits.maxPositionNotionalQuote) {
      const got = Math.abs(after) * tp.price;
      out.push({
        code: 'MAX_POSITION',
        detail: withPending({ symbol: order.symbol, maxNotional: limits.maxPositionNotionalQuote, gotNotional: got }, pendingSigned),
      });
    }
    if (tp !== undefined) this.checkGrossExposure(ctx, order.symbol, base, after, pendingSigned, tp.price, nowMs, out);
    return false;
  }

  /**
   * Makes a flattening order for a position and registers it: under HALTED it is the only kind of order
   * that passes. Marked reduceOnly and `flattening`, audited when issued. An unreadable or zero position is
   * not registered: its order is refused (INVALID_QUANTITY) when checked and nothing of it stays in memory.
   */
  issueFlatteningOrder(symbol: string, positionQty: number, agentId: string | undefined): OrderIntent {
    this.flattenSeq += 1;
    const nowMs = this.clock.nowMs();
    const order: OrderIntent = {
      clientOrderId: `flatten-${nowMs}-${this.flattenSeq}`,
      symbol,
      side: positionQty > 0 ? 'SELL' : 'BUY',
      type: 'MARKET',
      quantity: Math.abs(positionQty),
      timeInForce: 'IOC',
      createdAtMs: nowMs,
      reduceOnly: true,
      flattening: true,
      ...(agentId === undefined ? {} : { agentId }),
    };
    if (isPositiveFinite(order.quantity)) this.issuedFlattens.set(order.clientOrderId, order);
    this.audit.append('FLATTEN_ORDER_ISSUED', 'system', orderPayload(order, agentId));
    return order;
  }

  /**
   * A flattening order passes only as the kill-switch issued it, field for field (a copy with a limit price,
   * another time in force or another agent is not it), once, and never from an outside caller.
   */
  private checkFlattening(order: OrderIntent, caller: CallerIdentity | undefined): CheckResult {
    const agentId = caller === undefined ? order.agentId : caller.agentId;
    const issued = this.issuedFlattens.get(order.clientOrderId);
    let rejection: Rejection | undefined;
    if (caller !== undefined) {
      rejection = { code: 'INVALID_ORDER', detail: { field: 'flattening', problem: 'only the kill-switch submits flattening orders' } };
    } else if (!isPositiveFinite(order.quantity)) {
      rejection = { code: 'INVALID_QUANTITY', detail: { got: String(order.quantity), problem: 'flattening order for an unreadable or zero position' } };
      if (issued !== undefined) this.issuedFlattens.delete(order.clientOrderId);
    } else if (issued === undefined) {
      rejection = { code: 'INVALID_ORDER', detail: { field: 'flattening', problem: 'not issued by the kill-switch' } };
    } else {
      const field = firstDifference(issued, order);
      if (field !== undefined) {
        rejection = { code: 'INVALID_ORDER', detail: { field, problem: 'differs from the flattening order the kill-switch issued' } };
      }
    }
    if (rejection !== undefined) return this.deny(order, [rejection], agentId);
    this.issuedFlattens.delete(order.clientOrderId);
    this.audit.append('ORDER_APPROVED', 'system', { ...orderPayload(order, agentId), flattening: true });
    return APPROVED;
  }

  private checkGrossExposure(
    ctx: RiskContext,
    symbol: string,
    before: number,
    after: number,
    pendingSigned: number,
    trusted: number,
    nowMs: number,
    out: Rejection[],
  ): void {
    let gross = 0;
    for (const s of ctx.positionSymbols()) {
      if (s === symbol) continue;
      const q = ctx.positionQty(s);
      const buyQty = ctx.pendingBuyQty(s);
      const sellQty = ctx.pendingSellQty(s);
      if (q === 0 && buyQty === 0 && sellQty === 0) continue;
      // An unreadable holding makes the exposure unknown: refuse rather than sum a NaN that compares false.
      if (!Number.isFinite(q)) {
        out.push({ code: 'NO_ACCOUNT', detail: { problem: 'position unreadable', symbol: s, got: String(q) } });
        return;
      }
      if (!isQuantity(buyQty) || !isQuantity(sellQty)) {
        const [side, got] = isQuantity(buyQty) ? ['SELL', sellQty] : ['BUY', buyQty];
        out.push({ code: 'NO_ACCOUNT', detail: { problem: 'open orders unreadable', symbol: s, side, got: String(got) } });
        return;
      }
      const p = trustedPriceOrReject(s, ctx.trustedPrice(s), nowMs, this.maxPriceAgeMs, this.config.maxClockSkewMs, out);
      if (p === undefined) return; // an unpriced holding makes the exposure unknown: already refused
      // Worst case for another instrument: all its open orders on whichever side grows |position| fill.
      gross += Math.max(Math.abs(q + buyQty), Math.abs(q - sellQty)) * p.price;
    }
    const grossAfter = gross + Math.abs(after) * trusted;
    if (grossAfter > this.config.maxGrossExposureQuote && Math.abs(after) > Math.abs(before)) {
      out.push({ code: 'MAX_GROSS_EXPOSURE', detail: withPending({ max: this.config.maxGrossExposureQuote, got: grossAfter }, pendingSigned) });
    }
  }

  private checkAccountTriggers(ctx: RiskContext, nowMs: number, reducing: boolean, out: Rejection[]): void {
    const acc = ctx.account();
    if (acc === undefined) {
      out.push({ code: 'NO_ACCOUNT', detail: { problem: 'unreadable' } });
      return;
    }
    // Every figure finite (an infinite peak or day start made the loss percentages NaN, and NaN >= limit is
    // false: the triggers were off), the snapshot neither stale nor from the future.
    const problem = accountProblem(acc, nowMs, this.config.maxAccountAgeSec * 1000, this.config.maxClockSkewMs);
    if (problem !== undefined) {
      out.push({ code: 'NO_ACCOUNT', detail: problem });
      return;
    }
    const dayLossPct = (acc.dayStartEquity - acc.equity) / acc.dayStartEquity;
    if (dayLossPct >= this.config.dailyLossLimitPct) {
      this.trigger('global', this.config.dailyLossState, renderReason('DAILY_LOSS_LIMIT', { lossPct: round6(dayLossPct), maxPct: this.config.dailyLossLimitPct }));
      if (!reducing || this.config.dailyLossState === 'HALTED') {
        out.push({ code: 'DAILY_LOSS_LIMIT', detail: { lossPct: dayLossPct, maxPct: this.config.dailyLossLimitPct } });
      }
    }
    const drawdownPct = (acc.peakEquity - acc.equity) / acc.peakEquity;
    if (drawdownPct >= this.config.drawdownHaltPct) {
      this.trigger('global', 'HALTED', renderReason('DRAWDOWN_HALT', { drawdownPct: round6(drawdownPct), maxPct: this.config.drawdownHaltPct }));
      out.push({ code: 'DRAWDOWN_HALT', detail: { drawdownPct, maxPct: this.config.drawdownHaltPct } });
    }
  }

  private checkTradingState(
    symbol: string,
    agentId: string | undefined,
    nowMs: number,
    reducing: boolean,
    pendingSigned: number,
    out: Rejection[],
  ): void {
    const cache = this.store.cache;
    const state = cache.effectiveState(agentId, symbol);
    switch (state) {
      case 'ACTIVE':
        break;
      case 'REDUCING':
        if (!reducing) {
          out.push({ code: 'REDUCING_ONLY', detail: withPending({ scope: cache.decidingScope(agentId, symbol) }, pendingSigned) });
        }
        break;
      case 'HALTED':
        out.push({ code: 'TRADING_HALTED', detail: { scope: cache.decidingScope(agentId, symbol) } });
        break;
    }
    const health = this.store.health(nowMs);
    switch (health) {
      case 'OK':
        break;
      case 'STALE':
        if (this.config.failClosedState === 'HALTED' || !reducing) {
          out.push({ code: 'STALE_STATE', detail: { treatedAs: this.config.failClosedState } });
        }
        break;
      case 'UNAVAILABLE':
      case 'UNKNOWN':
        // Unreachable, wiped, or an epoch not restored: no state can be trusted until it is restored.
        if (this.config.failClosedState === 'HALTED' || !reducing) {
          out.push({ code: 'STATE_UNKNOWN', detail: { cause: this.store.healthProblem(), treatedAs: this.config.failClosedState } });
        }
        break;
    }
  }

  /**
   * Too many actions: an attributed agent's scope goes REDUCING (latched, alerted once). Orders with no agent
   * id have no scope of their own, and one noisy unattributed caller must not soft-kill every agent through
   * the global scope: they are refused while their rate stays above the limit, alerted once per streak.
   */
  private tripBreaker(agentId: string | undefined, nowMs: number, out: Rejection[], reducing: boolean): void {
    const max = this.config.circuitBreakerActionsPerMin;
    if (agentId === undefined) {
      if (!this.unattributedBreakerOpen) {
        this.unattributedBreakerOpen = true;
        this.audit.append('CIRCUIT_BREAKER_TRIPPED', 'system', { scope: null, agentId: null, maxActionsPerMin: max, atMs: nowMs });
      }
      if (!reducing) out.push({ code: 'CIRCUIT_BREAKER', detail: { scope: 'none', agent: 'unattributed', maxActionsPerMin: max } });
      return;
    }
    const scope: Scope = `agent:${agentId}`;
    this.trigger(scope, 'REDUCING', `CIRCUIT_BREAKER: actionsPerMin>${max}`, () =>
      this.audit.append('CIRCUIT_BREAKER_TRIPPED', 'system', { scope, maxActionsPerMin: max, atMs: nowMs }),
    );
    if (!reducing) out.push({ code: 'CIRCUIT_BREAKER', detail: { scope, maxActionsPerMin: max } });
  }

  /** Escalates `scope` to `state` once; a no-op when it is already at least that strict or on its way. */
  private trigger(scope: Scope, state: TradingState, reason: string, onFirst?: () => void): void {
    if (strictness(this.store.cache.stateOf(scope)) >= strictness(state)) return;
    const key = `${scope}>${state}`;
    if (this.pendingEscalations.has(key)) return;
    this.pendingEscalations.add(key);
    onFirst?.();
    this.store
      .escalate({ scope, state, actor: 'system', reason })
      .catch((err: unknown) => {
        // The store being unwritable also makes it unhealthy, so orders keep failing closed meanwhile.
        this.audit.append('STATE_ESCALATION_FAILED', 'system', { scope, state, reason, error: errorText(err) });
      })
      .finally(() => this.pendingEscalations.delete(key));
  }

  private countersFor(agentId: string | undefined): AgentCounters {
    const key = agentId ?? '';
    let c = this.agents.get(key);
    if (c === undefined) {
      c = {
        perSec: new RateWindow(this.config.maxOrdersPerSec, 1000),
        perMin: new RateWindow(this.config.maxOrdersPerMin, 60_000),
        actions: new RateWindow(this.config.circuitBreakerActionsPerMin, 60_000),
      };
      this.agents.set(key, c);
    }
    return c;
  }

  private deny(order: OrderIntent, found: readonly Rejection[], agentId: string | undefined): CheckResult {
    const rejections = found.slice();
    this.audit.append('ORDER_DENIED', actorOf(agentId), {
      ...orderPayload(order, agentId),
      reasons: rejections.map(renderRejection),
    });
    return { allowed: false, rejections };
  }

  private alert(type: Extract<AuditEventType, 'REPEATED_ORDER_ALERT'>, order: OrderIntent, agentId: string | undefined, extra: { earlier: number }): void {
    this.audit.append(type, actorOf(agentId), { ...orderPayload(order, agentId), ...extra });
  }

  private auditStateChange(r: StateRecord): void {
    this.audit.append(STATE_CHANGED, r.actor, stateChangePayload(r));
  }
}

/** A finite, non-negative quantity (what open-order quantities must be). */
function isQuantity(x: number): boolean {
  return Number.isFinite(x) && x >= 0;
}

function isPositiveFinite(x: number): boolean {
  return Number.isFinite(x) && x > 0;
}

/**
 * The open quantity on the order's side, signed (+ buys, − sells), or NaN after refusing with NO_ACCOUNT when
 * either side's quantity of the symbol is unreadable: both sides are read, whichever side the order is on.
 */
function pendingSignedOrReject(order: OrderIntent, ctx: RiskContext, out: Rejection[]): number {
  const buyQty = ctx.pendingBuyQty(order.symbol);
  const sellQty = ctx.pendingSellQty(order.symbol);
  if (isQuantity(buyQty) && isQuantity(sellQty)) return order.side === 'BUY' ? buyQty : -sellQty;
  const [side, got] = isQuantity(buyQty) ? ['SELL', sellQty] : ['BUY', buyQty];
  out.push({ code: 'NO_ACCOUNT', detail: { problem: 'open orders unreadable', symbol: order.symbol, side, got: String(got) } });
  return Number.NaN;
}

/** Why an account snapshot cannot be judged (the field and its value, or its age), or undefined when it can. */
function accountProblem(acc: AccountRisk, nowMs: number, maxAgeMs: number, maxClockSkewMs: number): RejectDetail | undefined {
  if (!Number.isFinite(acc.equity)) return { problem: 'invalid', field: 'equity', got: String(acc.equity) };
  if (!isPositiveFinite(acc.peakEquity)) return { problem: 'invalid', field: 'peakEquity', got: String(acc.peakEquity) };
  if (!isPositiveFinite(acc.dayStartEquity)) return { problem: 'invalid', field: 'dayStartEquity', got: String(acc.dayStartEquity) };
  if (!Number.isFinite(acc.timeMs)) return { problem: 'invalid', field: 'timeMs', got: String(acc.timeMs) };
  const ageMs = nowMs - acc.timeMs;
  if (ageMs > maxAgeMs) return { problem: 'stale', ageMs, maxAgeMs };
  if (-ageMs > maxClockSkewMs) return { problem: 'stamped ahead of the clock', aheadMs: -ageMs, maxClockSkewMs };
  return undefined;
}

/** An order from outside must not name another agent than the one its transport authenticated. */
function checkCallerIdentity(order: OrderIntent, caller: CallerIdentity, out: Rejection[]): void {
  if (typeof caller.agentId !== 'string' || caller.agentId.length === 0) {
    out.push({ code: 'AGENT_MISMATCH', detail: { problem: 'authenticated agent id is empty' } });
  } else if (order.agentId !== undefined && order.agentId !== caller.agentId) {
    out.push({ code: 'AGENT_MISMATCH', detail: { authenticated: caller.agentId, claimed: String(order.agentId) } });
  }
}

/** Every field of an order; a `Record` over `keyof OrderIntent` so that a field added later cannot be missed. */
const ORDER_FIELDS: Readonly<Record<keyof OrderIntent, true>> = {
  clientOrderId: true,
  symbol: true,
  side: true,
  type: true,
  quantity: true,
  quoteQuantity: true,
  limitPrice: true,
  timeInForce: true,
  createdAtMs: true,
  reduceOnly: true,
  agentId: true,
  referencePrice: true,
  flattening: true,
};
const ORDER_FIELD_NAMES = Object.keys(ORDER_FIELDS).filter((k): k is keyof OrderIntent => k in ORDER_FIELDS);

/** The first field whose value differs between the two orders, or undefined when they are the same order. */
function firstDifference(issued: OrderIntent, order: OrderIntent): string | undefined {
  for (const k of ORDER_FIELD_NAMES) if (!Object.is(issued[k], order[k])) return k;
  return undefined;
}

/** Adds `pendingQty` (signed, the open orders counted as filled) to a detail when there were any. */
function withPending<T extends Record<string, string | number | boolean>>(detail: T, pendingSigned: number): T | (T & { pendingQty: number }) {
  return pendingSigned === 0 || Number.isNaN(pendingSigned) ? detail : { ...detail, pendingQty: pendingSigned };
}

function actorOf(agentId: string | undefined): string {
  return agentId === undefined ? 'agent:unattributed' : `agent:${agentId}`;
}

/** The order as audited; `agentId` is the one it was judged under (the caller's, when authenticated). */
function orderPayload(order: OrderIntent, agentId: string | undefined): AuditOrderPayload {
  return {
    clientOrderId: String(order.clientOrderId),
    agentId: agentId ?? null,
    ...(order.agentId !== agentId ? { claimedAgentId: order.agentId === undefined ? null : String(order.agentId) } : {}),
    symbol: String(order.symbol),
    side: String(order.side),
    type: String(order.type),
    quantity: jsonNumber(order.quantity),
    limitPrice: order.limitPrice === undefined ? null : jsonNumber(order.limitPrice),
    reduceOnly: order.reduceOnly === true,
  };
}

/** NaN and Infinity are not JSON: they are written as strings so the audit line stays valid. */
function jsonNumber(x: number): number | string {
  return Number.isFinite(x) ? x : String(x);
}

function round6(x: number): number {
  return Math.round(x * 1e6) / 1e6;
}

export function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
