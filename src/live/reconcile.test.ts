import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FakeClock, type Order } from '../core/index.js';
import { generateSynthetic, parseSynthSpec, writeBarsCsv } from '../data/index.js';
import { backtestInstrument, createRuleAgent } from '../backtests/index.js';
import { MemoryStateStore, type TradingState, operatorChange } from '../risk-gatekeeper/index.js';
import { MemoryAuditSink } from '../security/index.js';
import type { JournalRecord } from './journal.js';
import { openFeed } from './open-feed.js';
import { PaperVenue } from './paper-venue.js';
import { diffWithVenue, reconcileMatchedReason, reconcileReason } from './reconcile.js';
import { SimVenue } from '../venues/index.js';
import type { UnknownOrderAction } from './reconcile.js';
import { type DecisionRow, PaperSession } from './session.js';

const dir = mkdtempSync(join(tmpdir(), 'bulwark-reconcile-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const file = join(dir, 'regime.csv');
beforeAll(() => writeBarsCsv(file, generateSynthetic(parseSynthSpec('regime:bars=400,seed=5'))));
const instrument = backtestInstrument('DATA/QUOTE');
let n = 0;

type VenueFactory = (o: ConstructorParameters<typeof PaperVenue>[0]) => PaperVenue;

interface Run {
  s: PaperSession;
  audit: MemoryAuditSink;
  rows: DecisionRow[];
  flips: { from: TradingState; to: TradingState; actor: string; reason: string }[];
}

async function start(
  sessionDir: string,
  extra: { venue?: VenueFactory; stopWhen?: (r: DecisionRow) => boolean; onStop?: 'cancel' | 'keep'; store?: MemoryStateStore; unknownOrders?: UnknownOrderAction } = {},
): Promise<Run> {
  const resumeAfter = PaperSession.lastBarInJournal(join(sessionDir, 'journal.jsonl'));
  const { feed } = await openFeed(`replay:${file},speed=max`, resumeAfter === undefined ? {} : { startAfterMs: resumeAfter });
  const audit = new MemoryAuditSink();
  const rows: DecisionRow[] = [];
  const flips: Run['flips'] = [];
  let self: PaperSession | null = null;
  const s = PaperSession.open({
    sessionId: 'rec',
    dir: sessionDir,
    feed,
    instrument,
    agent: createRuleAgent('sma-cross:fast=5,slow=20,size=0.5'),
    initialCash: 10_000,
    fill: { takerFeeBps: 10 },
    audit,
    ...(extra.store === undefined ? {} : { store: extra.store }),
    ...(extra.venue === undefined ? {} : { openVenue: extra.venue }),
    ...(extra.unknownOrders === undefined ? {} : { unknownOrders: extra.unknownOrders }),
    onDecision: (r) => {
      rows.push(r);
      if (self !== null && extra.stopWhen?.(r) === true) self.stop(extra.onStop ?? 'keep');
    },
    onStateChange: (from, to, actor, reason) => flips.push({ from, to, actor, reason }),
  });
  self = s;
  return { s, audit, rows, flips };
}

/** A first run that stops (orders kept) at decision `seq`; returns its directory. */
async function firstRun(stopWhen: (r: DecisionRow) => boolean, onStop: 'cancel' | 'keep' = 'keep'): Promise<string> {
  const d = join(dir, `s${++n}`);
  const r = await start(d, { stopWhen, onStop });
  await r.s.run();
  r.s.close();
  return d;
}

/** A hand-placed resting buy far below the market: the venue works it, the journal never heard of it. */
const handOrder: Order = {
  clientOrderId: 'hand-1',
  symbol: instrument.symbol,
  side: 'BUY',
  type: 'LIMIT',
  quantity: 0.01,
  limitPrice: 1,
  timeInForce: 'GTC',
  createdAtMs: 0,
};

/** The venue holds an order the node's record does not (placed on the venue by hand, or by another node). */
const venueWithExtraOrder: VenueFactory = (o) =>
  new (class extends PaperVenue {
    override restore(records: readonly JournalRecord[]) {
      const summary = super.restore(records);
      // The sim's own submit: the venue works the order and no journal line is written.
      if (!SimVenue.prototype.submit.call(this, handOrder).accepted) throw new Error('test setup: the hand order was refused');
      return summary;
    }
  })(o);

/** The venue never received an order the journal holds as working (lost on the way). */
function venueMissingOrder(id: string): VenueFactory {
  return (o) =>
    new (class extends PaperVenue {
      override restore(records: readonly JournalRecord[]) {
        return super.restore(records.filter((r) => !(r.k === 'order' && r.order.clientOrderId === id)));
      }
    })(o);
}

/** The venue holds more position than the fills the journal booked (a fill the node never heard of). */
const venueWithMorePosition: VenueFactory = (o) =>
  new (class extends PaperVenue {
    override restore(records: readonly JournalRecord[]) {
      const summary = super.restore(records);
      this.positionQty += 0.25;
      return summary;
    }
  })(o);

const types = (a: MemoryAuditSink) => a.events.map((e) => e.type).filter((t) => t.startsWith('RECONCILE'));

describe('reconcile before trading', () => {
  it('a clean start (fresh, and resumed with an order working) matches at once: ACTIVE from the first decision, nothing audited as a mismatch', async () => {
    const fresh = await start(join(dir, `s${++n}`), { stopWhen: (r) => r.seq === 50 });
    await fresh.s.run();
    expect(fresh.s.reconcile?.matched).toBe(true);
    expect(fresh.rows.every((r) => r.state === 'ACTIVE')).toBe(true);
    expect(types(fresh.audit)).toEqual([]);
    fresh.s.close();

    const d = await firstRun((r) => r.outcome === 'SUBMITTED' && r.seq > 40);
    const resumed = await start(d, { stopWhen: (r) => r.seq > 120 });
    expect(resumed.s.restored.working).toHaveLength(1);
    expect(resumed.s.reconcile).toMatchObject({ matched: true, adopted: [], cancelled: [], lost: [], position: null, cash: null });
    await resumed.s.run();
    expect(resumed.rows[0]?.state).toBe('ACTIVE');
    expect(resumed.flips).toEqual([]);
    expect(types(resumed.audit)).toEqual([]);
    resumed.s.close();
  });

  it('a venue order the journal does not know is cancelled (default): REDUCING until the re-check at the next price update, then ACTIVE', async () => {
    const d = await firstRun((r) => r.seq === 100, 'cancel');
    const run = await start(d, { venue: venueWithExtraOrder, stopWhen: (r) => r.seq > 150 });
    expect(run.s.reconcile).toMatchObject({ matched: false, unknownOrders: 'cancel', cancelled: ['hand-1'], adopted: [], lost: [], position: null });
    expect(run.s.venue.openOrders().map((o) => o.order.clientOrderId)).toEqual([]);
    await run.s.run();
    expect(run.flips.map((f) => [f.from, f.to, f.actor])).toEqual([
      ['ACTIVE', 'REDUCING', 'reconcile'],
      ['REDUCING', 'ACTIVE', 'reconcile'],
    ]);
    expect(run.flips[0]?.reason).toBe('RECONCILE_MISMATCH: cancelled=hand-1');
    expect(run.flips[1]?.reason).toBe('RECONCILE_MATCHED: bar=101');
    const mismatch = run.audit.events.find((e) => e.type === 'RECONCILE_MISMATCH');
    expect(mismatch?.payload).toMatchObject({ session: 'rec', cancelled: ['hand-1'], lost: [], position: null });
    const matched = run.audit.events.find((e) => e.type === 'RECONCILE_MATCHED');
    expect(matched?.payload).toEqual({ session: 'rec', bar: 101, resumed: true });
    // The resume is on record (requested before it took effect), by reconcile, not by an operator.
    expect(run.audit.events.some((e) => e.type === 'TRADING_STATE_CHANGE_REQUESTED' && e.actor === 'reconcile')).toBe(true);
    expect(run.rows.every((r) => r.state === 'ACTIVE')).toBe(true);
    // The cancellation is in the journal: the next start is clean.
    expect(readFileSync(join(d, 'journal.jsonl'), 'utf8')).toContain('"clientOrderId":"hand-1"');
    run.s.close();
    const again = await start(d, { stopWhen: () => true });
    expect(again.s.reconcile?.matched).toBe(true);
    again.s.close();
  });

  it('with --unknown-orders adopt the order is taken into the journal and keeps working; the next start knows it', async () => {
    const d = await firstRun((r) => r.seq === 100, 'cancel');
    const run = await start(d, { venue: venueWithExtraOrder, unknownOrders: 'adopt', stopWhen: (r) => r.seq > 110 });
    expect(run.s.reconcile).toMatchObject({ matched: false, unknownOrders: 'adopt', adopted: ['hand-1'], cancelled: [] });
    await run.s.run();
    expect(run.flips.map((f) => f.to)).toEqual(['REDUCING', 'ACTIVE']);
    expect(run.s.venue.openOrders().map((o) => o.order.clientOrderId)).toContain('hand-1');
    run.s.close();
    // Now in the journal: a plain paper venue rebuilt from it works the adopted order, and the two agree.
    const again = await start(d, { stopWhen: () => true });
    expect(again.s.restored.working).toContain('hand-1');
    expect(again.s.reconcile?.matched).toBe(true);
    again.s.close();
  });

  it('an order the journal holds working that the venue does not know is marked lost (journal + audit); a stop while reconciling does not carry the REDUCING over', async () => {
    let sent = '';
    const d = await firstRun((r) => {
      if (r.outcome === 'SUBMITTED' && r.seq > 40 && r.clientOrderId !== null) sent = r.clientOrderId;
      return sent !== '';
    });
    expect(sent).not.toBe('');
    const run = await start(d, { venue: venueMissingOrder(sent) });
    expect(run.s.reconcile).toMatchObject({ matched: false, lost: [sent], cancelled: [], adopted: [] });
    const journal = readFileSync(join(d, 'journal.jsonl'), 'utf8');
    expect(journal).toContain(`{"clientOrderId":"${sent}","reason":"RECONCILE_LOST"`);
    expect(run.audit.events.find((e) => e.type === 'RECONCILE_MISMATCH')?.payload).toMatchObject({ lost: [sent] });
    // Stopped (as by a crash) before any price update: REDUCING by reconcile, no re-check yet.
    run.s.stop('keep');
    await run.s.run();
    expect(run.flips.map((f) => [f.to, f.actor])).toEqual([['REDUCING', 'reconcile']]);
    expect(run.s.state).toBe('REDUCING');
    expect(run.s.reconciling).toBe(true);
    run.s.close();
    // Reconcile's own REDUCING is not put back from the journal; the next start (the same venue, which still does
    // not know the order) is clean, the order being finished in the journal, and trades ACTIVE at once.
    const again = await start(d, { venue: venueMissingOrder(sent), stopWhen: (r) => r.seq > 80 });
    expect(again.s.reconcile?.matched).toBe(true);
    await again.s.run();
    expect(again.rows.length).toBeGreaterThan(10);
    expect(again.rows.every((r) => r.state === 'ACTIVE')).toBe(true);
    again.s.close();
  });

  it('a position that differs is reported with both figures and keeps the session REDUCING (only risk-reducing orders) while it differs', async () => {
    const d = await firstRun((r) => r.seq === 120, 'cancel');
    const run = await start(d, { venue: venueWithMorePosition, stopWhen: (r) => r.seq > 300 });
    const node = run.s.account.positionQty;
    expect(run.s.reconcile?.position).toEqual({ node, venue: node + 0.25 });
    expect(run.audit.events.find((e) => e.type === 'RECONCILE_MISMATCH')?.payload).toMatchObject({ position: { node, venue: node + 0.25 }, cash: null });
    await run.s.run();
    // Figures print as renderReason prints numbers: at most 12 significant digits.
    const twelve = (v: number): number => Number(v.toPrecision(12));
    expect(run.flips[0]?.reason).toBe(`RECONCILE_MISMATCH: position_node=${twelve(node)}, position_venue=${twelve(node + 0.25)}`);
    expect(run.rows.length).toBeGreaterThan(100);
    expect(run.rows.every((r) => r.state === 'REDUCING')).toBe(true);
    for (const r of run.rows.filter((x) => x.outcome === 'SUBMITTED')) expect(Math.abs(r.positionQty + r.signedQty)).toBeLessThan(Math.abs(r.positionQty) + 1e-9);
    expect(types(run.audit)).toEqual(['RECONCILE_MISMATCH']);
    run.s.close();
  });

  it("never overrides an operator's kill: a match resumes only reconcile's own REDUCING, the operator's state stays", async () => {
    const d = await firstRun((r) => r.seq === 100, 'cancel');
    const store = new MemoryStateStore(new FakeClock(0));
    await store.set(operatorChange('global', 'REDUCING', 'ops', 'drill before start'));
    await store.set(operatorChange('agent:rec', 'HALTED', 'ops', 'this agent halted'));
    const run = await start(d, { venue: venueWithExtraOrder, store, stopWhen: (r) => r.seq > 130 });
    await run.s.run();
    expect(run.s.reconcile?.cancelled).toEqual(['hand-1']);
    expect(run.audit.events.find((e) => e.type === 'RECONCILE_MATCHED')?.payload).toMatchObject({ resumed: false });
    expect(store.cache.stateOf('agent:rec')).toBe('HALTED');
    expect(store.cache.stateOf('global')).toBe('REDUCING');
    expect(run.rows.every((r) => r.state === 'HALTED')).toBe(true);
    run.s.close();
  });

  it('diffWithVenue: equal within 1e-9 is equal; each kind of difference is named', () => {
    const order = { order: handOrder, quantity: 0.01, filledQty: 0, remainingQty: 0.01 };
    const clean = diffWithVenue({ workingOrderIds: new Set(['hand-1']), positionQty: 1, cash: 100 }, { openOrders: [order], positionQty: 1 + 1e-12, cash: 100 + 1e-9 });
    expect(clean).toEqual({ unknown: [], lost: [], position: null, cash: null });
    const d = diffWithVenue({ workingOrderIds: new Set(['a']), positionQty: 1, cash: 100 }, { openOrders: [order], positionQty: 0, cash: 90 });
    expect(d).toEqual({ unknown: [order], lost: ['a'], position: { node: 1, venue: 0 }, cash: { node: 100, venue: 90 } });
  });

  it('reconcileReason renders through renderReason: fields in order, lists joined by |, float noise hidden', () => {
    const report = {
      unknownOrders: 'cancel' as const,
      adopted: ['a-1', 'a-2'],
      cancelled: ['c-1'],
      lost: ['l-1'],
      position: { node: 0.1 + 0.2, venue: 0.55 },
      cash: { node: 1000.1 + 0.2, venue: 990 },
      matched: false,
    };
    expect(reconcileReason(report)).toBe(
      'RECONCILE_MISMATCH: adopted=a-1|a-2, cancelled=c-1, lost=l-1, position_node=0.3, position_venue=0.55, cash_node=1000.3, cash_venue=990',
    );
    const positionOnly = { ...report, adopted: [], cancelled: [], lost: [], cash: null };
    expect(reconcileReason(positionOnly)).toBe('RECONCILE_MISMATCH: position_node=0.3, position_venue=0.55');
    expect(reconcileMatchedReason(101)).toBe('RECONCILE_MATCHED: bar=101');
  });
});
