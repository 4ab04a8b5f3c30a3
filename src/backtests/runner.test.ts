import { describe, expect, it } from 'vitest';
import type { Bars } from '../core/index.js';
import { parseRules } from '../constraints/index.js';
import { generateSynthetic } from '../data/index.js';
import { MemoryAuditSink } from '../security/index.js';
import { backtestInstrument } from './backtest-job.js';
import { buildChartData } from './chart-data.js';
import { GATE_DENIED, TRADING_STATES } from './decision-log.js';
import { createRuleAgent } from './rule-agents.js';
import { runBacktest } from './runner.js';
import { summaryTable } from './summary-table.js';
import { HOUR_MS, hourlyBars } from './test-helpers/bars.js';

// The instrument the CLI uses: the exactness specs hold for what users run.
const INSTRUMENT = backtestInstrument('TEST/USD');
const ZERO_COST = { spreadBps: 0, slippageBps: 0, impactBps: 0, makerFeeBps: 0, takerFeeBps: 0 };

const bars = (opens: readonly number[], closes: readonly number[]): Bars => hourlyBars(opens, closes, Date.UTC(2021, 0, 1), 1e6);

describe('runBacktest: buy-and-hold', () => {
  const data = generateSynthetic({ model: 'gbm', bars: 400, seed: 11 });

  it('decides on the first bar, fills at the second bar open, and with zero costs returns last close / that open − 1', async () => {
    const rec = await runBacktest({ bars: data, instrument: INSTRUMENT, agent: createRuleAgent('buy-and-hold'), initialCash: 10_000, fill: ZERO_COST });
    expect(rec.fills.length).toBe(1);
    expect(rec.fills.bar[0]).toBe(1);
    expect(rec.fills.price[0]).toBeCloseTo(data.open[1], 6);
    expect(rec.positionQty[0]).toBe(0);
    const expected = data.close[data.length - 1] / data.open[1] - 1;
    expect(Math.abs(rec.metrics.total_return - expected)).toBeLessThan(1e-9);
    expect(rec.metrics.fees_paid).toBe(0);
    expect(rec.limits.applied).toBe(false);
    expect(rec.limits.note).toMatch(/no limits applied beyond the venue validity checks/);
  });

  it('pays the taker fee and half the spread when costs are set, and never overdraws cash', async () => {
    const rec = await runBacktest({
      bars: data,
      instrument: INSTRUMENT,
      agent: createRuleAgent('buy-and-hold'),
      initialCash: 10_000,
      fill: { ...ZERO_COST, takerFeeBps: 10, spreadBps: 20 },
    });
    expect(rec.fills.price[0]).toBeCloseTo(data.open[1] * 1.001, 6);
    expect(rec.metrics.fees_paid).toBeCloseTo(10_000 / 1.001 * 0.001, 4);
    expect(rec.metrics.total_return).toBeLessThan(data.close[data.length - 1] / data.open[1] - 1);
    const cashAfter = 10_000 - rec.fills.qty[0] * rec.fills.price[0] - rec.fills.fee[0];
    expect(cashAfter).toBeGreaterThanOrEqual(0);
  });
});

describe('runBacktest: sma-cross trade list, by hand', () => {
  // fast=2, slow=3 on these closes: BUY decided at t=3 → fills at open[4]=13; CLOSE at t=6 → open[7]=9.5;
  // BUY at t=9 → open[10]=13.5, still open at the end and marked at close[10]=14.
  const closes = [10, 10, 10, 12, 14, 12, 10, 9, 11, 13, 14];
  const opens = [10, 10, 10, 11, 13, 13, 11, 9.5, 10, 12, 13.5];

  it('fills each signal at the next open and books the round trips', async () => {
    const rec = await runBacktest({
      bars: bars(opens, closes),
      instrument: INSTRUMENT,
      agent: createRuleAgent('sma-cross:fast=2,slow=3,qty=1'),
      initialCash: 1_000,
      fill: ZERO_COST,
    });
    expect(rec.trades.map((t) => [t.entryBar, t.entryPrice, t.exitBar, t.exitPrice, t.pnl, t.open])).toEqual([
      [4, 13, 7, 9.5, -3.5, false],
      [10, 13.5, 10, 14, 0.5, true],
    ]);
    expect(rec.metrics.n_trades).toBe(2);
    expect(rec.metrics.final_equity).toBeCloseTo(1_000 - 3.5 + 0.5, 9);
    expect(Array.from(rec.positionQty)).toEqual([0, 0, 0, 0, 1, 1, 1, 0, 0, 0, 1]);
  });
});

describe('runBacktest: no look-ahead', () => {
  it('takes the same decisions up to bar k whatever the bars after k are', async () => {
    const a = generateSynthetic({ model: 'regime', bars: 600, seed: 5 });
    const b = generateSynthetic({ model: 'regime', bars: 600, seed: 6 });
    const k = 300;
    // Same history up to k, a different future after it.
    const mixed = bars(
      Array.from({ length: 600 }, (_, i) => (i <= k ? a.open[i] : b.open[i] * (a.close[k] / b.close[k]))),
      Array.from({ length: 600 }, (_, i) => (i <= k ? a.close[i] : b.close[i] * (a.close[k] / b.close[k]))),
    );
    const run = (x: Bars) =>
      runBacktest({ bars: x, instrument: INSTRUMENT, agent: createRuleAgent('sma-cross:fast=5,slow=20'), initialCash: 10_000, seed: 1 });
    const original = await run(bars(Array.from(a.open), Array.from(a.close)));
    const altered = await run(mixed);
    expect(Array.from(altered.decisions.proposed.subarray(0, k + 1))).toEqual(Array.from(original.decisions.proposed.subarray(0, k + 1)));
    expect(Array.from(altered.equity.subarray(0, k + 1))).toEqual(Array.from(original.equity.subarray(0, k + 1)));
  });
});

