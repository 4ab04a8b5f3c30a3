import { appendFileSync, mkdtempSync, readFileSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { type BarRecord, type Order, Rng, defineInstrument } from '../core/index.js';
import { SimVenue } from '../venues/index.js';
import { Journal, JournalError, readJournal } from './journal.js';
import { PaperVenue } from './paper-venue.js';

const H = 3_600_000;
const instrument = defineInstrument({ symbol: 'SYNTH/USD', tickSize: 0.01, lotSize: 0.001, minNotional: 5 });
const dir = mkdtempSync(join(tmpdir(), 'bulwark-paper-venue-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
let fileNo = 0;

function bar(i: number): BarRecord {
  const o = 100 + 5 * Math.sin(i / 3);
  return { time: i * H, open: o, high: o + 2, low: o - 2, close: o + Math.cos(i), volume: 50 };
}

function market(id: string, side: 'BUY' | 'SELL', quantity: number, timeMs = 0): Order {
  return { clientOrderId: id, symbol: instrument.symbol, side, type: 'MARKET', quantity, timeInForce: 'IOC', createdAtMs: timeMs };
}

function limit(id: string, side: 'BUY' | 'SELL', quantity: number, limitPrice: number): Order {
  return { clientOrderId: id, symbol: instrument.symbol, side, type: 'LIMIT', quantity, limitPrice, timeInForce: 'GTC', createdAtMs: 0 };
}

const fill = { takerFeeBps: 10, makerFeeBps: 2, spreadBps: 4, slippageBps: 1, maxParticipation: 0.1 };

function openVenue(path: string): { venue: PaperVenue; journal: Journal } {
  const { journal, contents } = Journal.open(path);
  if (contents.records.length === 0) {
    journal.append({ k: 'open', v: 1, sessionId: 's', symbol: instrument.symbol, initialCash: 10_000, feed: 'test', intervalMs: H, startedAtMs: 0 });
  }
  const venue = new PaperVenue({ instrument, fill, initialCash: 10_000, journal });
  venue.restore(contents.records);
  return { venue, journal };
}

/** A seeded trader: a random market or limit order now and then, decided after each bar. */
function trade(venue: PaperVenue, i: number, rng: Rng): void {
  const u = rng.next();
  if (u < 0.25) venue.submit(market(`m${i}`, rng.next() < 0.5 ? 'BUY' : 'SELL', 1 + Math.floor(rng.next() * 8), i * H));
  else if (u < 0.35) venue.submit(limit(`l${i}`, 'BUY', 3, 97));
  else if (u < 0.4) venue.cancelAll(i * H);
}

describe('PaperVenue', () => {
  it('fills as the sim venue does: a market order at the next bar’s open, limits when crossed, partial fills capped by volume', () => {
    const paper = new PaperVenue({ instrument, fill, initialCash: 10_000, journal: null });
    const sim = new SimVenue({ instrument, fill });
    for (const v of [paper, sim]) {
      v.submit(market('a', 'BUY', 8));
      v.submit(limit('b', 'BUY', 2, 96));
    }
    for (let i = 1; i < 6; i++) expect(paper.onBar(bar(i))).toEqual(sim.onBar(bar(i)));
    expect(paper.positionQty).toBe(sim.positionQty);
    expect(paper.fills().map((f) => f.fill)).toEqual(sim.fills().map((f) => f.fill));
    const b = paper.balances();
    const spent = paper.fills().reduce((s, { fill: f }) => s + (f.side === 'BUY' ? 1 : -1) * f.quantity * f.price + f.fee, 0);
    expect(b.cash).toBeCloseTo(10_000 - spent, 9);
  });

  it('refuses a client order id it accepted before, even after the order finished (a retried submit is never a second order)', () => {
    const venue = new PaperVenue({ instrument, fill, initialCash: 10_000, journal: null });
    expect(venue.submit(market('x', 'BUY', 1)).accepted).toBe(true);
    venue.onBar(bar(1));
    const again = venue.submit(market('x', 'BUY', 1));
    expect(again.accepted).toBe(false);
    expect(!again.accepted && again.reason).toBe('DUPLICATE_CLIENT_ORDER_ID');
  });

  it('a restart rebuilds cash, position, open orders and fills from the journal, and a restored order keeps working', () => {
    const path = join(dir, `j${++fileNo}.jsonl`);
    const { venue, journal } = openVenue(path);
    venue.submit(market('a', 'BUY', 8));
    venue.submit(limit('b', 'BUY', 3, 90));
    venue.onBar(bar(1)); // a fills in part (volume cap), its rest is cancelled (IOC); b rests
    journal.close();
    const { venue: again, journal: j2 } = openVenue(path);
    expect(again.balances()).toEqual(venue.balances());
    expect(again.openOrders().map((o) => o.order.clientOrderId)).toEqual(['b']);
    expect(again.fills()).toEqual(venue.fills());
    expect(again.submit(market('a', 'BUY', 1)).accepted).toBe(false);
    j2.close();
  });

  it('survives a crash at any point of the journal: restart and go on, and the account is the uninterrupted one (no fill lost or counted twice)', () => {
    const N = 60;
    const reference = new PaperVenue({ instrument, fill, initialCash: 10_000, journal: null });
    const rngRef = new Rng(7);
    for (let i = 1; i <= N; i++) {
      reference.onBar(bar(i));
      trade(reference, i, rngRef);
    }
    const fullPath = join(dir, `full${++fileNo}.jsonl`);
    {
      const { venue, journal } = openVenue(fullPath);
      const rng = new Rng(7);
      for (let i = 1; i <= N; i++) {
        venue.onBar(bar(i));
        trade(venue, i, rng);
      }
      journal.close();
      expect(venue.balances()).toEqual(reference.balances());
    }
    const full = readFileSync(fullPath);
    const rngCut = new Rng(99);
    for (let k = 0; k < 40; k++) {
      // Crash: the file is cut at a random byte (a torn line included), as a kill -9 mid-write leaves it.
      const cut = 1 + Math.floor(rngCut.next() * (full.length - 1));
      const path = join(dir, `cut${++fileNo}.jsonl`);
      writeFileSync(path, full.subarray(0, cut));
      const { venue, journal } = openVenue(path);
      // The feed resumes after the journal's last bar L. The decision taken at L may or may not have reached the
      // journal, so the session takes it again: an order that did is refused as a duplicate, never doubled.
      const rng = new Rng(7);
      const last = venue.balances().lastBarTimeMs;
      const lastBar = Number.isNaN(last) ? 0 : last / H;
      for (let i = 1; i < lastBar; i++) trade(new PaperVenue({ instrument, fill, initialCash: 1, journal: null }), i, rng);
      if (lastBar >= 1) trade(venue, lastBar, rng);
      const from = lastBar + 1;
      for (let i = from; i <= N; i++) {
        venue.onBar(bar(i));
        trade(venue, i, rng);
      }
      journal.close();
      expect(venue.balances(), `cut at byte ${cut}`).toEqual(reference.balances());
      expect(venue.fills().length).toBe(reference.fills().length);
    }
  });

  it('cuts off a torn last line (kept beside the file) and drops repeated fills by trade id', () => {
    const path = join(dir, `j${++fileNo}.jsonl`);
    const { venue, journal } = openVenue(path);
    venue.submit(market('a', 'BUY', 2));
    venue.onBar(bar(1));
    journal.close();
    const lines = readFileSync(path, 'utf8').trimEnd().split('\n');
    appendFileSync(path, `${lines[lines.length - 1]}\n{"k":"bar","t":`);
    const contents = readJournal(path, { repair: true });
    expect(contents.tornBytes).toBeGreaterThan(0);
    expect(readFileSync(contents.tornSavedTo ?? '', 'utf8')).toBe('{"k":"bar","t":');
    expect(contents.duplicatesDropped).toBe(1);
    const { venue: again, journal: j2 } = openVenue(path);
    expect(again.balances().positionQty).toBe(venue.balances().positionQty);
    expect(again.fills()).toHaveLength(1);
    j2.close();
  });

  it('refuses a journal with a malformed whole line, naming the line and field', () => {
    const path = join(dir, `j${++fileNo}.jsonl`);
    const { journal } = openVenue(path);
    journal.close();
    appendFileSync(path, '{"k":"bar","t":0,"o":-1,"h":1,"l":1,"c":1,"v":0,"fills":[],"cancels":[]}\n');
    expect(() => readJournal(path, { repair: true })).toThrow(JournalError);
    expect(() => readJournal(path, { repair: true })).toThrow(/:2: o: /);
    truncateSync(path, 0);
    expect(readJournal(path, { repair: true }).records).toEqual([]);
  });
});
