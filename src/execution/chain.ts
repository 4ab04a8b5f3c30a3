/**
 * The one decision chain. Training envs, backtests, paper and live sessions all call it:
 *
 *   prepare()          after the account was marked: locks, then the mask (discrete) or interval (Box) with reasons
 *   decide(p, nowMs)   mask/interval → size (sizing.ts) → gatekeeper (optional) → venue port → `Decision`
 *   onVenueEvents(es)  fills (and refusals) from the venue, booked into the account
 *
 * The chain owns one account and one venue. Nothing on the way allocates per step except the order a
 * submission sends (and its id), the gatekeeper's denial list, and events of a lock change.
 */
import type { ActionSpec, Fill, Instrument, Order } from '../core/index.js';
import {
  type CompiledRules,
  type LockListener,
  RULE_BIT,
  drawdownReason,
  type Rules,
  actionShare,
  compileRules,
  driftTrimTarget,
  exposureOverBits,
  holdsPosition,
  projectTargetOnto,
  targetBreachBits,
  targetWithin,
  updateLocks,
  writeActionMask,
  writeTargetInterval,
} from '../constraints/index.js';
import type { OrderIntent, Rejection } from '../risk-gatekeeper/index.js';
import type { AuditSink } from '../security/index.js';
import type { ExecutionVenue, SimFillConfig, VenueCancelReason, VenueEvent, VenueRejectReason } from '../venues/index.js';
import type { AccountState } from './account-state.js';
import type { Decision, NoOrderReason } from './decision.js';
import type { GatekeeperLink } from './gatekeeper-link.js';
import { ACTION_SIZING, type Lot, OrderSize, type Sizing, lotOf, sizeAction, sizeTarget } from './sizing.js';

/** A proposal from an agent: an index into the chain's action list, or a Box target (share of equity). */
export type Proposal = { readonly kind: 'action'; readonly action: number } | { readonly kind: 'target'; readonly target: number };

/**
 * An explicit order from an agent (the gateway's order intent): judged by the rules on the position it would
 * leave, then checked and sent like a sized proposal. `clientOrderId` is the caller's (the gatekeeper refuses a
 * replayed one).
 */
export interface OrderProposal {
  readonly clientOrderId: string;
  readonly side: 'BUY' | 'SELL';
  readonly quantity: number;
  readonly type: 'MARKET' | 'LIMIT';
  readonly limitPrice?: number;
}

/** Compiles a rule set for a chain: the worst-case move comes from the venue's own fill model plus one tick. */
export function compileChainRules(rules: Rules, options: { actions?: readonly ActionSpec[]; fill: SimFillConfig; instrument: Instrument }): CompiledRules {
  return compileRules(rules, {
    ...(options.actions === undefined ? {} : { actions: options.actions }),
    simFill: options.fill,
    tickSize: options.instrument.tickSize,
  });
}

/** What the chain reports besides its return values (all optional). */
export interface ChainListener {
  /** A fill was booked into the account (`signedQty` > 0 bought). */
  onFill?(fill: Fill, signedQty: number): void;
  /** The venue dropped or refused an order after it was submitted. */
  onVenueRefusal?(clientOrderId: string, reason: VenueRejectReason | VenueCancelReason, remainingQty: number): void;
  /** The venue began liquidating the account (a margin account below its maintenance requirement). */
  onLiquidation?(event: Extract<VenueEvent, { type: 'LIQUIDATION' }>): void;
  /** The account was ruined at the last `prepare` (equity ≤ 0, or too small for any order): nothing more is sent. */
  onRuin?(equity: number, timeMs: number): void;
}

/**
 * Ruin: equity at or below zero, or below the instrument's minimum notional (no order of any size can be placed).
 * An equity that is not a number is not ruin but an unusable state, which the Constraint Logic Engine holds.
 */
export function accountRuined(equity: number, minNotional: number): boolean {
  return Number.isFinite(equity) ? equity <= 0 || equity < minNotional : equity === Number.NEGATIVE_INFINITY;
}

