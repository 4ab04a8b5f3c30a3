import { describe, expect, it } from 'vitest';
import { compileRules } from './compile.js';
import { explainActionMask, formatExplanation } from './explain.js';
import { parseRules } from './rules-schema.js';
import { createConstraintState, defaultedStateFields, parseConstraintState, stateSchema } from './state.js';

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

describe('constraints explain: dates, defaults, worst-case source, and the two views under a lock', () => {
  it('prints the state time and the daily-loss lock as dates, never day numbers', () => {
    const c = compileRules(parseRules({ daily_loss_limit_pct: 0.02 }));
    const timeMs = Date.UTC(2024, 2, 5, 15, 30);
    const s = createConstraintState({ equity: 9_700, price: 100, positionQty: 10, dayPnl: -300, timeMs, dailyLossLockDay: Math.floor(timeMs / 86_400_000) });
    const e = explainActionMask(s, c);
    expect(e.time).toBe('2024-03-05T15:30:00.000Z');
    expect(e.dailyLossLockDate).toBe('2024-03-05');
    const reason = e.actions[1].reasons.find((r) => r.startsWith('DAILY_LOSS_LIMIT_PCT'));
    expect(reason).toMatch(/day=2024-03-05$/);
    const text = formatExplanation(e);
    expect(text).toContain('time 2024-03-05T15:30:00.000Z');
    expect(text).toContain('daily-loss lock engaged on 2024-03-05');
    expect(text).not.toMatch(/day=\d{5}/);
  });

  it('lists the state fields that were filled with defaults, and only those', () => {
    const doc = { equity: 1_000, price: 10, positionQty: 2, time: '2024-01-01T00:00:00Z' };
    const defaulted = defaultedStateFields(doc);
    expect(defaulted.map((d) => d.field)).toEqual(['symbol', 'peakEquity', 'dayPnl', 'tradesToday', 'barsSinceLastTrade', 'drawdownLocked', 'dailyLossLockDay']);
    // Every optional field of the schema has a stated default (a new field cannot be silently left out).
    const optional = Object.keys(stateSchema.shape).filter((k) => !['equity', 'price'].includes(k));
    expect(defaultedStateFields({}).map((d) => d.field).sort()).toEqual(optional.sort());
    const e = explainActionMask(parseConstraintState(doc), compileRules(parseRules({})), { defaultedFields: defaulted });
    expect(formatExplanation(e)).toMatch(/defaults used \(not in the state\): symbol = .*peakEquity = equity \(no drawdown\);/);
    expect(defaultedStateFields({ equity: 1, price: 1, symbol: 'X', peakEquity: 1, positionQty: 0, dayPnl: 0, tradesToday: 0, barsSinceLastTrade: 0, time: 0, drawdownLocked: false, dailyLossLockDay: -1 })).toEqual([]);
  });

  it('says where the worst-case price range came from and what bound it used', () => {
    const c = compileRules(parseRules({ fill_model: { spread_bps: 10, slippage_bound_bps: 5 } }));
    const e = explainActionMask(createConstraintState({ equity: 10_000, price: 100 }), c, { boundSource: 'fill_model in r.yaml' });
    expect(e.worstCasePrice.boundFrac).toBeCloseTo(0.001, 12);
    expect(e.worstCasePrice.lo).toBeCloseTo(99.9, 9);
    expect(e.worstCasePrice.hi).toBeCloseTo(100.1, 9);
    expect(formatExplanation(e)).toContain('worst-case range: price × (1 ± 0.001) ± tick 0; bound from fill_model in r.yaml');
    expect(explainActionMask(createConstraintState({ equity: 1, price: 1 }), c).worstCasePrice.source).toBe("the rule set's fill_model section");
  });

  it('under a drawdown or daily-loss lock the discrete mask and the interval (Box) view agree on every action', () => {
    const rules = compileRules(parseRules({ daily_loss_limit_pct: 0.02 }));
    const states = [
      createConstraintState({ equity: 8_500, peakEquity: 10_000, price: 100, positionQty: 10 }),
      createConstraintState({ equity: 8_500, peakEquity: 10_000, price: 100, positionQty: -12 }),
      createConstraintState({ equity: 8_500, peakEquity: 10_000, price: 100, positionQty: 0 }),
      createConstraintState({ equity: 9_700, price: 100, positionQty: 15, dayPnl: -300 }),
      createConstraintState({ equity: 9_700, price: 100, positionQty: -5, dayPnl: -300 }),
    ];
    for (const s of states) {
      const e = explainActionMask(s, rules);
      expect(e.locks.drawdown || e.locks.dailyLoss).toBe(true);
      const { lo, hi } = e.targetInterval;
      // A lock allows only reducing the position: the interval is [min(0,u), max(0,u)].
      expect(lo).toBeCloseTo(Math.min(0, e.positionShare), 12);
      expect(hi).toBeCloseTo(Math.max(0, e.positionShare), 12);
      // A trading action is allowed exactly when its target lies in the interval (a no-trade action, like
      // CLOSE_POSITION when flat, is HOLD and left to HOLD).
      for (const a of e.actions.filter((x) => x.index > 0 && !(x.name === 'CLOSE_POSITION' && e.positionShare === 0))) {
        const inside = a.targetShare >= lo - 1e-12 && a.targetShare <= hi + 1e-12;
        expect({ action: a.name, position: e.positionShare, allowed: a.allowed }).toEqual({ action: a.name, position: e.positionShare, allowed: inside });
      }
    }
  });
});
