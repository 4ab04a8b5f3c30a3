import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadBarsCsv } from '../../data/index.js';
import { runCommand } from '../test-helpers/run-command.js';
import { parseTimeArg, registerDataCommand } from './data.js';

const dir = mkdtempSync(join(tmpdir(), 'bulwark-cli-data-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function run(...args: string[]): Promise<string> {
  return (await runCommand(registerDataCommand, args)).out;
}

describe('bulwark data', () => {
  it('synth writes a seeded market that inspect reads back, with model flags and --param', async () => {
    const out = join(dir, 'jump.csv');
    const labels = join(dir, 'labels.csv');
    const text = await run('data', 'synth', '--model', 'jump', '--bars', '500', '--seed', '7', '--jumps-per-year', '200', '--param', 'jumpMean=-0.05', '--out', out, '--labels-out', labels);
    expect(text).toMatch(/^jump: 500 bars of 1h, seed 7/);
    const { bars } = await loadBarsCsv(out);
    expect(bars.length).toBe(500);
    expect(readFileSync(labels, 'utf8').split('\n')[0]).toBe('time_ms,label');
    const again = join(dir, 'jump2.csv');
    await run('data', 'synth', '--model', 'jump', '--bars', '500', '--seed', '7', '--jumps-per-year', '200', '--param', 'jumpMean=-0.05', '--out', again);
    expect(readFileSync(again, 'utf8')).toBe(readFileSync(out, 'utf8'));
    expect(await run('data', 'inspect', out)).toMatch(/bars:\s+500 \(from 500 data lines\)[\s\S]*interval:\s+1h/);
  });

  it('synth rejects a parameter of another model, naming it', async () => {
    await expect(run('data', 'synth', '--model', 'gbm', '--bars', '10', '--jumps-per-year', '3', '--out', join(dir, 'x.csv'))).rejects.toThrow(
      /jumpsPerYear: unknown parameter for model 'gbm'/,
    );
  });

  it('synth checks --out and --labels-out before writing, so a bad one leaves no file behind', async () => {
    const out = join(dir, 'never.csv');
    writeFileSync(join(dir, 'plain-file'), 'x');
    await expect(
      run('data', 'synth', '--model', 'gbm', '--bars', '10', '--out', out, '--labels-out', join(dir, 'plain-file', 'l.csv')),
    ).rejects.toThrow(/^--labels-out: cannot write '.*l\.csv': '.*plain-file' is a file, not a folder$/);
    expect(existsSync(out)).toBe(false);
    const folder = join(dir, 'a-folder');
    mkdirSync(folder);
    await expect(run('data', 'synth', '--model', 'gbm', '--bars', '10', '--out', folder)).rejects.toThrow(
      /^--out: cannot write '.*a-folder': it is a folder$/,
    );
    expect(readdirSync(dir).filter((f) => f.includes('.tmp-'))).toEqual([]);
  });

  it('synth --out creates a missing folder, like the other commands that write', async () => {
    const out = join(dir, 'new', 'deeper', 'gbm.csv');
    await run('data', 'synth', '--model', 'gbm', '--bars', '50', '--out', out, '--labels-out', join(dir, 'new2', 'l.csv'));
    expect((await loadBarsCsv(out)).bars.length).toBe(50);
    expect(existsSync(join(dir, 'new2', 'l.csv'))).toBe(true);
  });

  it('inspect prints return and volatility statistics on the inferred calendar, and the largest move with its time', async () => {
    // Hourly bars on every day (24/7): periods a year = 24 × 365.25; one planted -10 % move at a known time.
    const lines = ['time,open,high,low,close,volume'];
    const t0 = Date.UTC(2024, 0, 1);
    let close = 100;
    for (let i = 0; i < 24 * 30; i++) {
      close *= i === 400 ? 0.9 : i % 2 === 0 ? 1.01 : 1 / 1.01;
      lines.push(`${t0 + i * 3_600_000},${close},${close},${close},${close},1`);
    }
    const file = join(dir, 'planted.csv');
    writeFileSync(file, `${lines.join('\n')}\n`);
    const text = await run('data', 'inspect', file);
    expect(text).toMatch(/returns:\s+719 close-to-close log returns, mean -?\d+\.\d{4} %, sd \d+\.\d{4} % per bar/);
    expect(text).toMatch(/volatility: \d+\.\d % annualised \(sd × √8766; 8766 periods a year: bars on every day/);
    expect(text).toContain('largest move: -10.54 % (log) in the bar at 2024-01-17T16:00:00Z');
    const json = JSON.parse(await run('data', 'inspect', file, '--json', '--periods-per-year', '100')) as {
      rows: number;
      returnStats: { sdLogReturn: number; annualisedVolatility: number; periodsPerYear: number; largestMove: { timeMs: number } };
    };
    expect(json.rows).toBe(720);
    expect(json.returnStats.periodsPerYear).toBe(100);
    expect(json.returnStats.annualisedVolatility).toBeCloseTo(json.returnStats.sdLogReturn * 10, 12);
    expect(json.returnStats.largestMove.timeMs).toBe(t0 + 400 * 3_600_000);
    await expect(run('data', 'inspect', file, '--periods-per-year', '0')).rejects.toThrow("--periods-per-year: must be a number > 0, got '0'");
  });

  it('inspect rejects an unknown policy naming the flag', async () => {
    await expect(run('data', 'inspect', join(dir, 'jump.csv'), '--gaps', 'fill')).rejects.toThrow("--gaps: must be one of report, error, forward-fill, got 'fill'");
  });

  it('fetch rejects an unreadable date before touching the network', async () => {
    await expect(
      run('data', 'fetch', '--exchange', 'binance', '--symbol', 'BTC/USDT', '--timeframe', '1h', '--since', 'last week', '--out', join(dir, 'f.csv')),
    ).rejects.toThrow(/^--since: cannot read 'last week' as a date/);
  });
});

describe('parseTimeArg', () => {
  it('reads dates, ISO times and epoch seconds or milliseconds', () => {
    expect(parseTimeArg('2024-01-01', '--since')).toBe(Date.UTC(2024, 0, 1));
    expect(parseTimeArg('2024-01-01T12:30:00Z', '--since')).toBe(Date.UTC(2024, 0, 1, 12, 30));
    expect(parseTimeArg('1704067200', '--since')).toBe(Date.UTC(2024, 0, 1));
    expect(parseTimeArg('1704067200000', '--since')).toBe(Date.UTC(2024, 0, 1));
    expect(parseTimeArg('20240101', '--since')).toBe(Date.UTC(2024, 0, 1));
    expect(() => parseTimeArg('2024-13-01', '--until')).toThrow(/^--until: cannot read '2024-13-01'/);
  });
});