export interface DecisionChainOptions {
  readonly instrument: Instrument;
  readonly account: AccountState;
  readonly venue: ExecutionVenue;
  /** `discrete`: proposals are indices into `actions`. `box`: proposals are targets in [`boxLow`, 1]. */
  readonly actionType: 'discrete' | 'box';
  /** Discrete actions, HOLD first (required for `discrete`). */
  readonly actions?: readonly ActionSpec[];
  /** How BUY/SELL actions are sized; each action's own fraction of equity by default. */
  readonly sizing?: Sizing;
  /** Lowest Box target: −1 (long-short, default) or 0 (long-only). */
  readonly boxLow?: number;
  /** The Constraint Logic Engine (`compileChainRules`), or null: every action allowed, targets in the Box range. */
  readonly rules?: CompiledRules | null;
  readonly onLockEvent?: LockListener;
  /** Layer 3; null for plain training envs, set wherever orders reach a venue that matters. */
  readonly gatekeeper?: GatekeeperLink | null;
  readonly agentId?: string;
  /** Receives ORDER_SUBMITTED and FILL events; none when absent. */
  readonly audit?: AuditSink | null;
  readonly listener?: ChainListener;
  /** Where the mask and its reason bits are written (e.g. a row of a batch buffer); own buffers when absent. */
  readonly mask?: Uint8Array;
  readonly reasonBits?: Uint32Array;
  /** Where the Box interval [lo, hi] and its reason bits are written (2 entries each); own buffers when absent. */
  readonly interval?: Float64Array;
  readonly intervalBits?: Uint32Array;
}

type Mutable<T> = { -readonly [K in keyof T]: T[K] };
type Of<O extends Decision['outcome']> = Mutable<Extract<Decision, { outcome: O }>>;

const base = { timeMs: 0, action: -1, proposedTarget: Number.NaN, executedTarget: Number.NaN, clipBits: 0 };

export class DecisionChain {
  readonly instrument: Instrument;
  readonly account: AccountState;
  readonly venue: ExecutionVenue;
  readonly actionType: 'discrete' | 'box';
  readonly actions: readonly ActionSpec[];
  readonly nActions: number;
  readonly sizing: Sizing;
  readonly boxLow: number;
  readonly rules: CompiledRules | null;
  readonly gatekeeper: GatekeeperLink | null;
  readonly agentId: string;
  /** 1 = allowed, per action (discrete), from the last `prepare`. */
  readonly mask: Uint8Array;
  /** Bits (`RULE_BIT`) of the rules masking each action, from the last `prepare`. */
  readonly reasonBits: Uint32Array;
  /** Box: the allowed target interval [lo, hi] (shares of equity) and the bits of the rules setting each end. */
  readonly interval: Float64Array;
  readonly intervalBits: Uint32Array;
  /** Box: the current position share at the last `prepare` (inside the interval). */
  currentTarget = 0;
  /** Bar index the caller is at (recorded in audit events; −1 when the caller has no bars). */
  barIndex = -1;
  /** True when the last `decideAction`/`decideTarget` trimmed a drifted position (`on_drift: trim`) instead of the proposal. */
  trimmed = false;
  /** Fees of the fills booked by the last `onVenueEvents`, quote currency. */
  lastFees = 0;
  /** The account was ruined (`accountRuined`) at a `prepare`: every later decision is NO_ORDER `RUINED`. */
  ruined = false;
  /** Decision time at which the account was ruined (NaN while it is not). */
  ruinedAtMs = Number.NaN;
  /**
   * A drawdown breach with `drawdown_breach_action: close_and_halt` halted trading: every later decision is
   * NO_ORDER `HALTED` until an operator resets the drawdown lock (`resumeAfterReset`).
   */
  halted = false;
  /** Client order id of the chain's own closing order after a drawdown breach, while it works (else ''). */
  private forcedCloseId = '';
  private forcedCloses = 0;
  /**
   * Largest notional of one order (quote currency) the caller may send, set per call by a gateway from the
   * agent's capability token; a bigger sized order is DENIED with MAX_ORDER_NOTIONAL (`limit=token`). Infinity by default.
   */
  orderNotionalCap = Number.POSITIVE_INFINITY;
  private readonly orderInterval = new Float64Array(2);
  private readonly orderIntervalBits = new Uint32Array(2);
  private readonly size = new OrderSize();
  private readonly lot: Lot;
  /** The order record sent when there is no gatekeeper (the venue copies what it keeps): no allocation per order. */
  private readonly scratchOrder: MutableOrder = {
    clientOrderId: '',
    symbol: '',
    side: 'BUY',
    type: 'MARKET',
    quantity: 0,
    quoteQuantity: undefined,
    timeInForce: 'IOC',
    createdAtMs: 0,
    referencePrice: 0,
    agentId: undefined,
  };
  private readonly audit: AuditSink | null;
  private readonly listener: ChainListener | undefined;
  private readonly onLockEvent: LockListener | undefined;
  private readonly actor: string;
  private seq = 0;
  // One record per outcome, rewritten in place: a decision is valid until the next one.
  private readonly noOrder: Of<'NO_ORDER'> = { ...base, outcome: 'NO_ORDER', reason: 'HOLD' };
  private readonly masked: Of<'MASKED'> = { ...base, outcome: 'MASKED', ruleBits: 0 };
  private readonly submitted: Of<'SUBMITTED'> = { ...base, outcome: 'SUBMITTED', signedQty: 0, order: placeholderOrder };
  private readonly denied: Of<'DENIED'> = { ...base, outcome: 'DENIED', signedQty: 0, rejections: [] };
  private readonly venueRejected = new VenueRejectedRecord();

