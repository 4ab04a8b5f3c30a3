/**
 * The env's CMDP cost signals, as one pure function: the env computes them on every step and a backtest can
 * score a run with exactly the same rules. Allocation-free: the signals go into the caller's buffer.
 */
import type { TradingEnvConfig } from './config.js';

/** Cost signal names, in the order `writeCostSignals` writes them (and of `info.costs`). */
export const COST_NAMES = ['drawdown', 'position', 'dailyLoss'] as const;

/** The cost part of the env config: limits, `indicator` or `excess` mode, and the weights of the total. */
export type CostConfig = TradingEnvConfig['costs'];

/** What the cost rules read from the account after a step (`TradingEnvState` has these fields). */
export interface CostAccount {
  /** Quote currency, marked at `price`. */
  readonly equity: number;
  readonly peakEquity: number;
  /** Signed base units. */
  readonly positionQty: number;
  /** The price the account is marked at. */
  readonly price: number;
  /** Equity at the start of the current UTC day. */
  readonly dayStartEquity: number;
}

/** Caps the `excess` position signal when equity is gone (the episode terminates on that step anyway). */
const MAX_POSITION_EXCESS = 1_000;

/**
 * Writes the drawdown, position and daily-loss signals (0 while the limit holds) into `out[offset … offset + 3)`
 * and returns their weighted sum, the step's cost. Allocates nothing.
 */
export function writeCostSignals(out: Float64Array, offset: number, account: CostAccount, costs: CostConfig): number {
  const eq = account.equity;
  const peak = account.peakEquity;
  const drawdown = eq < peak ? (peak - eq) / peak : 0;
  const posFrac = eq > 0 ? Math.abs(account.positionQty * account.price) / eq : MAX_POSITION_EXCESS;
  const dayStart = account.dayStartEquity;
  const dayLoss = dayStart > 0 && eq < dayStart ? (dayStart - eq) / dayStart : 0;
  const excess = costs.mode === 'excess';
  const maxDrawdown = costs.maxDrawdown;
  const maxPosition = costs.maxPositionFraction;
  const maxDailyLoss = costs.maxDailyLoss;
  const cDrawdown = drawdown > maxDrawdown ? (excess ? drawdown - maxDrawdown : 1) : 0;
  const cPosition = posFrac > maxPosition ? (excess ? Math.min(posFrac - maxPosition, MAX_POSITION_EXCESS) : 1) : 0;
  const cDailyLoss = dayLoss > maxDailyLoss ? (excess ? dayLoss - maxDailyLoss : 1) : 0;
  out[offset] = cDrawdown;
  out[offset + 1] = cPosition;
  out[offset + 2] = cDailyLoss;
  const w = costs.weights;
  return w.drawdown * cDrawdown + w.position * cPosition + w.dailyLoss * cDailyLoss;
}
