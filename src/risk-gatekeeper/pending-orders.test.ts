import { describe, expect, it } from 'vitest';
import { renderRejection } from './reasons.js';
import { codes, makeFixture } from './test-helpers/fixtures.js';

/** Per-order limits out of the way; position limit 2 BTC, gross exposure 80,000 (BTC at 50,000, ETH at 2,000). */
const WIDE = { limits: { maxOrderQty: 100, maxOrderNotionalQuote: 1e9, maxPositionQty: 2, maxPositionNotionalQuote: 1e9 } };

async function reducingFixture() {
  const f = makeFixture(WIDE);
  await f.store.set({ scope: 'global', state: 'REDUCING', actor: 'operator:ops', reason: 'soft kill' });
  return f;
}

describe('open orders count in the resulting position', () => {
  // Regression: under REDUCING each order was judged against the position alone, so with 1.0 long and an
  // open sell of 0.6, a second sell of 0.6 looked like a reduction (1.0 → 0.4) although both filling
  // leaves 0.2 short.
  it('reducing_ignores_open_orders_two_sells_that_each_reduce_would_together_flip_long_to_short_then_denies', async () => {
    const f = await reducingFixture();
    f.ctx.setPosition('BTC/USD', 1).setPendingOrders('BTC/USD', 0, 0.6);
    const r = f.gk.check(f.order({ side: 'SELL', quantity: 0.6 }), f.ctx);
    expect(codes(r)).toEqual(['REDUCING_ONLY']);
    expect(r.allowed ? '' : renderRejection(r.rejections[0])).toBe('REDUCING_ONLY: scope=global, pendingQty=-0.6');
    // Exactly down to flat with the open sell filled is a reduction; one lot more is not.
    expect(codes(f.gk.check(f.order({ side: 'SELL', quantity: 0.4 }), f.ctx))).toEqual([]);
    expect(codes(f.gk.check(f.order({ side: 'SELL', quantity: 0.401 }), f.ctx))).toEqual(['REDUCING_ONLY']);
  });

  it('reducing_when_open_sells_already_cover_the_long_then_any_further_sell_is_denied', async () => {
    const f = await reducingFixture();
    f.ctx.setPosition('BTC/USD', 1).setPendingOrders('BTC/USD', 0, 1);
    expect(codes(f.gk.check(f.order({ side: 'SELL', quantity: 0.001 }), f.ctx))).toEqual(['REDUCING_ONLY']);
  });

  it('reducing_judges_the_worst_case_open_buys_may_not_fill_so_they_do_not_make_room_for_a_sell', async () => {
    const f = await reducingFixture();
    // Net of all open orders the book is 1 + 0.5 − 1 = 0.5 long, but if only the sell fills the position is 0:
    // a further sell of 0.4 could leave 0.4 short.
    f.ctx.setPosition('BTC/USD', 1).setPendingOrders('BTC/USD', 0.5, 1);
    expect(codes(f.gk.check(f.order({ side: 'SELL', quantity: 0.4 }), f.ctx))).toEqual(['REDUCING_ONLY']);
    // Open buys alone never stop a sell that shrinks the long whether or not they fill.
    f.ctx.setPendingOrders('BTC/USD', 0.5, 0);
    expect(codes(f.gk.check(f.order({ side: 'SELL', quantity: 0.4 }), f.ctx))).toEqual([]);
  });

  it('reducing_a_short_with_open_buys_is_judged_the_same_way', async () => {
    const f = await reducingFixture();
    f.ctx.setPosition('BTC/USD', -1).setPendingOrders('BTC/USD', 0.7, 0);
    expect(codes(f.gk.check(f.order({ side: 'BUY', quantity: 0.3 }), f.ctx))).toEqual([]);
    expect(codes(f.gk.check(f.order({ side: 'BUY', quantity: 0.31 }), f.ctx))).toEqual(['REDUCING_ONLY']);
  });

  // Regression: the post-trade position limit looked at position + order only, so open orders on the same
  // side could stack past it one approved order at a time.
  it('max_position_ignores_open_orders_stacked_same_side_orders_exceed_the_limit_then_denies', () => {
    const f = makeFixture({ ...WIDE, maxGrossExposureQuote: 1e9 });
    f.ctx.setPosition('BTC/USD', 0.5).setPendingOrders('BTC/USD', 1, 0);
    expect(codes(f.gk.check(f.order({ quantity: 0.5 }), f.ctx))).toEqual([]);
    const r = f.gk.check(f.order({ quantity: 0.501 }), f.ctx);
    expect(codes(r)).toEqual(['MAX_POSITION']);
    expect(r.allowed ? '' : renderRejection(r.rejections[0])).toBe('MAX_POSITION: symbol=BTC/USD, maxQty=2, gotQty=2.001, pendingQty=1');
    // Open orders on the other side are not counted: they may never fill.
    f.ctx.setPendingOrders('BTC/USD', 0, 1);
    expect(codes(f.gk.check(f.order({ quantity: 0.9 }), f.ctx))).toEqual([]);
  });

  it('max_gross_exposure_counts_open_orders_of_this_and_of_other_instruments', () => {
    const f = makeFixture(WIDE);
    // Gross limit 80,000. ETH flat but with 10 ETH (20,000) of open sells; BTC 0.5 (25,000) with 0.3 open buys (15,000).
    f.ctx.setPendingOrders('ETH/USD', 0, 10).setPosition('BTC/USD', 0.5).setPendingOrders('BTC/USD', 0.3, 0);
    expect(codes(f.gk.check(f.order({ quantity: 0.4 }), f.ctx))).toEqual([]); // 20,000 + 60,000
    expect(codes(f.gk.check(f.order({ quantity: 0.401 }), f.ctx))).toEqual(['MAX_GROSS_EXPOSURE']);
  });

  it('open_order_quantities_that_are_nan_infinite_or_negative_fail_closed_with_no_account', () => {
    for (const bad of [Number.NaN, Number.POSITIVE_INFINITY, -0.1]) {
      const f = makeFixture();
      f.ctx.setPendingOrders('BTC/USD', 0, bad);
      const r = f.gk.check(f.order({ side: 'SELL' }), f.ctx);
      expect(codes(r)).toEqual(['NO_ACCOUNT']);
      expect(r.allowed ? '' : renderRejection(r.rejections[0])).toBe(
        `NO_ACCOUNT: problem=open orders unreadable, symbol=BTC/USD, side=SELL, got=${String(bad)}`,
      );
      // Another instrument's unreadable open orders make the gross exposure unknown.
      const g = makeFixture();
      g.ctx.setPendingOrders('ETH/USD', bad, 0);
      expect(codes(g.gk.check(g.order(), g.ctx))).toEqual(['NO_ACCOUNT']);
    }
  });
});
