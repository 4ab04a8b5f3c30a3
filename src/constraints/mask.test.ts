import { describe, expect, it } from 'vitest';
import { type ActionSpec, DEFAULT_ACTIONS, MS_PER_DAY } from '../core/index.js';
import { compileRules } from './compile.js';
import { computeActionMask, computeActionMasks } from './mask.js';
import { RULE_BIT } from './rule-ids.js';
import { type RulesInput, parseRules } from './rules-schema.js';
import { type ConstraintState, createConstraintState } from './state.js';

// Binary-exact fractions so that "exactly at the limit" is exact in floating point.
const ACTIONS: readonly ActionSpec[] = [
  { name: 'HOLD', kind: 'HOLD', fraction: 0 },
  { name: 'BUY_8TH', kind: 'BUY', fraction: 0.125 },
  { name: 'BUY_QUARTER', kind: 'BUY', fraction: 0.25 },
  { name: 'SELL_8TH', kind: 'SELL', fraction: 0.125 },
  { name: 'SELL_QUARTER', kind: 'SELL', fraction: 0.25 },
  { name: 'CLOSE', kind: 'CLOSE_POSITION', fraction: 0 },
];
const [HOLD, BUY_8TH, BUY_QUARTER, SELL_8TH, SELL_QUARTER, CLOSE] = [0, 1, 2, 3, 4, 5];

function compiled(rules: RulesInput) {
  return compileRules(parseRules(rules), { actions: ACTIONS });
}

/** equity 10,000 at price 100: `shareHeld` × 100 units are a share `shareHeld` of equity. */
function state(fields: Partial<ConstraintState> & { shareHeld?: number } = {}): ConstraintState {
  const { shareHeld = 0, ...rest } = fields;
  return createConstraintState({ equity: 10_000, price: 100, positionQty: shareHeld * 100, ...rest });
}

function allowed(s: ConstraintState, rules: RulesInput): number[] {
  const { mask } = computeActionMask(s, compiled(rules));
  return [...mask].flatMap((m, i) => (m === 1 ? [i] : []));
}

describe('computeActionMask: max_position_pct', () => {
  it('buy reaching exactly the limit when judged then is allowed; one beyond is masked', () => {
    const s = state({ shareHeld: 0.125 });
    const { mask, reasons } = computeActionMask(s, compiled({ max_position_pct: 0.25 }));
    expect(mask[BUY_8TH]).toBe(1);
    expect(mask[BUY_QUARTER]).toBe(0);
    expect(reasons[BUY_QUARTER]).toEqual(['MAX_POSITION_PCT']);
  });

  it('limit a hair below the result when judged then masks', () => {
    expect(allowed(state({ shareHeld: 0.125 }), { max_position_pct: 0.2499999 })).not.toContain(BUY_8TH);
  });

  it('short side when judged then uses |position|', () => {
    const s = state({ shareHeld: -0.125 });
    const { mask, reasons } = computeActionMask(s, compiled({ max_position_pct: 0.25 }));
    expect(mask[SELL_8TH]).toBe(1);
    expect(mask[SELL_QUARTER]).toBe(0);
    expect(reasons[SELL_QUARTER]).toEqual(['MAX_POSITION_PCT']);
  });

  it('worst-case next price (spread + slippage bound) when judged then masks what the last close would allow', () => {
    const s = state({ shareHeld: 0.125 });
    // b = 10/2 + 5 bps = 0.001: a position of 0.25 is worth up to 0.25 × 1.001 / (1 + 0.125 × 0.001) > 0.25.
    const rules = { max_position_pct: 0.25, fill_model: { spread_bps: 10, slippage_bound_bps: 5 } };
    const { reasons } = computeActionMask(s, compiled(rules));
    expect(reasons[BUY_8TH]).toEqual(['MAX_POSITION_PCT']);
    expect(allowed(s, { max_position_pct: 0.25 })).toContain(BUY_8TH);
  });

  it('fees when judged then lower the equity the position is measured against', () => {
    const rules = { max_position_pct: 0.25, fill_model: { fee_bps: 10 } };
    expect(allowed(state({ shareHeld: 0.125 }), rules)).not.toContain(BUY_8TH);
  });

  it('position already past the limit when judged then still allows reducing it', () => {
    const s = state({ shareHeld: 0.5 });
    const { mask, reasons } = computeActionMask(s, compiled({ max_position_pct: 0.25 }));
    expect(mask[SELL_8TH]).toBe(1);
    expect(mask[SELL_QUARTER]).toBe(1);
    expect(mask[CLOSE]).toBe(1);
    expect(reasons[BUY_8TH]).toEqual(['MAX_POSITION_PCT']);
  });

  it('flip from long to a short beyond the limit when judged then is masked', () => {
    const s = state({ shareHeld: 0.125 });
    const c = compileRules(parseRules({ max_position_pct: 0.25 }), {
      actions: [ACTIONS[0], { name: 'SELL_BIG', kind: 'SELL', fraction: 0.5 }],
    });
    expect(computeActionMask(s, c).reasons[1]).toEqual(['MAX_POSITION_PCT']);
  });
});

