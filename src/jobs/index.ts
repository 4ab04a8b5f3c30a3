/** Jobs across machines: BullMQ queues of backtests, sweep cells, walk-forward windows and training runs, and the workers that run them. */
export { type BacktestRunOptions, type BacktestRunResult, runBacktestInto } from './backtest-run.js';