  constructor(options: DecisionChainOptions) {
    this.instrument = options.instrument;
    this.lot = lotOf(options.instrument.lotSize);
    this.scratchOrder.symbol = options.instrument.symbol;
    this.account = options.account;
    this.venue = options.venue;
    this.actionType = options.actionType;
    this.actions = options.actions ?? [];
    if (this.actionType === 'discrete' && this.actions.length < 2) throw new RangeError('actions: a discrete chain needs HOLD and at least one more action');
    this.nActions = this.actionType === 'discrete' ? this.actions.length : 0;
    this.sizing = options.sizing ?? ACTION_SIZING;
    this.boxLow = options.boxLow ?? -1;
    if (this.boxLow !== -1 && this.boxLow !== 0) throw new RangeError(`boxLow: must be -1 (long-short) or 0 (long-only), got ${this.boxLow}`);
    this.rules = options.rules ?? null;
    if (this.rules !== null && this.actionType === 'discrete' && this.rules.actions !== this.actions) {
      if (this.rules.nActions !== this.nActions || this.rules.actions.some((a, i) => a.kind !== this.actions[i].kind || a.fraction !== this.actions[i].fraction)) {
        throw new RangeError('rules: compiled for a different action list than the chain’s (compileChainRules with the same actions)');
      }
    }
    this.gatekeeper = options.gatekeeper ?? null;
    this.agentId = options.agentId ?? 'agent';
    this.actor = `agent:${this.agentId}`;
    this.audit = options.audit ?? null;
    this.listener = options.listener;
    this.onLockEvent = options.onLockEvent;
    this.mask = options.mask ?? new Uint8Array(this.nActions);
    this.reasonBits = options.reasonBits ?? new Uint32Array(this.nActions);
    if (this.mask.length !== this.nActions || this.reasonBits.length !== this.nActions) {
      throw new RangeError(`mask, reasonBits: must hold ${this.nActions} entries, got ${this.mask.length} and ${this.reasonBits.length}`);
    }
    this.mask.fill(1);
    this.interval = options.interval ?? new Float64Array(2);
    this.intervalBits = options.intervalBits ?? new Uint32Array(2);
    if (this.interval.length !== 2 || this.intervalBits.length !== 2) throw new RangeError('interval, intervalBits: must hold 2 entries');
    this.intervalBits.fill(0);
    this.interval[0] = this.boxLow;
    this.interval[1] = 1;
  }

  /** A new episode: the lock-free, violation-free, unruined start (the account is reset by its owner). */
  resetSeq(): void {
    this.seq = 0;
    this.ruined = false;
    this.ruinedAtMs = Number.NaN;
    this.halted = false;
    this.forcedCloseId = '';
  }

  /** An operator reset the drawdown lock: a `close_and_halt` halt ends with it. */
  resumeAfterReset(): void {
    this.halted = false;
  }

  /**
   * Checks for ruin, brings the locks up to date, writes the mask (discrete) or interval (Box) for the account as
   * marked, and carries out a drawdown breach action (`close`, `close_and_halt`).
   */
  prepare(): void {
    const c = this.rules;
    const s = this.account;
    if (!this.ruined && accountRuined(s.equity, this.instrument.minNotional)) {
      this.ruined = true;
      this.ruinedAtMs = s.timeMs;
      this.audit?.append('ACCOUNT_RUINED', 'system', { symbol: this.instrument.symbol, bar: this.barIndex, equity: s.equity, timeMs: s.timeMs });
      this.listener?.onRuin?.(s.equity, s.timeMs);
    }
    if (c === null) {
      if (this.actionType === 'box') this.currentTarget = s.equity > 0 ? (s.positionQty * s.price) / s.equity : 0;
      return;
    }
    updateLocks(s, c, this.onLockEvent);
    if (this.actionType === 'discrete') writeActionMask(s, c, this.mask, 0, this.reasonBits);
    else this.currentTarget = writeTargetInterval(s, c, this.interval, this.intervalBits, 0);
    if (c.drawdownBreachAction !== 'hold' && s.drawdownLocked) this.enforceDrawdownBreach(c);
  }