describe('computeActionMask: max_order_pct', () => {
  it('order of exactly the limit when judged then is allowed; larger is masked', () => {
    const { mask, reasons } = computeActionMask(state(), compiled({ max_position_pct: 1, max_order_pct: 0.125 }));
    expect(mask[BUY_8TH]).toBe(1);
    expect(reasons[BUY_QUARTER]).toEqual(['MAX_ORDER_PCT']);
    expect(reasons[SELL_QUARTER]).toEqual(['MAX_ORDER_PCT']);
  });

  it('order at the limit when the fill may slip then is masked (valued at the worst-case price)', () => {
    const rules = { max_position_pct: 1, max_order_pct: 0.125, fill_model: { slippage_bound_bps: 1 } };
    expect(computeActionMask(state(), compiled(rules)).reasons[BUY_8TH]).toEqual(['MAX_ORDER_PCT']);
  });
});

describe('computeActionMask: max_leverage and initial_margin_pct', () => {
  it('leverage exactly at the limit when judged then is allowed; beyond is masked', () => {
    const s = state({ shareHeld: 1.75 });
    const { mask, reasons } = computeActionMask(s, compiled({ max_position_pct: 10, max_leverage: 2 }));
    expect(mask[BUY_QUARTER]).toBe(1);
    expect(mask[BUY_8TH]).toBe(1);
    expect(computeActionMask(state({ shareHeld: 1.875 }), compiled({ max_position_pct: 10, max_leverage: 2 })).reasons[BUY_QUARTER]).toEqual([
      'MAX_LEVERAGE',
    ]);
    expect(reasons[HOLD]).toEqual([]);
  });

  it('initial margin of 50 % when judged then allows exposure up to 2x equity', () => {
    const rules = { max_position_pct: 10, initial_margin_pct: 0.5 };
    expect(allowed(state({ shareHeld: 1.75 }), rules)).toContain(BUY_QUARTER);
    expect(computeActionMask(state({ shareHeld: 1.875 }), compiled(rules)).reasons[BUY_QUARTER]).toEqual(['INITIAL_MARGIN_PCT']);
  });
});

describe('computeActionMask: long_only', () => {
  it('flat account when judged then masks every sell', () => {
    const { reasons } = computeActionMask(state(), compiled({ max_position_pct: 1, long_only: true }));
    expect(reasons[SELL_8TH]).toEqual(['LONG_ONLY']);
    expect(reasons[SELL_QUARTER]).toEqual(['LONG_ONLY']);
    expect(reasons[BUY_8TH]).toEqual([]);
  });

  it('long position when judged then allows selling down to exactly flat, not below', () => {
    const { mask } = computeActionMask(state({ shareHeld: 0.125 }), compiled({ long_only: true }));
    expect(mask[SELL_8TH]).toBe(1);
    expect(mask[SELL_QUARTER]).toBe(0);
  });
});

describe('computeActionMask: trade frequency', () => {
  it('bars since last trade one short of the minimum when judged then masks every trade, closing too', () => {
    const s = state({ shareHeld: 0.125, barsSinceLastTrade: 2 });
    const { mask, reasons } = computeActionMask(s, compiled({ min_bars_between_trades: 3 }));
    expect([...mask]).toEqual([1, 0, 0, 0, 0, 0]);
    expect(reasons[CLOSE]).toEqual(['MIN_BARS_BETWEEN_TRADES']);
    expect(allowed(state({ barsSinceLastTrade: 3 }), { min_bars_between_trades: 3 })).toContain(BUY_8TH);
  });

  it('trades today at the maximum when judged then masks trades; one fewer allows them', () => {
    expect(computeActionMask(state({ tradesToday: 4 }), compiled({ max_trades_per_day: 4 })).reasons[BUY_8TH]).toEqual([
      'MAX_TRADES_PER_DAY',
    ]);
    expect(allowed(state({ tradesToday: 3 }), { max_trades_per_day: 4 })).toContain(BUY_8TH);
  });

  it('close when flat when judged then is a no-op and not a trade', () => {
    expect(allowed(state({ tradesToday: 4 }), { max_trades_per_day: 4 })).toEqual([HOLD, CLOSE]);
  });
});

