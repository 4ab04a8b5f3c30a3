import { describe, expect, it } from 'vitest';
import { ValidationError, copyBars } from '../core/index.js';
import { generateSynthetic } from '../data/index.js';
import { parseTradingEnvConfig } from './config.js';
import { createDataset } from './dataset.js';
import { FREE_FILL, HOUR_MS, handDataset } from './test-helpers/hand-data.js';
import { TradingEnv } from './trading-env.js';

// Default actions: 0 HOLD, 1 BUY_SMALL (5 %), 2 BUY_LARGE (10 %), 3 SELL_SMALL, 4 SELL_LARGE, 5 CLOSE_POSITION.
const HOLD = 0;
const BUY_LARGE = 2;
const SELL_LARGE = 4;
const CLOSE = 5;

describe('TradingEnv fills and rewards', () => {
  const opens = [100, 102, 108, 120, 120];
  const closes = [100, 100, 110, 121, 121];
  const dataset = handDataset(opens, closes);
  const env = (config = {}) =>
    new TradingEnv({ dataset, config: { initialCash: 1_000, windowSize: 1, fill: FREE_FILL, ...config } });

  it('fills an action decided at bar t at the open of t+1 and marks the account at the close of t+1', () => {
    const e = env();
    e.reset({ startIndex: 0 });
    const r = e.step(BUY_LARGE);
    // 10 % of 1,000 at the decision price close[0] = 100 → 1 unit, bought at open[1] = 102; marked at close[1] = 100
    expect(r.info.fill).toEqual({ qty: 1, price: 102, fee: 0, status: 'FILLED' });
    expect(r.info.positionQty).toBe(1);
    expect(r.info.equity).toBe(1_000 - 102 + 100);
    expect(r.reward).toBeCloseTo(Math.log(998 / 1_000), 12);
    expect(r.info.barIndex).toBe(1);
    expect(r.info.timeMs).toBe(2 * HOUR_MS); // close time of bar 1
    const r2 = e.step(HOLD);
    expect(r2.info.equity).toBe(898 + 110);
    expect(r2.reward).toBeCloseTo(Math.log(1_008 / 998), 12);
  });

  it('charges the taker fee and the spread of the fill model', () => {
    const e = env({ fill: { ...FREE_FILL, spreadBps: 20, takerFeeBps: 10 } });
    e.reset({ startIndex: 0 });
    const r = e.step(BUY_LARGE);
    // ask = 102 × (1 + 10 bps) = 102.102 → tick 102.11; fee = 102.11 × 10 bps = 0.10211
    expect(r.info.fill.price).toBe(102.11);
    expect(r.info.fees).toBeCloseTo(0.10211, 12);
    expect(r.info.feesTotal).toBeCloseTo(0.10211, 12);
    expect(r.info.equity).toBeCloseTo(1_000 - 102.11 - 0.10211 + 100, 9);
  });

  it('reports the simple return as reward when configured', () => {
    const e = env({ reward: 'simple' });
    e.reset({ startIndex: 0 });
    expect(e.step(BUY_LARGE).reward).toBeCloseTo(-2 / 1_000, 12);
  });

  it('closes the position with CLOSE_POSITION and sells short with SELL (margin account)', () => {
    const e = env({ account: { type: 'margin', leverage: 2 } });
    e.reset({ startIndex: 0 });
    e.step(BUY_LARGE);
    expect(e.step(CLOSE).info.positionQty).toBe(0);
    const r = e.step(SELL_LARGE);
    expect(r.info.positionQty).toBeLessThan(0);
  });

  it('builds the observation from the feature window and the portfolio state', () => {
    const e = new TradingEnv({ dataset, config: { initialCash: 1_000, windowSize: 2, fill: FREE_FILL } });
    expect(e.obsNames()).toEqual([
      'close@t-1',
      'close@t',
      'position_value/equity',
      'unrealised_pnl/equity',
      'drawdown',
      'time_of_day',
    ]);
    e.reset({ startIndex: 1 });
    const r = e.step(BUY_LARGE);
    // 10 % of 1,000 at close[1] = 100 → 1 unit, bought at open[2] = 108, marked at close[2] = 110
    const qty = 1;
    expect(r.info.positionQty).toBe(qty);
    const eq = 1_000 - qty * 108 + qty * 110;
    expect(Array.from(r.obs)).toEqual(
      [100, 110, (qty * 110) / eq, (qty * 2) / eq, 0, (3 * HOUR_MS) / 86_400_000].map((x) => Math.fround(x)),
    );
  });

  it('terminates on ruin and truncates at the episode length and at the end of the data', () => {
    const crash = handDataset([100, 100, 40, 40, 40], [100, 100, 40, 40, 40]);
    const e = new TradingEnv({
      dataset: crash,
      config: { initialCash: 1_000, windowSize: 1, fill: FREE_FILL, actions: { targetLevels: [1] }, ruinFraction: 0.5 },
    });
    e.reset({ startIndex: 0 });
    e.step(1); // all in at open[1] = 100
    const r = e.step(0); // marked at 40: equity 400 < 500
    expect(r.terminated).toBe(true);
    expect(r.truncated).toBe(false);

    const short = env({ episodeLength: 2 });
    short.reset({ startIndex: 0 });
    expect(short.step(HOLD).truncated).toBe(false);
    expect(short.step(HOLD).truncated).toBe(true);
    expect(() => short.step(HOLD)).toThrow(/episode has ended; call reset/);

    const toEnd = env({ episodeLength: 100 });
    toEnd.reset({ startIndex: 2 });
    expect(toEnd.step(HOLD).truncated).toBe(false);
    expect(toEnd.step(HOLD).truncated).toBe(true); // bar 4 is the last: no next open to fill at
  });

  it('rejects an action outside the action space', () => {
    const e = env();
    e.reset({ startIndex: 0 });
    expect(() => e.step(6)).toThrow(/action: must be an integer in \[0, 6\), got 6/);
    expect(() => e.step(new Float32Array([0.5]))).toThrow(/Discrete action space/);
  });
});

