/**
 * The kill-switch: operators flip trading states here (never agents: they get `TradingStateView`), and
 * whenever a scope becomes HALTED — by an operator, a trigger, or another process through the store —
 * its open orders are cancelled and its positions flattened through the venue port.
 */
import type { AuditSink } from '../security/index.js';
import { errorText, type RiskGatekeeper } from './gatekeeper.js';
import type { OrderIntent } from './context.js';
import { applyOperatorChange } from './operator-change.js';
import type { TradingStateStore } from './state-store.js';
import { type Scope, type StateChange, type StateRecord, type TradingState, parseScope, strictness } from './trading-state.js';

export interface VenuePosition {
  readonly symbol: string;
  /** Signed base units. */
  readonly quantity: number;
  readonly agentId?: string;
}

export interface VenueOpenOrder {
  readonly clientOrderId: string;
  readonly symbol: string;
  readonly agentId?: string;
}

/** What the kill-switch needs from a venue (the gateway implements it later). */
export interface KillSwitchVenue {
  /** Cancels every open order in `scope`; resolves with how many were cancelled. */
  cancelAll(scope: Scope): Promise<number>;
  openOrders(): Promise<readonly VenueOpenOrder[]>;
  positions(): Promise<readonly VenuePosition[]>;
  submit(order: OrderIntent): Promise<void>;
}

export type KillMode = 'soft' | 'hard';
/** Where a resume may go: ACTIVE, or REDUCING from HALTED. */
export type ResumeTarget = 'ACTIVE' | 'REDUCING';

/** Only a tightening is a kill; the message points at the resume that does the loosening on the record. */
export function assertKillTightens(change: StateChange, current: TradingState): void {
  if (strictness(change.state) >= strictness(current)) return;
  throw new RangeError(
    `${change.scope} is ${current}: a kill only tightens, and ${change.state} would loosen it; ` +
      `to loosen, resume with an operator and a reason: bulwark resume --to ${change.state.toLowerCase()} --scope ${change.scope} --reason …`,
  );
}

/** A resume to REDUCING must loosen (from HALTED); a resume to ACTIVE always may. */
export function assertResumeLoosens(change: StateChange, current: TradingState): void {
  if (change.state === 'ACTIVE' || strictness(change.state) < strictness(current)) return;
  throw new RangeError(`${change.scope} is ${current}: resume --to ${change.state.toLowerCase()} would not loosen it; to tighten, use kill`);
}

export interface KillSwitchOptions {
  readonly store: TradingStateStore;
  readonly gatekeeper: RiskGatekeeper;
  readonly audit: AuditSink;
  /** Without a venue, states still flip and orders are refused; nothing is cancelled or flattened here. */
  readonly venue?: KillSwitchVenue;
}

export function inScope(scope: Scope, symbol: string, agentId: string | undefined): boolean {
  if (scope === 'global') return true;
  if (scope.startsWith('agent:')) return agentId === scope.slice(6);
  return symbol === scope.slice(11);
}

/** An operator's state change, checked: a valid scope, a non-empty operator id and reason. */
export function operatorChange(scope: Scope | string, state: TradingState, operator: string, reason: string): StateChange {
  if (operator.trim() === '') throw new RangeError('operator: must not be empty');
  if (reason.trim() === '') throw new RangeError('reason: must not be empty');
  return { scope: parseScope(scope), state, actor: `operator:${operator}`, reason };
}

export class KillSwitch {
  private readonly store: TradingStateStore;
  private readonly gatekeeper: RiskGatekeeper;
  private readonly audit: AuditSink;
  private readonly venue: KillSwitchVenue | undefined;
  private readonly unsubscribe: () => void;
  private enforcing: Promise<void> = Promise.resolve();

  constructor(options: KillSwitchOptions) {
    this.store = options.store;
    this.gatekeeper = options.gatekeeper;
    this.audit = options.audit;
    this.venue = options.venue;
    this.unsubscribe = this.store.onChange((r) => this.onStateChange(r));
  }

  /**
   * soft → REDUCING, hard → HALTED. Only a tightening is a kill: a soft kill of a HALTED scope is refused
   * (that is `resume(…, 'REDUCING')`). The request is audited before the store is touched and the gatekeeper
   * audits the change; a kill goes ahead even if the audit log fails, then throws `UnauditedStateChangeError`.
   */
  async kill(scope: Scope | string, mode: KillMode, operator: string, reason: string): Promise<StateRecord> {
    const change = operatorChange(scope, mode === 'hard' ? 'HALTED' : 'REDUCING', operator, reason);
    assertKillTightens(change, this.store.cache.stateOf(change.scope));
    return await applyOperatorChange(this.store, this.audit, change, { recordChanged: false, tightenOnly: true });
  }

  /**
   * Only an operator loosens a scope (to ACTIVE, or from HALTED to REDUCING); refused (store untouched) if the
   * request cannot be audited or the store's state was not restored.
   */
  async resume(scope: Scope | string, operator: string, reason: string, to: ResumeTarget = 'ACTIVE'): Promise<StateRecord> {
    const change = operatorChange(scope, to, operator, reason);
    assertResumeLoosens(change, this.store.cache.stateOf(change.scope));
    return await applyOperatorChange(this.store, this.audit, change, { recordChanged: false });
  }

  /** Resolves when every enforcement started so far has finished. */
  settled(): Promise<void> {
    return this.enforcing;
  }

  dispose(): void {
    this.unsubscribe();
  }

  private onStateChange(r: StateRecord): void {
    if (r.state !== 'HALTED') return;
    // Enforcements run one after another so two quick halts never flatten the same position twice.
    this.enforcing = this.enforcing.then(() => this.enforce(r.scope));
  }

  /** Cancels the scope's open orders, then flattens its positions; each step is audited. */
  async enforce(scope: Scope): Promise<void> {
    const venue = this.venue;
    if (venue === undefined) return;
    try {
      const cancelled = await venue.cancelAll(scope);
      this.audit.append('OPEN_ORDERS_CANCELLED', 'system', { scope, cancelled });
      const positions = await venue.positions();
      for (const p of positions) {
        if (p.quantity === 0 || !inScope(scope, p.symbol, p.agentId)) continue;
        const order = this.gatekeeper.issueFlatteningOrder(p.symbol, p.quantity, p.agentId);
        const verdict = this.gatekeeper.check(order, NO_CONTEXT);
        if (!verdict.allowed) continue; // already audited as ORDER_DENIED
        await venue.submit(order);
        this.audit.append('FLATTEN_ORDER_SUBMITTED', 'system', { scope, clientOrderId: order.clientOrderId, symbol: p.symbol, quantity: p.quantity });
      }
    } catch (err) {
      this.audit.append('KILL_SWITCH_ENFORCEMENT_FAILED', 'system', { scope, error: errorText(err) });
    }
  }
}

/** Flattening orders are judged on what the kill-switch issued, not on a context; this one holds nothing. */
const NO_CONTEXT = {
  account: () => undefined,
  positionQty: () => 0,
  trustedPrice: () => undefined,
  positionSymbols: () => [],
  openOrderCount: () => 0,
  pendingBuyQty: () => 0,
  pendingSellQty: () => 0,
};