describe('computeActionMask: session windows and instrument allow-list', () => {
  // 2024-01-01 was a Monday.
  const monday = Date.UTC(2024, 0, 1);
  const rules = { session_windows: [{ days: ['mon', 'tue'] as ('mon' | 'tue')[], start: '09:00', end: '17:30' }] };

  it('opening minute when judged then allows; the closing minute is already outside', () => {
    expect(allowed(state({ timeMs: monday + 9 * 3_600_000 }), rules)).toContain(BUY_8TH);
    const { reasons } = computeActionMask(state({ timeMs: monday + 17.5 * 3_600_000 }), compiled(rules));
    expect(reasons[BUY_8TH]).toEqual(['SESSION_WINDOWS']);
    expect(allowed(state({ timeMs: monday + 17.5 * 3_600_000 - 1 }), rules)).toContain(BUY_8TH);
  });

  it('a day not listed when judged then masks trading', () => {
    expect(allowed(state({ timeMs: monday - MS_PER_DAY + 10 * 3_600_000 }), rules)).toEqual([HOLD, CLOSE]);
  });

  it('window past midnight when judged then stays open into the next day', () => {
    const night = { session_windows: [{ days: ['sun'] as 'sun'[], start: '22:00', end: '02:00' }] };
    expect(allowed(state({ timeMs: monday + 3_600_000 }), night)).toContain(BUY_8TH);
    expect(allowed(state({ timeMs: monday + 2 * 3_600_000 }), night)).not.toContain(BUY_8TH);
  });

  it('symbol not on the allow-list when judged then masks every trade', () => {
    const list = { allowed_instruments: ['BTC/USDT'] };
    expect(computeActionMask(state({ symbol: 'DOGE/USDT' }), compiled(list)).reasons[BUY_8TH]).toEqual(['INSTRUMENT_ALLOW_LIST']);
    expect(allowed(state({ symbol: 'BTC/USDT' }), list)).toContain(BUY_8TH);
  });
});

describe('computeActionMask: locks', () => {
  it('drawdown exactly at the limit when judged then does not lock; beyond it does', () => {
    expect(allowed(state({ equity: 9_000, peakEquity: 10_000, price: 90 }), {})).toContain(BUY_8TH);
    const s = state({ equity: 8_999, peakEquity: 10_000, positionQty: 10, price: 100 });
    const { mask, reasons } = computeActionMask(s, compiled({ max_position_pct: 1 }));
    expect([...mask]).toEqual([1, 0, 0, 0, 0, 1]);
    expect(reasons[BUY_8TH]).toEqual(['MAX_DRAWDOWN_PCT']);
    expect(reasons[SELL_8TH]).toEqual(['MAX_DRAWDOWN_PCT']);
  });

  it('daily loss exactly 3 % when judged then does not lock; beyond it does', () => {
    expect(allowed(state({ equity: 9_700, dayPnl: -300 }), {})).toContain(BUY_8TH);
    const { reasons } = computeActionMask(state({ equity: 9_699, dayPnl: -301, shareHeld: 0.125 }), compiled({ max_position_pct: 1 }));
    expect(reasons[BUY_8TH]).toEqual(['DAILY_LOSS_LIMIT_PCT']);
    expect(reasons[CLOSE]).toEqual([]);
  });

  it('lock with no open position when judged then leaves only HOLD', () => {
    expect(allowed(state({ dailyLossLockDay: 0, timeMs: 1_000 }), {})).toEqual([HOLD]);
  });

  it('both locks when judged then name both rules', () => {
    const s = state({ equity: 8_000, peakEquity: 10_000, dayPnl: -2_000 });
    expect(computeActionMask(s, compiled({ max_position_pct: 1 })).reasons[BUY_8TH]).toEqual(['MAX_DRAWDOWN_PCT', 'DAILY_LOSS_LIMIT_PCT']);
  });
});

describe('computeActionMask: fail closed', () => {
  it.each([
    ['equity 0', { equity: 0 }],
    ['negative price', { price: -1 }],
    ['NaN position', { positionQty: Number.NaN }],
    ['infinite day PnL', { dayPnl: Number.NEGATIVE_INFINITY }],
  ])('%s when judged then only HOLD is allowed, with INVALID_STATE', (_name, fields) => {
    const { mask, reasons } = computeActionMask(state(fields), compiled({}));
    expect([...mask]).toEqual([1, 0, 0, 0, 0, 0]);
    expect(reasons[BUY_8TH]).toEqual(['INVALID_STATE']);
  });

  it('default action list when no actions are given then is core DEFAULT_ACTIONS', () => {
    const c = compileRules(parseRules({}));
    expect(c.nActions).toBe(DEFAULT_ACTIONS.length);
    expect([...computeActionMask(state(), c).mask]).toEqual([1, 1, 1, 1, 1, 1]);
  });
});

describe('computeActionMasks (batched)', () => {
  it('N states when masked in one buffer then match the single form row by row, with reason bits', () => {
    const c = compiled({ max_position_pct: 0.25, long_only: true });
    const states = [state(), state({ shareHeld: 0.25 }), state({ equity: 0 })];
    const out = new Uint8Array(states.length * c.nActions).fill(7);
    const bits = new Uint32Array(states.length * c.nActions);
    computeActionMasks(states, c, out, bits);
    states.forEach((s, e) => {
      const single = computeActionMask(s, c);
      expect([...out.subarray(e * c.nActions, (e + 1) * c.nActions)]).toEqual([...single.mask]);
      expect([...bits.subarray(e * c.nActions, (e + 1) * c.nActions)]).toEqual([...single.reasonBits]);
    });
    expect(bits[1 * c.nActions + BUY_8TH]).toBe(RULE_BIT.MAX_POSITION_PCT);
  });

  it('buffer too small when masking then throws naming the buffer', () => {
    const c = compiled({});
    expect(() => computeActionMasks([state(), state()], c, new Uint8Array(11))).toThrow(/out: needs 12 entries/);
  });
});
