/**
 * Layer 3 for a backtest: the real `RiskGatekeeper` with its trading-state store and `KillSwitch`, on a
 * fake clock that the runner moves to each bar's decision time. The backtest venue is the kill-switch's
 * venue port, so a hard kill cancels and flattens exactly as it would against paper or live venues.
 */
import { FakeClock, type Instrument } from '../core/index.js';
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
  type VenuePosition,
} from '../risk-gatekeeper/index.js';
import type { AuditSink } from '../security/index.js';
import type { OperatorActionKind } from './backtest-config.js';

/** What the runner's venue does for the kill-switch: cancel its pending order, report and flatten its position. */
export interface BacktestVenuePort {
  cancelPending(): number;
  positionQty(): number;
  /** Queues a flattening order (signed qty) to fill at the next bar's open. */
  queueFlatten(signedQty: number, clientOrderId: string): void;
}

export interface RiskChainOptions {
  readonly config: GatekeeperConfig;
  readonly instrument: Instrument;
  readonly agentId: string;
  readonly audit: AuditSink;
  readonly venue: BacktestVenuePort;
  /** Called for every trading-state change (operator or automatic), in order. */
  readonly onStateChange: (record: StateRecord) => void;
}

export class RiskChain {
  readonly clock = new FakeClock(0);
  readonly context = new PortfolioContext();
  private readonly store: MemoryStateStore;
  private readonly gatekeeper: RiskGatekeeper;
  private readonly killSwitch: KillSwitch;
  private readonly symbol: string;
  private readonly agentId: string;
  private changed = false;
  private seq = 0;

  constructor(options: RiskChainOptions) {
    this.symbol = options.instrument.symbol;
    this.agentId = options.agentId;
    this.store = new MemoryStateStore(this.clock);
    this.gatekeeper = new RiskGatekeeper({
      config: options.config,
      instruments: [options.instrument],
      store: this.store,
      clock: this.clock,
      audit: options.audit,
    });
    const port = options.venue;
    const symbol = this.symbol;
    const venue: KillSwitchVenue = {
      cancelAll: () => Promise.resolve(port.cancelPending()),
      openOrders: () => Promise.resolve([]),
      positions: (): Promise<readonly VenuePosition[]> =>
        Promise.resolve([{ symbol, quantity: port.positionQty(), agentId: options.agentId }]),
      submit: (order: OrderIntent) => {
        port.queueFlatten(order.side === 'BUY' ? order.quantity : -order.quantity, order.clientOrderId);
        return Promise.resolve();
      },
    };
    this.killSwitch = new KillSwitch({ store: this.store, gatekeeper: this.gatekeeper, audit: options.audit, venue });
    this.store.onChange((r) => {
      this.changed = true;
      options.onStateChange(r);
    });
  }

  /** Moves the clock and the context to the decision time of a bar. Allocation-free after the first call. */
  update(timeMs: number, price: number, account: { equity: number; peakEquity: number; dayStartEquity: number }, positionQty: number): void {
    this.clock.set(timeMs);
    this.context.setPrice(this.symbol, price, timeMs);
    this.context.setPosition(this.symbol, positionQty);
    this.accountView.equity = account.equity;
    this.accountView.peakEquity = account.peakEquity;
    this.accountView.dayStartEquity = account.dayStartEquity;
    this.accountView.timeMs = timeMs;
    if (this.context.account() === undefined) this.context.setAccount(this.accountView);
  }

  private readonly accountView = { equity: 0, peakEquity: 0, dayStartEquity: 0, timeMs: 0 };

  /** The state that decides this agent's orders on this instrument. */
  state(): TradingState {
    return this.store.cache.effectiveState(this.agentId, this.symbol);
  }

  /** Pre-trade check of a market order; returns null when approved, else the rejections. */
  check(signedQty: number, referencePrice: number): readonly Rejection[] | null {
    const nowMs = this.clock.nowMs();
    this.seq += 1;
    const order: OrderIntent = {
      clientOrderId: `bt-${this.seq}`,
      symbol: this.symbol,
      side: signedQty > 0 ? 'BUY' : 'SELL',
      type: 'MARKET',
      quantity: Math.abs(signedQty),
      timeInForce: 'IOC',
      createdAtMs: nowMs,
      referencePrice,
      agentId: this.agentId,
    };
    const verdict = this.gatekeeper.check(order, this.context);
    return verdict.allowed ? null : verdict.rejections;
  }

  /** An operator's scheduled action, through the kill-switch. */
  async operate(action: OperatorActionKind, operator: string, reason: string): Promise<void> {
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

  get pendingChange(): boolean {
    return this.changed;
  }

  dispose(): void {
    this.killSwitch.dispose();
    this.gatekeeper.dispose();
  }
}
