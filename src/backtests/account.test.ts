/**
 * The account in a backtest (issue 17): a cash account cannot go short or below zero, a margin account is
 * liquidated at its maintenance margin, a ruined run stops trading and says so, and the drawdown rule's breach
 * action closes (and halts) as configured.
 */
import { describe, expect, it } from 'vitest';
import { type ActionSpec, DEFAULT_ACTIONS, defineInstrument } from '../core/index.js';
import { parseRules } from '../constraints/index.js';
import { parseAccountConfig } from '../venues/index.js';
import { prepareJob } from './backtest-job.js';
import { GATE_NO_ORDER, GATE_VENUE_REJECTED } from './decision-log.js';
import type { BacktestAgent } from './rule-agents.js';
import { createRuleAgent } from './rule-agents.js';
import { runBacktest } from './runner.js';
import { renderSummary } from './summary-table.js';
import { HOUR_MS, hourlyBars } from './test-helpers/bars.js';

const INSTRUMENT = defineInstrument({ symbol: 'ACC/USD', tickSize: 0.01, lotSize: 0.001 });
const ZERO_COST = { spreadBps: 0, slippageBps: 0, impactBps: 0, takerFeeBps: 0, makerFeeBps: 0, maxParticipation: 1 };
const START = Date.UTC(2024, 0, 1);

/** Proposes `action` at every decision. */
function always(action: number, actions: readonly ActionSpec[] = DEFAULT_ACTIONS): BacktestAgent {
  return { label: `always-${action}`, actions, sizing: { kind: 'action' }, reset: () => undefined, act: () => action };
}
const SHORT_190: ActionSpec[] = [
  { name: 'HOLD', kind: 'HOLD', fraction: 0 },
  { name: 'SHORT_1.9', kind: 'TARGET', fraction: -1.9 },
];

describe('cash account (the default)', () => {
  it('issue_17_a_policy_selling_every_bar_without_rules_went_76x_short_now_every_sell_beyond_holdings_is_refused', async () => {
    const closes = Array.from({ length: 60 }, (_, i) => 100 * 1.01 ** i);
    const bars = hourlyBars(closes, closes, START, 1e9);
    const rec = await runBacktest({ bars, instrument: INSTRUMENT, agent: always(4), initialCash: 10_000, fill: ZERO_COST, benchmark: false });
    expect(Math.min(...rec.positionQty)).toBe(0);
    expect(Math.min(...rec.equity)).toBe(10_000);
    expect(rec.metrics.rejections.INSUFFICIENT_BALANCE).toBe(59);
    expect(rec.decisions.gate[0]).toBe(GATE_VENUE_REJECTED);
    expect(rec.metrics).toMatchObject({ account: { type: 'cash' }, ruined_at_bar: null, liquidations: 0 });
  });
});

describe('margin account', () => {
  it('liquidates a short at the next open once equity falls below the maintenance margin, and the run goes on', async () => {
    // Short 1.9 × equity at 100; the close of bar 2 is 140: equity 29,000 − 26,600 = 2,400 < 0.25 × 26,600.
    const opens = [100, 100, 100, 140, 140, 140];
    const closes = [100, 100, 140, 140, 140, 140];
    const bars = hourlyBars(opens, closes, START, 1e9);
    const account = parseAccountConfig({ type: 'margin', leverage: 2 });
    const agent: BacktestAgent = { ...always(1, SHORT_190), act: (ctx) => (ctx.t === 0 ? 1 : 0) };
    const rec = await runBacktest({ bars, instrument: INSTRUMENT, agent, initialCash: 10_000, fill: ZERO_COST, account, benchmark: false });
    expect(rec.positionQty[1]).toBeCloseTo(-190, 9);
    expect(rec.liquidations).toMatchObject([{ bar: 2, positionQty: -190, price: 140, requirement: 0.25 * 190 * 140 }]);
    expect(rec.positionQty[3]).toBe(0); // bought back at bar 3's open
    expect(rec.equity[3]).toBeCloseTo(10_000 + 190 * (100 - 140), 6);
    expect(rec.metrics).toMatchObject({ liquidations: 1, ruined_at_bar: null, account: { type: 'margin', leverage: 2, maintenance_margin: 0.25 } });
    expect(rec.metrics.sharpe).not.toBeNull();
  });

  it('a gap through zero equity ruins the account: trading stops there, metrics say ruined at bar N instead of a Sharpe', async () => {
    const opens = [100, 100, 100, 200, 200, 200, 200];
    const closes = [100, 100, 100, 200, 200, 200, 200];
    const bars = hourlyBars(opens, closes, START, 1e9);
    const account = parseAccountConfig({ type: 'margin', leverage: 2 });
    // Keeps asking for the short after ruin: nothing more may be sent.
    const rec = await runBacktest({ bars, instrument: INSTRUMENT, agent: always(1, SHORT_190), initialCash: 10_000, fill: ZERO_COST, account, benchmark: false });
    expect(rec.equity[3]).toBeLessThan(0);
    expect(rec.metrics.ruined_at_bar).toBe(3);
    expect(rec.metrics.ruined_at).toBe(new Date(START + 4 * HOUR_MS).toISOString());
    expect([rec.metrics.sharpe, rec.metrics.sortino, rec.metrics.calmar]).toEqual([null, null, null]);
    for (let t = 3; t < bars.length - 1; t++) expect(rec.decisions.gate[t], `bar ${t}`).toBe(GATE_NO_ORDER);
    // The venue still liquidates what is open at the next open.
    expect(rec.positionQty[4]).toBe(0);
    const text = renderSummary([rec], 'hand bars');
    expect(text).toContain('Account: margin 2x, maintenance 25% of position value');
    expect(text).toContain('ruined at bar 3');
    expect(text).toMatch(/RUINED: always-1 was ruined at bar 3 \(2024-01-01T04:00:00.000Z\)/);
  });

  it('takes --account, --leverage and --maintenance-margin, and names the field of a bad combination', async () => {
    const job = { agent: 'buy-and-hold', synth: 'gbm:bars=50,seed=1' };
    expect((await prepareJob(job)).account).toEqual({ type: 'cash', leverage: 1, maintenanceMargin: 0 });
    expect((await prepareJob({ ...job, account: 'margin', leverage: 3 })).account).toEqual({ type: 'margin', leverage: 3, maintenanceMargin: 0.5 / 3 });
    await expect(prepareJob({ ...job, leverage: 3 })).rejects.toThrow(/leverage: applies to a margin account only/);
    await expect(prepareJob({ ...job, account: 'margin', leverage: 4, maintenanceMargin: 0.3 })).rejects.toThrow(/maintenanceMargin: must be below the initial margin/);
  });
});

