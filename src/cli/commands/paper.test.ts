import { EventEmitter } from 'node:events';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readJournal } from '../../live/index.js';
import { type PaperFlags, runPaperCommand } from './paper.js';
import { replayCsvFixture } from '../test-helpers/replay-fixture.js';

const { dir, file } = replayCsvFixture('bulwark-paper-cli-', 'regime:bars=500,seed=8');

const flags = (session: string, extra: Partial<PaperFlags> = {}): PaperFlags => ({
  agent: 'sma-cross:fast=4,slow=12,size=0.3',
  feed: `replay:${file},speed=max`,
  session,
  cash: '10000',
  feesBps: '10',
  onStop: 'cancel',
  json: true,
  seed: '0',
  redisPrefix: 'bulwark:ks:',
  ...extra,
});

describe('bulwark paper', () => {
  it('prints one JSON line per decision and leaves the journal and a signed audit log in the session directory', async () => {
    const session = join(dir, 's1');
    const lines: string[] = [];
    const r = await runPaperCommand(flags(session), (t) => lines.push(t), new EventEmitter());
    const rows = lines.join('').trim().split('\n').map((l) => JSON.parse(l) as { seq: number; outcome: string; state: string });
    // A decision at every bar but the replay's last (nothing decided there could fill).
    expect(rows).toHaveLength(499);
    expect(rows.some((x) => x.outcome === 'SUBMITTED')).toBe(true);
    expect(r.summary).toMatch(/499 decisions/);
    for (const f of ['journal.jsonl', 'audit.jsonl', 'audit.pub.pem', 'equity.csv', 'trades.csv', 'decisions.csv', 'metrics.json', 'report.html']) {
      expect(existsSync(join(session, f)), f).toBe(true);
    }
    expect(readFileSync(join(session, 'decisions.csv'), 'utf8').trim().split('\n')).toHaveLength(501);
    expect(readFileSync(join(session, 'report.html'), 'utf8')).toContain('Paper session');
    // Run again on the same session: the replay resumes after its last bar, nothing is done twice.
    const again: string[] = [];
    await runPaperCommand(flags(session), (t) => again.push(t), new EventEmitter());
    expect(again.join('').trim()).toBe(''); // the replay had ended: nothing to decide
    const bars = readJournal(join(session, 'journal.jsonl'), { repair: false }).records.filter((x) => x.k === 'bar');
    expect(bars).toHaveLength(500);
  });

  it('stops cleanly on SIGINT, cancelling open orders', async () => {
    const signals = new EventEmitter();
    const lines: string[] = [];
    const r = await runPaperCommand(
      flags(join(dir, 's2')),
      (t) => {
        lines.push(t);
        if (lines.length === 50) signals.emit('SIGINT');
      },
      signals,
    );
    expect(r.decisions).toBe(50);
    expect(signals.listenerCount('SIGINT')).toBe(0);
  });

  it('--report-every 100 writes the session files while the replay runs (atomically: no temp file left)', async () => {
    const session = join(dir, 's4');
    const seen: number[] = [];
    const signals = new EventEmitter();
    let n = 0;
    await runPaperCommand(
      flags(session, { reportEvery: '100' }),
      () => {
        if (++n === 250) {
          // Written at bar 200 (and 100): the files are there before the run ends.
          seen.push(readFileSync(join(session, 'decisions.csv'), 'utf8').trim().split('\n').length - 1);
          signals.emit('SIGINT');
        }
      },
      signals,
    );
    expect(seen).toEqual([200]);
    expect(readdirSync(session).filter((f) => f.includes('.tmp-'))).toEqual([]);
    expect(readFileSync(join(session, 'decisions.csv'), 'utf8').trim().split('\n')).toHaveLength(251);
  });

  it('refuses bad flags by name', async () => {
    await expect(runPaperCommand(flags(join(dir, 's3'), { reportEvery: '0' }), () => undefined, new EventEmitter())).rejects.toThrow(/--report-every: must be at least 1 bar/);
    await expect(runPaperCommand(flags(join(dir, 's3'), { reportEvery: 'soon' }), () => undefined, new EventEmitter())).rejects.toThrow(/--report-every: must be a number of bars/);
    await expect(runPaperCommand(flags(join(dir, 's3'), { onStop: 'later' }), () => undefined, new EventEmitter())).rejects.toThrow(/--on-stop/);
    await expect(runPaperCommand(flags(join(dir, 's3'), { feed: 'replay:x.csv,speed=0' }), () => undefined, new EventEmitter())).rejects.toThrow(/--feed: speed/);
    await expect(runPaperCommand(flags(join(dir, 's3'), { cash: '-1' }), () => undefined, new EventEmitter())).rejects.toThrow(/--cash/);
  });

  it('--account margin lets the venue hold a short a cash account refuses; the journal records it and a resume on another account is refused', async () => {
    const agent = 'random:p=0.5,size=0.3';
    const positions = async (session: string, extra: Partial<PaperFlags>): Promise<number[]> => {
      const lines: string[] = [];
      await runPaperCommand(flags(session, { agent, ...extra }), (t) => lines.push(t), new EventEmitter());
      return lines.join('').trim().split('\n').map((l) => (JSON.parse(l) as { position: number }).position);
    };
    const cash = await positions(join(dir, 'acct-cash'), {});
    expect(Math.min(...cash)).toBeGreaterThanOrEqual(0);
    const margin = join(dir, 'acct-margin');
    const short = await positions(margin, { account: 'margin', leverage: '2' });
    expect(Math.min(...short)).toBeLessThan(0);
    const open = readJournal(join(margin, 'journal.jsonl'), { repair: false }).records[0];
    expect(open).toMatchObject({ k: 'open', account: { type: 'margin', leverage: 2, maintenanceMargin: 0.25 } });
    await expect(runPaperCommand(flags(margin, { agent }), () => undefined, new EventEmitter())).rejects.toThrow(
      /this session was started with account margin 2x.*not cash/,
    );
    await expect(runPaperCommand(flags(join(dir, 'acct-bad'), { account: 'futures' }), () => undefined, new EventEmitter())).rejects.toThrow(/--account: must be cash or margin, got 'futures'/);
    await expect(runPaperCommand(flags(join(dir, 'acct-bad2'), { leverage: '3' }), () => undefined, new EventEmitter())).rejects.toThrow(/leverage: applies to a margin account only/);
  });

  it('--day-start/--timezone are journaled and a resume on another trading day is refused naming the flags', async () => {
    const session = join(dir, 'day-ny');
    const ny = { dayStart: '17:00', timezone: 'America/New_York' };
    await runPaperCommand(flags(session, ny), () => undefined, new EventEmitter());
    const open = readJournal(join(session, 'journal.jsonl'), { repair: false }).records[0];
    expect(open).toMatchObject({ k: 'open', session: { timezone: 'America/New_York', dayStartsAt: '17:00' } });
    await expect(runPaperCommand(flags(session), () => undefined, new EventEmitter())).rejects.toThrow(
      /this session was started with trading day days from 17:00 America\/New_York \(--day-start 17:00 --timezone America\/New_York\), not UTC days/,
    );
    await expect(runPaperCommand(flags(session, { ...ny, dayStart: '18:00' }), () => undefined, new EventEmitter())).rejects.toThrow(/not days from 18:00 America\/New_York/);
    // The same flags resume; a session started on UTC days refuses another day start too.
    await runPaperCommand(flags(session, ny), () => undefined, new EventEmitter());
    const utc = join(dir, 'day-utc');
    await runPaperCommand(flags(utc), () => undefined, new EventEmitter());
    expect(readJournal(join(utc, 'journal.jsonl'), { repair: false }).records[0]).not.toHaveProperty('session');
    await expect(runPaperCommand(flags(utc, { timezone: 'Asia/Tokyo' }), () => undefined, new EventEmitter())).rejects.toThrow(
      /trading day UTC days \(no --day-start\/--timezone\), not days from 00:00 Asia\/Tokyo/,
    );
  });
});
