/**
 * Parity: a training env episode and a backtest of a scripted agent proposing the same actions go through the
 * same chain, so they produce the same masks and reasons, the same orders, the same fills and the same equity at
 * every bar (issue 10). Random rule sets, fill settings, bar series and action sequences (fast-check), plus the two
 * regressions the issue names.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { type Bars, DEFAULT_ACTIONS, type Instrument, allocateBars, defineInstrument } from '../core/index.js';
import { type RulesInput, parseRules } from '../constraints/index.js';
import { type FeatureMatrix } from '../data/index.js';
import { TradingEnv, createDataset } from '../env/index.js';
import type { SimFillConfigInput } from '../venues/index.js';
import { GATE_MASKED, maskAllows } from './decision-log.js';
import type { BacktestAgent } from './rule-agents.js';
import { runBacktest } from './runner.js';
import type { BacktestRecord } from './run-record.js';
import { withLeverageDeclared } from '../test-support/leverage.js';

const HOUR_MS = 3_600_000;
const MINUTE_MS = 60_000;
const INSTRUMENT = defineInstrument({ symbol: 'PAR/USD', tickSize: 0.01, lotSize: 0.001 });
const NEW_YORK_17 = { timezone: 'America/New_York', dayStartsAt: '17:00' };
const NY_INSTRUMENT = defineInstrument({ symbol: 'PAR/USD', tickSize: 0.01, lotSize: 0.001, session: NEW_YORK_17 });
const CASH = 10_000;

function hourlyBars(closes: readonly number[], gaps: readonly number[], volumes: readonly number[], startMs: number, intervalMs = HOUR_MS): Bars {
  const bars = allocateBars(closes.length);
  for (let i = 0; i < closes.length; i++) {
    const open = i === 0 ? closes[0] : closes[i - 1] * (1 + gaps[i]);
    bars.time[i] = startMs + i * intervalMs;
    bars.open[i] = open;
    bars.close[i] = closes[i];
    bars.high[i] = Math.max(open, closes[i]) * 1.001;
    bars.low[i] = Math.min(open, closes[i]) * 0.999;
    bars.volume[i] = volumes[i];
  }
  return bars;
}

/** One flat feature: the env's observation is not what parity is about, and there is no warm-up to skip. */
function datasetOf(bars: Bars, instrument: Instrument) {
  const features: FeatureMatrix = { names: ['one'], nFeatures: 1, length: bars.length, data: new Float32Array(bars.length).fill(1), warmup: 0 };
  return createDataset({ bars, features, instrument });
}

/** Plays `actions` in order, one per decision. */
function scripted(actions: readonly number[]): BacktestAgent {
  return {
    label: 'scripted',
    actions: DEFAULT_ACTIONS,
    sizing: { kind: 'action' },
    reset: () => undefined,
    act: (ctx) => actions[ctx.t] ?? 0,
  };
}

interface Step {
  maskBits: number;
  masked: boolean;
  maskRule: string;
  orderQty: number;
  fillQty: number;
  fillPrice: number;
  fillFee: number;
  equity: number;
}

function envSteps(bars: Bars, actions: readonly number[], rules: RulesInput | null, fill: SimFillConfigInput, instrument: Instrument): Step[] {
  const env = new TradingEnv({
    dataset: datasetOf(bars, instrument),
    config: { initialCash: CASH, windowSize: 1, fill, episodeLength: bars.length, ruinFraction: 0, split: 'all' },
    ...(rules === null ? {} : { constraints: { rules, mode: 'lenient' as const } }),
  });
  const out: Step[] = [];
  let { info } = env.reset({ startIndex: 0 });
  for (let k = 0; k < bars.length - 1; k++) {
    const a = actions[k] ?? 0;
    let maskBits = 0;
    for (let i = 0; i < info.actionMask.length; i++) if (info.actionMask[i] === 1) maskBits |= 1 << i;
    const masked = info.actionMask[a] === 0;
    const maskRule = masked && env.constraints !== null ? (env.constraints.reasonsOf(0, a)[0] ?? '') : '';
    const r = env.step(a);
    const d = env.sim.lastDecision;
    info = r.info;
    out.push({
      maskBits,
      masked,
      maskRule,
      orderQty: d !== null && d.outcome === 'SUBMITTED' ? d.signedQty : 0,
      fillQty: info.fill.qty,
      fillPrice: info.fill.price,
      fillFee: info.fill.fee,
      equity: info.equity,
    });
    if (r.terminated || r.truncated) break;
  }
  return out;
}

