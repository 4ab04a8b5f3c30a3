/**
 * The trading desk behind the gateway: paper sessions on a replayed bar feed, one book per (agent, symbol),
 * each book one `DecisionChain` with its own account, `SimVenue` and `GatekeeperLink` on the shared
 * trading-state store. Orders and decisions go through the chain (rules → token cap → gatekeeper → venue →
 * record); a hard kill reaches every book through the store and its kill-switch cancels and flattens there.
 *
 * Time is the feed's: a decision is made at the book's last mark (bar close), orders fill at the next bar's
 * open when `advance` replays it — exactly the bar step a backtest takes.
 */
import type { ActionSpec, Bars, Instrument } from '../core/index.js';
import { DEFAULT_ACTIONS, describeReason, renderReason } from '../core/index.js';
import {
  type CompiledRules,
  type LockEvent,
  type Rules,
  RULE_BIT,
  type RuleId,
  dailyLossLockActive,
  dailyLossReason,
  drawdownLockActive,
  drawdownReason,
  resetDrawdownLock,
  ruleIdsFromBits,
} from '../constraints/index.js';
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
import { type GatekeeperConfig, type TradingStateStore, renderRejection } from '../risk-gatekeeper/index.js';
import type { AuditSink, TradingMode } from '../security/index.js';
import type { SimFillConfigInput } from '../venues/index.js';
import { GatewayError } from './errors.js';
import type {
  BalanceView,
  DecisionRequest,
  DeskOutcome,
  FillView,
  MaskView,
  OpenOrderView,
  OrderRequest,
  PositionView,
  Reason,
  TradingDesk,
} from './trading-desk.js';

export interface DeskMarket {
  readonly instrument: Instrument;
  /** The replayed feed. */
  readonly bars: Bars;
  /** Bar interval, ms. */
  readonly intervalMs: number;
  /** Bar the session starts at (its close is the first decision time). Default 0. */
  readonly startBar?: number;
}

export interface ChainDeskOptions {
  readonly mode: TradingMode;
  readonly markets: readonly DeskMarket[];
  readonly store: TradingStateStore;
  readonly audit: AuditSink;
  readonly gatekeeper: GatekeeperConfig;
  readonly rules: Rules | null;
  readonly fill: SimFillConfigInput;
  /** Cash each new book starts with, quote currency. */
  readonly initialCash: number;
  /** What `/v1/decisions` takes: discrete action indices (DEFAULT_ACTIONS) or Box targets in [-1, 1]. */
  readonly actionType: 'discrete' | 'box';
  readonly actions?: readonly ActionSpec[];
}

interface Book {
  readonly agentId: string;
  readonly market: MarketState;
  readonly account: AccountState;
  readonly venue: SimVenue;
  readonly link: GatekeeperLink;
  readonly chain: DecisionChain;
}

interface MarketState {
  readonly spec: DeskMarket;
  /** Index of the bar the sessions are at. */
  t: number;
  readonly books: Map<string, Book>;
}

export class ChainDesk implements TradingDesk {
  readonly mode: TradingMode;
  private readonly o: ChainDeskOptions;
  private readonly markets = new Map<string, MarketState>();
  private readonly actions: readonly ActionSpec[];
  private readonly rulesBySymbol = new Map<string, CompiledRules | null>();

  constructor(options: ChainDeskOptions) {
    this.o = options;
    this.mode = options.mode;
    this.actions = options.actions ?? DEFAULT_ACTIONS;
    for (const m of options.markets) {
      const start = m.startBar ?? 0;
      if (m.bars.length < 2 || start < 0 || start >= m.bars.length - 1) {
        throw new RangeError(`market ${m.instrument.symbol}: needs at least 2 bars after startBar ${start}, has ${m.bars.length}`);
      }
      this.markets.set(m.instrument.symbol, { spec: m, t: start, books: new Map() });
    }
  }

  symbols(): readonly string[] {
    return [...this.markets.keys()];
  }

