import { describe, expect, it } from 'vitest';
import { type Bars, barsFromRecords } from '../core/index.js';
import { RULE_BUY, RULE_CLOSE, RULE_HOLD, createRuleAgent, parseAgentParams } from './rule-agents.js';

function closesToBars(closes: readonly number[]): Bars {
  return barsFromRecords(closes.map((c, i) => ({ time: i * 60_000, open: c, high: c, low: c, close: c, volume: 1e9 })));
}

/** Runs an agent over the bars, holding 1 unit after a BUY and none after a CLOSE. */
function decisions(spec: string, closes: readonly number[]): number[] {
  const agent = createRuleAgent(spec);
  agent.reset(1);
  const bars = closesToBars(closes);
  let pos = 0;
  const out: number[] = [];
  for (let t = 0; t < bars.length; t++) {
    const a = agent.act({ t, bars, positionQty: pos, equity: 1, cash: 1, mask: new Uint8Array(4).fill(1), obs: null });
    if (a === RULE_BUY) pos = 1;
    if (a === RULE_CLOSE) pos = 0;
    out.push(a);
  }
  return out;
}

describe('sma-cross', () => {
  it('buys on a cross above and closes on a cross below, by hand', () => {
    // fast=2, slow=3 over closes 10 10 10 12 14 12 10 9 11 13:
    // t=2 diff 0 (no previous); t=3 fast 11 > slow 10.67 after diff 0 → BUY; t=4,5 still above;
    // t=6 fast 11 < slow 12 → CLOSE; t=7 below; t=8 diff 0 (not above); t=9 fast 12 > slow 11 → BUY.
    const H = RULE_HOLD;
    expect(decisions('sma-cross:fast=2,slow=3', [10, 10, 10, 12, 14, 12, 10, 9, 11, 13])).toEqual([
      H, H, H, RULE_BUY, H, H, RULE_CLOSE, H, H, RULE_BUY,
    ]);
  });

  it('names the default parameters in its label and rejects fast >= slow', () => {
    expect(createRuleAgent('sma-cross').label).toBe('sma-cross:fast=10,slow=30');
    // Every parameter stays in the label, sizing included (issue 17: walk-forward windows dropped size=).
    expect(createRuleAgent('sma-cross:size=0.3,slow=20,fast=5').label).toBe('sma-cross:fast=5,slow=20,size=0.3');
    expect(createRuleAgent('random:qty=2').label).toBe('random:p=0.05,qty=2');
    expect(createRuleAgent('buy-and-hold:size=0.5').label).toBe('buy-and-hold:size=0.5');
    expect(() => createRuleAgent('sma-cross:fast=30,slow=10')).toThrow(/fast: fast must be < slow/);
  });
});

describe('agent specs', () => {
  it('parses sizing as a fraction of cash or a fixed quantity, never both', () => {
    expect(createRuleAgent('buy-and-hold').sizing).toEqual({ kind: 'fraction', fraction: 1 });
    expect(createRuleAgent('sma-cross:size=0.5').sizing).toEqual({ kind: 'fraction', fraction: 0.5 });
    expect(createRuleAgent('random:qty=10').sizing).toEqual({ kind: 'qty', qty: 10 });
    expect(() => createRuleAgent('random:qty=10,size=0.5')).toThrow(/either size or qty/);
  });

  it('reports unknown agents, unknown keys and malformed values by name', () => {
    expect(() => createRuleAgent('momentum')).toThrow(/unknown agent 'momentum'/);
    expect(() => createRuleAgent('sma-cross:fats=3')).toThrow(/unknown field 'fats'/);
    expect(() => parseAgentParams('sma-cross:fast=ten')).toThrow(/fast: must be key=number, got 'fast=ten'/);
    expect(() => createRuleAgent('buy-and-hold:size=2')).toThrow(/size/);
  });

  it('buy-and-hold decides on the first bar and then holds', () => {
    expect(decisions('buy-and-hold', [1, 2, 3, 4])).toEqual([RULE_BUY, RULE_HOLD, RULE_HOLD, RULE_HOLD]);
  });

  it('random is reproducible from its seed', () => {
    const closes = Array.from({ length: 200 }, (_, i) => 100 + i);
    expect(decisions('random:p=0.3', closes)).toEqual(decisions('random:p=0.3', closes));
    expect(decisions('random:p=0.3', closes).some((a) => a !== RULE_HOLD)).toBe(true);
  });
});