function backtestSteps(rec: BacktestRecord): Step[] {
  const d = rec.decisions;
  const fillAt = new Map<number, number>();
  for (let i = 0; i < rec.fills.length; i++) fillAt.set(rec.fills.bar[i], i);
  const out: Step[] = [];
  for (let k = 0; k < rec.bars.length - 1; k++) {
    const f = fillAt.get(k + 1);
    out.push({
      maskBits: d.maskBits[k],
      masked: d.gate[k] === GATE_MASKED,
      // Only a masked proposal's rule compares with the env's mask reason (a drift trim names its rule too).
      maskRule: d.gate[k] === GATE_MASKED ? d.strings.name(d.maskRule[k]) : '',
      // Set when the order was submitted (a later venue refusal changes the outcome, not the order sent).
      orderQty: d.orderQty[k],
      fillQty: f === undefined ? 0 : rec.fills.qty[f],
      fillPrice: f === undefined ? 0 : rec.fills.price[f],
      fillFee: f === undefined ? 0 : rec.fills.fee[f],
      equity: rec.equity[k + 1],
    });
  }
  return out;
}

async function bothPaths(bars: Bars, actions: readonly number[], rules: RulesInput | null, fill: SimFillConfigInput, instrument = INSTRUMENT) {
  const env = envSteps(bars, actions, rules, fill, instrument);
  const rec = await runBacktest({
    bars,
    instrument,
    agent: scripted(actions),
    initialCash: CASH,
    fill,
    rules: rules === null ? null : parseRules(rules),
    benchmark: false,
  });
  return { env, backtest: backtestSteps(rec), rec };
}

function expectSameSteps(env: Step[], backtest: Step[]): void {
  expect(env.length).toBe(backtest.length);
  for (let k = 0; k < env.length; k++) {
    const e = env[k];
    const b = backtest[k];
    const at = `bar ${k}`;
    expect({ at, maskBits: e.maskBits, masked: e.masked, maskRule: e.maskRule }).toEqual({ at, maskBits: b.maskBits, masked: b.masked, maskRule: b.maskRule });
    expect({ at, orderQty: e.orderQty, fillQty: e.fillQty, fillPrice: e.fillPrice, fillFee: e.fillFee }).toEqual({
      at,
      orderQty: b.orderQty,
      fillQty: b.fillQty,
      fillPrice: b.fillPrice,
      fillFee: b.fillFee,
    });
    expect(Math.abs(e.equity - b.equity) / Math.abs(b.equity), `${at}: equity ${e.equity} vs ${b.equity}`).toBeLessThanOrEqual(1e-9);
  }
}

const rulesArb: fc.Arbitrary<RulesInput | null> = fc.option(
  fc.record(
    {
      max_position_pct: fc.double({ min: 0.02, max: 1.5, noNaN: true }),
      max_drawdown_pct: fc.double({ min: 0.005, max: 0.5, noNaN: true }),
      daily_loss_limit_pct: fc.double({ min: 0.002, max: 0.2, noNaN: true }),
      max_trades_per_day: fc.integer({ min: 0, max: 6 }),
      min_bars_between_trades: fc.integer({ min: 0, max: 4 }),
      long_only: fc.boolean(),
      max_order_pct: fc.double({ min: 0.01, max: 0.5, noNaN: true }),
      on_drift: fc.constantFrom('hold' as const, 'trim' as const),
    },
    { requiredKeys: ['max_position_pct'] },
  ).map(withLeverageDeclared),
  { freq: 5 },
);

const fillArb: fc.Arbitrary<SimFillConfigInput> = fc.record({
  spreadBps: fc.double({ min: 0, max: 30, noNaN: true }),
  slippageBps: fc.double({ min: 0, max: 20, noNaN: true }),
  impactBps: fc.double({ min: 0, max: 50, noNaN: true }),
  takerFeeBps: fc.double({ min: 0, max: 20, noNaN: true }),
  makerFeeBps: fc.constant(0),
  maxParticipation: fc.double({ min: 0.01, max: 1, noNaN: true }),
});

