import { describe, expect, it } from 'vitest';
import { compileRules } from './compile.js';
import { explainActionMask, formatExplanation } from './explain.js';
import { parseRules } from './rules-schema.js';
import { createConstraintState, parseConstraintState } from './state.js';

describe('explainActionMask', () => {
  it('seed rules at 15 % long when explained then renders each masking rule with the numbers it judged', () => {
    const c = compileRules(parseRules({ max_order_pct: 0.075 }));
    const s = createConstraintState({ equity: 10_000, price: 100, positionQty: 15 });
    const e = explainActionMask(s, c);
    expect(e.actions.map((a) => [a.name, a.allowed])).toEqual([
      ['HOLD', true],
      ['BUY_SMALL', true],
      ['BUY_LARGE', false],
      ['SELL_SMALL', true],
      ['SELL_LARGE', true],
      ['CLOSE_POSITION', true],
    ]);
    expect(e.actions[2].reasons).toEqual(['MAX_POSITION_PCT: max=0.2, got=0.25', 'MAX_ORDER_PCT: max=0.075, got=0.1']);
    expect(e.targetInterval.hiText).toEqual(['MAX_POSITION_PCT: max=0.2, got=0.2']);
    expect(e.targetInterval.loText).toEqual(['MAX_ORDER_PCT: max=0.075, got=0.15, reductions_only=true']);
    expect(formatExplanation(e)).toContain('BUY_LARGE       NO');
  });

  it('a drawdown lock when explained then says so in the locks line and in each reason', () => {
    const c = compileRules(parseRules({}));
    const s = createConstraintState({ equity: 8_500, peakEquity: 10_000, price: 100, positionQty: 10 });
    const e = explainActionMask(s, c);
    expect(e.locks).toEqual({ drawdown: true, dailyLoss: false });
    expect(e.actions[1].reasons[0]).toBe('MAX_DRAWDOWN_PCT: max=0.1, drawdown=0.15, release=recovery, release_at=0.1');
    expect(formatExplanation(e)).toMatch(/locks: drawdown ENGAGED, daily loss off/);
  });

  it('an unusable state when explained then names the bad field', () => {
    const e = explainActionMask(createConstraintState({ equity: -5, price: 100 }), compileRules(parseRules({})));
    expect(e.valid).toBe(false);
    expect(e.actions[1].reasons).toEqual(['INVALID_STATE: field=equity, value=-5']);
    expect(formatExplanation(e)).toMatch(/^position n\/a of equity,/);
  });
});

describe('parseConstraintState', () => {
  it('a state document with an ISO time when parsed then fills the defaults', () => {
    const s = parseConstraintState({ equity: 1_000, price: 10, time: '2024-01-01T12:00:00Z' });
    expect(s).toMatchObject({ equity: 1_000, peakEquity: 1_000, positionQty: 0, timeMs: Date.UTC(2024, 0, 1, 12), dailyLossLockDay: -1 });
  });

  it('a bad state document when parsed then names every bad field', () => {
    expect(() => parseConstraintState({ equity: 'x', tradesToday: -1, extra: 1 }, 's.json')).toThrow(
      /s\.json: .*equity: must be a number, got "x".*price: required.*tradesToday: must be >= 0, got -1/,
    );
  });
});