describe('TradingEnv cost signals', () => {
  it('are zero while every limit holds', () => {
    const e = new TradingEnv({ dataset: handDataset([100, 100, 100], [100, 100, 100]), config: { windowSize: 1, fill: FREE_FILL } });
    e.reset({ startIndex: 0 });
    const r = e.step(1);
    expect(r.cost).toBe(0);
    expect(r.info.costs).toEqual({ drawdown: 0, position: 0, dailyLoss: 0 });
  });

  it('fire for drawdown, position and daily loss beyond their limits, weighted into cost', () => {
    // All in at 100, then the price falls 20 % within the same UTC day.
    const ds = handDataset([100, 100, 80, 80], [100, 100, 80, 80]);
    const e = new TradingEnv({
      dataset: ds,
      config: {
        initialCash: 1_000,
        windowSize: 1,
        fill: FREE_FILL,
        actions: { targetLevels: [1] },
        ruinFraction: 0.1,
        costs: { maxDrawdown: 0.1, maxPositionFraction: 0.5, maxDailyLoss: 0.03, weights: { drawdown: 2, position: 1, dailyLoss: 0.5 } },
      },
    });
    e.reset({ startIndex: 0 });
    const r1 = e.step(1);
    expect(r1.info.costs).toEqual({ drawdown: 0, position: 1, dailyLoss: 0 }); // |position| = 100 % of equity > 50 %
    expect(r1.cost).toBe(1);
    const r2 = e.step(0); // equity 800: drawdown 20 % > 10 %, day loss 20 % > 3 %
    expect(r2.info.costs).toEqual({ drawdown: 1, position: 1, dailyLoss: 1 });
    expect(r2.cost).toBe(2 + 1 + 0.5);
  });

  it('measure the excess over the limit in excess mode', () => {
    const ds = handDataset([100, 100, 80, 80], [100, 100, 80, 80]);
    const e = new TradingEnv({
      dataset: ds,
      config: {
        initialCash: 1_000,
        windowSize: 1,
        fill: FREE_FILL,
        actions: { targetLevels: [1] },
        costs: { maxDrawdown: 0.1, maxPositionFraction: 0.5, maxDailyLoss: 0.03, mode: 'excess' },
      },
    });
    e.reset({ startIndex: 0 });
    e.step(1);
    const r = e.step(0);
    expect(r.info.costs.drawdown).toBeCloseTo(0.2 - 0.1, 12);
    expect(r.info.costs.position).toBeCloseTo(1 - 0.5, 12);
    expect(r.info.costs.dailyLoss).toBeCloseTo(0.2 - 0.03, 12);
  });

  it('reset the daily loss at the start of a new UTC day', () => {
    // Bars 23:00, 00:00 … : the loss of day 0 does not count on day 1.
    const start = 86_400_000 - 2 * HOUR_MS;
    const ds = handDataset([100, 100, 90, 90], [100, 100, 90, 90], start);
    const e = new TradingEnv({
      dataset: ds,
      config: { initialCash: 1_000, windowSize: 1, fill: FREE_FILL, actions: { targetLevels: [1] } },
    });
    e.reset({ startIndex: 0 });
    e.step(1); // marked at the close of bar 1 = 00:00 of day 1
    const r = e.step(0); // 10 % down, but measured from day 1's start equity
    expect(r.info.state.dayStartEquity).toBe(1_000);
    expect(r.info.costs.dailyLoss).toBe(1);
    const r2 = e.step(0);
    expect(r2.info.costs.dailyLoss).toBe(1);
  });
});

