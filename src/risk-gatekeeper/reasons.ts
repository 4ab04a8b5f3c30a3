/**
 * The reasons the gatekeeper refuses an order for: the gatekeeper section of the one reason list
 * (core/reasons.ts). Every denial carries one or more of these codes; nothing else in the gatekeeper invents
 * a reason string.
 */
import { GATEKEEPER_REASONS, type GatekeeperCode, renderReason } from '../core/index.js';

export const REJECT_REASONS = GATEKEEPER_REASONS;
export type RejectCode = GatekeeperCode;

export type RejectDetail = Readonly<Record<string, string | number | boolean>>;

/** One reason an order was refused, with the numbers that made it so. */
export interface Rejection {
  readonly code: RejectCode;
  readonly detail: RejectDetail;
}

/** Renders a rejection with the one reason renderer: `CODE: key=value, key=value`. */
export function renderRejection(r: Rejection): string {
  return renderReason(r.code, r.detail);
}
