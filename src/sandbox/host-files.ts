/**
 * Where the host files (agent-host, relay-worker and what they import) are as runnable JavaScript. From the
 * built package they are this folder's own .js files. From the TypeScript sources (specs, `tsx`-style runs)
 * they are transpiled once into a directory under the OS temp dir named by a hash of their text, so a stale
 * copy is never used. Tiers 2 and 3 mount this directory read-only as the sandbox's only code besides the agent.
 */
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, renameSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The files that run inside a sandbox or a relay thread (node builtins and each other only). */
export const HOST_FILES = ['frame-codec', 'protocol', 'agent-host', 'relay-worker'] as const;

let cached: string | null = null;

export async function hostFilesDir(): Promise<string> {
  if (cached !== null) return cached;
  const here = dirname(fileURLToPath(import.meta.url));
  if (!import.meta.url.endsWith('.ts')) {
    cached = here;
    return here;
  }
  const sources = HOST_FILES.map((name) => ({ name, text: readFileSync(join(here, `${name}.ts`), 'utf8') }));
  const hash = createHash('sha256');
  for (const s of sources) hash.update(s.name).update('\0').update(s.text).update('\0');
  const dir = join(tmpdir(), `bulwark-sandbox-host-${hash.digest('hex').slice(0, 16)}`);
  if (!existsSync(join(dir, 'complete'))) {
    const ts = (await import('typescript')).default;
    mkdirSync(dir, { recursive: true, mode: 0o755 });
    for (const s of sources) {
      const out = ts.transpileModule(s.text, {
        compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022, isolatedModules: true },
      });
      const tmp = join(dir, `${s.name}.js.${process.pid}.tmp`);
      writeFileSync(tmp, out.outputText, { mode: 0o644 });
      renameSync(tmp, join(dir, `${s.name}.js`));
    }
    // The transpiled files are ES modules; without this Node would read them as CommonJS.
    writeFileSync(join(dir, 'package.json'), '{"type":"module"}\n', { mode: 0o644 });
    writeFileSync(join(dir, 'complete'), '');
  }
  cached = dir;
  return dir;
}
