/**
 * Reconcile before trading (NautilusTrader's start-up reconciliation): the node's own record — the orders it sent,
 * the fills it booked and the cancellations it saw, all in the session journal — is compared with what the venue
 * port reports (open orders, position, cash). Differences, and what is done about each:
 *
 * - a venue order the journal does not know: cancelled (default) or adopted into the node's record (`adopt`);
 * - an order the journal holds working that the venue does not know: marked lost (a journal line, audited);
 * - a position (or cash) the two disagree on: reported with both figures; nothing is invented to hide it.
 *
 * While anything differs the session trades REDUCING; it returns to ACTIVE only when a re-check at a later price
 * update finds them agreeing (session.ts drives that through the kill-switch store).
 */
import { renderReason } from '../core/index.js';
import type { ExecutionVenue, OpenOrder } from '../venues/index.js';

/** What to do with a working venue order the node's record does not know. */
export type UnknownOrderAction = 'cancel' | 'adopt';
export const UNKNOWN_ORDER_ACTIONS: readonly UnknownOrderAction[] = ['cancel', 'adopt'];

/** The actor of the trading-state changes reconcile makes (never an operator's). */
export const RECONCILE_ACTOR = 'reconcile';

/** One figure as the node holds it and as the venue reports it. */
export interface NodeVenueFigures {
  readonly node: number;
  readonly venue: number;
}

/** The node's own record at start. */
export interface NodeRecord {
  /** Client order ids the node holds working. */
  readonly workingOrderIds: ReadonlySet<string>;
  /** Signed base units of `symbol`. */
  readonly positionQty: number;
  /** Quote cash, or null when the venue reports none to compare. */
  readonly cash: number | null;
}

/** What the venue reports. */
export interface VenueReport {
  readonly openOrders: readonly OpenOrder[];
  readonly positionQty: number;
  readonly cash: number | null;
}

/** How the node's record and the venue differ (every list empty and both figures null: they agree). */
export interface VenueDiff {
  /** Working at the venue, unknown to the node. */
  readonly unknown: readonly OpenOrder[];
  /** Working in the node's record, unknown to the venue. */
  readonly lost: readonly string[];
  readonly position: NodeVenueFigures | null;
  readonly cash: NodeVenueFigures | null;
}

/** The outcome of reconcile at start: what was found and done. */
export interface ReconcileReport {
  readonly unknownOrders: UnknownOrderAction;
  readonly adopted: readonly string[];
  readonly cancelled: readonly string[];
  readonly lost: readonly string[];
  readonly position: NodeVenueFigures | null;
  readonly cash: NodeVenueFigures | null;
  /** The node and the venue agreed at once: trading starts as the store says (ACTIVE unless someone killed it). */
  readonly matched: boolean;
}

/** What the venue port reports for `symbol`. */
export function venueReport(venue: Pick<ExecutionVenue, 'openOrders' | 'positions'>, symbol: string, cash: number | null): VenueReport {
  let positionQty = 0;
  for (const p of venue.positions()) if (p.symbol === symbol) positionQty += p.quantity;
  return { openOrders: venue.openOrders(), positionQty, cash };
}

/** Compares the node's record with the venue's report (quantities to 1e-9 of a unit, cash to 1e-9 relative). */
export function diffWithVenue(node: NodeRecord, venue: VenueReport): VenueDiff {
  const atVenue = new Set<string>();
  const unknown: OpenOrder[] = [];
  for (const o of venue.openOrders) {
    atVenue.add(o.order.clientOrderId);
    if (!node.workingOrderIds.has(o.order.clientOrderId)) unknown.push(o);
  }
  const lost = [...node.workingOrderIds].filter((id) => !atVenue.has(id));
  const position = Math.abs(node.positionQty - venue.positionQty) > 1e-9 ? { node: node.positionQty, venue: venue.positionQty } : null;
  const cash =
    node.cash !== null && venue.cash !== null && Math.abs(node.cash - venue.cash) > 1e-9 * Math.max(1, Math.abs(node.cash))
      ? { node: node.cash, venue: venue.cash }
      : null;
  return { unknown, lost, position, cash };
}

export function diffIsClean(d: VenueDiff): boolean {
  return d.unknown.length === 0 && d.lost.length === 0 && d.position === null && d.cash === null;
}

/** The reason of the REDUCING that a mismatch sets: RECONCILE_MISMATCH with what differs as fields. */
export function reconcileReason(r: ReconcileReport): string {
  const fields: Record<string, string | number> = {};
  if (r.adopted.length > 0) fields.adopted = r.adopted.join('|');
  if (r.cancelled.length > 0) fields.cancelled = r.cancelled.join('|');
  if (r.lost.length > 0) fields.lost = r.lost.join('|');
  if (r.position !== null) {
    fields.position_node = r.position.node;
    fields.position_venue = r.position.venue;
  }
  if (r.cash !== null) {
    fields.cash_node = r.cash.node;
    fields.cash_venue = r.cash.venue;
  }
  return renderReason('RECONCILE_MISMATCH', fields);
}

/** The reason of the ACTIVE a matching re-check at bar `bar` sets. */
export function reconcileMatchedReason(bar: number): string {
  return renderReason('RECONCILE_MATCHED', { bar });
}

/** One line for the operator: what reconcile found and did. */
export function describeReconcile(r: ReconcileReport): string {
  if (r.matched) return 'reconcile: the journal and the venue agree (open orders, position, cash)';
  const parts: string[] = [];
  if (r.adopted.length > 0) parts.push(`adopted ${r.adopted.length} venue order(s) the journal did not know (${r.adopted.join(', ')})`);
  if (r.cancelled.length > 0) parts.push(`cancelled ${r.cancelled.length} venue order(s) the journal did not know (${r.cancelled.join(', ')})`);
  if (r.lost.length > 0) parts.push(`marked lost ${r.lost.length} order(s) the venue does not know (${r.lost.join(', ')})`);
  if (r.position !== null) parts.push(`position differs: journal ${r.position.node}, venue ${r.position.venue}`);
  if (r.cash !== null) parts.push(`cash differs: journal ${r.cash.node}, venue ${r.cash.venue}`);
  return `reconcile: ${parts.join('; ')}; trading REDUCING until a re-check matches`;
}