  /**
   * `close` / `close_and_halt`: the chain closes the position itself with a reduce-only market order (retried at
   * each bar until the book is flat), and the agent may only HOLD meanwhile, so that its own CLOSE cannot cross
   * the chain's and open the other side. `close_and_halt` also halts the chain.
   */
  private enforceDrawdownBreach(c: CompiledRules): void {
    const s = this.account;
    if (c.drawdownBreachAction === 'close_and_halt' && !this.halted) {
      this.halted = true;
      this.audit?.append('TRADING_HALTED', 'system', { symbol: this.instrument.symbol, bar: this.barIndex, reason: drawdownReason(s, c) });
    }
    if (s.positionQty === 0) return;
    if (this.forcedCloseId === '') this.submitForcedClose(s.timeMs, drawdownReason(s, c));
    // Only HOLD until the book is flat: the mask (discrete) or the interval pinned at the position (Box).
    if (this.actionType === 'discrete') {
      for (let i = 1; i < this.nActions; i++) {
        this.mask[i] = 0;
        this.reasonBits[i] |= RULE_BIT.MAX_DRAWDOWN_PCT;
      }
    } else {
      this.interval[0] = this.currentTarget;
      this.interval[1] = this.currentTarget;
      this.intervalBits[0] |= RULE_BIT.MAX_DRAWDOWN_PCT;
      this.intervalBits[1] |= RULE_BIT.MAX_DRAWDOWN_PCT;
    }
  }

  private submitForcedClose(nowMs: number, reason: string): void {
    const s = this.account;
    const gk = this.gatekeeper;
    const qty = -s.positionQty;
    const order: OrderIntent = {
      clientOrderId: gk !== null ? gk.nextClientOrderId() : `${this.agentId}-drawdown-close-${++this.forcedCloses}`,
      symbol: this.instrument.symbol,
      side: qty > 0 ? 'BUY' : 'SELL',
      type: 'MARKET',
      quantity: Math.abs(qty),
      timeInForce: 'IOC',
      createdAtMs: nowMs,
      reduceOnly: true,
      referencePrice: s.price,
      agentId: this.agentId,
    };
    if (gk !== null) {
      gk.update(nowMs, s.price, s);
      if (gk.check(order) !== null) return; // refused (e.g. throttled): tried again at the next bar
    }
    if (!this.venue.submit(order).accepted) return;
    this.forcedCloseId = order.clientOrderId;
    this.audit?.append('DRAWDOWN_CLOSE_SUBMITTED', 'system', {
      symbol: order.symbol,
      bar: this.barIndex,
      clientOrderId: order.clientOrderId,
      qty,
      reason,
    });
  }

  decide(proposal: Proposal, nowMs: number): Decision {
    if (this.ruined || this.halted) return this.none(nowMs, proposal.kind === 'action' ? proposal.action : -1, Number.NaN, Number.NaN, 0, this.ruined ? 'RUINED' : 'HALTED');
    return proposal.kind === 'action' ? this.decideAction(proposal.action, nowMs) : this.decideTarget(proposal.target, nowMs);
  }

  /** A discrete proposal: masked → MASKED; else sized, checked and sent. */
  decideAction(action: number, nowMs: number): Decision {
    if (this.actionType !== 'discrete') throw new TypeError('action: this chain takes Box targets');
    if (!(Number.isInteger(action) && action >= 0 && action < this.nActions)) {
      throw new RangeError(`action: must be an integer in [0, ${this.nActions}), got ${action}`);
    }
    if (this.ruined || this.halted) return this.none(nowMs, action, Number.NaN, Number.NaN, 0, this.ruined ? 'RUINED' : 'HALTED');
    const bits = this.rules === null ? 0 : this.reasonBits[action];
    this.trimmed = false;
    if (this.rules !== null && this.rules.onDrift === 'trim') {
      const trimTo = driftTrimTarget(this.account, this.rules, bits === 0 ? actionShare(this.account, this.rules, action) : Number.NaN);
      if (!Number.isNaN(trimTo)) return this.trimDrift(nowMs, action, Number.NaN, trimTo);
    }
    if (bits !== 0) {
      const d = this.masked;
      this.stamp(d, nowMs, action, Number.NaN, Number.NaN, 0);
      d.ruleBits = bits;
      return d;
    }
    const s = this.account;
    const size = sizeAction(this.size, this.actions[action], this.sizing, s, s.price, this.lot);
    return this.send(nowMs, action, Number.NaN, Number.NaN, 0, action === 0 ? 'HOLD' : 'BELOW_ONE_LOT', size);
  }

