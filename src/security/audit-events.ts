/**
 * The one closed vocabulary of audit events: every event type any component writes is a key of
 * `AuditEventPayloads`, with the payload it carries. `AuditSink.append` takes only these types and checks the
 * payload against its type, so a misspelt type or a missing field fails to compile instead of writing an
 * event no reader (replay, `audit verify`, an operator) knows. What is on disk is unchanged: `{ type, actor,
 * payload }` in the hash chain; reading (`readAuditEvents`) still accepts any type, so older logs verify.
 *
 * The payloads are plain JSON shapes written here, not imported: this folder sits below the gatekeeper,
 * gateway and execution layers that write them.
 */

/** An order as the gatekeeper records it; numbers that are not finite are written as their text. */
export type AuditOrderPayload = {
  readonly clientOrderId: string;
  /** The authenticated agent (null for a system order). */
  readonly agentId: string | null;
  /** The agent the order body named, when it differs from the authenticated one. */
  readonly claimedAgentId?: string | null;
  readonly symbol: string;
  readonly side: string;
  readonly type: string;
  readonly quantity: number | string;
  readonly limitPrice: number | string | null;
  readonly reduceOnly: boolean;
};

/** A trading-state change as the store took it (`TRADING_STATE_CHANGED`, replayed on restart). */
export type AuditStateChangePayload = {
  readonly scope: string;
  readonly from: string;
  readonly to: string;
  readonly version: number;
  readonly reason: string;
  readonly changedAtMs: number;
  readonly epoch?: string;
};

/** One scope's record as a `TRADING_STATE_RESTORED` event lists it. */
export type AuditRestoredRecord = {
  readonly scope: string;
  readonly state: string;
  readonly previous: string;
  readonly version: number;
  readonly actor: string;
  readonly reason: string;
  readonly changedAtMs: number;
};

/** A constraint lock engaging or clearing; `reason` is rendered `RULE_ID: key=value, …`. */
export type AuditLockPayload = {
  readonly lock: string;
  readonly rule: string;
  readonly symbol: string;
  readonly timeMs: number;
  readonly reason: string;
};

/** One HTTP request of the gateway that changed state or was refused. */
export type AuditRequestPayload = {
  readonly method: string;
  readonly route: string;
  readonly status: number;
  /** The error code of a refusal (the gateway's error registry). */
  readonly code?: string;
  readonly jti?: string;
  readonly agentId?: string;
  readonly operator?: string;
  readonly requestId: string;
};

