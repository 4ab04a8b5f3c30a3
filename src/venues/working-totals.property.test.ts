/**
 * The venue keeps each side's working quantity as a running total (the gatekeeper reads it before every order),
 * so it must equal a walk of the book after every step that can change the book: submissions accepted or refused,
 * fills whole or partial, IOC remainders, rejections while matching, cancels, a liquidation, a reset.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { type Order, type Side, defineInstrument } from '../core/index.js';
import { parseAccountConfig } from './account-model.js';
import { SimVenue } from './sim-venue.js';

// Lots whose sums drift as floats (0.1 + 0.2), the bench's 0.001 and a satoshi-sized lot.
const LOTS = [0.1, 0.001, 1e-8] as const;

type Step =
  | { kind: 'submit'; side: Side; lots: number; limit: boolean; gtc: boolean; reduceOnly: boolean; quote: boolean; priceOffset: number }
  | { kind: 'bar'; open: number; range: number; volume: number }
  | { kind: 'cancel'; pick: number }
  | { kind: 'cancelAll' }
  | { kind: 'reset'; position: number };

const step: fc.Arbitrary<Step> = fc.oneof(
  {
    weight: 6,
    arbitrary: fc.record({
      kind: fc.constant('submit' as const),
      side: fc.constantFrom<Side>('BUY', 'SELL'),
      lots: fc.integer({ min: 1, max: 5_000 }),
      limit: fc.boolean(),
      gtc: fc.boolean(),
      reduceOnly: fc.boolean(),
      quote: fc.boolean(),
      priceOffset: fc.integer({ min: -5, max: 5 }),
    }),
  },
  {
    weight: 3,
    arbitrary: fc.record({
      kind: fc.constant('bar' as const),
      open: fc.integer({ min: 50, max: 150 }),
      range: fc.integer({ min: 0, max: 6 }),
      // Low volume makes the participation cap fill orders in part.
      volume: fc.constantFrom(0, 0.5, 3, 50, 1e6),
    }),
  },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('cancel' as const), pick: fc.nat() }) },
  { weight: 1, arbitrary: fc.constant({ kind: 'cancelAll' as const }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('reset' as const), position: fc.integer({ min: -20, max: 20 }) }) },
);

/** The working quantity of `side` from a walk of the book, in whole units of 1/lotScale (exact) and as a float sum. */
function scan(v: SimVenue, side: Side): { units: number; float: number } {
  let units = 0;
  let float = 0;
  for (const o of v.openOrders()) {
    if (o.order.side !== side) continue;
    units += Math.round(o.remainingQty * v.sim.lotScale);
    float += o.remainingQty;
  }
  return { units, float };
}

function expectTotalsMatchScan(v: SimVenue, where: string): void {
  expect(v.openOrderCount, `${where}: openOrderCount`).toBe(v.openOrders().length);
  for (const side of ['BUY', 'SELL'] as const) {
    const { units, float } = scan(v, side);
    const total = v.workingQty(side);
    // Exact against the book counted in lots; the float walk the venue used to do differs by rounding noise at most.
    expect(total, `${where}: workingQty(${side})`).toBe(units / v.sim.lotScale);
    expect(Math.abs(total - float), `${where}: workingQty(${side}) vs float scan`).toBeLessThanOrEqual(1e-9 * Math.max(1, Math.abs(float)));
    if (units === 0) expect(Object.is(total, 0), `${where}: an empty side is exactly 0`).toBe(true);
  }
}

/** The id index behind the duplicate check and cancel holds exactly the book: a working id is a duplicate, a finished one cancels nothing. */
function expectIdIndexMatchesBook(v: SimVenue, where: string, submitted: readonly string[]): void {
  const open = v.openOrders();
  const openIds = new Set(open.map((o) => o.order.clientOrderId));
  for (const o of open) {
    const again = v.submit(o.order);
    expect(!again.accepted && again.reason, `${where}: ${o.order.clientOrderId} resubmitted while working`).toBe('DUPLICATE_CLIENT_ORDER_ID');
  }
  for (const id of submitted) if (!openIds.has(id)) expect(v.cancel(id), `${where}: cancel of finished ${id}`).toBeNull();
}