  /**
   * A Box proposal: judged against the interval; outside it, projected onto it (the clip recorded in
   * `clipBits`); a projection that keeps the position sends nothing (MASKED when clipped, else AT_TARGET).
   */
  decideTarget(proposed: number, nowMs: number): Decision {
    if (this.actionType !== 'box') throw new TypeError('target: this chain takes discrete actions');
    if (Number.isNaN(proposed)) throw new RangeError('target: must be a number, got NaN');
    if (this.ruined || this.halted) return this.none(nowMs, -1, proposed, Number.NaN, 0, this.ruined ? 'RUINED' : 'HALTED');
    const low = this.boxLow;
    let target = proposed;
    let clip = 0;
    this.trimmed = false;
    if (this.rules !== null && this.rules.onDrift === 'trim') {
      const trimTo = driftTrimTarget(this.account, this.rules, proposed);
      if (!Number.isNaN(trimTo)) return this.trimDrift(nowMs, -1, proposed, trimTo);
    }
    if (this.rules !== null) {
      const lo = this.interval[0];
      const hi = this.interval[1];
      if (!targetWithin(proposed, lo, hi)) clip = targetBreachBits(proposed, lo, hi, this.intervalBits[0], this.intervalBits[1]);
      target = projectTargetOnto(proposed, lo, hi, this.currentTarget);
      if (holdsPosition(target, this.currentTarget)) {
        // Keep the position: no rounding-noise order for "stay where you are".
        if (clip !== 0) {
          const d = this.masked;
          this.stamp(d, nowMs, -1, proposed, target, clip);
          d.ruleBits = clip;
          return d;
        }
        return this.none(nowMs, -1, proposed, target, 0, 'AT_TARGET');
      }
    }
    const executed = target < low ? low : target > 1 ? 1 : target;
    const s = this.account;
    const size = sizeTarget(this.size, executed, low, s, s.price, this.lot);
    return this.send(nowMs, -1, proposed, executed, clip, 'AT_TARGET', size);
  }

  /**
   * An explicit order: the rules judge the position share it would leave against the allowed interval (which
   * holds every reduction toward flat unless trading itself is locked); a breach is MASKED with the rules' bits. Then gatekeeper → venue → record, as for a sized proposal.
   */
  decideOrder(p: OrderProposal, nowMs: number): Decision {
    if (!(Number.isFinite(p.quantity) && p.quantity > 0)) throw new RangeError(`quantity: must be a positive number, got ${p.quantity}`);
    if (this.ruined || this.halted) return this.none(nowMs, -1, Number.NaN, Number.NaN, 0, this.ruined ? 'RUINED' : 'HALTED');
    const qty = p.side === 'BUY' ? p.quantity : -p.quantity;
    const c = this.rules;
    const s = this.account;
    if (c !== null && s.equity > 0 && s.price > 0) {
      const lo = this.orderInterval;
      const bits = this.orderIntervalBits;
      writeTargetInterval(s, c, lo, bits, 0);
      // The interval always holds every reduction toward flat, so a closing order passes unless trading itself is locked.
      const after = ((s.positionQty + qty) * s.price) / s.equity;
      if (!targetWithin(after, lo[0], lo[1])) {
        const d = this.masked;
        this.stamp(d, nowMs, -1, after, Number.NaN, 0);
        d.ruleBits = targetBreachBits(after, lo[0], lo[1], bits[0], bits[1]) || bits[0] | bits[1];
        return d;
      }
    }
    const order = {
      clientOrderId: p.clientOrderId,
      symbol: this.instrument.symbol,
      side: p.side,
      type: p.type,
      quantity: p.quantity,
      ...(p.type === 'LIMIT' && p.limitPrice !== undefined ? { limitPrice: p.limitPrice } : {}),
      timeInForce: p.type === 'LIMIT' ? ('GTC' as const) : ('IOC' as const),
      createdAtMs: nowMs,
      referencePrice: s.price,
      agentId: this.agentId,
    };
    return this.dispatch(order, qty, 0, nowMs, -1, Number.NaN, Number.NaN, 0);
  }

