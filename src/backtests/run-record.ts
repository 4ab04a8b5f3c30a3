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

/** The `--json` output and metrics.json: the performance metrics plus what the safety chain did. */
export interface BacktestMetrics extends PerformanceMetrics {
  /** Agent proposals blocked by the Constraint Logic Engine, per rule id. */
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
  readonly limits: LimitsInfo;
  readonly metrics: BacktestMetrics;
}
