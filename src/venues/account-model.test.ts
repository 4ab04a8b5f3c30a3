import { describe, expect, it } from 'vitest';
import { type BarRecord, type Order, defineInstrument, renderReason } from '../core/index.js';
import { CASH_ACCOUNT, parseAccountConfig } from './account-model.js';
import { SimVenue } from './sim-venue.js';
import type { VenueEvent } from './venue.js';

const instrument = defineInstrument({ symbol: 'BTC/USD', tickSize: 0.01, lotSize: 0.001, minNotional: 1 });
// No spread, slippage or impact: prices are the open; taker fee 10 bps.
const fill = { spreadBps: 0, slippageBps: 0, impactBps: 0, makerFeeBps: 2, takerFeeBps: 10, maxParticipation: 1 };

function order(fields: Partial<Order> & Pick<Order, 'clientOrderId' | 'side' | 'quantity'>): Order {
  return { symbol: 'BTC/USD', type: 'MARKET', timeInForce: 'IOC', createdAtMs: 0, ...fields };
}
const bar = (time: number, open: number, close = open): BarRecord => ({
  time,
  open,
  high: Math.max(open, close),
  low: Math.min(open, close),
  close,
  volume: 1e9,
});
const types = (events: readonly VenueEvent[]) => events.map((e) => e.type);

function cashVenue(cash = 1_000): SimVenue {
  const v = new SimVenue({ instrument, fill, account: CASH_ACCOUNT, initialCash: cash });
  v.reset(0, cash, 100);
  return v;
}

describe('account config', () => {
  it('defaults to a spot cash account; a margin account defaults to leverage 1 and half the initial margin', () => {
    expect(parseAccountConfig({})).toEqual({ type: 'cash', leverage: 1, maintenanceMargin: 0 });
    expect(parseAccountConfig({ type: 'margin' })).toEqual({ type: 'margin', leverage: 1, maintenanceMargin: 0.5 });
    expect(parseAccountConfig({ type: 'margin', leverage: 4 })).toEqual({ type: 'margin', leverage: 4, maintenanceMargin: 0.125 });
  });

  it('names the field and the problem: leverage on a cash account, maintenance at or above the initial margin, a bad type', () => {
    expect(() => parseAccountConfig({ type: 'cash', leverage: 3 }, '--account')).toThrow(/leverage: applies to a margin account only/);
    expect(() => parseAccountConfig({ type: 'margin', leverage: 5, maintenanceMargin: 0.2 })).toThrow(/maintenanceMargin: must be below the initial margin 1\/leverage = 0.2/);
    expect(() => parseAccountConfig({ type: 'futures' })).toThrow(/type: must be cash or margin/);
    expect(() => parseAccountConfig({ type: 'margin', leverage: 0 })).toThrow(/leverage: must be > 0/);
  });

  it('refuses an account without a starting balance', () => {
    expect(() => new SimVenue({ instrument, account: CASH_ACCOUNT })).toThrow(/initialCash: an account needs a finite starting balance > 0/);
  });
});

describe('cash account (spot)', () => {
  it('refuses a buy beyond the cash and a sell beyond the holdings, as INSUFFICIENT_BALANCE at submission', () => {
    const v = cashVenue(1_000);
    expect(v.submit({ ...order({ clientOrderId: 'big', side: 'BUY', quantity: 11 }), referencePrice: 100 } as Order)).toMatchObject({
      accepted: false,
      reason: 'INSUFFICIENT_BALANCE',
    });
    // No short sale from a flat account.
    const short = v.submit(order({ clientOrderId: 'short', side: 'SELL', quantity: 1 }));
    expect(short).toMatchObject({ accepted: false, reason: 'INSUFFICIENT_BALANCE' });
    expect(!short.accepted && short.message).toMatch(/holdings=0, account=cash \(no short sales\)/);
    // Working orders count against the balance: two buys of 6 × 100 cannot both be accepted.
    expect(v.submit(order({ clientOrderId: 'b1', side: 'BUY', quantity: 6 }))).toMatchObject({ accepted: true });
    expect(v.submit(order({ clientOrderId: 'b2', side: 'BUY', quantity: 6 }))).toMatchObject({ accepted: false, reason: 'INSUFFICIENT_BALANCE' });
  });

  it('renders a refusal message only when read, as the same text, kept by each refusal and carried by JSON', () => {
    const v = cashVenue(1_000);
    const first = v.submit(order({ clientOrderId: 's1', side: 'SELL', quantity: 1.5 }));
    const second = v.submit({ ...order({ clientOrderId: 'b1', side: 'BUY', quantity: 20 }), referencePrice: 100 } as Order);
    if (first.accepted || second.accepted) throw new Error('both orders must be refused');
    // A later refusal leaves an earlier one as it was: refusals are never rewritten.
    expect(first.message).toBe(renderReason('INSUFFICIENT_BALANCE', { quantity: 1.5, holdings: 0, account: 'cash (no short sales)' }));
    expect(second.message).toBe(renderReason('INSUFFICIENT_BALANCE', { cost: 2_000, available: 1_000, account: 'cash (no borrowing)' }));
    expect(first.message).toBe(first.message);
    expect(JSON.parse(JSON.stringify(first))).toEqual({
      accepted: false,
      clientOrderId: 's1',
      reason: 'INSUFFICIENT_BALANCE',
      message: 'INSUFFICIENT_BALANCE: quantity=1.5, holdings=0, account=cash (no short sales)',
    });
  });

  it('caps a fill to what the cash pays at the fill price, fee included, and cancels the rest; never a negative balance', () => {
    const v = cashVenue(1_000);
    // Accepted at the reference 100 (1,000 of cash for 10 units), but the next open is 105.
    expect(v.submit(order({ clientOrderId: 'all', side: 'BUY', quantity: 10 }))).toMatchObject({ accepted: true });
    const events = v.onBar(bar(60_000, 105));
    expect(types(events)).toEqual(['FILL', 'CANCELLED']);
    const f = events[0].type === 'FILL' ? events[0].fill : null;
    expect(f?.quantity).toBe(9.514); // floor(1000 / (105 × 1.001), 0.001)
    expect(events[1]).toMatchObject({ reason: 'INSUFFICIENT_BALANCE' });
    expect(v.quoteBalance).toBeGreaterThanOrEqual(0);
    expect(v.quoteBalance).toBeCloseTo(1_000 - 9.514 * 105 * 1.001, 9);
  });

  it('sells no more than it holds at the fill, and refuses a fill when there is nothing to pay with', () => {
    const v = cashVenue(1_000);
    v.submit(order({ clientOrderId: 'b', side: 'BUY', quantity: 5 }));
    v.onBar(bar(60_000, 100));
    expect(v.positionQty).toBe(5);
    expect(v.submit(order({ clientOrderId: 's', side: 'SELL', quantity: 5 }))).toMatchObject({ accepted: true });
    v.onBar(bar(120_000, 100));
    expect(v.positionQty).toBe(0);
    // Cash spent elsewhere after the submission (a working buy filling first): the later buy is refused at its fill.
    const w = cashVenue(100);
    w.submit(order({ clientOrderId: 'x', side: 'BUY', quantity: 0.5 }));
    w.quoteBalance = 0; // as if the balance went elsewhere
    const events = w.onBar(bar(60_000, 100));
    expect(events).toMatchObject([{ type: 'REJECTED', reason: 'INSUFFICIENT_BALANCE' }]);
    expect(w.positionQty).toBe(0);
  });

  it('lets a quote-sized buy of all cash through (it leaves room for its fee)', () => {
    const v = cashVenue(1_000);
    expect(v.submit(order({ clientOrderId: 'q', side: 'BUY', quantity: 10, quoteQuantity: 1_000 }))).toMatchObject({ accepted: true });
    const events = v.onBar(bar(60_000, 100));
    expect(types(events)).toEqual(['FILL']);
    expect(v.quoteBalance).toBeGreaterThanOrEqual(-1e-9);
  });
});

