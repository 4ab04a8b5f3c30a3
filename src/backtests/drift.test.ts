/**
 * Limits that drift (issue 15): a position sized within max_position_pct that price moves push over it. The
 * metrics count the bars spent over each limit; `on_drift: hold` keeps the position (only increases blocked),
 * `on_drift: trim` trims it back to the limit at the next decision through the chain, with a reason.
 */
import { describe, expect, it } from 'vitest';
import { createConstraintState, compileRules, driftTrimTarget, overLimitBits, parseRules, RULE_BIT } from '../constraints/index.js';
import { MemoryAuditSink } from '../security/index.js';
import { backtestInstrument } from './backtest-job.js';
import { DRIFT_TRIM_REASON } from './run-recorder.js';
import { GATE_ACCEPTED } from './decision-log.js';
import { createRuleAgent } from './rule-agents.js';
import { runBacktest } from './runner.js';
import { renderSummary } from './summary-table.js';
import { hourlyBars } from './test-helpers/bars.js';

const INSTRUMENT = backtestInstrument('DRIFT/USD');
const ZERO_COST = { spreadBps: 0, slippageBps: 0, impactBps: 0, makerFeeBps: 0, takerFeeBps: 0 };
// Rises 2 % a bar for 40 bars: an 18 % position passes 20 % of equity after a few bars and keeps rising.
const closes = Array.from({ length: 40 }, (_, i) => 100 * 1.02 ** i);
const opens = closes.map((c, i) => (i === 0 ? c : closes[i - 1]));
const bars = hourlyBars(opens, closes, Date.UTC(2024, 0, 1), 1e9);
const share = (qty: number, price: number, equity: number) => (qty * price) / equity;

const run = (onDrift: 'hold' | 'trim') =>
  runBacktest({
    bars,
    instrument: INSTRUMENT,
    agent: createRuleAgent('buy-and-hold:size=0.18'),
    initialCash: 10_000,
    fill: ZERO_COST,
    rules: parseRules({ max_position_pct: 0.2, max_drawdown_pct: 0.5, daily_loss_limit_pct: 0.5, on_drift: onDrift }),
    audit: new MemoryAuditSink(),
  });

describe('limits that drift', () => {
  it('on_drift: hold (the default) keeps the drifted position and counts the bars over the limit', async () => {
    const rec = await run('hold');
    expect(parseRules({}).on_drift).toBe('hold');
    let over = 0;
    for (let t = 0; t < bars.length; t++) if (share(rec.positionQty[t], bars.close[t], rec.equity[t]) > 0.2) over++;
    expect(over).toBeGreaterThan(20);
    expect(rec.metrics.bars_over_limit).toEqual({ MAX_POSITION_PCT: over });
    expect(rec.metrics.drift_trims).toEqual({});
    expect(rec.fills.length).toBe(1);
    expect(renderSummary([rec], 'test')).toContain(`MAX_POSITION_PCT ${over} of ${bars.length} bars`);
    expect(rec.limits.note).toContain('on_drift: hold');
  });

  it('on_drift: trim sends an order back to the limit at the next decision, with DRIFT_TRIM and the rule as its reason', async () => {
    const hold = await run('hold');
    const rec = await run('trim');
    const d = rec.decisions;
    let trims = 0;
    for (let t = 0; t < bars.length - 1; t++) {
      const over = share(rec.positionQty[t], bars.close[t], rec.equity[t]) > 0.2 * (1 + 1e-9);
      if (over) {
        // Every bar closing over the limit is answered by a sell that takes the position back to 20 % at that close.
        expect(d.gate[t], `bar ${t}`).toBe(GATE_ACCEPTED);
        expect(d.orderQty[t]).toBeLessThan(0);
        expect(d.strings.name(d.gateReason[t])).toBe(DRIFT_TRIM_REASON);
        expect(d.strings.name(d.maskRule[t])).toBe('MAX_POSITION_PCT');
        const after = share(rec.positionQty[t] + d.orderQty[t], bars.close[t], rec.equity[t]);
        expect(after).toBeCloseTo(0.2, 3);
        trims++;
      } else if (t > 0) {
        expect(d.strings.name(d.gateReason[t])).not.toBe(DRIFT_TRIM_REASON);
      }
    }
    expect(trims).toBeGreaterThan(10);
    expect(rec.metrics.drift_trims).toEqual({ MAX_POSITION_PCT: trims });
    // The position is over the limit only between a close and the next trim's fill: each over-bar is trimmed,
    // but the last (nothing is decided there).
    expect(rec.metrics.bars_over_limit.MAX_POSITION_PCT).toBe(trims + 1);
    expect(rec.positionQty[bars.length - 1]).toBeLessThan(hold.positionQty[bars.length - 1]);
    expect(rec.limits.note).toContain('on_drift: trim');
  });

  it('trim never fires within the limit, under hold, while trading is not allowed, or when the proposal already trims', () => {
    const trim = compileRules(parseRules({ max_position_pct: 0.2, on_drift: 'trim' }));
    const hold = compileRules(parseRules({ max_position_pct: 0.2 }));
    const drifted = createConstraintState({ equity: 10_000, price: 100, positionQty: 25 });
    const within = createConstraintState({ equity: 10_000, price: 100, positionQty: 15 });
    const short = createConstraintState({ equity: 10_000, price: 100, positionQty: -25 });
    expect(overLimitBits(drifted, trim)).toBe(RULE_BIT.MAX_POSITION_PCT);
    expect(overLimitBits(within, trim)).toBe(0);
    expect(driftTrimTarget(drifted, trim, 0.25)).toBeCloseTo(0.2, 12);
    expect(driftTrimTarget(short, trim, -0.25)).toBeCloseTo(-0.2, 12);
    expect(driftTrimTarget(drifted, trim, Number.NaN)).toBeCloseTo(0.2, 12);
    expect(driftTrimTarget(drifted, hold, 0.25)).toBeNaN();
    expect(driftTrimTarget(within, trim, 0.15)).toBeNaN();
    expect(driftTrimTarget(drifted, trim, 0.1)).toBeNaN(); // the agent reduces below the limit itself
    expect(driftTrimTarget(drifted, trim, 0)).toBeNaN();
    const closedSession = compileRules(parseRules({ max_position_pct: 0.2, on_drift: 'trim', session_windows: [{ start: '09:00', end: '10:00' }] }));
    expect(driftTrimTarget({ ...drifted, timeMs: Date.UTC(2024, 0, 1, 12) }, closedSession, 0.25)).toBeNaN();
    expect(() => parseRules({ on_drift: 'sell' })).toThrow(/on_drift/);
  });
});
