/**
 * Layer 3 inside the chain: the real `RiskGatekeeper` with its trading-state store and `KillSwitch`, driven
 * through the chain's venue port. A hard kill cancels the venue's real open orders and flattens the position
 * the venue reports, exactly as it would against paper or live venues.
 *
 * Time: by default a fake clock that the caller moves to each decision time (backtests, envs); a live
 * session passes the system clock and a shared store (Redis) instead.
 */
import { type Clock, FakeClock, type Instrument } from '../core/index.js';
import {
  type GatekeeperConfig,
  KillSwitch,
  type KillSwitchVenue,
  MemoryStateStore,
  type OrderIntent,
  PortfolioContext,
  type Rejection,
  RiskGatekeeper,
  type StateRecord,
  type TradingState,
  type TradingStateStore,
  type VenueOpenOrder,
  type VenuePosition,
} from '../risk-gatekeeper/index.js';
import type { AuditSink } from '../security/index.js';
import type { ExecutionVenue } from '../venues/index.js';

/** An operator's action on the kill-switch. */
export type OperatorAction = 'soft_kill' | 'hard_kill' | 'resume';

export interface GatekeeperLinkOptions {
  readonly config: GatekeeperConfig;
  readonly instrument: Instrument;
  readonly agentId: string;
  readonly audit: AuditSink;
  readonly venue: ExecutionVenue;
  /** Called for every trading-state change (operator or automatic), in order. */
  readonly onStateChange?: (record: StateRecord) => void;
  /**
   * Client order ids for the chain's orders; `<agentId>-<n>` counting from 1 when absent. A live session passes
   * ids made from (session, decision seq), so a decision taken again after a restart reuses its id.
   */
  readonly clientOrderIds?: () => string;
  /** The trading-state store; an in-memory one on the link's fake clock when absent. */
  readonly store?: TradingStateStore;
  /** The clock the store and gatekeeper read; the link's own fake clock when absent. */
  readonly clock?: Clock;
}

/** The account figures the gatekeeper's loss and drawdown checks read. */
export interface GatekeeperAccount {
  readonly equity: number;
  readonly peakEquity: number;
  readonly dayStartEquity: number;
  readonly positionQty: number;
}

/** The port to the kill-switch: the chain's venue, seen as the kill-switch's smaller port. */
export function killSwitchVenueOf(venue: ExecutionVenue, agentId: string): KillSwitchVenue {
  return {
    cancelAll: () => Promise.resolve(venue.cancelAll().length),
    openOrders: (): Promise<readonly VenueOpenOrder[]> =>
      Promise.resolve(venue.openOrders().map((o) => ({ clientOrderId: o.order.clientOrderId, symbol: o.order.symbol, agentId }))),
    positions: (): Promise<readonly VenuePosition[]> =>
      Promise.resolve(venue.positions().map((p) => ({ symbol: p.symbol, quantity: p.quantity, agentId }))),
    submit: (order: OrderIntent) => {
      const result = venue.submit(order);
      return result.accepted ? Promise.resolve() : Promise.reject(new Error(`flattening order refused by the venue: ${result.message}`));
    },
  };
}

export class GatekeeperLink {
  readonly fakeClock = new FakeClock(0);
  readonly clock: Clock;
  readonly context = new PortfolioContext();
  readonly gatekeeper: RiskGatekeeper;
  private readonly store: TradingStateStore;
  private readonly killSwitch: KillSwitch;
  private readonly venue: ExecutionVenue;
  private readonly symbol: string;
  private readonly agentId: string;
  private readonly unsubscribe: () => void;
  private readonly accountView = { equity: 0, peakEquity: 0, dayStartEquity: 0, timeMs: 0 };
  private changed = false;
  private seq = 0;
  private readonly clientOrderIds: (() => string) | undefined;

  constructor(options: GatekeeperLinkOptions) {
    this.symbol = options.instrument.symbol;
    this.agentId = options.agentId;
    this.clientOrderIds = options.clientOrderIds;
    this.venue = options.venue;
    this.clock = options.clock ?? this.fakeClock;
    this.store = options.store ?? new MemoryStateStore(this.clock);
    this.gatekeeper = new RiskGatekeeper({
      config: options.config,
      instruments: [options.instrument],
      store: this.store,
      clock: this.clock,
      audit: options.audit,
    });
    this.killSwitch = new KillSwitch({
      store: this.store,
      gatekeeper: this.gatekeeper,
      audit: options.audit,
      venue: killSwitchVenueOf(options.venue, options.agentId),
    });
    const onStateChange = options.onStateChange;
    this.unsubscribe = this.store.onChange((r) => {
      this.changed = true;
      onStateChange?.(r);
    });
  }

  /** Moves the fake clock and the context to decision time `timeMs`. Allocation-free after the first call. */
  update(timeMs: number, price: number, account: GatekeeperAccount): void {
    this.fakeClock.set(timeMs);
    this.context.setPrice(this.symbol, price, timeMs);
    this.context.setPosition(this.symbol, account.positionQty);
    const view = this.accountView;
    view.equity = account.equity;
    view.peakEquity = account.peakEquity;
    view.dayStartEquity = account.dayStartEquity;
    view.timeMs = timeMs;
    if (this.context.account() === undefined) this.context.setAccount(view);
  }

  /** The state that decides this agent's orders on this instrument. */
  state(): TradingState {
    return this.store.cache.effectiveState(this.agentId, this.symbol);
  }

  /** Pre-trade check of the order the chain is about to send; null when approved, else the rejections. */
  check(order: OrderIntent): readonly Rejection[] | null {
    this.syncOpenOrders();
    const verdict = this.gatekeeper.check(order, this.context);
    return verdict.allowed ? null : verdict.rejections;
  }

  /** A fresh client order id for this agent's next order. */
  nextClientOrderId(): string {
    if (this.clientOrderIds !== undefined) return this.clientOrderIds();
    this.seq += 1;
    return `${this.agentId}-${this.seq}`;
  }

  /** An operator's action, through the kill-switch. */
  async operate(action: OperatorAction, operator: string, reason: string): Promise<void> {
    switch (action) {
      case 'soft_kill':
        await this.killSwitch.kill('global', 'soft', operator, reason);
        break;
      case 'hard_kill':
        await this.killSwitch.kill('global', 'hard', operator, reason);
        break;
      case 'resume':
        await this.killSwitch.resume('global', operator, reason);
        break;
    }
    await this.settle();
  }

  /** Lets state changes (and a hard kill's cancel-and-flatten) finish; cheap when nothing changed. */
  async settle(): Promise<void> {
    if (!this.changed) return;
    this.changed = false;
    await this.killSwitch.settled();
  }

  /** A trading state changed since the last `settle`. */
  get pendingChange(): boolean {
    return this.changed;
  }

  dispose(): void {
    this.unsubscribe();
    this.killSwitch.dispose();
    this.gatekeeper.dispose();
  }

  /** The venue's working orders, as the gatekeeper's open-order and same-side checks need them (no list built: this runs before every order). */
  private syncOpenOrders(): void {
    const venue = this.venue;
    this.context.setPendingOrders(this.symbol, venue.workingQty('BUY'), venue.workingQty('SELL'));
    this.context.setOpenOrderCount(venue.openOrderCount);
  }
}
