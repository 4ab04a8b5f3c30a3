/**
 * A temporary folder holding a seeded synthetic bars CSV for a test file's paper sessions, removed after its
 * tests. (The vitest setup file already gives every test file a `BULWARK_HOME` of its own.)
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll } from 'vitest';
import { generateSynthetic, parseSynthSpec, writeBarsCsv } from '../../data/index.js';

export function replayCsvFixture(prefix: string, synthSpec: string): { readonly dir: string; readonly file: string } {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  const file = join(dir, 'bars.csv');
  beforeAll(async () => {
    await writeBarsCsv(file, generateSynthetic(parseSynthSpec(synthSpec)));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  return { dir, file };
}
