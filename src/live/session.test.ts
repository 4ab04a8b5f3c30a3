import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FakeClock } from '../core/index.js';
import { generateSynthetic, parseSynthSpec, writeBarsCsv } from '../data/index.js';
import { backtestInstrument, createRuleAgent } from '../backtests/index.js';
import { MemoryStateStore, operatorChange } from '../risk-gatekeeper/index.js';
import { MemoryAuditSink } from '../security/index.js';
import { openFeed } from './open-feed.js';
import { type DecisionRow, PaperSession } from './session.js';

const dir = mkdtempSync(join(tmpdir(), 'bulwark-session-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const file = join(dir, 'regime.csv');
beforeAll(() => writeBarsCsv(file, generateSynthetic(parseSynthSpec('regime:bars=600,seed=5'))));
let n = 0;

async function session(sessionDir: string, extra: { store?: MemoryStateStore; onDecision?: (r: DecisionRow, s: PaperSession) => void; startAfterMs?: number } = {}) {
  const { feed } = await openFeed(`replay:${file},speed=max`, extra.startAfterMs === undefined ? {} : { startAfterMs: extra.startAfterMs });
  const audit = new MemoryAuditSink();
  let self: PaperSession | null = null;
  const s = PaperSession.open({
    sessionId: 'paper1',
    dir: sessionDir,
    feed,
    instrument: backtestInstrument('DATA/QUOTE'),
    agent: createRuleAgent('sma-cross:fast=5,slow=20,size=0.5'),
    initialCash: 10_000,
    fill: { takerFeeBps: 10 },
    audit,
    ...(extra.store === undefined ? {} : { store: extra.store }),
    onDecision: (r) => {
      if (self !== null) extra.onDecision?.(r, self);
    },
  });
  self = s;
  return { s, audit };
}

describe('PaperSession on a replay at speed=max', () => {
  it('runs the agent through the chain: orders sent with ids (session, decision seq), filled at the next open', async () => {
    const rows: DecisionRow[] = [];
    const d = join(dir, `s${++n}`);
    const { s } = await session(d, { onDecision: (r) => rows.push(r) });
    await s.run();
    const sent = rows.filter((r) => r.outcome === 'SUBMITTED');
    expect(sent.length).toBeGreaterThan(3);
    for (const r of sent) expect(r.clientOrderId).toBe(`paper1-${r.seq}`);
    // A decision at every bar but the replay's last (nothing decided there could fill, as in a backtest).
    expect(rows).toHaveLength(599);
    const fills = s.venue.fills();
    expect(fills.length).toBeGreaterThan(0);
    // Every fill belongs to an order sent at the previous bar's close and is priced off the next bar's open.
    expect(fills[0].fill.timeMs).toBe(rows[(sent[0]?.seq ?? 0) + 1].barTimeMs);
    expect(s.balances().equity).toBeCloseTo(s.account.equity, 6);
    s.close();
  });

  it('resumes after a stop mid-run (same session dir): same fills, cash and position as one uninterrupted run', async () => {
    const whole = await session(join(dir, `s${++n}`));
    await whole.s.run();
    const expected = whole.s.balances();
    const expectedFills = whole.s.venue.fills().map((f) => f.fill);
    whole.s.close();

    const d = join(dir, `s${++n}`);
    const first = await session(d, { onDecision: (r, s) => r.seq === 250 && s.stop('keep') });
    await first.s.run();
    first.s.close();
    const resumedAt = first.s.lastBarTimeMs;
    const second = await session(d, resumedAt === undefined ? {} : { startAfterMs: resumedAt });
    expect(second.s.restored.bars).toBe(251);
    await second.s.run();
    expect(second.s.balances()).toEqual(expected);
    expect(second.s.venue.fills().map((f) => f.fill)).toEqual(expectedFills);
    expect(second.audit.events.some((e) => e.type === 'SESSION_STARTED')).toBe(true);
    second.s.close();
  });

  it('obeys the kill-switch from the next decision: soft kill only reduces, hard kill flattens within one bar and stops proposing, resume trades again', async () => {
    const store = new MemoryStateStore(new FakeClock(0));
    const rows: DecisionRow[] = [];
    const flips: Record<number, ReturnType<typeof operatorChange>> = {
      150: operatorChange('global', 'REDUCING', 'ops', 'soft kill drill'),
      300: operatorChange('global', 'HALTED', 'ops', 'hard kill drill'),
      450: operatorChange('global', 'ACTIVE', 'ops', 'resume'),
    };
    const d = join(dir, `s${++n}`);
    const { s } = await session(d, {
      store,
      onDecision: (r) => {
        rows.push(r);
        const flip = flips[r.seq];
        if (flip !== undefined) void store.set(flip);
      },
    });
    await s.run();
    const soft = rows.filter((r) => r.seq > 150 && r.seq <= 300);
    expect(soft.every((r) => r.state === 'REDUCING')).toBe(true);
    // Under REDUCING nothing that grows the position got through.
    for (const r of soft.filter((x) => x.outcome === 'SUBMITTED')) expect(Math.abs(r.positionQty + r.signedQty)).toBeLessThan(Math.abs(r.positionQty) + 1e-9);
    const hard = rows.filter((r) => r.seq > 300 && r.seq <= 450);
    expect(hard.every((r) => r.outcome === 'HALTED')).toBe(true);
    // Flat within one price update after the hard kill.
    expect(hard.slice(1).every((r) => r.positionQty === 0)).toBe(true);
    const resumed = rows.filter((r) => r.seq > 450);
    expect(resumed.every((r) => r.state === 'ACTIVE')).toBe(true);
    expect(resumed.some((r) => r.outcome === 'SUBMITTED')).toBe(true);
    s.close();
  });

  it('a session hard-killed before it stopped starts HALTED again (its own store is restored from the journal)', async () => {
    const d = join(dir, `s${++n}`);
    const first = await session(d, {
      onDecision: (r, s) => {
        if (r.seq === 100) s.pause(s.gatekeeper.operate('hard_kill', 'operator:ops', 'drill'));
        if (r.seq === 150) s.stop('keep');
      },
    });
    await first.s.run();
    first.s.close();
    expect(first.s.state).toBe('HALTED');
    const rows: DecisionRow[] = [];
    const second = await session(d, { startAfterMs: first.s.lastBarTimeMs ?? 0, onDecision: (r) => rows.push(r) });
    await second.s.run();
    expect(rows.length).toBeGreaterThan(100);
    expect(rows.every((r) => r.state === 'HALTED' && r.outcome === 'HALTED' && r.positionQty === 0)).toBe(true);
    // The restore is not a new state change in the session's record: one kill, as it happened.
    expect(second.s.recorder.killEvents.map((e) => e.to)).toEqual(['HALTED']);
    second.s.close();
  });
});
