import { EventEmitter } from 'node:events';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateSynthetic, parseSynthSpec, writeBarsCsv } from '../../data/index.js';
import { readJournal } from '../../live/index.js';
import { type PaperFlags, runPaperCommand } from './paper.js';

const dir = mkdtempSync(join(tmpdir(), 'bulwark-paper-cli-'));
const file = join(dir, 'bars.csv');
const home = process.env.BULWARK_HOME;
beforeAll(async () => {
  process.env.BULWARK_HOME = join(dir, 'home');
  await writeBarsCsv(file, generateSynthetic(parseSynthSpec('regime:bars=500,seed=8')));
});
afterAll(() => {
  if (home === undefined) delete process.env.BULWARK_HOME;
  else process.env.BULWARK_HOME = home;
  rmSync(dir, { recursive: true, force: true });
});

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
    expect(rows).toHaveLength(500);
    expect(rows.some((x) => x.outcome === 'SUBMITTED')).toBe(true);
    expect(r.summary).toMatch(/500 decisions/);
    for (const f of ['journal.jsonl', 'audit.jsonl', 'audit.pub.pem']) expect(existsSync(join(session, f)), f).toBe(true);
    // Run again on the same session: the replay resumes after its last bar, nothing is done twice.
    const again: string[] = [];
    await runPaperCommand(flags(session), (t) => again.push(t), new EventEmitter());
    expect(again.join('').trim().split('\n')).toHaveLength(1); // the last decision, taken again (its order, if any, refused as a duplicate)
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

  it('refuses bad flags by name', async () => {
    await expect(runPaperCommand(flags(join(dir, 's3'), { onStop: 'later' }), () => undefined, new EventEmitter())).rejects.toThrow(/--on-stop/);
    await expect(runPaperCommand(flags(join(dir, 's3'), { feed: 'replay:x.csv,speed=0' }), () => undefined, new EventEmitter())).rejects.toThrow(/--feed: speed/);
    await expect(runPaperCommand(flags(join(dir, 's3'), { cash: '-1' }), () => undefined, new EventEmitter())).rejects.toThrow(/--cash/);
  });
});