describe('drawdown breach action', () => {
  const opens = [100, 100, 100, 85, 85, 90, 100, 110];
  const closes = [100, 100, 85, 85, 90, 100, 110, 110];
  const bars = hourlyBars(opens, closes, START, 1e9);
  const base = { max_position_pct: 1, max_drawdown_pct: 0.1, daily_loss_limit_pct: 1 };
  const run = (extra: Record<string, unknown>) =>
    runBacktest({
      bars,
      instrument: INSTRUMENT,
      agent: createRuleAgent('buy-and-hold:size=0.9'),
      initialCash: 10_000,
      fill: ZERO_COST,
      rules: parseRules({ ...base, ...extra }),
      benchmark: false,
    });

  it('refuses release by recovery together with a closing action, naming the field', () => {
    expect(() => parseRules({ drawdown_breach_action: 'close', drawdown_lock_release: 'recovery' })).toThrow(
      /drawdown_lock_release: recovery can never clear a lock whose breach action closes the position/,
    );
    expect(parseRules({ drawdown_breach_action: 'close_and_halt' }).drawdown_lock_release).toBe('operator');
    expect(parseRules({}).drawdown_breach_action).toBe('hold');
    expect(() => parseRules({ drawdown_breach_action: 'flatten' })).toThrow(/drawdown_breach_action: must be hold, close or close_and_halt/);
  });

  it('hold keeps the position through the lock; close closes it at the next open and stays flat; both report the bars locked', async () => {
    const held = await run({});
    expect(held.positionQty[3]).toBeGreaterThan(0);
    expect(held.positionQty[7]).toBeGreaterThan(0);
    const closed = await run({ drawdown_breach_action: 'close' });
    // Breach at bar 2's close (drawdown 13.5 %): the chain's close fills at bar 3's open.
    expect(closed.positionQty[2]).toBeGreaterThan(0);
    expect(closed.positionQty[3]).toBe(0);
    expect(closed.positionQty[7]).toBe(0);
    expect(closed.trades).toHaveLength(1);
    // Locked from bar 2 to the last decision (operator release): 5 of 7 decisions.
    expect(closed.metrics).toMatchObject({ bars_locked: 5, bars_drawdown_locked: 5 });
    expect(closed.metrics.time_locked_pct).toBeCloseTo(5 / 7, 12);
    // hold with recovery: locked while the drawdown is above 10 %, released as the price comes back.
    expect(held.metrics.bars_drawdown_locked).toBeGreaterThan(0);
    expect(held.metrics.bars_drawdown_locked).toBeLessThan(5);
  });

  it('close_and_halt closes and sends nothing more: later decisions are NO_ORDER', async () => {
    const halted = await run({ drawdown_breach_action: 'close_and_halt' });
    expect(halted.positionQty[3]).toBe(0);
    for (let t = 2; t < bars.length - 1; t++) expect(halted.decisions.gate[t]).toBe(GATE_NO_ORDER);
  });
});