const marketArb = fc.integer({ min: 12, max: 60 }).chain((n) =>
  fc.record({
    returns: fc.array(fc.double({ min: -0.04, max: 0.04, noNaN: true }), { minLength: n, maxLength: n }),
    gaps: fc.array(fc.double({ min: -0.01, max: 0.01, noNaN: true }), { minLength: n, maxLength: n }),
    volumes: fc.array(fc.oneof(fc.constant(0), fc.double({ min: 1, max: 5_000, noNaN: true })), { minLength: n, maxLength: n }),
    actions: fc.array(fc.integer({ min: 0, max: DEFAULT_ACTIONS.length - 1 }), { minLength: n, maxLength: n }),
    startHour: fc.integer({ min: 0, max: 23 }),
    // Days start at UTC midnight unless the instrument's session says otherwise; the dates cross DST changes.
    session: fc.option(
      fc.record({
        timezone: fc.constantFrom('America/New_York', 'Europe/London', 'Asia/Kolkata', 'Australia/Sydney'),
        dayStartsAt: fc.constantFrom('00:00', '01:30', '09:30', '17:00', '23:45'),
      }),
      { freq: 2 },
    ),
    startDay: fc.constantFrom(Date.UTC(2024, 0, 1), Date.UTC(2024, 2, 9), Date.UTC(2024, 2, 30), Date.UTC(2024, 10, 2)),
  }),
);

const FLAT_FILL = { spreadBps: 0, slippageBps: 0, impactBps: 0, takerFeeBps: 0, makerFeeBps: 0, maxParticipation: 1 };

function flatBars(n: number, startMs: number, intervalMs = HOUR_MS): Bars {
  const ones = Array.from({ length: n }, () => 0);
  return hourlyBars(
    ones.map(() => 100),
    ones,
    ones.map(() => 1e6),
    startMs,
    intervalMs,
  );
}