export type AuditEventPayloads = {
  // Risk gatekeeper: orders.
  readonly ORDER_APPROVED: AuditOrderPayload & { readonly flattening?: true };
  /** `reasons`: each refusal rendered `CODE: key=value …`. */
  readonly ORDER_DENIED: AuditOrderPayload & { readonly reasons: readonly string[] };
  /** A flattening order the kill-switch asked the gatekeeper to issue. */
  readonly FLATTEN_ORDER_ISSUED: AuditOrderPayload;
  /** The same order sent `earlier` times within the repeat window (one alert per streak). */
  readonly REPEATED_ORDER_ALERT: AuditOrderPayload & { readonly earlier: number };
  /** `scope` null: orders with no agent id over the limit (the global scope is never moved for them). */
  readonly CIRCUIT_BREAKER_TRIPPED: { readonly scope: string | null; readonly agentId?: null; readonly maxActionsPerMin: number; readonly atMs: number };
  readonly STATE_ESCALATION_FAILED: { readonly scope: string; readonly state: string; readonly reason: string; readonly error: string };

  // Trading state (replayed on restart, see risk-gatekeeper/state-replay.ts).
  readonly TRADING_STATE_CHANGED: AuditStateChangePayload;
  readonly TRADING_STATE_CHANGE_REQUESTED: { readonly scope: string; readonly from: string; readonly to: string; readonly reason: string };
  readonly TRADING_STATE_CHANGE_FAILED: { readonly scope: string; readonly to: string; readonly reason: string; readonly error: string };
  readonly TRADING_STATE_RESTORED: {
    readonly epoch: string;
    readonly previousEpoch: string | null;
    readonly reason: string;
    readonly source: string;
    readonly records: readonly AuditRestoredRecord[];
  };
  readonly TRADING_STATE_RESTORE_FAILED: { readonly epoch: string; readonly error: string };

  // Kill-switch enforcement.
  readonly OPEN_ORDERS_CANCELLED: { readonly scope: string; readonly cancelled: number };
  readonly FLATTEN_ORDER_SUBMITTED: { readonly scope: string; readonly clientOrderId: string; readonly symbol: string; readonly quantity: number };
  readonly KILL_SWITCH_ENFORCEMENT_FAILED: { readonly scope: string; readonly error: string };

  // Constraint Logic Engine locks.
  readonly CONSTRAINT_LOCK_ENGAGED: AuditLockPayload;
  readonly CONSTRAINT_LOCK_CLEARED: AuditLockPayload;

  // Execution chain (backtest, paper, gateway desks): `qty` signed, `quote` the order's notional.
  readonly ORDER_SUBMITTED: { readonly symbol: string; readonly bar: number; readonly clientOrderId: string; readonly qty: number; readonly quote: number };
  readonly FILL: {
    readonly symbol: string;
    readonly bar: number;
    readonly clientOrderId: string;
    readonly qty: number;
    readonly price: number;
    readonly fee: number;
    /** Present (true) on a fill of the venue's own liquidation order. */
    readonly liquidation?: true;
  };
  readonly ORDER_CANCELLED: { readonly symbol: string; readonly clientOrderId: string };
  // The account (venues/account-model.ts): a margin account liquidated below its maintenance margin, ruin.
  readonly LIQUIDATION: {
    readonly symbol: string;
    readonly bar: number;
    readonly clientOrderId: string;
    readonly positionQty: number;
    readonly price: number;
    readonly equity: number;
    readonly requirement: number;
  };
  readonly ACCOUNT_RUINED: { readonly symbol: string; readonly bar: number; readonly equity: number; readonly timeMs: number };
  // A drawdown breach action (`drawdown_breach_action: close | close_and_halt`).
  readonly DRAWDOWN_CLOSE_SUBMITTED: { readonly symbol: string; readonly bar: number; readonly clientOrderId: string; readonly qty: number; readonly reason: string };
  readonly TRADING_HALTED: { readonly symbol: string; readonly bar: number; readonly reason: string };

  // Gateway.
  readonly GATEWAY_STARTED: {
    readonly mode: string;
    readonly symbols: readonly string[];
    readonly restoredScopes: number;
    /** Why nothing was restored and every order is refused (the gateway's log did not verify). */
    readonly restoreRefused?: string;
  };
  readonly GATEWAY_STOPPED: Readonly<Record<string, never>>;
  readonly GATEWAY_REQUEST: AuditRequestPayload;
  readonly GATEWAY_REQUEST_REFUSED: AuditRequestPayload;
  readonly TOKEN_ISSUED: {
    readonly jti: string;
    readonly agentId: string;
    readonly tools: readonly string[];
    readonly symbols?: readonly string[];
    readonly notionalCap?: number;
    readonly expiresAtMs: number;
  };
  readonly TOKEN_REVOKED: { readonly jti: string; readonly expiresAtMs: number };

  // Paper / live sessions.
  readonly SESSION_STARTED: {
    readonly session: string;
    readonly feed: string;
    readonly restoredBars: number;
    readonly restoredFills: number;
    /** Client order ids of the journal's open orders the session took over. */
    readonly adoptedOrders: readonly string[];
    readonly positionQty: number;
    /** What was cut off the journal's end on open (a torn line, a decision's order without its decision line). */
    readonly journalRepairs: readonly string[];
  };
  /**
   * Reconcile at start found the node's record (the journal) and the venue apart: what it did about each
   * difference. The session trades REDUCING until `RECONCILE_MATCHED`.
   */
  readonly RECONCILE_MISMATCH: {
    readonly session: string;
    /** What was done with venue orders the journal does not know: `cancel` or `adopt`. */
    readonly unknownOrders: string;
    readonly adopted: readonly string[];
    readonly cancelled: readonly string[];
    /** Orders the journal held working that the venue does not know: marked lost. */
    readonly lost: readonly string[];
    /** Signed position, the node's figure and the venue's (null: they agree). */
    readonly position: { readonly node: number; readonly venue: number } | null;
    readonly cash: { readonly node: number; readonly venue: number } | null;
  };
  /** A re-check found the node and the venue in agreement (after `RECONCILE_MISMATCH`). */
  readonly RECONCILE_MATCHED: { readonly session: string; readonly bar: number; readonly resumed: boolean };

  // Sandbox.
  readonly SANDBOX_AGENT_STOPPED: { readonly tier: number; readonly reason: string; readonly decisions: number; readonly lateDecisions: number };

  // The audit log itself.
  readonly AUDIT_TORN_TAIL_RECOVERED: { readonly offset: number; readonly bytes: number; readonly sha256: string; readonly savedTo: string };
};

