import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { generateSynthetic } from './synthetic.js';
import { parseSynthSpec } from './synthetic-spec.js';
import { formatBarsCsv } from './csv-writer.js';
import { loadMarketSource, parseUtcTime } from './market-source.js';

const dir = mkdtempSync(join(tmpdir(), 'bulwark-market-source-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('loadMarketSource', () => {
  it('neither_or_both_sources_then_refused_naming_the_flags', async () => {
    await expect(loadMarketSource({})).rejects.toThrow('exactly one of --data FILE or --synth SPEC');
    await expect(loadMarketSource({ data: 'x.csv', synth: 'regime' })).rejects.toThrow('exactly one of --data FILE or --synth SPEC');
  });

  it('synth_spec_then_seeded_by_synthSeed_unless_the_spec_names_a_seed', async () => {
    const a = await loadMarketSource({ synth: 'gbm:bars=50', synthSeed: 4 });
    const b = await loadMarketSource({ synth: 'gbm:bars=50', synthSeed: 5 });
    expect(a.source).toBe('synthetic gbm:bars=50');
    expect(Array.from(a.bars.close)).not.toEqual(Array.from(b.bars.close));
    const own = await loadMarketSource({ synth: 'gbm:bars=50,seed=9', synthSeed: 4 });
    expect(Array.from(own.bars.close)).toEqual(Array.from(generateSynthetic(parseSynthSpec('gbm:bars=50,seed=9')).close));
  });

  it('csv_with_from_and_to_then_cut_inclusive_with_the_whole_series_as_history', async () => {
    const bars = generateSynthetic(parseSynthSpec('gbm:bars=100,seed=1'));
    const file = join(dir, 'bars.csv');
    writeFileSync(file, formatBarsCsv(bars));
    const from = new Date(bars.time[10]).toISOString();
    const to = new Date(bars.time[19]).toISOString();
    const m = await loadMarketSource({ data: file, from, to });
    expect(m.bars.length).toBe(10);
    expect(m.bars.time[0]).toBe(bars.time[10]);
    expect(m.history.offset).toBe(10);
    expect(m.history.bars.length).toBe(100);
    expect(m.source).toBe(file);
  });

  it('bad_bounds_or_too_few_bars_left_then_refused_before_reading_the_file', async () => {
    await expect(loadMarketSource({ data: join(dir, 'missing.csv'), from: 'yesterday' })).rejects.toThrow("--from: must be an ISO-8601 date such as 2021-05-12 or 2021-05-12T14:00, got 'yesterday'");
    await expect(loadMarketSource({ synth: 'gbm:bars=50', from: '2030-01-02', to: '2030-01-01' })).rejects.toThrow('--from 2030-01-02 is after --to 2030-01-01');
    await expect(loadMarketSource({ synth: 'gbm:bars=50', from: '2100-01-01' })).rejects.toThrow('--from/--to: leave 0 bar(s) of 50; at least 2 are needed');
  });

  it('time_without_zone_then_utc', () => {
    expect(parseUtcTime('2021-05-12')).toBe(Date.UTC(2021, 4, 12));
    expect(parseUtcTime('2021-05-12 14:00')).toBe(Date.UTC(2021, 4, 12, 14));
    expect(parseUtcTime('May 12')).toBeNaN();
  });
});
