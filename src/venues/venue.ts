/**
 * The venue port: everything the decision chain and the kill-switch need from a place where orders execute.
 * `SimVenue` implements it now; the paper and ccxt venues implement the same port.
 *
 * The port is synchronous on purpose: `submit` says whether the venue *accepted the order for processing*
 * (a local validity refusal is immediate); what happens afterwards (fills, cancellations, a late rejection by
 * a remote exchange) arrives as `VenueEvent`s. A remote venue whose answer is not back yet reports the order
 * as accepted and in flight (an unknown outcome is never retried blindly, as ARCHITECTURE.md requires).
 * A refusal is a new record each time, never rewritten (the decision chain keeps it and reads its message
 * only when asked; `SimVenue` renders the message on that first read).
 */
import type { Fill, Order, Side, VenueCancelCode, VenueRejectCode } from '../core/index.js';

/** Why the venue refused or dropped an order: the venue section of the one reason list (core/reasons.ts). */
export type VenueRejectReason = VenueRejectCode;

/** Why an accepted order (or its remainder) stopped working without a fill. */
export type VenueCancelReason = VenueCancelCode;

export type SubmitResult =
  | { readonly accepted: true; readonly clientOrderId: string; readonly quantity: number; readonly limitPrice?: number }
  | { readonly accepted: false; readonly clientOrderId: string; readonly reason: VenueRejectReason; readonly message: string };

export type VenueEvent =
  | {
      readonly type: 'FILL';
      readonly fill: Fill;
      readonly remainingQty: number;
      /** True for a fill of the venue's own liquidation order. */
      readonly liquidation?: boolean;
    }
  /**
   * A margin account fell below its maintenance requirement at a bar's close: the venue cancelled every working
   * order and works `clientOrderId`, a reduce-only order closing the whole position, from the next bar on.
   */
  | {
      readonly type: 'LIQUIDATION';
      readonly clientOrderId: string;
      readonly positionQty: number;
      readonly price: number;
      readonly equity: number;
      readonly requirement: number;
      readonly timeMs: number;
    }
  | {
      readonly type: 'CANCELLED';
      readonly clientOrderId: string;
      readonly reason: VenueCancelReason;
      readonly remainingQty: number;
      readonly timeMs: number;
    }
  | {
      readonly type: 'REJECTED';
      readonly clientOrderId: string;
      readonly reason: VenueRejectReason;
      readonly message: string;
      readonly timeMs: number;
    };

/** An accepted order that has not finished yet. */
export interface OpenOrder {
  readonly order: Order;
  /** Quantity after lot rounding (for a quote-sized market order: the estimate at the reference price). */
  readonly quantity: number;
  /** Limit price after tick rounding (buys down, sells up: never worse than asked). */
  readonly limitPrice?: number;
  readonly filledQty: number;
  readonly remainingQty: number;
}

/** A position as the venue holds it. */
export interface VenuePositionRecord {
  readonly symbol: string;
  /** Signed base units: > 0 long, < 0 short. */
  readonly quantity: number;
}

/** A fill with its sequence number at the venue (0, 1, 2, … since the venue started or was reset). */
export interface SequencedFill {
  readonly seq: number;
  readonly fill: Fill;
}

/**
 * The one venue port. Every method is synchronous; see the file comment for what `submit` promises.
 * `cancel`/`cancelAll` return the cancellation events; `fills(fromSeq)` the fills with `seq >= fromSeq`
 * still retained (a venue keeps a bounded history; reconcile from `fromSeq` you already hold).
 */
export interface ExecutionVenue {
  submit(order: Order): SubmitResult;
  cancel(clientOrderId: string, timeMs?: number): VenueEvent | null;
  cancelAll(timeMs?: number): VenueEvent[];
  openOrders(): readonly OpenOrder[];
  /** Number of working orders, without building the list (the gatekeeper reads it before every order). */
  readonly openOrderCount: number;
  /** Remaining quantity of the working orders on `side`, without building the list. */
  workingQty(side: Side): number;
  positions(): readonly VenuePositionRecord[];
  fills(fromSeq?: number): readonly SequencedFill[];
}