  lastPrice(symbol: string): number | undefined {
    const m = this.markets.get(symbol);
    return m === undefined ? undefined : m.spec.bars.close[m.t];
  }

  /** Replays the next bar of every market (or of one): fills at its open, marks at its close. False at the feed's end. */
  async advance(symbol?: string): Promise<boolean> {
    let moved = false;
    for (const m of this.markets.values()) {
      if (symbol !== undefined && m.spec.instrument.symbol !== symbol) continue;
      if (m.t + 1 >= m.spec.bars.length) continue;
      m.t += 1;
      moved = true;
      for (const b of m.books.values()) {
        stepBar(b.chain, b.venue, m.spec.bars, m.t, m.spec.intervalMs);
        b.link.update(b.account.timeMs, b.account.price, b.account);
      }
    }
    await this.settle();
    return moved;
  }

  /** Lets every book finish a kill's cancel-and-flatten. */
  async settle(): Promise<void> {
    for (const m of this.markets.values()) for (const b of m.books.values()) await b.link.settle();
  }

  async submitOrder(agentId: string, order: OrderRequest): Promise<DeskOutcome> {
    const book = this.book(agentId, order.symbol);
    book.chain.orderNotionalCap = Number.POSITIVE_INFINITY; // the route checked the token cap on the order as given
    const d = book.chain.decideOrder(order, book.account.timeMs);
    const out = this.outcome(book, d);
    await book.link.settle();
    return out;
  }

  async submitDecision(agentId: string, decision: DecisionRequest, notionalCap: number): Promise<DeskOutcome> {
    const book = this.book(agentId, decision.symbol);
    const kind = book.chain.actionType === 'discrete' ? 'action' : 'target';
    if (decision.kind !== kind) {
      throw new GatewayError('DECISION_KIND_MISMATCH', `this gateway's sessions take ${kind === 'action' ? 'discrete actions (action)' : 'Box targets (target)'}`);
    }
    if (decision.kind === 'action' && decision.action >= book.chain.nActions) {
      throw new GatewayError('VALIDATION_FAILED', `action: must be in [0, ${book.chain.nActions}), got ${decision.action}`);
    }
    book.chain.orderNotionalCap = notionalCap;
    try {
      const d = book.chain.decide(decision.kind === 'action' ? { kind: 'action', action: decision.action } : { kind: 'target', target: decision.target }, book.account.timeMs);
      if (d.outcome === 'DENIED' && d.rejections.some((r) => r.detail.limit === 'token')) {
        throw new GatewayError('NOTIONAL_CAP_EXCEEDED', d.rejections.map(renderRejection).join('; '));
      }
      const out = this.outcome(book, d);
      await book.link.settle();
      return out;
    } finally {
      book.chain.orderNotionalCap = Number.POSITIVE_INFINITY;
    }
  }

  async cancel(agentId: string, clientOrderId: string): Promise<boolean> {
    for (const m of this.markets.values()) {
      const b = m.books.get(agentId);
      if (b === undefined) continue;
      const e = b.venue.cancel(clientOrderId, b.account.timeMs);
      if (e !== null) {
        this.o.audit.append('ORDER_CANCELLED', `agent:${agentId}`, { symbol: m.spec.instrument.symbol, clientOrderId });
        return Promise.resolve(true);
      }
    }
    return Promise.resolve(false);
  }

  mask(agentId: string, symbol: string): MaskView {
    const book = this.book(agentId, symbol);
    const c = book.chain;
    const tradingState = book.link.state();
    if (c.actionType === 'discrete') {
      const actions = c.actions.map((a, index) => ({
        index,
        name: a.name,
        allowed: c.mask[index] === 1,
        reasons: c.rules === null ? [] : ruleIdsFromBits(c.reasonBits[index]),
      }));
      return { symbol, kind: 'discrete', actions, tradingState };
    }
    return {
      symbol,
      kind: 'box',
      interval: { low: c.interval[0], high: c.interval[1], lowReasons: ruleIdsFromBits(c.intervalBits[0]), highReasons: ruleIdsFromBits(c.intervalBits[1]) },
      tradingState,
    };
  }

