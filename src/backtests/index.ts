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
