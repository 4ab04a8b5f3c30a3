/**
 * The venue port's promise behind the kill-switch (issue 16): flattening orders skip every gatekeeper limit and
 * rely on `reduceOnly`, so a reduce-only order must never open a position or grow one, whatever happened to the
 * position between the order's issue and its match.
 */
import { describe, expect, it } from 'vitest';
import { type BarRecord, type Order, defineInstrument } from '../core/index.js';
import { SimVenue } from './sim-venue.js';

const instrument = defineInstrument({ symbol: 'BTC/USD', tickSize: 0.01, lotSize: 0.001, minNotional: 10 });
const fill = { spreadBps: 0, slippageBps: 0, impactBps: 0, makerFeeBps: 0, takerFeeBps: 0, maxParticipation: 1 };

function order(fields: Partial<Order> & Pick<Order, 'clientOrderId' | 'side' | 'quantity'>): Order {
  return { symbol: 'BTC/USD', type: 'MARKET', timeInForce: 'IOC', createdAtMs: 0, ...fields };
}
const bar = (time: number, open: number): BarRecord => ({ time, open, high: open * 1.01, low: open * 0.99, close: open, volume: 1e6 });
/** What the kill-switch issues: a reduce-only market IOC order against the position. */
const flatten = (id: string, side: 'BUY' | 'SELL', quantity: number, extra: Partial<Order> = {}): Order =>
  order({ clientOrderId: id, side, quantity, reduceOnly: true, ...extra });

describe('reduce-only and flattening orders at the venue', () => {
  it('a_flatten_order_when_flat_or_on_the_side_of_the_position_is_refused_at_submit', () => {
    const flat = new SimVenue({ instrument, fill });
    for (const side of ['BUY', 'SELL'] as const) {
      expect(flat.submit(flatten(`f-${side}`, side, 1))).toMatchObject({
        accepted: false,
        reason: 'REDUCE_ONLY_WOULD_INCREASE',
        message: `REDUCE_ONLY_WOULD_INCREASE: side=${side}, position=0`,
      });
    }
    const short = new SimVenue({ instrument, fill, initialPositionQty: -2 });
    expect(short.submit(flatten('grow', 'SELL', 1))).toMatchObject({ accepted: false, reason: 'REDUCE_ONLY_WOULD_INCREASE' });
    expect(short.openOrders()).toEqual([]);
  });

  it('a_flatten_order_for_a_stale_larger_position_closes_what_is_there_and_never_opens_the_other_side', () => {
    // The kill-switch saw a short of 3; by the time the order matches, the venue holds a short of 1.25.
    const v = new SimVenue({ instrument, fill, initialPositionQty: -1.25 });
    expect(v.submit(flatten('f', 'BUY', 3))).toMatchObject({ accepted: true });
    expect(v.onBar(bar(1, 100))).toMatchObject([
      { type: 'FILL', fill: { side: 'BUY', quantity: 1.25 } },
      { type: 'CANCELLED', reason: 'REDUCE_ONLY_REMAINDER' },
    ]);
    expect(v.positionQty).toBe(0);
    // A reduce-only LIMIT as well.
    const w = new SimVenue({ instrument, fill, initialPositionQty: 0.5 });
    w.submit(flatten('l', 'SELL', 2, { type: 'LIMIT', limitPrice: 99, timeInForce: 'GTC' }));
    w.onBar(bar(1, 100));
    expect(w.positionQty).toBe(0);
  });

  it('a_reduce_only_order_whose_position_flipped_before_it_matched_is_refused_at_the_match', () => {
    const v = new SimVenue({ instrument, fill, initialPositionQty: 3 });
    // An ordinary sell of 5 sits ahead of it in time priority and turns the long into a short of 2.
    v.submit(order({ clientOrderId: 'big', side: 'SELL', quantity: 5 }));
    v.submit(flatten('f', 'SELL', 3));
    expect(v.onBar(bar(1, 100))).toMatchObject([
      { type: 'FILL', fill: { clientOrderId: 'big', quantity: 5 } },
      { type: 'REJECTED', clientOrderId: 'f', reason: 'REDUCE_ONLY_WOULD_INCREASE', message: 'REDUCE_ONLY_WOULD_INCREASE: position=-2' },
    ]);
    expect(v.positionQty).toBe(-2);
  });

  it('two_flatten_orders_for_the_same_position_close_it_once_and_the_second_is_refused', () => {
    const v = new SimVenue({ instrument, fill, initialPositionQty: 1 });
    v.submit(flatten('f1', 'SELL', 1));
    v.submit(flatten('f2', 'SELL', 1));
    expect(v.onBar(bar(1, 100))).toMatchObject([
      { type: 'FILL', fill: { clientOrderId: 'f1', quantity: 1 } },
      { type: 'REJECTED', clientOrderId: 'f2', reason: 'REDUCE_ONLY_WOULD_INCREASE' },
    ]);
    expect(v.positionQty).toBe(0);
  });

  // Regression: a quote-sized reduce-only buy was filled by its quote amount, so 200,000 of quote against a short
  // of 1 at 50,000 bought 4 and left a long of 3.
  it('a_quote_sized_reduce_only_order_could_buy_more_than_the_position_and_is_refused', () => {
    const v = new SimVenue({ instrument, fill, initialPositionQty: -1 });
    expect(v.submit(flatten('q', 'BUY', 1, { quoteQuantity: 200_000 }))).toMatchObject({
      accepted: false,
      reason: 'REDUCE_ONLY_WOULD_INCREASE',
      message: 'REDUCE_ONLY_WOULD_INCREASE: quoteQuantity=200000, problem=a reduce-only order is sized in base units',
    });
    expect(v.onBar(bar(1, 50_000))).toEqual([]);
    expect(v.positionQty).toBe(-1);
  });
});
