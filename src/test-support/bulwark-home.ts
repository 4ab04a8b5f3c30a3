/**
 * Vitest setup file: every test file gets a home directory of its own (`BULWARK_HOME`), so commands that keep
 * keys, keyrings, witnesses and the kill-switch log never touch the user's `~/.bulwark`.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll } from 'vitest';

const home = mkdtempSync(join(tmpdir(), 'bulwark-test-home-'));
const before = process.env.BULWARK_HOME;
process.env.BULWARK_HOME = home;
afterAll(() => {
  if (before === undefined) delete process.env.BULWARK_HOME;
  else process.env.BULWARK_HOME = before;
  rmSync(home, { recursive: true, force: true });
});