describe('parity: TradingEnv episode = backtest of a scripted agent', () => {
  it('same masks and reasons, orders, fills and equity at every bar, for random rules, fills, bars and actions', async () => {
    await fc.assert(
      fc.asyncProperty(marketArb, rulesArb, fillArb, async (m, rules, fill) => {
        const closes: number[] = [];
        let price = 100;
        for (const r of m.returns) {
          price *= 1 + r;
          closes.push(price);
        }
        const bars = hourlyBars(closes, m.gaps, m.volumes, m.startDay + m.startHour * HOUR_MS);
        const instrument = m.session === null ? INSTRUMENT : defineInstrument({ ...INSTRUMENT, session: m.session });
        const { env, backtest } = await bothPaths(bars, m.actions, rules, fill, instrument);
        expectSameSteps(env, backtest);
      }),
      { numRuns: 60, seed: 10 },
    );
  });

  it('on_drift: trim sends the same trim orders in the env and in the backtest (a rising market over a 20 % limit)', async () => {
    const closes = Array.from({ length: 30 }, (_, i) => 100 * 1.02 ** i);
    const bars = hourlyBars(closes, closes.map(() => 0), closes.map(() => 1e6), Date.UTC(2024, 0, 1));
    const fill = { spreadBps: 1, slippageBps: 1, impactBps: 0, takerFeeBps: 5, makerFeeBps: 0, maxParticipation: 1 };
    // BUY_SMALL (5 % of equity) four times, masked once it would pass 20 %, then HOLD: the position drifts past
    // 20 % and is trimmed back.
    const actions = [...Array.from({ length: 5 }, () => 1), ...Array.from({ length: 25 }, () => 0)];
    const { env, backtest, rec } = await bothPaths(bars, actions, { max_position_pct: 0.2, max_drawdown_pct: 0.5, daily_loss_limit_pct: 0.5, on_drift: 'trim' }, fill);
    expectSameSteps(env, backtest);
    expect(Object.values(rec.metrics.drift_trims)[0] ?? 0).toBeGreaterThan(3);
  });

  it('regression: the worst-case move is the venue’s own in both paths (was ~5.2 bps + a tick in the env, 12 bps and no tick in the backtest)', async () => {
    // BUY_LARGE (10 % of equity) against max_position_pct 10.01 %: allowed at a bound of 2 bps and no tick,
    // masked once the venue's impact at its participation cap (50 bps × √0.1) is counted. Both paths must agree.
    const bars = hourlyBars([100, 100, 100, 100], [0, 0, 0, 0], [1e6, 1e6, 1e6, 1e6], Date.UTC(2024, 0, 1));
    const fill = { spreadBps: 2, slippageBps: 1, impactBps: 50, takerFeeBps: 0, makerFeeBps: 0, maxParticipation: 0.1 };
    const { env, backtest } = await bothPaths(bars, [2, 0, 0], { max_position_pct: 0.1001 }, fill);
    expectSameSteps(env, backtest);
    expect(maskAllows(backtest[0].maskBits, 2)).toBe(false);
    expect(backtest[0].maskRule).toBe('MAX_POSITION_PCT');
  });

  it('regression: a fill at 23:00 with max_trades_per_day 1 leaves the next day’s first decision free in both paths', async () => {
    // Decided at 22:00 (close of the 21:00 bar), filled at the 23:00 open; the decision at 00:00 is a new UTC day.
    const bars = hourlyBars([100, 100, 100, 100, 100], [0, 0, 0, 0, 0], [1e6, 1e6, 1e6, 1e6, 1e6], Date.UTC(2024, 0, 1, 21));
    const fill = { spreadBps: 0, slippageBps: 0, impactBps: 0, takerFeeBps: 0, makerFeeBps: 0, maxParticipation: 1 };
    const { env, backtest } = await bothPaths(bars, [0, 1, 1, 1], { max_position_pct: 1, max_trades_per_day: 1 }, fill);
    expectSameSteps(env, backtest);
    // Decided at the close of bar 1 (22:00 + 1 h = 23:00), filled at bar 2's open (23:00).
    expect(backtest[1].orderQty).toBeGreaterThan(0);
    expect(backtest[2].masked).toBe(false); // decision at 00:00: the 23:00 fill counted on the previous day
    expect(backtest[2].orderQty).toBeGreaterThan(0);
    expect(backtest[3].masked).toBe(true); // the 00:00 fill is the new day's one trade
    expect(backtest[3].maskRule).toBe('MAX_TRADES_PER_DAY');
  });

  it('regression: New York days from 17:00 — fills at 16:59 and 17:01 New York time are on two days with max_trades_per_day 1', async () => {
    // Minute bars from 16:57 EST (21:57 UTC). Decided at 16:59 (close of the 16:58 bar), filled at the 16:59 open;
    // decided at 17:01, filled at the 17:01 open: the next trading day, so not masked; the decision at 17:02 is.
    const bars = flatBars(7, Date.UTC(2024, 0, 15, 21, 57), MINUTE_MS);
    const actions = [0, 1, 0, 1, 1, 0];
    const rules = { max_position_pct: 1, max_trades_per_day: 1 };
    const ny = await bothPaths(bars, actions, rules, FLAT_FILL, NY_INSTRUMENT);
    expectSameSteps(ny.env, ny.backtest);
    expect([ny.rec.bars.time[ny.rec.fills.bar[0]], ny.rec.bars.time[ny.rec.fills.bar[1]]]).toEqual([Date.UTC(2024, 0, 15, 21, 59), Date.UTC(2024, 0, 15, 22, 1)]);
    expect(ny.backtest[3].masked).toBe(false);
    expect(ny.backtest[4].masked).toBe(true);
    expect(ny.backtest[4].maskRule).toBe('MAX_TRADES_PER_DAY');
    // On UTC days both fills fall on one day (21:59 and 22:01 UTC): the second is masked in both paths.
    const utc = await bothPaths(bars, actions, rules, FLAT_FILL, INSTRUMENT);
    expectSameSteps(utc.env, utc.backtest);
    expect(utc.backtest[3].masked).toBe(true);
    expect(utc.backtest[3].maskRule).toBe('MAX_TRADES_PER_DAY');
  });

  it('regression: a DST change day — New York 17:00 is 22:00 UTC the day before the spring change and 21:00 UTC on it', async () => {
    const rules = { max_position_pct: 1, max_trades_per_day: 1 };
    // Sat 2024-03-09 (EST): a fill at 21:00 UTC (16:00 EST); the decision at 22:00 UTC (17:00 EST) is a new day.
    // Sun 2024-03-10 (EDT from 02:00): a fill at 20:00 UTC (16:00 EDT); the decision at 21:00 UTC (17:00 EDT) is a
    // new day, an hour earlier in UTC than the day before; a fixed offset of −5 h would mask it.
    for (const [firstBar, rollsAt] of [
      [Date.UTC(2024, 2, 9, 20), Date.UTC(2024, 2, 9, 22)],
      [Date.UTC(2024, 2, 10, 19), Date.UTC(2024, 2, 10, 21)],
    ]) {
      const { env, backtest, rec } = await bothPaths(flatBars(5, firstBar), [1, 1, 1, 0], rules, FLAT_FILL, NY_INSTRUMENT);
      expectSameSteps(env, backtest);
      expect(rec.bars.time[rec.fills.bar[0]]).toBe(rollsAt - HOUR_MS);
      expect(backtest[1].masked).toBe(false); // decided at the roll: a new day
      expect(rec.bars.time[rec.fills.bar[1]]).toBe(rollsAt);
      expect(backtest[2].masked).toBe(true); // the second trade of the new day
    }
  });
});
