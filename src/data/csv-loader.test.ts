import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ValidationError } from '../core/index.js';
import { loadBarsCsv, parseBarsCsv } from './csv-loader.js';
import { CsvLoadError } from './csv-errors.js';
import { formatBarsCsv, writeBarsCsv } from './csv-writer.js';
import { generateSynthetic } from './synthetic.js';

const dir = mkdtempSync(join(tmpdir(), 'bulwark-csv-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function file(name: string, text: string): string {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
}

const H = 3_600_000;
const T0 = Date.UTC(2019, 9, 17, 6); // 2019-10-17 06:00Z

/** Expects a CsvLoadError and returns it for field checks. */
async function rejection(path: string, options = {}): Promise<CsvLoadError> {
  try {
    await loadBarsCsv(path, options);
  } catch (err) {
    if (err instanceof CsvLoadError) return err;
    throw err;
  }
  throw new Error(`expected ${path} to be rejected`);
}

describe('loadBarsCsv: layouts', () => {
  it('reads a newest-first file with a banner, an AM/PM date column and two volume columns, and says so', async () => {
    const path = file(
      'coinbase.csv',
      [
        'Timestamps are UTC timezone,https://www.CryptoDataDownload.com',
        'date,symbol,open,high,low,close,volume_btc,volume',
        '2019-10-17 09-AM,BTCUSD,8051,8056.83,8021.23,8035.88,61.25,492394.56',
        '2019-10-17 08-AM,BTCUSD,7975.89,8070,7975.89,8051,370.45,2971610.86',
        '2019-10-17 07-AM,BTCUSD,7990,8000,7960,7975.89,12.5,99800.1',
        '2019-10-17 12-PM,BTCUSD,8035.88,8040,8030,8039,1,8039',
        '',
      ].join('\r\n'),
    );
    const { bars, report } = await loadBarsCsv(path);
    expect(Array.from(bars.time)).toEqual([T0 + H, T0 + 2 * H, T0 + 3 * H, T0 + 6 * H]);
    expect(Array.from(bars.close)).toEqual([7975.89, 8051, 8035.88, 8039]);
    expect(Array.from(bars.volume)).toEqual([99800.1, 2971610.86, 492394.56, 8039]);
    expect(report).toMatchObject({
      rows: 4,
      bannerLines: 1,
      headerLine: 2,
      columns: { time: 'date', volume: 'volume', close: 'close' },
      order: { fileOrder: 'newest-first' },
    });
    expect(report.gaps).toMatchObject({ count: 1, missingBars: 2, intervalMs: H });
    expect(report.notes.join('\n')).toMatch(/banner/);
    expect(report.notes.join('\n')).toMatch(/newest first/);
  });

  it('picks the volume column named by the option, ignoring case and separators', async () => {
    const path = file(
      'gym.csv',
      'unix,date,symbol,open,high,low,close,volume,Volume USD\n' +
        '1646092800,2022-03-01 00:00:00,BTC/USD,43221.71,43626.49,43185.48,43312.27,52.05632000,2254677.3870464\n',
    );
    expect((await loadBarsCsv(path)).bars.volume[0]).toBe(52.05632);
    const { bars, report } = await loadBarsCsv(path, { volumeColumn: 'volume_usd' });
    expect(bars.volume[0]).toBe(2254677.3870464);
    expect(report.columns.volume).toBe('Volume USD');
    expect(report.columns.time).toBe('unix');
    expect(bars.time[0]).toBe(1646092800_000);
    const err = await rejection(path, { volumeColumn: 'volume_eur' });
    expect(err.message).toMatch(/gym\.csv:1: header: volume column 'volume_eur' not in the header \(volume-like columns: 'volume', 'Volume USD'\)/);
  });

  it('reads a header-less file positionally, with YYYYMMDD HH:MM times and a price scale', async () => {
    const path = file(
      'lean.csv',
      '19980102 00:00,973100,975300,965300,973600,2150000\n19980105 00:00,978400,984400,967800,977500,4030800\n' +
        '19980106 00:00,972500,972800,961900,966300,2821800\n19980107 00:00,960900,965000,952200,964700,5225400\n',
    );
    const { bars, report } = await loadBarsCsv(path, { priceScale: 1e-4 });
    expect(report.headerLine).toBeNull();
    expect(bars.time[0]).toBe(Date.UTC(1998, 0, 2));
    expect(bars.open[0]).toBeCloseTo(97.31, 10);
    expect(bars.volume[1]).toBe(4030800);
    expect(report.timeFormat).toMatch(/^YYYYMMDD HH:MM/);
    // Friday to Monday on a weekday-only daily file is not a gap.
    expect(report.gaps).toMatchObject({ weekdaysOnly: true, count: 0 });
  });

  it('ignores an unnamed index column and reads plain YYYY-MM-DD dates', async () => {
    const path = file('pandas.csv', ',date,open,high,low,close,volume\n0,1999-11-01,136.5,137.0,135.5625,135.5625,4006500.0\n1,1999-11-02,135.9687,137.25,134.5937,134.5937,6516900.0\n');
    const { bars } = await loadBarsCsv(path);
    expect(Array.from(bars.time)).toEqual([Date.UTC(1999, 10, 1), Date.UTC(1999, 10, 2)]);
    expect(bars.open[1]).toBe(135.9687);
  });

  it('joins separate date and time columns', async () => {
    const { bars } = parseBarsCsv('Date,Time,Open,High,Low,Close,Volume\n2024-01-02,13:30,10,11,9,10.5,100\n');
    expect(bars.time[0]).toBe(Date.UTC(2024, 0, 2, 13, 30));
  });

  it('reads a file without a volume column as zero volume and says so', () => {
    const { bars, report } = parseBarsCsv('timestamp,open,high,low,close\n1700000000,1,2,0.5,1.5\n');
    expect(bars.volume[0]).toBe(0);
    expect(report.columns.volume).toBeNull();
    expect(report.notes).toContain('no volume column: volume set to 0');
  });

  it('handles quoted fields and a byte-order mark', () => {
    const { bars } = parseBarsCsv('\uFEFF"time","open","high","low","close","volume"\n"2024-01-02 00:00:00","1","2","0.5","1.5","7"\n');
    expect(bars.close[0]).toBe(1.5);
    expect(bars.volume[0]).toBe(7);
  });
});

describe('loadBarsCsv: times', () => {
  const row = (t: string) => `time,open,high,low,close,volume\n${t},1,2,0.5,1.5,10\n`;
  const at = (t: string) => parseBarsCsv(row(t)).bars.time[0];

  it('tells seconds from milliseconds (and µs, ns) by magnitude', () => {
    expect(at('1571302800')).toBe(1571302800_000);
    expect(at('1571302800000')).toBe(1571302800_000);
    expect(at('1571302800000000')).toBe(1571302800_000);
    expect(at('1571302800000000000')).toBe(1571302800_000);
    expect(at('1571302800.5')).toBe(1571302800_500);
  });

  it('takes the unit from the column name or the option when magnitude would mislead', () => {
    const early = 'time_ms,open,high,low,close,volume\n3600000,1,2,0.5,1.5,10\n';
    expect(parseBarsCsv(early).bars.time[0]).toBe(3_600_000);
    expect(parseBarsCsv(row('3600000'), { timeUnit: 'ms' }).bars.time[0]).toBe(3_600_000);
    expect(parseBarsCsv(row('3600000')).bars.time[0]).toBe(3_600_000_000);
  });

  it.each([
    ['2019-10-17 09:00:00', Date.UTC(2019, 9, 17, 9)],
    ['2019-10-17 09:00', Date.UTC(2019, 9, 17, 9)],
    ['2019-10-17T09:00:00Z', Date.UTC(2019, 9, 17, 9)],
    ['2019-10-17T09:00:00', Date.UTC(2019, 9, 17, 9)],
    ['2019-10-17T09:00:00.250Z', Date.UTC(2019, 9, 17, 9, 0, 0, 250)],
    ['2019-10-17T11:00:00+02:00', Date.UTC(2019, 9, 17, 9)],
    ['2019-10-17 09-AM', Date.UTC(2019, 9, 17, 9)],
    ['2019-10-17 09-PM', Date.UTC(2019, 9, 17, 21)],
    ['2019-10-17 12-AM', Date.UTC(2019, 9, 17, 0)],
    ['2019-10-17 12-PM', Date.UTC(2019, 9, 17, 12)],
    ['20191017 09:00', Date.UTC(2019, 9, 17, 9)],
    ['20191017', Date.UTC(2019, 9, 17)],
    ['2019-10-17', Date.UTC(2019, 9, 17)],
    ['2019/10/17 09:00:00', Date.UTC(2019, 9, 17, 9)],
  ])('reads %s', (text, expected) => {
    expect(at(text)).toBe(expected);
  });

  it.each(['2019-02-30', '2019-13-01', '2019-10-17 25:00', '2019-10-17 13-PM', '17/10/2019', 'yesterday'])(
    'rejects the impossible or unknown date %s naming line and column',
    (text) => {
      expect(() => parseBarsCsv(`open,high,low,close,date\n1,2,0.5,1.5,2019-10-16\n1,2,0.5,1.5,${text}\n`, {}, 'f.csv')).toThrow(
        `f.csv:3: column 5 (date): unreadable time '${text}': expected YYYY-MM-DD`,
      );
    },
  );

  it('rejects a file whose epoch unit changes between rows', () => {
    expect(() => parseBarsCsv('unix,open,high,low,close\n1571302800,1,2,0.5,1.5\n1571306400000,1,2,0.5,1.5\n', {}, 'mix.csv')).toThrow(
      "mix.csv:3: column 1 (unix): unreadable time '1571306400000': expected unix seconds like line 2",
    );
  });
});

describe('loadBarsCsv: rejections name file, line, column and problem', () => {
  const header = 'timestamp,open,high,low,close,volume';
  const good = '1700000000,100,101,99,100.5,10';
  it.each([
    ['1700003600,NaN,101,99,100.5,10', 'column 2 (open): NaN'],
    ['1700003600,100,101,,100.5,10', 'column 4 (low): empty'],
    ['1700003600,100,101,99,abc,10', "column 5 (close): not a number: 'abc'"],
    ['1700003600,-100,101,-101,100.5,10', 'column 2 (open): price must be > 0, got -100'],
    ['1700003600,100,101,99,0,10', 'column 5 (close): price must be > 0, got 0'],
    ['1700003600,100,99.5,99,100.5,10', 'column 3 (high): high 99.5 is below open 100'],
    ['1700003600,100,100.2,99,100.5,10', 'column 3 (high): high 100.2 is below close 100.5'],
    ['1700003600,100,101,100.2,100.5,10', 'column 4 (low): low 100.2 is above open 100'],
    ['1700003600,100,101,99,100.5,-1', 'column 6 (volume): volume must be >= 0, got -1'],
    ['1700003600,100,101,99,100.5,', 'column 6 (volume): empty'],
    ['1700003600,100,101,99', 'expected at least 6 fields, got 4'],
  ])('%s → %s', async (bad, problem) => {
    const path = file('bad.csv', `${header}\n${good}\n${bad}\n`);
    const err = await rejection(path);
    expect(err.message).toBe(`${path}:3: ${problem}`);
    expect(err.line).toBe(3);
    expect(err.file).toBe(path);
  });

  it('names the file when it cannot be read', async () => {
    const err = await rejection(join(dir, 'missing.csv'));
    expect(err.message).toMatch(/missing\.csv: cannot read the file \(ENOENT\)/);
  });

  it('rejects a file with neither header nor data', () => {
    expect(() => parseBarsCsv('hello\nworld\n', {}, 'junk.csv')).toThrow(/junk\.csv:1: no header naming open, high, low and close/);
    expect(() => parseBarsCsv(`${header}\n`, {}, 'empty.csv')).toThrow('empty.csv: no data rows');
  });

  it('rejects bad options naming the option', () => {
    expect(() => parseBarsCsv(`${header}\n${good}\n`, { priceScale: 0 })).toThrow(ValidationError);
    expect(() => parseBarsCsv(`${header}\n${good}\n`, { priceScale: 0 })).toThrow(/priceScale: must be a finite number > 0/);
  });
});

describe('loadBarsCsv: order, duplicates, gaps', () => {
  const header = 'timestamp,open,high,low,close,volume';
  const rowAt = (hour: number, close = 100 + hour) => `${1700000000 + hour * 3600},${close},${close + 1},${close - 1},${close},${hour + 1}`;

  it('sorts a file with a few rows out of order and reports which', () => {
    const hours = [0, 1, 2, 4, 3, 5, 6, 8, 7, 9];
    const { bars, report } = parseBarsCsv([header, ...hours.map((h) => rowAt(h))].join('\n'));
    expect(Array.from(bars.close)).toEqual([...Array(10).keys()].map((h) => 100 + h));
    expect(report.order).toEqual({ fileOrder: 'unordered', movedRows: 2, movedLines: [5, 9] });
  });

  it('counts only the misplaced rows of a newest-first file', () => {
    const hours = [9, 8, 7, 3, 6, 5, 4, 2, 1, 0];
    const { bars, report } = parseBarsCsv([header, ...hours.map((h) => rowAt(h))].join('\n'));
    expect(Array.from(bars.close)).toEqual([...Array(10).keys()].map((h) => 100 + h));
    expect(report.order.fileOrder).toBe('newest-first');
    expect(report.order.movedRows).toBe(1);
    expect(report.order.movedLines).toEqual([5]);
  });

  it('rejects duplicate timestamps by default, naming both lines', () => {
    const text = [header, rowAt(0), rowAt(1), rowAt(1, 150), rowAt(2)].join('\n');
    expect(() => parseBarsCsv(text, {}, 'dup.csv')).toThrow(
      /^dup\.csv:4: column 1 \(timestamp\): duplicate timestamp 2023-11-14T23:13:20Z \(also on line 3\)/,
    );
  });

  it('keeps the first or the last duplicate in the file when told to', () => {
    const text = [header, rowAt(0), rowAt(1), rowAt(1, 150), rowAt(1, 160), rowAt(2)].join('\n');
    const first = parseBarsCsv(text, { duplicates: 'keep-first' });
    expect(Array.from(first.bars.close)).toEqual([100, 101, 102]);
    expect(first.report.duplicates).toMatchObject({ dropped: 2, examples: [{ lines: [3, 4, 5] }] });
    const last = parseBarsCsv(text, { duplicates: 'keep-last' });
    expect(Array.from(last.bars.close)).toEqual([100, 160, 102]);
  });

  it('keep-first means first in the file, also in a newest-first file', () => {
    const text = [header, rowAt(2), rowAt(1, 160), rowAt(1, 150), rowAt(0)].join('\n');
    expect(Array.from(parseBarsCsv(text, { duplicates: 'keep-first' }).bars.close)).toEqual([100, 160, 102]);
  });

  it('reports gaps with their ranges and does not fill them by default', () => {
    const hours = [0, 1, 2, 3, 7, 8, 9, 10, 12, 13];
    const { bars, report } = parseBarsCsv([header, ...hours.map((h) => rowAt(h))].join('\n'));
    expect(bars.length).toBe(10);
    expect(report.gaps).toMatchObject({ policy: 'report', intervalMs: H, count: 2, missingBars: 4, filledBars: 0 });
    expect(report.gaps.ranges.map((r) => [r.missingBars, r.line])).toEqual([[3, 6], [1, 10]]);
  });

  it('rejects a gap under gaps=error, naming the line after it', () => {
    const text = [header, ...[0, 1, 2, 5, 6].map((h) => rowAt(h))].join('\n');
    expect(() => parseBarsCsv(text, { gaps: 'error' }, 'gap.csv')).toThrow(/^gap\.csv:5: column 1 \(timestamp\): gap of 2 missing bar\(s\) at interval 1h/);
  });

  it('forward-fills gaps flat at the last close with zero volume', () => {
    const text = [header, ...[0, 1, 4, 5].map((h) => rowAt(h))].join('\n');
    const { bars, report } = parseBarsCsv(text, { gaps: 'forward-fill' });
    expect(bars.length).toBe(6);
    expect(report.gaps.filledBars).toBe(2);
    expect(Array.from(bars.time, (t) => (t / 1000 - 1700000000) / 3600)).toEqual([0, 1, 2, 3, 4, 5]);
    expect([bars.open[2], bars.high[2], bars.low[2], bars.close[2], bars.volume[2]]).toEqual([101, 101, 101, 101, 0]);
  });

  it('treats missing weekends of a weekday-only daily file as no gap, but a missing weekday as one', () => {
    // Wed 2024-01-03 … Thu 2024-01-11, without the weekend and without Tuesday the 9th.
    const days = ['2024-01-03', '2024-01-04', '2024-01-05', '2024-01-08', '2024-01-10', '2024-01-11'];
    const text = ['date,open,high,low,close,volume', ...days.map((d) => `${d},1,2,0.5,1.5,10`)].join('\n');
    const { bars, report } = parseBarsCsv(text, { gaps: 'forward-fill' });
    expect(report.gaps).toMatchObject({ weekdaysOnly: true, count: 1, missingBars: 1 });
    expect(bars.time[4]).toBe(Date.UTC(2024, 0, 9));
    expect(bars.length).toBe(7);
  });
});

describe('writeBarsCsv', () => {
  it('writes what loadBarsCsv reads back exactly, including early epoch times', async () => {
    const bars = generateSynthetic({ model: 'jump', bars: 500, seed: 3, startTimeMs: 0, intervalMs: 60_000 });
    const path = join(dir, 'roundtrip.csv');
    await writeBarsCsv(path, bars);
    const { bars: back, report } = await loadBarsCsv(path);
    for (const key of ['time', 'open', 'high', 'low', 'close', 'volume'] as const) {
      expect(Array.from(back[key])).toEqual(Array.from(bars[key]));
    }
    expect(report.notes).toEqual(['time read as unix milliseconds from column \'time_ms\'']);
    expect(formatBarsCsv(bars)).toBe((await import('node:fs')).readFileSync(path, 'utf8'));
  });

  it('leaves no temporary file when the final rename fails (the target is a folder)', async () => {
    const target = join(dir, 'is-a-folder');
    mkdirSync(target);
    await expect(writeBarsCsv(target, generateSynthetic({ model: 'gbm', bars: 10, seed: 1 }))).rejects.toThrow(/EISDIR/);
    expect(readdirSync(dir).filter((f) => f.startsWith('is-a-folder.tmp-'))).toEqual([]);
  });
});
