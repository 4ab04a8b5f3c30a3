import { describe, expect, it } from 'vitest';
import { buildProgram, commandNameIn, COMMAND_MODULES } from './program.js';

const listing = (p: Awaited<ReturnType<typeof buildProgram>>) => p.commands.map((c) => [c.name(), c.description()]);

describe('bulwark command tree', () => {
  it('help_entries_name_and_describe_every_command_exactly_as_its_module_registers_it', async () => {
    const full = await buildProgram();
    const listed = await buildProgram(['node', 'bulwark', '--help']);
    expect(listing(listed)).toEqual(listing(full));
    expect(COMMAND_MODULES.flatMap((m) => m.commands.map((c) => c.name))).toEqual(full.commands.map((c) => c.name()));
  });

  it('only_the_named_commands_module_is_registered_in_full', async () => {
    const p = await buildProgram(['node', 'bulwark', 'backtest', '--agent', 'buy-and-hold']);
    const backtest = p.commands.find((c) => c.name() === 'backtest');
    const train = p.commands.find((c) => c.name() === 'train');
    expect(backtest?.options.map((o) => o.long)).toContain('--agent');
    expect(train?.options).toEqual([]);
  });

  it('command_name_is_the_first_word_or_the_one_after_help', () => {
    expect(commandNameIn(['node', 'bulwark', '--help'])).toBeUndefined();
    expect(commandNameIn(['node', 'bulwark'])).toBeUndefined();
    expect(commandNameIn(['node', 'bulwark', 'backtest', '--data', 'x.csv'])).toBe('backtest');
    expect(commandNameIn(['node', 'bulwark', 'help', 'train'])).toBe('train');
    expect(commandNameIn(['node', 'bulwark', '-h', 'status'])).toBe('status');
  });
});
