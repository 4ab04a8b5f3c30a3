/** Runs a CLI command in-process for specs: its stdout captured, its stderr silenced, its exit code read. */
import { Command } from 'commander';
import { vi } from 'vitest';

export interface CommandRun {
  readonly out: string;
  /** `process.exitCode` as the command left it (0 when unset); reset afterwards. */
  readonly exitCode: number;
}

export async function runCommand(register: (program: Command) => void, args: readonly string[]): Promise<CommandRun> {
  const program = new Command().exitOverride();
  register(program);
  let out = '';
  const stdout = vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
    out += String(chunk);
    return true;
  });
  const stderr = vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
  process.exitCode = undefined;
  try {
    await program.parseAsync(['node', 'bulwark', ...args]);
  } finally {
    stdout.mockRestore();
    stderr.mockRestore();
  }
  const exitCode = typeof process.exitCode === 'number' ? process.exitCode : 0;
  process.exitCode = undefined;
  return { out, exitCode };
}
