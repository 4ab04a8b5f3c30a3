/**
 * `bulwark bench data`: synthetic generation per model, feature computation, and a CSV write + load round trip,
 * each over `1,000,000 × scale` bars.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadBarsCsv } from './csv-loader.js';
import { writeBarsCsv } from './csv-writer.js';
import { computeFeatures } from './features.js';
import { generateSynthetic } from './synthetic.js';
import { SYNTHETIC_MODELS } from './synthetic-spec.js';

export interface DataBenchOptions {
  json: boolean;
  scale: number;
}

function round(x: number): number {
  return Math.round(x * 10) / 10;
}

export async function benchData(options: DataBenchOptions): Promise<Record<string, unknown>> {
  const bars = Math.max(1000, Math.round(1_000_000 * options.scale));
  const generateMs: Record<string, number> = {};
  for (const model of SYNTHETIC_MODELS) {
    const t0 = performance.now();
    generateSynthetic({ model, bars, seed: 1 });
    generateMs[model] = round(performance.now() - t0);
  }
  const market = generateSynthetic({ model: 'regime', bars, seed: 2 });
  let t0 = performance.now();
  const features = computeFeatures(market);
  const featuresMs = round(performance.now() - t0);

  const dir = await mkdtemp(join(tmpdir(), 'bulwark-bench-data-'));
  try {
    const path = join(dir, 'bars.csv');
    t0 = performance.now();
    await writeBarsCsv(path, market);
    const writeCsvMs = round(performance.now() - t0);
    t0 = performance.now();
    const loaded = await loadBarsCsv(path);
    const loadCsvMs = round(performance.now() - t0);
    if (loaded.bars.length !== bars) throw new Error(`bench data: read back ${loaded.bars.length} bars, wrote ${bars}`);
    return {
      bench: 'data',
      bars,
      generateMs,
      generateBarsPerSec: Object.fromEntries(
        Object.entries(generateMs).map(([k, ms]) => [k, Math.round(bars / (ms / 1000))]),
      ),
      featuresMs,
      nFeatures: features.nFeatures,
      writeCsvMs,
      loadCsvMs,
      loadCsvRowsPerSec: Math.round(bars / (loadCsvMs / 1000)),
    };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