  /** Books the venue's events: fills into the account, refusals to the listener. */
  onVenueEvents(events: readonly VenueEvent[]): void {
    this.lastFees = 0;
    for (const e of events) {
      switch (e.type) {
        case 'FILL': {
          const f = e.fill;
          const signed = f.side === 'BUY' ? f.quantity : -f.quantity;
          this.account.applyFill(signed, f.price, f.fee, f.timeMs);
          this.lastFees += f.fee;
          this.audit?.append('FILL', e.liquidation === true ? 'system' : this.actor, {
            symbol: f.symbol,
            bar: this.barIndex,
            clientOrderId: f.clientOrderId,
            qty: signed,
            price: f.price,
            fee: f.fee,
            ...(e.liquidation === true ? { liquidation: true } : {}),
          });
          if (f.clientOrderId === this.forcedCloseId && e.remainingQty <= 0) this.forcedCloseId = '';
          this.listener?.onFill?.(f, signed);
          break;
        }
        case 'CANCELLED':
          if (e.clientOrderId === this.forcedCloseId) this.forcedCloseId = '';
          this.listener?.onVenueRefusal?.(e.clientOrderId, e.reason, e.remainingQty);
          break;
        case 'REJECTED':
          if (e.clientOrderId === this.forcedCloseId) this.forcedCloseId = '';
          this.listener?.onVenueRefusal?.(e.clientOrderId, e.reason, 0);
          break;
        case 'LIQUIDATION':
          this.audit?.append('LIQUIDATION', 'system', {
            symbol: this.instrument.symbol,
            bar: this.barIndex,
            clientOrderId: e.clientOrderId,
            positionQty: e.positionQty,
            price: e.price,
            equity: e.equity,
            requirement: e.requirement,
          });
          this.listener?.onLiquidation?.(e);
          break;
      }
    }
  }

  /**
   * `on_drift: trim`: the position drifted over an exposure limit and the proposal does not bring it back, so the
   * chain sends the order that trims it to the limit instead (gatekeeper and venue as for any order); `clipBits`
   * name the rules that were over, which is how decision logs and the gateway report it.
   */
  private trimDrift(nowMs: number, action: number, proposed: number, target: number): Decision {
    const s = this.account;
    const bits = this.rules === null ? 0 : exposureOverBits(s, this.rules);
    const size = sizeTarget(this.size, target, -1, s, s.price, this.lot);
    this.trimmed = true;
    return this.send(nowMs, action, proposed, target, bits, 'AT_TARGET', size);
  }

  // -- the steps after sizing --

  private send(nowMs: number, action: number, proposed: number, executed: number, clip: number, zeroReason: NoOrderReason, size: OrderSize): Decision {
    const qty = size.qty;
    if (qty === 0) return this.none(nowMs, action, proposed, executed, clip, zeroReason);
    const s = this.account;
    const gk = this.gatekeeper;
    const clientOrderId = gk !== null ? gk.nextClientOrderId() : `${this.agentId}-${++this.seq}`;
    // With a gatekeeper every order is a new record (its duplicate and repeat memories may keep it).
    const order: MutableOrder = gk === null ? this.scratchOrder : { ...this.scratchOrder };
    order.clientOrderId = clientOrderId;
    order.side = qty > 0 ? 'BUY' : 'SELL';
    order.quantity = Math.abs(qty);
    order.quoteQuantity = size.quote !== 0 ? Math.abs(size.quote) : undefined;
    order.createdAtMs = nowMs;
    order.referencePrice = s.price;
    order.agentId = this.agentId;
    return this.dispatch(order, qty, size.quote, nowMs, action, proposed, executed, clip);
  }

