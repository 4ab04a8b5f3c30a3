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
  private readonly venueRejected: Of<'VENUE_REJECTED'> = {
    ...base,
    outcome: 'VENUE_REJECTED',
    signedQty: 0,
    reason: 'INVALID_QUANTITY',
    message: '',
  };

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

  /** A new episode: the lock-free, violation-free start (the account is reset by its owner). */
  resetSeq(): void {
    this.seq = 0;
  }

  /** Brings the locks up to date and writes the mask (discrete) or interval (Box) for the account as marked. */
  prepare(): void {
    const c = this.rules;
    const s = this.account;
    if (c === null) {
      if (this.actionType === 'box') this.currentTarget = s.equity > 0 ? (s.positionQty * s.price) / s.equity : 0;
      return;
    }
    updateLocks(s, c, this.onLockEvent);
    if (this.actionType === 'discrete') writeActionMask(s, c, this.mask, 0, this.reasonBits);
    else this.currentTarget = writeTargetInterval(s, c, this.interval, this.intervalBits, 0);
  }

  decide(proposal: Proposal, nowMs: number): Decision {
    return proposal.kind === 'action' ? this.decideAction(proposal.action, nowMs) : this.decideTarget(proposal.target, nowMs);
  }

  /** A discrete proposal: masked → MASKED; else sized, checked and sent. */
  decideAction(action: number, nowMs: number): Decision {
    if (this.actionType !== 'discrete') throw new TypeError('action: this chain takes Box targets');
    if (!(Number.isInteger(action) && action >= 0 && action < this.nActions)) {
      throw new RangeError(`action: must be an integer in [0, ${this.nActions}), got ${action}`);
    }
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
          this.audit?.append('FILL', this.actor, {
            symbol: f.symbol,
            bar: this.barIndex,
            clientOrderId: f.clientOrderId,
            qty: signed,
            price: f.price,
            fee: f.fee,
          });
          this.listener?.onFill?.(f, signed);
          break;
        }
        case 'CANCELLED':
          this.listener?.onVenueRefusal?.(e.clientOrderId, e.reason, e.remainingQty);
          break;
        case 'REJECTED':
          this.listener?.onVenueRefusal?.(e.clientOrderId, e.reason, 0);
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
      this.stamp(d, nowMs, action, proposed, executed, clip);
      d.signedQty = qty;
      d.reason = result.reason;
      d.message = result.message;
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
    this.stamp(d, nowMs, action, proposed, executed, clip);
    d.signedQty = qty;
    d.order = order;
    return d;
  }

  private deny(nowMs: number, action: number, proposed: number, executed: number, clip: number, qty: number, rejections: readonly Rejection[]): Decision {
    const d = this.denied;
    this.stamp(d, nowMs, action, proposed, executed, clip);
    d.signedQty = qty;
    d.rejections = rejections;
    return d;
  }

  private none(nowMs: number, action: number, proposed: number, executed: number, clip: number, reason: NoOrderReason): Decision {
    const d = this.noOrder;
    this.stamp(d, nowMs, action, proposed, executed, clip);
    d.reason = reason;
    return d;
  }

  private stamp(d: Mutable<Decision>, nowMs: number, action: number, proposed: number, executed: number, clip: number): void {
    d.timeMs = nowMs;
    d.action = action;
    d.proposedTarget = proposed;
    d.executedTarget = executed;
    d.clipBits = clip;
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
