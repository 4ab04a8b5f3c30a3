import { describe, expect, it } from 'vitest';
import { type ActionSpec, defineInstrument } from '../core/index.js';
import { RULE_BIT, parseRules } from '../constraints/index.js';
import { SimVenue } from '../venues/index.js';
import { AccountState } from './account-state.js';
import { DecisionChain, compileChainRules } from './chain.js';

const ACTIONS: readonly ActionSpec[] = [
  { name: 'HOLD', kind: 'HOLD', fraction: 0 },
  { name: 'BUY_5', kind: 'BUY', fraction: 0.05 },
  { name: 'SELL_5', kind: 'SELL', fraction: 0.05 },
  { name: 'CLOSE', kind: 'CLOSE_POSITION', fraction: 0 },
];
const instrument = defineInstrument({ symbol: 'BTC/USD' });

function chainOn(actionType: 'discrete' | 'box', bad: Partial<Record<'equity' | 'price' | 'peakEquity', number>>): DecisionChain {
  const account = new AccountState(10_000, instrument.symbol);
  const venue = new SimVenue({ instrument });
  const rules = compileChainRules(parseRules({}), { ...(actionType === 'discrete' ? { actions: ACTIONS } : {}), fill: venue.sim.config, instrument });
  const chain = new DecisionChain({ instrument, account, venue, actionType, ...(actionType === 'discrete' ? { actions: ACTIONS } : {}), rules });
  account.reset(0, 100);
  account.applyFill(5, 100, 0, 0);
  Object.assign(account, bad);
  chain.prepare();
  return chain;
}

describe('defect 5 (issue 16): an invalid state means hold, in the Box form too', () => {
  it('a_nan_equity_or_price_made_the_box_interval_0_0_so_a_lenient_guard_sold_the_whole_position_now_both_views_hold', () => {
    for (const bad of [{ equity: Number.NaN }, { price: Number.NaN }, { equity: -5 }, { peakEquity: Number.POSITIVE_INFINITY }]) {
      const box = chainOn('box', bad);
      expect(box.intervalBits[0]).toBe(RULE_BIT.INVALID_STATE);
      for (const proposal of [0.5, 0, -1]) {
        // Not 0 (flat: selling all 5 units): no order goes out, as the discrete mask keeps HOLD only.
        const d = box.decideTarget(proposal, 0);
        // A negative equity is also ruin: the chain stops sending anything before the engine is asked.
        if (bad.equity === -5) expect(d).toMatchObject({ outcome: 'NO_ORDER', reason: 'RUINED' });
        else expect(d.outcome).toBe('MASKED');
        expect(box.venue.openOrders()).toHaveLength(0);
      }
      const discrete = chainOn('discrete', bad);
      expect([...discrete.mask]).toEqual([1, 0, 0, 0]);
    }
  });
});
