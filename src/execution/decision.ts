/**
 * What the chain decided for one proposal: one closed union, each outcome with its reason codes.
 *
 * - `NO_ORDER`: nothing to send (`HOLD`, already at the target, less than one lot), or nothing may be sent: the
 *   account is ruined (`RUINED`) or a drawdown breach halted trading (`HALTED`).
 * - `MASKED`: the Constraint Logic Engine masked the proposed action (or the Box target had to be projected
 *   onto the allowed interval and the projection keeps the position); `ruleBits` names the rules (`RULE_BIT`).
 * - `DENIED`: the risk gatekeeper refused the order (a local denial, NautilusTrader's `OrderDenied`).
 * - `SUBMITTED`: the venue took the order; fills and later venue events arrive at the next bar.
 * - `VENUE_REJECTED`: the venue refused the order (its `OrderRejected`), with its closed reason.
 *
 * A `Box` target outside the allowed interval that still leads to an order is `SUBMITTED` with `clipBits` set:
 * the order went out, for the projected target.
 */
import type { NoOrderCode, Order } from '../core/index.js';
import { ruleIdsFromBits } from '../constraints/index.js';
import { type Rejection, renderRejection } from '../risk-gatekeeper/index.js';
import type { VenueRejectReason } from '../venues/index.js';

/** Why no order went out although nothing refused one: the chain's section of the one reason list. */
export type NoOrderReason = NoOrderCode;

export type DecisionOutcome = 'NO_ORDER' | 'MASKED' | 'DENIED' | 'SUBMITTED' | 'VENUE_REJECTED';
export const DECISION_OUTCOMES: readonly DecisionOutcome[] = ['NO_ORDER', 'MASKED', 'DENIED', 'SUBMITTED', 'VENUE_REJECTED'];

interface DecisionBase {
  /** Decision time, ms since the Unix epoch. */
  readonly timeMs: number;
  /** Discrete proposal: the action index; −1 for a Box proposal. */
  readonly action: number;
  /** Box proposal: the target proposed and the one sized (shares of equity); NaN for a discrete proposal. */
  readonly proposedTarget: number;
  readonly executedTarget: number;
  /** Box proposal: bits of the rules whose interval end the proposal passed (it was projected); 0 if none. */
  readonly clipBits: number;
}

export type Decision =
  | (DecisionBase & { readonly outcome: 'NO_ORDER'; readonly reason: NoOrderReason })
  | (DecisionBase & { readonly outcome: 'MASKED'; readonly ruleBits: number })
  | (DecisionBase & { readonly outcome: 'DENIED'; readonly signedQty: number; readonly rejections: readonly Rejection[] })
  | (DecisionBase & { readonly outcome: 'SUBMITTED'; readonly signedQty: number; readonly order: Order })
  | (DecisionBase & {
      readonly outcome: 'VENUE_REJECTED';
      readonly signedQty: number;
      readonly reason: VenueRejectReason;
      readonly message: string;
    });

/** The reason codes of a decision: rule ids, gatekeeper reject codes or the venue's reason (empty otherwise). */
export function decisionReasonCodes(d: Decision): string[] {
  switch (d.outcome) {
    case 'NO_ORDER':
      return [d.reason];
    case 'MASKED':
      return ruleIdsFromBits(d.ruleBits);
    case 'DENIED':
      return d.rejections.map((r) => r.code);
    case 'SUBMITTED':
      return ruleIdsFromBits(d.clipBits);
    case 'VENUE_REJECTED':
      return [d.reason];
  }
}

/** One line for logs and reports: `OUTCOME CODE: detail; CODE: detail`. */
export function renderDecision(d: Decision): string {
  switch (d.outcome) {
    case 'NO_ORDER':
      return `NO_ORDER ${d.reason}`;
    case 'MASKED':
      return `MASKED ${ruleIdsFromBits(d.ruleBits).join(', ')}`;
    case 'DENIED':
      return `DENIED ${d.rejections.map(renderRejection).join('; ')}`;
    case 'SUBMITTED':
      return `SUBMITTED ${d.order.side} ${d.order.quantity} ${d.order.symbol} (${d.order.clientOrderId})`;
    case 'VENUE_REJECTED':
      return `VENUE_REJECTED ${d.message}`;
  }
}
