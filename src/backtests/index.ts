export {
  type Ratio,
  type ReturnMetrics,
  type TradeMetrics,
  type PerformanceMetrics,
  type TradeMetricsInput,
  barReturns,
  sampleStd,
  downsideDeviation,
  drawdownStats,
  drawdownSeries,
  cvar,
  returnMetrics,
  tradeMetrics,
  performanceMetrics,
} from './metrics.js';
export { type Trade, type TradeSide, FillLog, TradeBook } from './trades.js';
export {
  type GateOutcome,
  type TradingStateName,
  GATE_OUTCOMES,
  TRADING_STATES,
  DecisionLog,
  TargetLog,
  StringTable,
} from './decision-log.js';
export type { BacktestMetrics, BacktestRecord, KillSwitchEvent, LimitsInfo } from './run-record.js';
export {
  type Sizing,
  type DecisionContext,
  type BacktestAgent,
  type BoxBacktestAgent,
  type AnyBacktestAgent,
  isBoxAgent,
  RULE_AGENT_NAMES,
  ruleActions,
  parseAgentParams,
  isRuleAgentSpec,
  createRuleAgent,
} from './rule-agents.js';
export {
  type OperatorActionKind,
  type ScheduledAction,
  type BacktestConfig,
  backtestConfigSchema,
  parseBacktestConfig,
  loadBacktestConfig,
  parseUtcTime,
} from './backtest-config.js';
export { type BacktestOptions, type RunRecordInput, runBacktest, runRecordOf, limitsInfo, limitsNote } from './runner.js';
export { type RecorderContext, type RecordedDecision, RunRecorder } from './run-recorder.js';
export { type WrittenFiles, csvField, writeRunFiles, writeEquityCsv, writeStitchedEquityCsv, writeTradesCsv, writeDecisionsCsv } from './report-files.js';
export { type ReportOptions, type ReportTable, renderReportHtml, writeReportHtml } from './report-html.js';
export { type SummaryRun, METRIC_COLUMNS, countsTotal, formatMetric, textTable, summaryTable, renderSummary } from './summary-table.js';
export { SHORT_RUN_DAYS, annualisedCaveat, runSpanDays } from './short-run.js';
export { nearestName, unknownAgentMessage } from './agent-names.js';
export {
  type BacktestJob,
  type PreparedJob,
  type AgentLoader,
  type JobAgent,
  DEFAULT_CASH,
  backtestInstrument,
  loadRiskFile,
  loadJobBars,
  prepareJob,
  createJobAgent,
  dataIdentityOf,
  runJob,
} from './backtest-job.js';
export { type RunAudit, type RunAuditOptions, type RunAuditRecord, RUN_RECORD_FILE, openRunAudit } from './run-audit.js';
export {
  type WalkForwardMode,
  type WalkForwardWindow,
  type WalkForwardSpec,
  walkForwardWindows,
  stitchEquity,
} from './walk-forward-windows.js';
export { type WorkerReply, type PoolOptions, runPool } from './worker-pool.js';
export { type BacktestBenchOptions, benchBacktest } from './bench.js';
export { BoxPolicyAgent, PolicyAgent, envObservation } from './policy-agent.js';
export { type PolicyRunner, loadCheckpointAgent } from './checkpoint-agent.js';
export { type DemoOptions, type DemoRow, type DemoResult, DEMO_DEFAULTS, costPerEpisode, runDemo } from './demo.js';
export {
  type GridAxis,
  type SweepCell,
  type SweepOptions,
  parseGridAxis,
  gridAgentSpecs,
  sweepJobs,
  agentUsesSeed,
  planSweep,
  summarizeSweep,
  meanSd,
  SWEEP_METRIC_KEYS,
  type SweepPlan,
  type SweepMetricKey,
  type SweepSummaryRow,
  type MeanSd,
  runSweep,
  runSweepCell,
} from './sweep.js';
export {
  type WalkForwardObjective,
  type WalkForwardOptions,
  type WalkForwardSettings,
  type WalkForwardWindowResult,
  type WalkForwardResult,
  runWalkForward,
  runWalkForwardWindow,
  stitchWalkForward,
  walkForwardOptionsOf,
} from './walk-forward.js';
export { RECORD_CODEC_VERSION, encodeBacktestRecord, decodeBacktestRecord } from './record-codec.js';
export {
  type LearnedAgentSpec,
  type FittedWindow,
  LEARNED_AGENT_NAMES,
  LEARNED_TARGET_LEVELS,
  isLearnedAgentSpec,
  parseLearnedAgentSpec,
  windowSeed,
  fitLearnedWindow,
} from './walk-forward-learned.js';
