import { describe, expect, it } from 'vitest';
import { type BarRecord, type Order, defineInstrument } from '../core/index.js';
import { SimVenue } from './sim-venue.js';

const instrument = defineInstrument({ symbol: 'BTC/USD', tickSize: 0.01, lotSize: 0.001, minNotional: 10 });
// No spread, slippage or impact, so that prices are easy to check; taker 10 bps, maker 2 bps.
const fill = { spreadBps: 0, slippageBps: 0, impactBps: 0, makerFeeBps: 2, takerFeeBps: 10, maxParticipation: 0.1 };

function order(fields: Partial<Order> & Pick<Order, 'clientOrderId' | 'side' | 'quantity'>): Order {
  return { symbol: 'BTC/USD', type: 'MARKET', timeInForce: 'IOC', createdAtMs: 0, ...fields };
}
const bar = (time: number, open: number, high: number, low: number, volume = 1000): BarRecord => ({
  time,
  open,
  high,
  low,
  close: open,
  volume,
});

describe('SimVenue', () => {
  it('fills a market order at the next bar open with the taker fee', () => {
    const v = new SimVenue({ instrument, fill });
    expect(v.submit(order({ clientOrderId: 'a', side: 'BUY', quantity: 2 }))).toMatchObject({ accepted: true });
    const events = v.onBar(bar(60_000, 100, 101, 99));
    expect(events).toEqual([
      {
        type: 'FILL',
        fill: {
          clientOrderId: 'a',
          symbol: 'BTC/USD',
          side: 'BUY',
          quantity: 2,
          price: 100,
          fee: 0.2, // 200 × 10 bps
          liquidity: 'TAKER',
          timeMs: 60_000,
        },
        remainingQty: 0,
      },
    ]);
    expect(v.positionQty).toBe(2);
    expect(v.openOrders()).toEqual([]);
  });

  it('cancels the unfilled remainder of an IOC order past the participation cap', () => {
    const v = new SimVenue({ instrument, fill });
    v.submit(order({ clientOrderId: 'a', side: 'BUY', quantity: 150 }));
    const events = v.onBar(bar(1, 100, 101, 99));
    expect(events.map((e) => e.type)).toEqual(['FILL', 'CANCELLED']);
    expect(events[0]).toMatchObject({ fill: { quantity: 100 }, remainingQty: 50 });
    expect(events[1]).toMatchObject({ reason: 'IOC_REMAINDER', remainingQty: 50 });
    expect(v.openOrders()).toEqual([]);
  });

  it('leaves the remainder of a GTC order resting and fills it on the next bar', () => {
    const v = new SimVenue({ instrument, fill });
    v.submit(order({ clientOrderId: 'a', side: 'BUY', quantity: 150, timeInForce: 'GTC' }));
    v.onBar(bar(1, 100, 101, 99));
    expect(v.openOrders()).toMatchObject([{ filledQty: 100, remainingQty: 50 }]);
    const events = v.onBar(bar(2, 102, 103, 101));
    expect(events).toMatchObject([{ type: 'FILL', fill: { quantity: 50, price: 102 }, remainingQty: 0 }]);
    expect(v.positionQty).toBe(150);
  });

  it('rests a GTC limit the bar does not trade through and cancels an IOC one', () => {
    const v = new SimVenue({ instrument, fill });
    v.submit(order({ clientOrderId: 'gtc', side: 'BUY', quantity: 1, type: 'LIMIT', limitPrice: 98, timeInForce: 'GTC' }));
    v.submit(order({ clientOrderId: 'ioc', side: 'BUY', quantity: 1, type: 'LIMIT', limitPrice: 98 }));
    const events = v.onBar(bar(1, 100, 101, 98));
    expect(events).toEqual([
      { type: 'CANCELLED', clientOrderId: 'ioc', reason: 'LIMIT_NOT_REACHED', remainingQty: 1, timeMs: 1 },
    ]);
    expect(v.openOrders().map((o) => o.order.clientOrderId)).toEqual(['gtc']);
    const later = v.onBar(bar(2, 99, 99.5, 97.5));
    expect(later).toMatchObject([{ type: 'FILL', fill: { price: 98, liquidity: 'MAKER', fee: 98 * 0.0002 } }]);
  });

  it('rounds a limit price to the tick in the passive direction', () => {
    const v = new SimVenue({ instrument, fill });
    expect(v.submit(order({ clientOrderId: 'b', side: 'BUY', quantity: 1, type: 'LIMIT', limitPrice: 99.999 }))).toMatchObject({
      accepted: true,
      limitPrice: 99.99,
    });
    expect(v.submit(order({ clientOrderId: 's', side: 'SELL', quantity: 1, type: 'LIMIT', limitPrice: 100.001 }))).toMatchObject({
      accepted: true,
      limitPrice: 100.01,
    });
  });

  it('rejects bad orders with a reason from the closed list', () => {
    const v = new SimVenue({ instrument, fill });
    expect(v.submit(order({ clientOrderId: 'x', side: 'BUY', quantity: 1, symbol: 'ETH/USD' }))).toMatchObject({
      accepted: false,
      reason: 'UNKNOWN_SYMBOL',
    });
    expect(v.submit(order({ clientOrderId: 'x', side: 'BUY', quantity: -1 }))).toMatchObject({ reason: 'INVALID_QUANTITY' });
    expect(v.submit(order({ clientOrderId: 'x', side: 'BUY', quantity: 0.0009 }))).toMatchObject({ reason: 'QTY_BELOW_LOT' });
    expect(v.submit(order({ clientOrderId: 'x', side: 'BUY', quantity: 1, type: 'LIMIT' }))).toMatchObject({
      reason: 'INVALID_PRICE',
    });
    expect(v.submit(order({ clientOrderId: 'x', side: 'BUY', quantity: 0.05, type: 'LIMIT', limitPrice: 100 }))).toMatchObject({
      reason: 'BELOW_MIN_NOTIONAL',
      message: 'BELOW_MIN_NOTIONAL: notional=5, min=10',
    });
    v.submit(order({ clientOrderId: 'dup', side: 'BUY', quantity: 1 }));
    expect(v.submit(order({ clientOrderId: 'dup', side: 'BUY', quantity: 1 }))).toMatchObject({
      reason: 'DUPLICATE_CLIENT_ORDER_ID',
    });
  });

  it('rejects a market order whose fill would be under the minimum notional', () => {
    const v = new SimVenue({ instrument, fill });
    v.submit(order({ clientOrderId: 'a', side: 'BUY', quantity: 0.09 }));
    expect(v.onBar(bar(1, 100, 101, 99))).toEqual([
      { type: 'REJECTED', clientOrderId: 'a', reason: 'BELOW_MIN_NOTIONAL', message: 'BELOW_MIN_NOTIONAL: notional=9, min=10', timeMs: 1 },
    ]);
    expect(v.positionQty).toBe(0);
  });

  it('clamps a reduce-only order to the position and refuses one that would increase it', () => {
    const v = new SimVenue({ instrument, fill, initialPositionQty: 3 });
    expect(v.submit(order({ clientOrderId: 'up', side: 'BUY', quantity: 1, reduceOnly: true }))).toMatchObject({
      reason: 'REDUCE_ONLY_WOULD_INCREASE',
    });
    v.submit(order({ clientOrderId: 'flat', side: 'SELL', quantity: 5, reduceOnly: true, timeInForce: 'GTC' }));
    const events = v.onBar(bar(1, 100, 101, 99));
    expect(events).toMatchObject([
      { type: 'FILL', fill: { side: 'SELL', quantity: 3 } },
      { type: 'CANCELLED', reason: 'REDUCE_ONLY_REMAINDER', remainingQty: 2 },
    ]);
    expect(v.positionQty).toBe(0);
  });

  it('refuses a bar it cannot match against, naming the field, and keeps every order working', () => {
    const v = new SimVenue({ instrument, fill });
    v.submit(order({ clientOrderId: 'a', side: 'BUY', quantity: 1 }));
    expect(() => v.onBar(bar(1, 0, 101, 99))).toThrow('bar.open: must be a finite price > 0, got 0');
    expect(() => v.onBar(bar(1, Number.NaN, 101, 99))).toThrow('bar.open: must be a finite price > 0, got NaN');
    expect(() => v.onBar(bar(1, 100, 98, 99))).toThrow('bar.high: must be >= low 99, got 98');
    expect(() => v.onBar(bar(1, 100, 101, 99, Number.NaN))).toThrow('bar.volume: must be >= 0, got NaN');
    expect(v.openOrders().map((o) => o.order.clientOrderId)).toEqual(['a']);
    expect(v.onBar(bar(2, 100, 101, 99))).toMatchObject([{ type: 'FILL', fill: { clientOrderId: 'a', quantity: 1 } }]);
  });

  it('cancels one order or all of them', () => {
    const v = new SimVenue({ instrument, fill });
    for (const id of ['a', 'b', 'c']) {
      v.submit(order({ clientOrderId: id, side: 'BUY', quantity: 1, type: 'LIMIT', limitPrice: 90, timeInForce: 'GTC' }));
    }
    expect(v.cancel('b', 5)).toEqual({ type: 'CANCELLED', clientOrderId: 'b', reason: 'USER', remainingQty: 1, timeMs: 5 });
    expect(v.cancel('b')).toBeNull();
    expect(v.cancelAll(6).map((e) => e.type === 'CANCELLED' && e.clientOrderId)).toEqual(['a', 'c']);
    expect(v.openOrders()).toEqual([]);
    expect(v.onBar(bar(7, 80, 81, 79))).toEqual([]);
  });
});
