import { describe, expect, it } from 'vitest';
import { formatBarsCsv, generateSynthetic, parseBarsCsv } from './index.js';
import { OUTLIER_K, findOutliers } from './outliers.js';

/** A seeded hourly series with one bad tick: bar 200's close (and high) at 1e9. */
function spiked(): { text: string; spikeTime: number; bars: number } {
  const bars = generateSynthetic({ model: 'gbm', bars: 400, seed: 5 });
  bars.close[200] = 1e9;
  bars.high[200] = 1e9;
  bars.open[201] = bars.close[199];
  return { text: formatBarsCsv(bars), spikeTime: bars.time[200], bars: bars.length };
}

describe('CSV outliers (issue 15: a 1e9 spike was accepted)', () => {
  it('report (the default) keeps the bar and names its time and value in the notes', () => {
    const { text, bars } = spiked();
    const { bars: loaded, report } = parseBarsCsv(text, {}, 'spike.csv');
    expect(loaded.length).toBe(bars);
    expect(report.outliers.policy).toBe('report');
    expect(report.outliers.count).toBe(1);
    expect(report.outliers.bars[0].close).toBe(1e9);
    expect(report.notes.join('\n')).toMatch(/1 outlier bar\(s\) beyond 12 σ .* kept .*close 1000000000/);
  });

  it('error refuses the file with the bar time and value', () => {
    const { text, spikeTime } = spiked();
    const iso = new Date(spikeTime).toISOString().slice(0, 16);
    expect(() => parseBarsCsv(text, { outliers: 'error' }, 'spike.csv')).toThrow(/spike\.csv: 1 outlier bar\(s\).*close 1000000000/);
    expect(() => parseBarsCsv(text, { outliers: 'error' }, 'spike.csv')).toThrow(iso.replace('T', ' ').slice(0, 10));
  });

  it('drop removes the bar and says how many', () => {
    const { text, bars, spikeTime } = spiked();
    const { bars: loaded, report } = parseBarsCsv(text, { outliers: 'drop' }, 'spike.csv');
    expect(loaded.length).toBe(bars - 1);
    expect(Array.from(loaded.time)).not.toContain(spikeTime);
    expect(Math.max(...loaded.close)).toBeLessThan(1e6);
    expect(report.outliers.dropped).toBe(1);
    expect(report.notes.join('\n')).toContain('dropped 1 bar(s)');
  });

  it('a clean seeded series, a real jump the next bars keep, and a flat series flag nothing', () => {
    const clean = generateSynthetic({ model: 'regime', bars: 5000, seed: 3 });
    expect(findOutliers(clean).found).toHaveLength(0);
    const jump = generateSynthetic({ model: 'gbm', bars: 300, seed: 6 });
    for (let i = 150; i < jump.length; i++) {
      jump.open[i] *= 3;
      jump.high[i] *= 3;
      jump.low[i] *= 3;
      jump.close[i] *= 3;
    }
    jump.open[150] = jump.close[149];
    jump.low[150] = Math.min(jump.low[150], jump.open[150]);
    expect(findOutliers(jump).found).toHaveLength(0);
    const flat = generateSynthetic({ model: 'gbm', bars: 50, seed: 1 });
    flat.close.fill(100);
    expect(findOutliers(flat).sigma).toBe(0);
    expect(OUTLIER_K).toBe(12);
  });

  it('a wick far beyond the body is an outlier too', () => {
    const bars = generateSynthetic({ model: 'gbm', bars: 300, seed: 8 });
    bars.low[100] = bars.low[100] / 1000;
    const { found } = findOutliers(bars);
    expect(found.map((f) => [f.index, f.bar.kind])).toEqual([[100, 'wick']]);
  });
});