  positions(agentId: string): readonly PositionView[] {
    return this.booksOf(agentId).map((b) => ({
      symbol: b.market.spec.instrument.symbol,
      quantity: b.account.positionQty,
      price: b.account.price,
      notional: b.account.positionQty * b.account.price,
    }));
  }

  balances(agentId: string): readonly BalanceView[] {
    return this.booksOf(agentId).map((b) => ({
      symbol: b.market.spec.instrument.symbol,
      cash: b.account.cash,
      equity: b.account.equity,
      peakEquity: b.account.peakEquity,
      dayStartEquity: b.account.dayStartEquity,
    }));
  }

  openOrders(agentId: string): readonly OpenOrderView[] {
    return this.booksOf(agentId).flatMap((b) =>
      b.venue.openOrders().map((o) => ({
        clientOrderId: o.order.clientOrderId,
        symbol: o.order.symbol,
        side: o.order.side,
        type: o.order.type === 'LIMIT' ? ('LIMIT' as const) : ('MARKET' as const),
        quantity: o.order.quantity,
        remainingQty: o.remainingQty,
        ...(o.order.limitPrice !== undefined ? { limitPrice: o.order.limitPrice } : {}),
      })),
    );
  }

  fills(agentId: string, sinceMs: number): readonly FillView[] {
    return this.booksOf(agentId).flatMap((b) =>
      b.venue
        .fills()
        .filter((f) => f.fill.timeMs >= sinceMs)
        .map((f) => ({
          clientOrderId: f.fill.clientOrderId,
          symbol: f.fill.symbol,
          side: f.fill.side,
          quantity: f.fill.quantity,
          price: f.fill.price,
          fee: f.fill.fee,
          timeMs: f.fill.timeMs,
        })),
    );
  }

  releaseDrawdownLock(agentId: string | undefined, symbol: string | undefined, operator: string, reason: string): number {
    let released = 0;
    for (const m of this.markets.values()) {
      if (symbol !== undefined && m.spec.instrument.symbol !== symbol) continue;
      for (const b of m.books.values()) {
        if (agentId !== undefined && b.agentId !== agentId) continue;
        const c = b.chain.rules;
        if (c === null || !drawdownLockActive(b.account, c)) continue;
        resetDrawdownLock(b.account, c, operator, (e) => this.auditLock(e, reason));
        // The ledger's own peak too: the next mark syncs the account from it and would re-engage the lock.
        b.account.resetPeak();
        b.chain.prepare();
        released += 1;
      }
    }
    return released;
  }

  async close(): Promise<void> {
    await this.settle();
    for (const m of this.markets.values()) for (const b of m.books.values()) b.link.dispose();
  }

  /** The agent's book on the symbol, opened at the market's current bar on first use. */
  private book(agentId: string, symbol: string): Book {
    const m = this.markets.get(symbol);
    if (m === undefined) throw new GatewayError('UNKNOWN_SYMBOL', `symbol ${symbol}: no session trades it here`);
    const existing = m.books.get(agentId);
    if (existing !== undefined) return existing;
    const o = this.o;
    const instrument = m.spec.instrument;
    const account = new AccountState(o.initialCash, instrument.symbol, instrument.session);
    const venue = new SimVenue({ instrument, fill: o.fill });
    const link = new GatekeeperLink({ config: o.gatekeeper, instrument, agentId, audit: o.audit, venue, store: o.store });
    const chain = new DecisionChain({
      instrument,
      account,
      venue,
      actionType: o.actionType,
      ...(o.actionType === 'discrete' ? { actions: this.actions } : {}),
      rules: this.rulesFor(instrument, venue),
      gatekeeper: link,
      agentId,
      audit: o.audit,
      onLockEvent: (e) => this.auditLock(e),
    });
    startEpisode(chain, venue, m.spec.bars, m.t, m.spec.intervalMs);
    link.update(account.timeMs, account.price, account);
    const book: Book = { agentId, market: m, account, venue, link, chain };
    m.books.set(agentId, book);
    return book;
  }

