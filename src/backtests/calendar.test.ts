/**
 * Annualisation follows the data's own calendar (issue 17): a weekday-only daily series is 252 sessions a year,
 * not 365.25 days, and CAGR compounds over the calendar time the run spans, not its bar count.
 */
import { describe, expect, it } from 'vitest';
import { type Bars, barsFromRecords, MS_PER_DAY, Rng } from '../core/index.js';
import { backtestInstrument } from './backtest-job.js';
import { barReturns, sampleStd } from './metrics.js';
import { createRuleAgent } from './rule-agents.js';
import { runBacktest } from './runner.js';

const ZERO_COST = { spreadBps: 0, slippageBps: 0, impactBps: 0, makerFeeBps: 0, takerFeeBps: 0 };

/** 756 weekday daily bars (about 2.9 calendar years) of a seeded random walk. */
function weekdayDailyBars(): Bars {
  const rng = new Rng(5);
  const records = [];
  let price = 100;
  for (let t = Date.UTC(2018, 0, 1); records.length < 756; t += MS_PER_DAY) {
    const wd = new Date(t).getUTCDay();
    if (wd === 0 || wd === 6) continue;
    const open = price;
    price *= 1 + 0.01 * (rng.next() - 0.5) + 0.0004;
    records.push({ time: t, open, high: Math.max(open, price), low: Math.min(open, price), close: price, volume: 1e9 });
  }
  return barsFromRecords(records);
}

describe('backtest calendar', () => {
  const bars = weekdayDailyBars();
  const run = (periodsPerYear?: number) =>
    runBacktest({
      bars,
      instrument: backtestInstrument('SPY/USD'),
      agent: createRuleAgent('buy-and-hold'),
      initialCash: 10_000,
      fill: ZERO_COST,
      ...(periodsPerYear === undefined ? {} : { periodsPerYear }),
    });

  it('weekday_only_daily_data_annualises_over_252_sessions_and_cagr_over_elapsed_years', async () => {
    const rec = await run();
    expect(rec.metrics.periods_per_year).toBe(252);
    expect(rec.metrics.calendar).toMatch(/no bar on a weekend/);
    const r = barReturns(rec.equity);
    const mean = r.reduce((a, b) => a + b, 0) / r.length;
    expect(rec.metrics.sharpe).toBeCloseTo((mean / sampleStd(r)) * Math.sqrt(252), 9);
    const years = (bars.time[755] - bars.time[0]) / (365.25 * MS_PER_DAY);
    expect(years).toBeGreaterThan(2.8);
    const growth = rec.equity[755] / rec.equity[0];
    expect(rec.metrics.cagr).toBeCloseTo(Math.pow(growth, 1 / years) - 1, 9);
    expect(rec.metrics.benchmark?.cagr).toBeCloseTo(rec.metrics.cagr, 6);
  });

  it('periods_per_year_given_overrides_the_calendar_and_says_so', async () => {
    const rec = await run(365.25);
    expect(rec.metrics.periods_per_year).toBe(365.25);
    expect(rec.metrics.calendar).toMatch(/given/);
    const auto = await run();
    expect(rec.metrics.sharpe ?? 0).toBeCloseTo((auto.metrics.sharpe ?? 0) * Math.sqrt(365.25 / 252), 9);
    expect(rec.metrics.cagr).toBeCloseTo(auto.metrics.cagr, 12); // CAGR is calendar time either way
  });
});