describe('runBacktest: the safety chain', () => {
  const data = generateSynthetic({ model: 'gbm', bars: 300, seed: 21 });
  const at = (bar: number) => data.time[bar] + HOUR_MS;

  it('gives the same record for the same inputs and seed', async () => {
    const run = () => runBacktest({ bars: data, instrument: INSTRUMENT, agent: createRuleAgent('random:p=0.2'), initialCash: 10_000, seed: 9 });
    const [x, y] = [await run(), await run()];
    expect(x.metrics).toEqual(y.metrics);
    expect(Array.from(x.equity)).toEqual(Array.from(y.equity));
  });

  it('masks proposals that break a rule and counts them per rule id', async () => {
    const audit = new MemoryAuditSink();
    const rec = await runBacktest({
      bars: data,
      instrument: INSTRUMENT,
      agent: createRuleAgent('buy-and-hold'),
      initialCash: 10_000,
      rules: parseRules({ max_position_pct: 0.2 }),
      audit,
    });
    expect(rec.fills.length).toBe(0);
    expect(rec.metrics.proposals_blocked_by_rules.MAX_POSITION_PCT).toBe(data.length - 1);
    // The old key, kept for one release, carries the same counts.
    expect(rec.metrics.masked_actions).toEqual(rec.metrics.proposals_blocked_by_rules);
    // The terminal table names the count for what it is.
    const [head, , row] = summaryTable([{ ...rec, agent: 'bh' }]).split('\n');
    expect(head).toContain('blocked by rules');
    expect(head).not.toMatch(/\bmasked\b/);
    const at = head.indexOf('blocked by rules');
    expect(row.slice(at, at + 'blocked by rules'.length).trim()).toBe(String(data.length - 1));
    expect(rec.metrics.limits_applied).toBe(true);
    expect(rec.decisions.strings.name(rec.decisions.maskRule[0])).toBe('MAX_POSITION_PCT');
  });

  const drill = [
    { atMs: at(100), action: 'soft_kill', operator: 'alice', reason: 'drill' },
    { atMs: at(150), action: 'hard_kill', operator: 'alice', reason: 'drill' },
    { atMs: at(200), action: 'resume', operator: 'alice', reason: 'drill over' },
  ] as const;

  it('runs a scheduled soft kill, hard kill and resume through the kill-switch; the hard kill flattens', async () => {
    const audit = new MemoryAuditSink();
    const rec = await runBacktest({
      bars: data,
      instrument: INSTRUMENT,
      agent: createRuleAgent('buy-and-hold:qty=5'),
      initialCash: 10_000,
      audit,
      schedule: drill,
    });
    expect(rec.killSwitchEvents.map((e) => [e.bar, e.from, e.to, e.actor])).toEqual([
      [100, 'ACTIVE', 'REDUCING', 'operator:alice'],
      [150, 'REDUCING', 'HALTED', 'operator:alice'],
      [200, 'HALTED', 'ACTIVE', 'operator:alice'],
    ]);
    expect(rec.metrics.kill_switch_events).toBe(3);
    expect(rec.positionQty[150]).toBe(5);
    for (let t = 151; t < data.length; t++) expect(rec.positionQty[t]).toBe(0);
    expect(audit.events.filter((e) => e.type === 'TRADING_STATE_CHANGED')).toHaveLength(3);
    expect(audit.events.some((e) => e.type === 'FLATTEN_ORDER_SUBMITTED')).toBe(true);
    expect(rec.limits.note).toMatch(/gatekeeper with default limits/);
  });

  it('records the state in force on the last bar: a run halted to its end never reads ACTIVE there (regression)', async () => {
    const rec = await runBacktest({
      bars: data,
      instrument: INSTRUMENT,
      agent: createRuleAgent('buy-and-hold:qty=5'),
      initialCash: 10_000,
      schedule: drill.slice(0, 2),
    });
    const last = data.length - 1;
    expect(TRADING_STATES[rec.decisions.state[last]]).toBe('HALTED');
    expect(TRADING_STATES[rec.decisions.state[last - 1]]).toBe('HALTED');
    expect(buildChartData(rec).state.at(-1)).toBe(2);
  });

  it('refuses increasing orders while REDUCING and every order while HALTED', async () => {
    const rec = await runBacktest({
      bars: data,
      instrument: INSTRUMENT,
      agent: createRuleAgent('random:p=1,qty=1'),
      initialCash: 10_000,
      seed: 3,
      schedule: drill,
    });
    expect(rec.metrics.rejections.REDUCING_ONLY).toBeGreaterThan(0);
    expect(rec.metrics.rejections.TRADING_HALTED).toBeGreaterThan(0);
    for (let t = 0; t < data.length - 1; t++) {
      if (rec.decisions.gate[t] !== GATE_DENIED) continue;
      const reason = rec.decisions.strings.name(rec.decisions.gateReason[t]);
      if (t >= 100 && t < 150) expect(reason).toBe('REDUCING_ONLY');
      else if (t >= 150 && t < 200) expect(reason).toBe('TRADING_HALTED');
    }
    for (let t = 151; t <= 200; t++) expect(rec.positionQty[t]).toBe(0);
  });
});
