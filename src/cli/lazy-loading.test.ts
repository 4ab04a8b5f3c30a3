/**
 * Heavy modules load only in the commands that use them (issue 15: `bulwark --help` spent 1.4 s of CPU loading
 * ccxt and TensorFlow.js). The mocks below pass the real modules through and record that they were loaded.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { buildProgram } from './program.js';
import { runCommand } from './test-helpers/run-command.js';

const loaded = vi.hoisted(() => new Set<string>());
vi.mock('@tensorflow/tfjs', async (original) => {
  loaded.add('@tensorflow/tfjs');
  return original();
});
vi.mock('ccxt', async (original) => {
  loaded.add('ccxt');
  return original();
});
vi.mock('zod', async (original) => {
  loaded.add('zod');
  return original();
});

const dir = mkdtempSync(join(tmpdir(), 'bulwark-lazy-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('lazy loading of heavy modules', () => {
  it('help_loads_commander_only_not_zod_tensorflow_or_ccxt', async () => {
    let out = '';
    const program = (await buildProgram(['node', 'bulwark', '--help'])).exitOverride().configureOutput({ writeOut: (s) => (out += s) });
    await expect(program.parseAsync(['node', 'bulwark', '--help'])).rejects.toThrow();
    expect(out).toContain('backtest');
    expect([...loaded]).toEqual([]);
  });

  it('rule_agent_backtest_loads_neither_tensorflow_nor_ccxt', async () => {
    const { registerBacktestCommand } = await import('./commands/backtest.js');
    const run = await runCommand(registerBacktestCommand, [
      'backtest',
      '--synth',
      'regime:bars=300,seed=2',
      '--agent',
      'sma-cross:fast=5,slow=20',
      '--out',
      join(dir, 'bt'),
      '--json',
    ]);
    expect(run.exitCode).toBe(0);
    expect(JSON.parse(run.out).bars).toBe(300);
    expect(loaded.has('@tensorflow/tfjs')).toBe(false);
    expect(loaded.has('ccxt')).toBe(false);
  });
});