  private rulesFor(instrument: Instrument, venue: SimVenue): CompiledRules | null {
    const cached = this.rulesBySymbol.get(instrument.symbol);
    if (cached !== undefined) return cached;
    const rules = this.o.rules;
    const compiled = rules === null ? null : compileChainRules(rules, { actions: this.o.actionType === 'discrete' ? this.actions : undefined, fill: venue.sim.config, instrument });
    this.rulesBySymbol.set(instrument.symbol, compiled);
    return compiled;
  }

  private auditLock(e: LockEvent, operatorReason?: string): void {
    const reason = operatorReason === undefined ? e.reason : `${e.reason}; ${operatorReason}`;
    this.o.audit.append(e.type, e.actor, { lock: e.lock, rule: e.rule, symbol: e.symbol, timeMs: e.timeMs, reason });
  }

  /** A lock's reason carries its figures (drawdown, limit, how it is released), not only the rule's meaning. */
  private maskedReasons(book: Book, bits: number): Reason[] {
    const rules = book.chain.rules;
    return ruleReasons(bits).map((r) => {
      if (rules === null) return r;
      if (r.code === 'MAX_DRAWDOWN_PCT' && drawdownLockActive(book.account, rules)) return { code: r.code, message: drawdownReason(book.account, rules) };
      if (r.code === 'DAILY_LOSS_LIMIT_PCT' && dailyLossLockActive(book.account, rules)) return { code: r.code, message: dailyLossReason(book.account, rules) };
      return r;
    });
  }

  private booksOf(agentId: string): Book[] {
    const out: Book[] = [];
    for (const m of this.markets.values()) {
      const b = m.books.get(agentId);
      if (b !== undefined) out.push(b);
    }
    return out;
  }

  /** The chain's decision as JSON (copied: the chain rewrites its decision record on the next call). */
  private outcome(book: Book, d: Decision): DeskOutcome {
    // Built key by key into one record (the same keys in the same order as the spreads it replaced): this runs for
    // every order, and spreading a base record with optional keys was a visible share of an order's CPU.
    const out: { -readonly [K in keyof DeskOutcome]?: DeskOutcome[K] } = { symbol: book.market.spec.instrument.symbol, timeMs: d.timeMs };
    if (Number.isFinite(d.proposedTarget)) out.proposedTarget = d.proposedTarget;
    if (Number.isFinite(d.executedTarget)) out.executedTarget = d.executedTarget;
    out.outcome = d.outcome;
    switch (d.outcome) {
      case 'NO_ORDER':
        out.reasons = [{ code: d.reason, message: d.reason === 'HOLD' ? 'hold' : 'nothing to send' }];
        break;
      case 'MASKED':
        out.reasons = this.maskedReasons(book, d.ruleBits);
        break;
      case 'DENIED':
        out.side = d.signedQty > 0 ? 'BUY' : 'SELL';
        out.quantity = Math.abs(d.signedQty);
        out.reasons = d.rejections.map((r) => ({ code: r.code, message: renderRejection(r) }));
        break;
      case 'SUBMITTED':
        out.clientOrderId = d.order.clientOrderId;
        out.side = d.order.side;
        out.quantity = d.order.quantity;
        out.reasons = d.clipBits !== 0 ? ruleReasons(d.clipBits) : [];
        break;
      case 'VENUE_REJECTED':
        out.side = d.signedQty > 0 ? 'BUY' : 'SELL';
        out.quantity = Math.abs(d.signedQty);
        out.reasons = [{ code: d.reason, message: d.message }];
        break;
    }
    return out as DeskOutcome;
  }
}

function ruleReasons(bits: number): Reason[] {
  return ruleIdsFromBits(bits).map((id: RuleId) => ({ code: id, message: renderReason(id, { bit: RULE_BIT[id], meaning: describeReason(id) }) }));
}
