/**
 * Which bulwark wrote a file: the package version and, when the code runs from a git checkout, its commit.
 * Neither may fail a run: a missing package.json or git (an installed package, a container) gives null.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

export interface BuildInfo {
  bulwarkVersion: string | null;
  gitCommit: string | null;
}

let cached: BuildInfo | undefined;

export function buildInfo(): BuildInfo {
  if (cached) return cached;
  // src/agents/ and dist/agents/ are both two folders below the package root.
  const root = fileURLToPath(new URL('../../', import.meta.url));
  let bulwarkVersion: string | null = null;
  try {
    const pkg: unknown = JSON.parse(readFileSync(`${root}package.json`, 'utf8'));
    if (typeof pkg === 'object' && pkg !== null && 'version' in pkg && typeof pkg.version === 'string') bulwarkVersion = pkg.version;
  } catch {
    bulwarkVersion = null;
  }
  let gitCommit: string | null = null;
  try {
    const out = execFileSync('git', ['rev-parse', 'HEAD'], { cwd: root, stdio: ['ignore', 'pipe', 'ignore'], timeout: 5000, encoding: 'utf8' }).trim();
    gitCommit = /^[0-9a-f]{40,64}$/.test(out) ? out : null;
  } catch {
    gitCommit = null;
  }
  cached = { bulwarkVersion, gitCommit };
  return cached;
}
