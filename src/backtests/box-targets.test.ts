/** Box (target-position) agents in the backtest chain: judged against the engine's interval, sized as the env sizes them. */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { type Bars, floorToLot, targetOrderQty } from '../core/index.js';
import { parseRules } from '../constraints/index.js';
import { type FeatureMatrix, generateSynthetic } from '../data/index.js';
import { TradingEnv, createDataset } from '../env/index.js';
import { parseGatekeeperConfig } from '../risk-gatekeeper/index.js';
import { backtestInstrument } from './backtest-job.js';
import { GATE_ACCEPTED, GATE_DENIED, GATE_NO_ORDER } from './decision-log.js';
import { DECISION_COLUMNS, TARGET_COLUMNS, writeDecisionsCsv } from './report-files.js';
import type { BoxBacktestAgent } from './rule-agents.js';
import { parseAccountConfig } from '../venues/index.js';
import { runBacktest } from './runner.js';
import { hourlyBars } from './test-helpers/bars.js';

const INSTRUMENT = backtestInstrument('TEST/USD');
/** No costs, no impact, no participation cap: every price and quantity below can be worked out by hand. */
const ZERO_COST = { spreadBps: 0, slippageBps: 0, impactBps: 0, makerFeeBps: 0, takerFeeBps: 0, maxParticipation: 1 };
const dir = mkdtempSync(join(tmpdir(), 'bulwark-box-targets-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const hourly = (opens: readonly number[], closes: readonly number[]): Bars => hourlyBars(opens, closes, Date.UTC(2021, 0, 4), 1e9);

/** A Box agent proposing `targets[t]` at bar t (the last entry once the list runs out). */
function scripted(targets: readonly number[], boxLow = -1): BoxBacktestAgent {
  return {
    actionType: 'box',
    label: `scripted [${targets.join(', ')}]`,
    boxLow,
    reset() {},
    target: (ctx) => targets[Math.min(ctx.t, targets.length - 1)],
  };
}

const flat = (n: number): Bars => hourly(new Array<number>(n).fill(100), new Array<number>(n).fill(100));

describe('Box agents in the backtest: sizing', () => {
  it('target_when_sized_then_order_is_target_times_equity_over_close_minus_position_as_the_env_sizes_it', async () => {
    // Targets exact in float32, so that the env (which takes a Float32Array) sees the very same numbers.
    const targets = [0.25, 0.5, -0.125, 0];
    const bars = hourly([100, 101, 103, 99, 100], [100, 102, 98, 100, 100]);
    // A margin account: the scripted targets go short, which the default cash account refuses.
    const account = parseAccountConfig({ type: 'margin', leverage: 2 });
    const rec = await runBacktest({ bars, instrument: INSTRUMENT, agent: scripted(targets), initialCash: 10_000, fill: ZERO_COST, account, benchmark: false });

    // By hand. Bar 0: equity 10,000 at close 100, target 0.25 → buy 25, filled at bar 1's open 101 (cash 7,475).
    expect(rec.decisions.orderQty[0]).toBe(25);
    expect(rec.fills.qty[0]).toBe(25);
    expect(rec.fills.price[0]).toBe(101);
    // Bar 1: equity 7,475 + 25 × 102 = 10,025; target 0.5 → 0.5 × 10,025 / 102 − 25 = 24.14215686… units (lots of 1e-6).
    expect(rec.equity[1]).toBe(10_025);
    const hand = (0.5 * 10_025) / 102 - 25;
    expect(targetOrderQty(0.5, -1, 25, 10_025, 102)).toBeCloseTo(hand, 12);
    expect(rec.decisions.orderQty[1]).toBeCloseTo(floorToLot(hand, INSTRUMENT.lotSize), 12);
    expect(rec.decisions.orderQty[1]).toBeCloseTo(24.142156, 9);

    // The env on the same bars, fill model and instrument, stepped with the same targets, fills the same orders.
    const features: FeatureMatrix = { names: ['close'], nFeatures: 1, length: bars.length, data: Float32Array.from(bars.close), warmup: 0 };
    const env = new TradingEnv({
      dataset: createDataset({ bars, features, instrument: INSTRUMENT }),
      config: { actionType: 'box', windowSize: 1, fill: ZERO_COST, initialCash: 10_000, account: { type: 'margin', leverage: 2 } },
    });
    env.reset({ startIndex: 0 });
    expect(rec.fills.length).toBe(targets.length);
    targets.forEach((x, k) => {
      const { info } = env.step(Float32Array.of(x));
      expect([info.fill.qty, info.fill.price, info.fill.fee], `fill ${k}`).toEqual([rec.fills.qty[k], rec.fills.price[k], rec.fills.fee[k]]);
      expect(info.equity, `equity after fill ${k}`).toBe(rec.equity[k + 1]);
    });
  });

  it('target_outside_the_box_range_when_no_rules_then_bounded_by_it_and_no_clip_recorded', async () => {
    const rec = await runBacktest({ bars: flat(4), instrument: INSTRUMENT, agent: scripted([1.5]), initialCash: 10_000, fill: ZERO_COST, benchmark: false });
    const tl = rec.decisions.targets;
    if (tl === null) throw new Error('a Box run keeps the target columns');
    expect([tl.proposed[0], tl.lo[0], tl.hi[0], tl.executed[0]]).toEqual([1.5, -1, 1, 1]);
    expect(rec.decisions.orderQty[0]).toBe(100);
    expect(rec.metrics.clipped_targets).toEqual({});
    expect(rec.actions).toEqual([]);

    const longOnly = await runBacktest({ bars: flat(4), instrument: INSTRUMENT, agent: scripted([-0.5], 0), initialCash: 10_000, fill: ZERO_COST, benchmark: false });
    expect(longOnly.decisions.targets?.executed[0]).toBe(0);
    expect(longOnly.decisions.gate[0]).toBe(GATE_NO_ORDER);
    expect(longOnly.fills.length).toBe(0);
  });
});

describe('Box agents in the backtest: the Constraint Logic Engine', () => {
  const rules = parseRules({ max_position_pct: 0.2 });

  it('target_beyond_the_allowed_interval_when_rules_given_then_clipped_onto_it_and_recorded', async () => {
    const bars = flat(12);
    const rec = await runBacktest({ bars, instrument: INSTRUMENT, agent: scripted([0.9]), initialCash: 10_000, fill: ZERO_COST, rules, benchmark: false });
    const d = rec.decisions;
    const tl = d.targets;
    if (tl === null) throw new Error('a Box run keeps the target columns');
    // Bar 0: 0.9 is clipped onto the interval's upper end (20 % less one tick of worst-case move), and the order goes out.
    expect(tl.proposed[0]).toBe(0.9);
    expect(tl.executed[0]).toBe(tl.hi[0]);
    expect(tl.hi[0]).toBeGreaterThan(0.1999);
    expect(tl.hi[0]).toBeLessThanOrEqual(0.2);
    expect(d.strings.name(d.maskRule[0])).toBe('MAX_POSITION_PCT');
    expect(d.gate[0]).toBe(GATE_ACCEPTED);
    expect(d.orderQty[0]).toBeCloseTo(floorToLot((tl.hi[0] * 10_000) / 100, INSTRUMENT.lotSize), 9);
    // Every decision proposed 0.9 and was clipped; nothing was masked; the position never passed 20 %.
    expect(rec.metrics.clipped_targets).toEqual({ MAX_POSITION_PCT: bars.length - 1 });
    expect(rec.metrics.masked_actions).toEqual({});
    for (let t = 0; t < bars.length - 1; t++) {
      expect(tl.executed[t]).toBeLessThanOrEqual(tl.hi[t]);
      expect((rec.positionQty[t] * bars.close[t]) / rec.equity[t]).toBeLessThanOrEqual(0.2);
    }
    // Once at the end, the clipped target is the position held: no order (as the env's stepHold).
    expect(d.gate[5]).toBe(GATE_NO_ORDER);
    expect(rec.fills.length).toBe(1);
  });

  it('target_inside_the_interval_then_passes_as_proposed_and_records_no_clip', async () => {
    const rec = await runBacktest({ bars: flat(6), instrument: INSTRUMENT, agent: scripted([0.125]), initialCash: 10_000, fill: ZERO_COST, rules, benchmark: false });
    expect(rec.decisions.targets?.executed[0]).toBe(0.125);
    expect(rec.decisions.maskRule[0]).toBe(-1);
    expect(rec.decisions.orderQty[0]).toBe(12.5);
    expect(rec.metrics.clipped_targets).toEqual({});
  });

  it('box_order_when_the_gatekeeper_refuses_it_then_denied_with_its_reason', async () => {
    const risk = parseGatekeeperConfig({ limits: { maxOrderNotionalQuote: 500 } });
    const rec = await runBacktest({ bars: flat(4), instrument: INSTRUMENT, agent: scripted([0.125]), initialCash: 10_000, fill: ZERO_COST, rules, risk, benchmark: false });
    expect(rec.decisions.gate[0]).toBe(GATE_DENIED);
    expect(rec.metrics.rejections).toEqual({ MAX_ORDER_NOTIONAL: 3 });
    expect(rec.fills.length).toBe(0);
  });

  it('box_run_decisions_csv_then_keeps_every_column_and_adds_the_target_columns', async () => {
    const rec = await runBacktest({ bars: flat(4), instrument: INSTRUMENT, agent: scripted([0.9]), initialCash: 10_000, fill: ZERO_COST, rules, benchmark: false });
    const path = join(dir, 'decisions.csv');
    writeDecisionsCsv(path, rec);
    const [header, first, , , last] = readFileSync(path, 'utf8').trim().split('\n');
    expect(header.split(',')).toEqual([...DECISION_COLUMNS, ...TARGET_COLUMNS]);
    const row = Object.fromEntries(header.split(',').map((k, i) => [k, first.split(',')[i]]));
    expect(row).toMatchObject({ proposed: '', allowed: '', mask_rule: 'MAX_POSITION_PCT', gate: 'ACCEPTED', proposed_target: '0.9' });
    expect(Number(row.executed_target)).toBe(rec.decisions.targets?.hi[0]);
    expect(Number(row.allowed_lo)).toBeLessThan(0);
    // The last bar decides nothing: its target columns are empty.
    expect(last.split(',').slice(-4)).toEqual(['', '', '', '']);
  });

  it('same_inputs_and_seed_then_the_same_record', async () => {
    const bars = generateSynthetic({ model: 'regime', bars: 300, seed: 4 });
    const wobble = scripted(Array.from({ length: 300 }, (_, t) => Math.sin(t / 7)));
    const run = () => runBacktest({ bars, instrument: INSTRUMENT, agent: wobble, initialCash: 10_000, rules, seed: 2 });
    const [a, b] = [await run(), await run()];
    expect(a.metrics).toEqual(b.metrics);
    expect(Array.from(a.equity)).toEqual(Array.from(b.equity));
    expect(Array.from(a.decisions.targets?.executed ?? [])).toEqual(Array.from(b.decisions.targets?.executed ?? []));
    expect(Object.values(a.metrics.clipped_targets).reduce((x, y) => x + y, 0)).toBeGreaterThan(0);
  });

  it('non_finite_target_then_the_error_names_the_agent_and_the_bar', async () => {
    await expect(runBacktest({ bars: flat(4), instrument: INSTRUMENT, agent: scripted([0.1, Number.NaN]), initialCash: 10_000 })).rejects.toThrow(
      /agent scripted \[0\.1, NaN\]: target must be a finite share of equity, got NaN at bar 1/,
    );
  });
});