  /** Token cap → gatekeeper → venue → ORDER_SUBMITTED record, for a sized proposal or an explicit order. */
  private dispatch(order: OrderIntent, qty: number, quote: number, nowMs: number, action: number, proposed: number, executed: number, clip: number): Decision {
    const s = this.account;
    const gk = this.gatekeeper;
    const notional = Math.abs(qty) * (order.limitPrice ?? s.price);
    if (notional > this.orderNotionalCap) {
      return this.deny(nowMs, action, proposed, executed, clip, qty, [
        { code: 'MAX_ORDER_NOTIONAL', detail: { limit: 'token', notional, max: this.orderNotionalCap } },
      ]);
    }
    if (gk !== null) {
      gk.update(nowMs, s.price, s);
      const rejections: readonly Rejection[] | null = gk.check(order);
      if (rejections !== null) return this.deny(nowMs, action, proposed, executed, clip, qty, rejections);
    }
    const result = this.venue.submit(order);
    if (!result.accepted) {
      const d = this.venueRejected;
      d.timeMs = nowMs;
      d.action = action;
      d.proposedTarget = proposed;
      d.executedTarget = executed;
      d.clipBits = clip;
      d.signedQty = qty;
      d.reason = result.reason;
      d.refusal = result;
      return d;
    }
    this.audit?.append('ORDER_SUBMITTED', this.actor, {
      symbol: order.symbol,
      bar: this.barIndex,
      clientOrderId: order.clientOrderId,
      qty,
      quote,
    });
    const d = this.submitted;
    d.timeMs = nowMs;
    d.action = action;
    d.proposedTarget = proposed;
    d.executedTarget = executed;
    d.clipBits = clip;
    d.signedQty = qty;
    d.order = order;
    return d;
  }

  private deny(nowMs: number, action: number, proposed: number, executed: number, clip: number, qty: number, rejections: readonly Rejection[]): Decision {
    const d = this.denied;
    d.timeMs = nowMs;
    d.action = action;
    d.proposedTarget = proposed;
    d.executedTarget = executed;
    d.clipBits = clip;
    d.signedQty = qty;
    d.rejections = rejections;
    return d;
  }

  private none(nowMs: number, action: number, proposed: number, executed: number, clip: number, reason: NoOrderReason): Decision {
    const d = this.noOrder;
    d.timeMs = nowMs;
    d.action = action;
    d.proposedTarget = proposed;
    d.executedTarget = executed;
    d.clipBits = clip;
    d.reason = reason;
    return d;
  }

  // Only the MASKED record is stamped here: each record is written at its own site so that every property store
  // sees one shape (one shared stamp for five record shapes went megamorphic and showed in the vec env's profile).
  private stamp(d: Of<'MASKED'>, nowMs: number, action: number, proposed: number, executed: number, clip: number): void {
    d.timeMs = nowMs;
    d.action = action;
    d.proposedTarget = proposed;
    d.executedTarget = executed;
    d.clipBits = clip;
  }
}

/**
 * The VENUE_REJECTED record. Its message is the venue refusal's, read only when asked for: a venue may render
 * its messages lazily (`SimVenue` does), and a training env meets a refusal on most steps and reads none.
 */
class VenueRejectedRecord {
  readonly outcome = 'VENUE_REJECTED' as const;
  timeMs = 0;
  action = -1;
  proposedTarget = Number.NaN;
  executedTarget = Number.NaN;
  clipBits = 0;
  signedQty = 0;
  reason: VenueRejectReason = 'INVALID_QUANTITY';
  /** The venue's refusal (refusals are not reused, so it stays as it was while this record is valid). */
  #refusal: { readonly message: string } | null = null;

  set refusal(r: { readonly message: string }) {
    this.#refusal = r;
  }

  get message(): string {
    return this.#refusal === null ? '' : this.#refusal.message;
  }

  toJSON(): Record<string, unknown> {
    const { outcome, timeMs, action, proposedTarget, executedTarget, clipBits, signedQty, reason } = this;
    return { timeMs, action, proposedTarget, executedTarget, clipBits, outcome, signedQty, reason, message: this.message };
  }
}

/** An order record the chain fills in (MARKET IOC, the only kind the chain sends). */
interface MutableOrder {
  clientOrderId: string;
  symbol: string;
  side: 'BUY' | 'SELL';
  type: 'MARKET';
  quantity: number;
  quoteQuantity: number | undefined;
  timeInForce: 'IOC';
  createdAtMs: number;
  referencePrice: number;
  agentId: string | undefined;
}

const placeholderOrder: Order = Object.freeze({
  clientOrderId: '',
  symbol: '',
  side: 'BUY',
  type: 'MARKET',
  quantity: 0,
  timeInForce: 'IOC',
  createdAtMs: 0,
});
