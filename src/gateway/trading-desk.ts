/**
 * What the gateway's routes need from the trading sessions behind it. The routes only translate HTTP to
 * these calls; every order goes through `execution/`'s chain inside the implementation (`ChainDesk`), so the
 * gateway holds no copy of mask → size → gatekeeper → venue → record.
 */
import type { TradingState } from '../risk-gatekeeper/index.js';
import type { TradingMode } from '../security/index.js';

export interface OrderRequest {
  readonly symbol: string;
  readonly side: 'BUY' | 'SELL';
  readonly quantity: number;
  readonly type: 'MARKET' | 'LIMIT';
  readonly limitPrice?: number;
  readonly clientOrderId: string;
}

export type DecisionRequest =
  | { readonly symbol: string; readonly kind: 'action'; readonly action: number }
  | { readonly symbol: string; readonly kind: 'target'; readonly target: number };

export interface Reason {
  readonly code: string;
  readonly message: string;
}

/** The chain's outcome as the API reports it (`execution/`'s Decision, flattened to JSON). */
export interface DeskOutcome {
  readonly outcome: 'NO_ORDER' | 'MASKED' | 'DENIED' | 'SUBMITTED' | 'VENUE_REJECTED';
  readonly reasons: readonly Reason[];
  readonly clientOrderId?: string;
  readonly symbol: string;
  readonly side?: 'BUY' | 'SELL';
  readonly quantity?: number;
  /** Box decisions: the target proposed and the one sized. */
  readonly proposedTarget?: number;
  readonly executedTarget?: number;
  readonly timeMs: number;
}

export interface MaskView {
  readonly symbol: string;
  readonly kind: 'discrete' | 'box';
  /** Discrete: one entry per action. */
  readonly actions?: readonly { readonly index: number; readonly name: string; readonly allowed: boolean; readonly reasons: readonly string[] }[];
  /** Box: the allowed target interval and the rules setting each end. */
  readonly interval?: { readonly low: number; readonly high: number; readonly lowReasons: readonly string[]; readonly highReasons: readonly string[] };
  readonly tradingState: TradingState;
}

export interface PositionView {
  readonly symbol: string;
  readonly quantity: number;
  readonly price: number;
  readonly notional: number;
}

export interface BalanceView {
  readonly symbol: string;
  readonly cash: number;
  readonly equity: number;
  readonly peakEquity: number;
  readonly dayStartEquity: number;
}

export interface OpenOrderView {
  readonly clientOrderId: string;
  readonly symbol: string;
  readonly side: 'BUY' | 'SELL';
  readonly type: 'MARKET' | 'LIMIT';
  readonly quantity: number;
  readonly remainingQty: number;
  readonly limitPrice?: number;
}

export interface FillView {
  readonly clientOrderId: string;
  readonly symbol: string;
  readonly side: 'BUY' | 'SELL';
  readonly quantity: number;
  readonly price: number;
  readonly fee: number;
  readonly timeMs: number;
}

export interface TradingDesk {
  readonly mode: TradingMode;
  symbols(): readonly string[];
  /** A reference price for the notional cap (the last mark); undefined when the symbol is unknown. */
  lastPrice(symbol: string): number | undefined;
  submitOrder(agentId: string, order: OrderRequest): Promise<DeskOutcome>;
  /**
   * Sizes the decision through the chain; an order whose notional would be above `notionalCap` (the token's)
   * is refused with NOTIONAL_CAP_EXCEEDED before the gatekeeper sees it.
   */
  submitDecision(agentId: string, decision: DecisionRequest, notionalCap: number): Promise<DeskOutcome>;
  /** False when the agent has no such open order. */
  cancel(agentId: string, clientOrderId: string): Promise<boolean>;
  mask(agentId: string, symbol: string): MaskView;
  positions(agentId: string): readonly PositionView[];
  balances(agentId: string): readonly BalanceView[];
  openOrders(agentId: string): readonly OpenOrderView[];
  fills(agentId: string, sinceMs: number): readonly FillView[];
  /** Releases operator-held drawdown locks of the agent (every agent when undefined) on the symbol (every one when undefined); how many. */
  releaseDrawdownLock(agentId: string | undefined, symbol: string | undefined, operator: string, reason: string): number;
  /** Resolves when every session has finished enforcing kills started so far (cancel and flatten). */
  settle(): Promise<void>;
  close(): Promise<void>;
}
