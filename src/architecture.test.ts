/**
 * The import rules of ARCHITECTURE.md, checked on the source: imports point down the folder list only,
 * and a folder is entered from outside only through its index.ts.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const LAYERS = [
  'core',
  'security',
  'data',
  'venues',
  'constraints',
  'risk-gatekeeper',
  'execution',
  'env',
  'agents',
  'backtests',
  'live',
  'gateway',
  'sandbox',
  // Queue workers run jobs on other machines: below sandbox (they supervise sandboxed agents), above cli (never import it).
  'jobs',
  'cli',
];

const srcDir = dirname(fileURLToPath(import.meta.url));

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const full = join(dir, name);
    if (statSync(full).isDirectory()) return sourceFiles(full);
    return name.endsWith('.ts') ? [full] : [];
  });
}

const IMPORT_RE = /(?:^|\n)\s*(?:import|export)[^'"]*?from\s+['"](\.[^'"]+)['"]|import\(\s*['"](\.[^'"]+)['"]\s*\)/g;

describe('architecture', () => {
  const files = sourceFiles(srcDir);

  it('has an index.ts in every top-level folder that exists', () => {
    for (const layer of LAYERS) {
      const dir = join(srcDir, layer);
      let exists = false;
      try {
        exists = statSync(dir).isDirectory();
      } catch {
        exists = false;
      }
      if (exists) expect(statSync(join(dir, 'index.ts')).isFile(), `${layer}/index.ts`).toBe(true);
    }
  });

  it('imports only folders above itself in ARCHITECTURE.md, and only through their index.ts', () => {
    const violations: string[] = [];
    for (const file of files) {
      const rel = relative(srcDir, file);
      const fromLayer = rel.split(sep)[0];
      const fromRank = LAYERS.indexOf(fromLayer);
      if (fromRank < 0) continue;
      const text = readFileSync(file, 'utf8');
      for (const m of text.matchAll(IMPORT_RE)) {
        const spec = m[1] ?? m[2];
        const target = relative(srcDir, resolve(dirname(file), spec));
        const toLayer = target.split(sep)[0];
        if (toLayer === fromLayer) continue;
        const toRank = LAYERS.indexOf(toLayer);
        if (toRank < 0) continue;
        if (toRank > fromRank) violations.push(`${rel} imports ${spec} (${toLayer} is below ${fromLayer})`);
        const inner = target.split(sep).slice(1).join('/');
        if (inner !== 'index.js' && inner !== 'index.ts') {
          violations.push(`${rel} imports ${spec}: go through ${toLayer}/index.ts`);
        }
      }
    }
    expect(violations).toEqual([]);
  });
});