describe('TradingEnv state record', () => {
  it('counts trades per day and bars since the last trade', () => {
    const e = new TradingEnv({ dataset: handDataset([100, 100, 100, 100, 100], [100, 100, 100, 100, 100]), config: { windowSize: 1, fill: FREE_FILL } });
    const { info } = e.reset({ startIndex: 0 });
    expect(info.state).toMatchObject({ tradesToday: 0, barsSinceLastTrade: Number.MAX_SAFE_INTEGER, equity: 10_000 });
    e.step(1);
    expect(e.state).toMatchObject({ tradesToday: 1, barsSinceLastTrade: 0, price: 100 });
    e.step(0);
    e.step(0);
    expect(e.state).toMatchObject({ tradesToday: 1, barsSinceLastTrade: 2 });
    expect(Array.from(info.actionMask)).toEqual([1, 1, 1, 1, 1, 1]);
  });
});

describe('TradingEnv Box action', () => {
  const ds = handDataset([100, 100, 100, 100], [100, 100, 100, 100]);
  it('moves the position to the target share of equity', () => {
    const e = new TradingEnv({ dataset: ds, config: { windowSize: 1, fill: FREE_FILL, actionType: 'box', account: { type: 'margin', leverage: 2 } } });
    expect(e.actionSpace.kind).toBe('box');
    e.reset({ startIndex: 0 });
    expect(e.step(new Float32Array([0.5])).info.positionQty).toBe(50);
    expect(e.step(new Float32Array([-2])).info.positionQty).toBe(-100); // clipped to −1
  });

  it('clips to [0, 1] when long-only', () => {
    const e = new TradingEnv({ dataset: ds, config: { windowSize: 1, fill: FREE_FILL, actionType: 'box', boxRange: 'long-only' } });
    e.reset({ startIndex: 0 });
    expect(e.step(new Float32Array([-0.5])).info.positionQty).toBe(0);
  });
});

