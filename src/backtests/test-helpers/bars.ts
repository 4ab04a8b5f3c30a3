/** Hand-made bars for the backtest specs (excluded from the build with the tests). */
import { type Bars, barsFromRecords } from '../../core/index.js';

export const HOUR_MS = 3_600_000;

/** Hourly bars from `opens`/`closes` (high and low span both) from `startMs`, each with `volume`. */
export function hourlyBars(opens: readonly number[], closes: readonly number[], startMs: number, volume: number): Bars {
  return barsFromRecords(
    closes.map((c, i) => ({
      time: startMs + i * HOUR_MS,
      open: opens[i],
      high: Math.max(opens[i], c),
      low: Math.min(opens[i], c),
      close: c,
      volume,
    })),
  );
}
