/**
 * Crash safety of `bulwark paper` (issue 12), in process and exhaustively: a kill -9 leaves the journal a prefix of
 * the uninterrupted session's journal, cut at a line boundary (or inside a line: a torn last line). So, for every
 * line boundary of a reference session's journal, the session is resumed from that prefix and run to the end; its
 * trades.csv, equity.csv and decisions.csv must equal the reference's byte for byte (no fill lost or counted twice,
 * the seeded agent's sequence rebuilt). A cut inside a line is dropped with a warning (kept beside the journal).
 */
import { EventEmitter } from 'node:events';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { generateSynthetic, parseSynthSpec, writeBarsCsv } from '../../data/index.js';
import { readJournal } from '../../live/index.js';
import { type PaperFlags, runPaperCommand } from './paper.js';

const dir = mkdtempSync(join(tmpdir(), 'bulwark-paper-resume-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const file = join(dir, 'bars.csv');
const BARS = 90;
const FILES = ['trades.csv', 'equity.csv', 'decisions.csv'];

beforeAll(async () => {
  await writeBarsCsv(file, generateSynthetic(parseSynthSpec(`regime:bars=${BARS},seed=21`)));
});

function flags(session: string, agent: string): PaperFlags {
  return { agent, feed: `replay:${file},speed=max`, session, seed: '3', feesBps: '10', cash: '10000', onStop: 'keep', json: true, redisPrefix: 'bulwark:ks:' };
}

/** Runs the session to the end; returns what it warned on stderr. */
async function run(session: string, agent: string): Promise<string> {
  let stderr = '';
  const spy = vi.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => {
    stderr += chunk.toString();
    return true;
  });
  try {
    await runPaperCommand(flags(session, agent), () => undefined, new EventEmitter());
  } finally {
    spy.mockRestore();
  }
  return stderr;
}

/** Every fill of a journal as `<decision seq>#n@price qty` (trade ids without the session's name). */
function fillsOf(path: string): string[] {
  return readJournal(path, { repair: false }).records.flatMap((r) => (r.k === 'bar' ? r.fills.map((f) => `${f.tradeId.replace(/^.*-(\d+#\d+)$/, '$1')}@${f.price} ${f.qty}`) : []));
}

describe('bulwark paper resumed from every prefix of its journal', () => {
  for (const agent of ['random:p=0.3,size=0.3']) {
    it(`${agent}: the same session files as one uninterrupted run`, async () => {
      const reference = join(dir, 'reference');
      await run(reference, agent);
      const journal = readFileSync(join(reference, 'journal.jsonl'), 'utf8');
      const lines = journal.split('\n').filter((l) => l !== '');
      const failures: string[] = [];
      const referenceFills = fillsOf(join(reference, 'journal.jsonl'));
      expect(referenceFills.length).toBeGreaterThan(10);
      // After every whole line; and inside every 5th line (a torn write: dropped, kept beside the journal).
      const cuts: { lines: number; torn: string }[] = [];
      for (let n = 1; n < lines.length; n++) {
        cuts.push({ lines: n, torn: '' });
        if (n % 5 === 0) cuts.push({ lines: n, torn: lines[n].slice(0, Math.max(1, lines[n].length >> 1)) });
      }
      for (const cut of cuts) {
        const session = join(dir, `cut-${cut.lines}${cut.torn === '' ? '' : '-torn'}`);
        mkdirSync(session, { recursive: true });
        writeFileSync(join(session, 'journal.jsonl'), `${lines.slice(0, cut.lines).join('\n')}\n${cut.torn}`);
        const warned = await run(session, agent);
        const where = `cut after line ${cut.lines}${cut.torn === '' ? '' : ' + a torn line'} (${lines[cut.lines - 1].slice(0, 40)})`;
        for (const f of FILES) {
          if (readFileSync(join(session, f), 'utf8') !== readFileSync(join(reference, f), 'utf8')) failures.push(`${f}: ${where}`);
        }
        const journal = readJournal(join(session, 'journal.jsonl'), { repair: false });
        if (journal.duplicatesDropped !== 0) failures.push(`${journal.duplicatesDropped} records written twice: ${where}`);
        if (JSON.stringify(fillsOf(join(session, 'journal.jsonl'))) !== JSON.stringify(referenceFills)) failures.push(`fills differ: ${where}`);
        if (cut.torn !== '' && !existsSync(join(session, `journal.jsonl.torn-${Buffer.byteLength(`${lines.slice(0, cut.lines).join('\n')}\n`)}`))) {
          failures.push(`torn line not kept: ${where}`);
        }
        if (cut.torn !== '' && !/warning: journal: a torn last line \(\d+ bytes/.test(warned)) failures.push(`no warning for the torn line: ${where}`);
        rmSync(session, { recursive: true, force: true });
      }
      expect(failures.slice(0, 10)).toEqual([]);
    }, 300_000);
  }

  it('refuses a journal corrupted in the middle (fails closed, naming the line) and leaves it as it was', async () => {
    const reference = join(dir, 'reference');
    const lines = readFileSync(join(reference, 'journal.jsonl'), 'utf8').split('\n');
    const session = join(dir, 'corrupt');
    mkdirSync(session, { recursive: true });
    const n = lines.findIndex((l, i) => i > 10 && l.startsWith('{"k":"bar"'));
    lines[n] = lines[n].replace('"o":', '"o":-');
    const text = lines.join('\n');
    writeFileSync(join(session, 'journal.jsonl'), text);
    await expect(run(session, 'random:p=0.3,size=0.3')).rejects.toThrow(new RegExp(`journal.jsonl:${n + 1}: o: `));
    expect(readFileSync(join(session, 'journal.jsonl'), 'utf8')).toBe(text);
  });
});