describe('SimVenue working totals', () => {
  it('equal a scan of the book, and the id index the book, after every step of random submit / fill / partial fill / cancel / reject sequences', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...LOTS),
        fc.constantFrom('none', 'cash', 'margin'),
        fc.array(step, { minLength: 1, maxLength: 60 }),
        (lot, accountKind, steps) => {
          const instrument = defineInstrument({ symbol: 'X/USD', tickSize: 0.01, lotSize: lot, minNotional: 1 });
          const account =
            accountKind === 'none' ? undefined : parseAccountConfig(accountKind === 'cash' ? { type: 'cash' } : { type: 'margin', leverage: 3, maintenanceMargin: 0.2 });
          const v = new SimVenue({
            instrument,
            fill: { maxParticipation: 0.5 },
            ...(account === undefined ? {} : { account, initialCash: 10_000 }),
            initialPositionQty: 0,
          });
          let n = 0;
          let time = 0;
          let lastOpen = 100;
          const submitted: string[] = [];
          for (const s of steps) {
            const where = `step ${n} ${s.kind}`;
            switch (s.kind) {
              case 'submit': {
                const id = `o${n}`;
                const order: Order = {
                  clientOrderId: id,
                  symbol: 'X/USD',
                  side: s.side,
                  type: s.limit ? 'LIMIT' : 'MARKET',
                  quantity: s.lots * lot,
                  timeInForce: s.gtc ? 'GTC' : 'IOC',
                  createdAtMs: time,
                  ...(s.limit ? { limitPrice: lastOpen + s.priceOffset } : {}),
                  ...(s.reduceOnly ? { reduceOnly: true } : {}),
                  ...(s.quote && !s.limit && !s.gtc ? { quoteQuantity: s.lots * 0.01 } : {}),
                };
                v.submit(order);
                submitted.push(id);
                // A repeated id is refused and must leave the totals alone.
                if (n % 7 === 0) v.submit(order);
                break;
              }
              case 'bar':
                time += 60_000;
                lastOpen = s.open;
                v.onBar({ time, open: s.open, high: s.open + s.range, low: s.open - s.range, close: s.open, volume: s.volume });
                break;
              case 'cancel': {
                const open = v.openOrders();
                const id = open.length === 0 ? 'none' : open[s.pick % open.length].order.clientOrderId;
                v.cancel(id, time);
                break;
              }
              case 'cancelAll':
                v.cancelAll(time);
                break;
              case 'reset':
                v.reset(s.position * lot * 10, 10_000, lastOpen);
                break;
            }
            expectTotalsMatchScan(v, where);
            expectIdIndexMatchesBook(v, where, submitted);
            expectTotalsMatchScan(v, `${where}, after the index checks`);
            n++;
          }
        },
      ),
      { numRuns: 300, seed: 13_2026 },
    );
  });

  it('fall back to the scan while a total could leave the safe-integer range, and are exact again once the book empties', () => {
    // A 1e-12 lot counts 1e17 units for 1e5 of quantity: past 2^53, where integer sums stop being exact.
    const instrument = defineInstrument({ symbol: 'X/USD', tickSize: 0.01, lotSize: 1e-12, minNotional: 0 });
    const v = new SimVenue({ instrument });
    const base = { symbol: 'X/USD', type: 'LIMIT', timeInForce: 'GTC', createdAtMs: 0, limitPrice: 1 } as const;
    v.submit({ ...base, clientOrderId: 'huge', side: 'BUY', quantity: 1e5 });
    v.submit({ ...base, clientOrderId: 'small', side: 'BUY', quantity: 0.3 });
    expect(v.workingQty('BUY')).toBe(1e5 + 0.3);
    v.cancel('huge');
    expect(v.workingQty('BUY')).toBe(0.3);
    v.cancel('small');
    expect(Object.is(v.workingQty('BUY'), 0)).toBe(true);
    v.submit({ ...base, clientOrderId: 'a', side: 'SELL', quantity: 0.1 });
    v.submit({ ...base, clientOrderId: 'b', side: 'SELL', quantity: 0.2 });
    // Counted in units again: 0.3 exactly, where a float walk says 0.30000000000000004.
    expect(v.workingQty('SELL')).toBe(0.3);
    expectTotalsMatchScan(v, 'after the fallback');
  });
});
