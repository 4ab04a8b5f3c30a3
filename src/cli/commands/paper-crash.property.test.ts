/**
 * Crash safety of `bulwark paper` (issue 12), a property over the crash points: a real child process runs a
 * replay and is killed with SIGKILL when its k-th decision line appears, three times over (k drawn by a seeded fast-check); the
 * same command is started again on the same session directory and runs to the end. Then, compared with one
 * uninterrupted session: the same trades and equity (no fill lost or counted twice), no record written twice in
 * the journal, and the session's audit chain verifies across the crash and the restart. (Every crash point of the
 * journal itself, torn lines included, is covered in process by paper-resume.property.test.ts.)
 */
import { spawn } from 'node:child_process';
import { EventEmitter } from 'node:events';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateSynthetic, parseSynthSpec, writeBarsCsv } from '../../data/index.js';
import { readJournal } from '../../live/index.js';
import { verifyAuditLog } from '../../security/index.js';
import { type PaperFlags, runPaperCommand } from './paper.js';

const dir = mkdtempSync(join(tmpdir(), 'bulwark-paper-crash-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const file = join(dir, 'bars.csv');
const BARS = 1000;
// As fast as possible on the bars' own clock (a paced replay at a huge speed-up would go stale whenever the loaded
// machine pauses the child, which fails closed by design and would change the decisions): the journal is written
// in 64 KiB batches, so a kill loses an unwritten tail, which the restart replays.
const FEED = `replay:${file},speed=max`;
const AGENT = 'random:p=0.2,size=0.3';

beforeAll(async () => {
  await writeBarsCsv(file, generateSynthetic(parseSynthSpec(`regime:bars=${BARS},seed=21`)));
});

function args(session: string): string[] {
  return ['paper', '--agent', AGENT, '--feed', FEED, '--session', session, '--seed', '3', '--fees-bps', '10', '--on-stop', 'keep', '--json'];
}

/** Runs `bulwark paper` in a child process; SIGKILL when its `killAt`-th decision line arrives (never when null). */
function child(session: string, killAt: number | null): Promise<{ lines: number; killed: boolean }> {
  return new Promise((resolve, reject) => {
    const p = spawn(process.execPath, ['--import', './src/test-support/ts-register.mjs', 'src/cli/main.ts', ...args(session)], {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: process.env,
    });
    let lines = 0;
    let killed = false;
    let stderr = '';
    p.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    p.stdout.on('data', (d: Buffer) => {
      lines += d.toString().split('\n').length - 1;
      if (killAt !== null && !killed && lines >= killAt) {
        killed = true;
        p.kill('SIGKILL');
      }
    });
    p.on('error', reject);
    p.on('exit', (code, signal) => {
      if (signal === 'SIGKILL' || code === 0) resolve({ lines, killed: signal === 'SIGKILL' });
      else reject(new Error(`bulwark paper exited ${code}: ${stderr}`));
    });
  });
}

describe('bulwark paper: kill -9 at any point, then restart', () => {
  let reference = '';
  beforeAll(async () => {
    reference = join(dir, 'reference');
    const flags: PaperFlags = { agent: AGENT, feed: FEED, session: reference, seed: '3', feesBps: '10', cash: '10000', onStop: 'keep', json: true, redisPrefix: 'bulwark:ks:' };
    await runPaperCommand(flags, () => undefined, new EventEmitter());
  }, 60_000);

  it('loses no fill, counts none twice, and the audit chain verifies across three crashes', async () => {
    let run = 0;
    await fc.assert(
      // Three kills in one session, each `k` decision lines after the (re)start; then a run to the end.
      fc.asyncProperty(fc.array(fc.integer({ min: 2, max: Math.floor(BARS / 4) }), { minLength: 3, maxLength: 3 }), async (killsAt) => {
        const session = join(dir, `crash-${++run}`);
        for (const killAt of killsAt) {
          const killed = await child(session, killAt);
          expect(killed.killed).toBe(true);
        }
        await child(session, null);
        const killAt = killsAt.join(', ');
        for (const f of ['trades.csv', 'equity.csv', 'decisions.csv']) {
          expect(readFileSync(join(session, f), 'utf8'), `${f} after kills at decisions ${killAt}`).toBe(readFileSync(join(reference, f), 'utf8'));
        }
        const journal = readJournal(join(session, 'journal.jsonl'), { repair: false });
        expect(journal.duplicatesDropped).toBe(0);
        // Trade ids are `<session>-<decision seq>#n`: compared without the session's name.
        const fills = (j: typeof journal): string[] => j.records.flatMap((r) => (r.k === 'bar' ? r.fills.map((f) => `${f.tradeId.replace(/^.*-(\d+#\d+)$/, '$1')}@${f.price}`) : []));
        expect(fills(journal)).toEqual(fills(readJournal(join(reference, 'journal.jsonl'), { repair: false })));
        const report = verifyAuditLog(join(session, 'audit.jsonl'), readFileSync(join(session, 'audit.pub.pem'), 'utf8'), { allowUnsealed: true });
        expect(report.ok, report.problem ?? '').toBe(true);
      }),
      { seed: 12, numRuns: 1, endOnFailure: true },
    );
  }, 420_000);
});
