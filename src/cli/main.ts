#!/usr/bin/env node
/** Entry point of the `bulwark` command: parses argv and turns errors into messages and exit codes. */
import { CommanderError } from 'commander';
import { buildProgram } from './program.js';

async function main(argv: string[]): Promise<void> {
  try {
    const program = await buildProgram(argv);
    program.exitOverride();
    await program.parseAsync(argv);
  } catch (err) {
    if (err instanceof CommanderError) {
      process.exitCode = err.exitCode;
      return;
    }
    // core/ (and zod behind it) loads only when there is an error to classify, keeping --help fast.
    const { ValidationError } = await import('../core/index.js');
    if (err instanceof ValidationError) {
      process.stderr.write(`error: ${err.message}\n`);
      process.exitCode = 2;
      return;
    }
    const message = err instanceof Error ? err.message : String(err);
    process.stderr.write(`error: ${message}\n`);
    if (process.env.BULWARK_DEBUG && err instanceof Error && err.stack) process.stderr.write(`${err.stack}\n`);
    process.exitCode = 1;
  }
}

await main(process.argv);
