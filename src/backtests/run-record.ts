/**
 * Everything a finished backtest leaves behind: the series, the trade list, the decision log and the
 * metrics. Reports (files, HTML, terminal table) are rendered from this record and nothing else.
 */
import type { ActionSpec, Bars } from '../core/index.js';
import type { DecisionLog, TradingStateName } from './decision-log.js';
import type { PerformanceMetrics, ReturnMetrics } from './metrics.js';
import type { FillLog, Trade } from './trades.js';

/** A change of the gatekeeper's trading state during the run (operator or automatic trigger). */
export interface KillSwitchEvent {
  readonly bar: number;
  readonly timeMs: number;
  readonly from: TradingStateName;
  readonly to: TradingStateName;
  readonly actor: string;
  readonly reason: string;
}

/** The venue liquidated a margin account: at the close of `bar` equity was below the maintenance requirement. */
export interface LiquidationEvent {
  readonly bar: number;
  readonly timeMs: number;
  /** Signed position the liquidation closes. */
  readonly positionQty: number;
  readonly price: number;
  readonly equity: number;
  readonly requirement: number;
}

/** The `--json` output and metrics.json: the performance metrics plus what the safety chain did. */
export interface BacktestMetrics extends PerformanceMetrics {
  /** Agent proposals blocked by the Constraint Logic Engine's rules (masked, nothing sent), per rule id. */
  proposals_blocked_by_rules: Record<string, number>;
  /** @deprecated The same counts as `proposals_blocked_by_rules` under their old name; kept in the JSON for one release. */
  masked_actions: Record<string, number>;
  /**
   * Box agents: targets outside the engine's allowed interval, clipped onto it (the order still went on), per
   * rule id setting the end the target passed. Empty for agents choosing from an action list.
   */
  clipped_targets: Record<string, number>;
  /**
   * Bars the account spent over each limit as marked at the bar's close, per rule id (a position that drifted over
   * max_position_pct by price moves, a drawdown past max_drawdown_pct, …). Empty without rules or when never over.
   */
  bars_over_limit: Record<string, number>;
  /** Orders the chain sent to trim a drifted position back to its limit (`on_drift: trim`), per rule id that was over. */
  drift_trims: Record<string, number>;
  /** Orders denied by the risk gatekeeper, per reason code. */
  rejections: Record<string, number>;
  /** Number of trading-state changes (soft kill, hard kill, resume, automatic triggers). */
  kill_switch_events: number;
  /** The account the venue kept: `cash` (spot) or `margin` (with `leverage` and `maintenance_margin`). */
  account: { type: 'cash' | 'margin'; leverage?: number; maintenance_margin?: number };
  /** Times the venue liquidated the (margin) account. */
  liquidations: number;
  /**
   * Bar at whose close the account was ruined (equity ≤ 0, or below the minimum order): trading stopped there,
   * and the risk ratios (Sharpe, Sortino, Calmar) are null. Null when the account survived.
   */
  ruined_at_bar: number | null;
  /** Close time of that bar, ISO-8601 UTC; null when the account survived. */
  ruined_at: string | null;
  /** Decisions taken under an engaged drawdown or daily-loss lock (only HOLD and closes allowed). */
  bars_locked: number;
  /** Of those, under the drawdown lock. */
  bars_drawdown_locked: number;
  /** bars_locked as a share of all decisions (0 … 1). */
  time_locked_pct: number;
  /** Buy-and-hold on the same bars, with the same costs. */
  benchmark: ReturnMetrics | null;
  agent: string;
  bars: number;
  bar_interval_ms: number;
  /** Bars per year used to annualise (from the data's calendar, or `--periods-per-year`). */
  periods_per_year: number;
  /** Which calendar annualised the figures, and why (one line). */
  calendar: string;
  /** False when neither rules nor risk limits were given: only the venue's validity checks applied. */
  limits_applied: boolean;
  seed: number;
}

export interface LimitsInfo {
  readonly applied: boolean;
  /** One line for outputs and the report saying which limits were in force. */
  readonly note: string;
  /** The max-drawdown limit as a fraction, drawn as a line on the drawdown chart. */
  readonly maxDrawdown: number | null;
}

export interface BacktestRecord {
  readonly agent: string;
  readonly bars: Bars;
  /** The agent's action list; empty for a Box agent (its targets are in `decisions.targets`). */
  readonly actions: readonly ActionSpec[];
  /** Equity at each bar's close; index 0 is the starting equity. */
  readonly equity: Float64Array;
  readonly positionQty: Float64Array;
  readonly benchmarkEquity: Float64Array | null;
  readonly fills: FillLog;
  readonly trades: readonly Trade[];
  readonly decisions: DecisionLog;
  readonly killSwitchEvents: readonly KillSwitchEvent[];
  readonly liquidations: readonly LiquidationEvent[];
  readonly limits: LimitsInfo;
  readonly metrics: BacktestMetrics;
}
