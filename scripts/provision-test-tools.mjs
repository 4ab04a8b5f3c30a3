#!/usr/bin/env node
// Runs before the test suite (`npm test`): makes sure the system tools the tests need are on this machine.
// A missing tool is installed with apt when we are root on Debian/Ubuntu (and says so); otherwise the run
// stops at once with one line per missing tool and the command that installs it, instead of a wall of failed
// tests. BULWARK_TEST_NO_INSTALL=1 reports without installing.
import { spawnSync } from 'node:child_process';

/** tool on PATH -> Debian package, and what needs it */
const TOOLS = [
  { bin: 'redis-server', pkg: 'redis-server', why: 'private Redis for the state-store, kill-switch and queue tests' },
  { bin: 'bwrap', pkg: 'bubblewrap', why: 'sandbox tier 2 (namespaces)' },
  { bin: 'runsc', pkg: 'runsc', why: 'sandbox tier 3 (gVisor)' },
  { bin: 'chromium', pkg: 'chromium', why: 'browser tests of the ops dashboard and the report' },
];

function onPath(bin) {
  return spawnSync('sh', ['-c', `command -v ${bin}`], { stdio: 'ignore' }).status === 0;
}

const missing = TOOLS.filter((t) => !onPath(t.bin));
if (missing.length === 0) process.exit(0);

const pkgs = missing.map((t) => t.pkg);
const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;
const canInstall = isRoot && onPath('apt-get') && process.env.BULWARK_TEST_NO_INSTALL !== '1';

if (canInstall) {
  console.log(`test tools: installing ${pkgs.join(', ')} with apt-get (${missing.map((t) => `${t.bin}: ${t.why}`).join('; ')})`);
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  const update = spawnSync('apt-get', ['update', '-qq'], { stdio: 'inherit', env });
  const install =
    update.status === 0
      ? spawnSync('apt-get', ['install', '-y', '-qq', '--no-install-recommends', ...pkgs], { stdio: ['ignore', 'ignore', 'inherit'], env })
      : update;
  const still = missing.filter((t) => !onPath(t.bin));
  if (install.status === 0 && still.length === 0) {
    console.log(`test tools: installed ${pkgs.join(', ')}`);
    process.exit(0);
  }
  missing.splice(0, missing.length, ...still);
}

console.error('npm test: these tools are missing and could not be installed here:');
for (const t of missing) console.error(`  ${t.bin} (${t.why}): sudo apt-get install -y ${t.pkg}`);
console.error(`or all at once: sudo apt-get install -y ${missing.map((t) => t.pkg).join(' ')}`);
process.exit(1);
