/**
 * The host files: the code that runs inside a sandbox or a relay thread (agent-host, relay-worker, what they
 * import, and the checkpoint agent with its forward pass), as runnable JavaScript in one directory of their
 * own: `sandbox/` and `agents/` below it, so their relative imports resolve as in the source tree. From the
 * built package they are copied from dist/; from the TypeScript sources (specs, `tsx`-style runs) they are
 * transpiled. Either way the directory is under the OS temp dir, named by a hash of the files' text, so a
 * stale copy is never used. Tiers 2 and 3 mount it read-only as the sandbox's only code besides the agent;
 * nothing else of the project (and no node_modules) is visible there.
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The files that run inside a sandbox or a relay thread (node builtins and each other only), by path below src/. */
export const HOST_FILES = [
  'sandbox/frame-codec',
  'sandbox/protocol',
  'sandbox/shared-channel',
  'sandbox/agent-host',
  'sandbox/relay-worker',
  'agents/dense-actor',
  'agents/checkpoint-policy-agent',
] as const;

/** The checkpoint agent module, relative to the host directory. */
export const CHECKPOINT_AGENT_MODULE = 'agents/checkpoint-policy-agent.js';

let cached: Promise<string> | null = null;

export function hostFilesDir(): Promise<string> {
  cached ??= makeHostFilesDir();
  return cached;
}

async function makeHostFilesDir(): Promise<string> {
  const fromSource = import.meta.url.endsWith('.ts');
  const root = join(dirname(fileURLToPath(import.meta.url)), '..');
  const ext = fromSource ? 'ts' : 'js';
  const sources = HOST_FILES.map((name) => ({ name, text: readFileSync(join(root, `${name}.${ext}`), 'utf8') }));
  const hash = createHash('sha256').update(ext);
  for (const s of sources) hash.update(s.name).update('\0').update(s.text).update('\0');
  const dir = join(tmpdir(), `bulwark-sandbox-host-${hash.digest('hex').slice(0, 16)}`);
  if (existsSync(join(dir, 'complete'))) return dir;
  const ts = fromSource ? (await import('typescript')).default : null;
  for (const s of sources) {
    const text =
      ts === null
        ? s.text
        : ts.transpileModule(s.text, { compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022, isolatedModules: true } }).outputText;
    const out = join(dir, `${s.name}.js`);
    mkdirSync(dirname(out), { recursive: true, mode: 0o755 });
    // Written under a temporary name and renamed: another process making the same directory never sees half a file.
    const tmp = `${out}.${process.pid}.tmp`;
    writeFileSync(tmp, text, { mode: 0o644 });
    renameSync(tmp, out);
  }
  // The files are ES modules; without this Node would read them as CommonJS.
  writeFileSync(join(dir, 'package.json'), '{"type":"module"}\n', { mode: 0o644 });
  writeFileSync(join(dir, 'complete'), '');
  return dir;
}