/** Every audit event type: the closed list. */
export type AuditEventType = keyof AuditEventPayloads;

/** One event as a writer states it: the union of every type with its own payload. */
export type AuditEventOf<T extends AuditEventType = AuditEventType> = {
  [K in T]: { readonly type: K; readonly actor: string; readonly payload: AuditEventPayloads[K] };
}[T];

const TYPES: { readonly [K in AuditEventType]: true } = {
  ORDER_APPROVED: true,
  ORDER_DENIED: true,
  FLATTEN_ORDER_ISSUED: true,
  REPEATED_ORDER_ALERT: true,
  CIRCUIT_BREAKER_TRIPPED: true,
  STATE_ESCALATION_FAILED: true,
  TRADING_STATE_CHANGED: true,
  TRADING_STATE_CHANGE_REQUESTED: true,
  TRADING_STATE_CHANGE_FAILED: true,
  TRADING_STATE_RESTORED: true,
  TRADING_STATE_RESTORE_FAILED: true,
  OPEN_ORDERS_CANCELLED: true,
  FLATTEN_ORDER_SUBMITTED: true,
  KILL_SWITCH_ENFORCEMENT_FAILED: true,
  CONSTRAINT_LOCK_ENGAGED: true,
  CONSTRAINT_LOCK_CLEARED: true,
  ORDER_SUBMITTED: true,
  FILL: true,
  ORDER_CANCELLED: true,
  LIQUIDATION: true,
  ACCOUNT_RUINED: true,
  DRAWDOWN_CLOSE_SUBMITTED: true,
  TRADING_HALTED: true,
  GATEWAY_STARTED: true,
  GATEWAY_STOPPED: true,
  GATEWAY_REQUEST: true,
  GATEWAY_REQUEST_REFUSED: true,
  TOKEN_ISSUED: true,
  TOKEN_REVOKED: true,
  SESSION_STARTED: true,
  RECONCILE_MISMATCH: true,
  RECONCILE_MATCHED: true,
  SANDBOX_AGENT_STOPPED: true,
  AUDIT_TORN_TAIL_RECOVERED: true,
};

/** Every member of the vocabulary, in declaration order (for `audit` tooling and tests). */
export const AUDIT_EVENT_TYPES: readonly AuditEventType[] = Object.freeze(Object.keys(TYPES) as AuditEventType[]);

/** Whether `type` (read from a file) is a member of the vocabulary. */
export function isAuditEventType(type: string): type is AuditEventType {
  return Object.hasOwn(TYPES, type);
};