describe('TradingEnv on synthetic data', () => {
  const bars = generateSynthetic({ model: 'regime', bars: 3_000, seed: 5 });
  const dataset = createDataset({ bars });

  it('observes nothing after bar t: changing every later bar leaves the observation unchanged', () => {
    const config = { episodeLength: 50, seed: 3 };
    const a = new TradingEnv({ dataset, config });
    const actions = [1, 2, 0, 3, 5, 4, 1, 0];
    const start = 1_000;
    a.reset({ startIndex: start });
    for (const act of actions) a.step(act);
    const t = a.sim.t;
    const obsA = Float32Array.from(a.step(0).obs);
    const tAfter = t + 1; // the observation above is at bar t + 1
    const changed = copyBars(bars);
    for (let i = tAfter + 1; i < changed.length; i++) {
      changed.open[i] *= 1.7 + Math.sin(i);
      changed.close[i] *= 0.4 + Math.cos(i) ** 2;
      changed.high[i] = Math.max(changed.open[i], changed.close[i]) * 1.01;
      changed.low[i] = Math.min(changed.open[i], changed.close[i]) * 0.99;
      changed.volume[i] *= 3;
    }
    const b = new TradingEnv({ dataset: createDataset({ bars: changed }), config });
    b.reset({ startIndex: start });
    for (const act of actions) b.step(act);
    expect(b.sim.t).toBe(t);
    expect(Array.from(b.step(0).obs)).toEqual(Array.from(obsA));
  });

  it('starts episodes at seeded bars inside the split, after the warm-up and the window', () => {
    const e = new TradingEnv({ dataset, config: { split: { part: 'test', trainFraction: 0.8 }, episodeLength: 100, windowSize: 8 } });
    const starts = new Set<number>();
    for (let i = 0; i < 200; i++) {
      e.reset();
      starts.add(e.sim.startIndex);
      expect(e.sim.startIndex).toBeGreaterThanOrEqual(2_400);
      expect(e.sim.startIndex).toBeLessThanOrEqual(3_000 - 1 - 100);
    }
    expect(starts.size).toBeGreaterThan(50);
    const train = new TradingEnv({ dataset, config: { split: { part: 'train' }, episodeLength: 100, windowSize: 8 } });
    for (let i = 0; i < 200; i++) {
      train.reset();
      expect(train.sim.startIndex).toBeGreaterThanOrEqual(dataset.features.warmup + 7);
      expect(train.sim.startIndex).toBeLessThanOrEqual(2_400 - 1 - 100);
    }
  });

  it('replays the same trajectory for the same seed', () => {
    const run = (seed: number): number[] => {
      const e = new TradingEnv({ dataset, config: { episodeLength: 200 } });
      const trace: number[] = [];
      e.reset({ seed });
      for (let i = 0; i < 500; i++) {
        const r = e.step((i * 7) % 6);
        trace.push(r.reward, r.cost, r.info.equity, r.obs[3]);
        if (r.terminated || r.truncated) {
          e.reset();
          trace.push(e.sim.startIndex);
        }
      }
      return trace;
    };
    expect(run(11)).toEqual(run(11));
    expect(run(11)).not.toEqual(run(12));
  });
});

describe('TradingEnv config', () => {
  const dataset = handDataset([100, 100, 100], [100, 100, 100]);
  it('names every bad field at once', () => {
    const bad = { initialCash: -5, windowSize: 0, reward: 'sharpe', fill: { spreadBps: -1 }, bogus: 1 };
    expect(() => parseTradingEnvConfig(bad)).toThrow(ValidationError);
    expect(() => parseTradingEnvConfig(bad)).toThrow(
      /initialCash: .*got -5.*fill\.spreadBps: .*got -1.*windowSize: .*got 0.*reward: .*got "sharpe".*unknown field 'bogus'/,
    );
  });

  it('rejects an action list that does not start with HOLD', () => {
    expect(() => new TradingEnv({ dataset, config: { actions: [{ name: 'B', kind: 'BUY', fraction: 0.1 }, { name: 'H', kind: 'HOLD', fraction: 0 }] } })).toThrow(
      /actions\[0\]: must be HOLD, got BUY/,
    );
  });

  it('rejects a split too short for the window', () => {
    expect(() => new TradingEnv({ dataset, config: { windowSize: 3 } })).toThrow(/split: bars \[0, 3\) leave no step/);
    // Default features need 47 bars of warm-up: 40 bars are all warm-up, and the error does not claim a smaller need.
    const short = createDataset({ bars: generateSynthetic({ model: 'gbm', bars: 40, seed: 1 }) });
    expect(() => new TradingEnv({ dataset: short })).toThrow(/^split: all 40 bars are feature warm-up; .*need more bars$/);
    expect(() => new TradingEnv({ dataset, config: { split: { startIndex: 0, endIndex: 9 } } })).toThrow(/split.endIndex: must be <= the number of bars 3, got 9/);
  });
});