describe('margin account', () => {
  const margin = parseAccountConfig({ type: 'margin', leverage: 2, maintenanceMargin: 0.2 });
  function marginVenue(cash = 1_000): SimVenue {
    const v = new SimVenue({ instrument, fill, account: margin, initialCash: cash });
    v.reset(0, cash, 100);
    return v;
  }

  it('opens shorts and longs up to leverage × equity and refuses more as INSUFFICIENT_MARGIN; reductions always pass', () => {
    const v = marginVenue();
    expect(v.submit(order({ clientOrderId: 'over', side: 'SELL', quantity: 20.5 }))).toMatchObject({ accepted: false, reason: 'INSUFFICIENT_MARGIN' });
    expect(v.submit(order({ clientOrderId: 'short', side: 'SELL', quantity: 15 }))).toMatchObject({ accepted: true });
    v.onBar(bar(60_000, 100));
    expect(v.positionQty).toBe(-15);
    expect(v.submit(order({ clientOrderId: 'more', side: 'SELL', quantity: 6 }))).toMatchObject({ accepted: false, reason: 'INSUFFICIENT_MARGIN' });
    // Buying 30 crosses to +15: within 2 × equity, accepted; buying 36 would be +21: refused.
    expect(v.submit(order({ clientOrderId: 'flip-big', side: 'BUY', quantity: 36 }))).toMatchObject({ accepted: false, reason: 'INSUFFICIENT_MARGIN' });
    expect(v.submit(order({ clientOrderId: 'cover', side: 'BUY', quantity: 15 }))).toMatchObject({ accepted: true });
  });

  it('liquidates below the maintenance margin: cancels working orders, closes the position at the next open, refuses new orders meanwhile', () => {
    const v = marginVenue(1_000);
    v.submit(order({ clientOrderId: 'long', side: 'BUY', quantity: 19 }));
    v.onBar(bar(60_000, 100));
    expect(v.positionQty).toBe(19);
    v.submit(order({ clientOrderId: 'rest', side: 'SELL', type: 'LIMIT', timeInForce: 'GTC', limitPrice: 200, quantity: 1 }));
    // Close 60: equity = 1000 − 1900 × 1.001 + 19 × 60 = 238.1 ≥ 0.2 × 19 × 60 = 228: no liquidation yet.
    expect(types(v.onBar(bar(120_000, 60, 60)))).toEqual([]);
    // Close 58: equity 200.1 < 0.2 × 19 × 58 = 220.4: liquidation.
    const events = v.onBar(bar(180_000, 60, 58));
    expect(types(events)).toEqual(['CANCELLED', 'LIQUIDATION']);
    expect(events[0]).toMatchObject({ clientOrderId: 'rest', reason: 'LIQUIDATION' });
    expect(events[1]).toMatchObject({ type: 'LIQUIDATION', positionQty: 19, price: 58 });
    expect(v.liquidating).toBe(true);
    expect(v.submit(order({ clientOrderId: 'late', side: 'SELL', quantity: 1 }))).toMatchObject({ accepted: false, reason: 'ACCOUNT_LIQUIDATING' });
    const closing = v.onBar(bar(240_000, 57));
    expect(closing).toMatchObject([{ type: 'FILL', liquidation: true, fill: { side: 'SELL', quantity: 19, price: 57 } }]);
    expect(v.positionQty).toBe(0);
    expect(v.liquidating).toBe(false);
    expect(v.equityAt(57)).toBeCloseTo(1_000 - 1_900 * 1.001 + 19 * 57 * 0.999, 9);
  });
});
