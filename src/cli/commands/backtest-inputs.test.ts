/** What a new user tripped over in `bulwark backtest` (issue 15): each bad input says exactly what is wrong. */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { formatBarsCsv, generateSynthetic } from '../../data/index.js';
import { runCommand } from '../test-helpers/run-command.js';
import { prepareJob } from '../../backtests/index.js';
import { type BacktestFlags, jobFromFlags, registerBacktestCommand, runBacktestCommand } from './backtest.js';
import { registerKillCommand } from './kill.js';
import { nextStepHints } from './demo.js';

const dir = mkdtempSync(join(tmpdir(), 'bulwark-backtest-inputs-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const flags = (extra: Partial<BacktestFlags>): BacktestFlags => ({ synth: 'regime:bars=300,seed=4', agent: 'buy-and-hold', seed: '0', json: true, ...extra });

describe('backtest inputs', () => {
  it('cash_zero_or_negative_then_one_rule_one_message', async () => {
    for (const cash of ['0', '-5']) {
      await expect(runBacktestCommand(flags({ cash, out: join(dir, `cash${cash}`) }))).rejects.toThrow(`--cash: must be a number > 0, got '${cash}'`);
    }
  });

  it('from_after_to_then_says_exactly_that', async () => {
    await expect(runBacktestCommand(flags({ from: '2021-03-01', to: '2021-02-01', out: join(dir, 'ft') }))).rejects.toThrow(
      '--from 2021-03-01 is after --to 2021-02-01',
    );
  });

  it('misspelt_agent_then_lists_the_agent_names_and_suggests_the_nearest', async () => {
    await expect(runBacktestCommand(flags({ agent: 'smacross', out: join(dir, 'a1') }))).rejects.toThrow(
      "--agent 'smacross': not an agent name (buy-and-hold, sma-cross, random) nor a checkpoint file or run directory; did you mean 'sma-cross'?",
    );
    await expect(runBacktestCommand(flags({ agent: 'buy-and-hodl:size=0.5', out: join(dir, 'a2') }))).rejects.toThrow("did you mean 'buy-and-hold'?");
    await expect(runBacktestCommand(flags({ agent: 'zzzzzzzzzzzz', out: join(dir, 'a3') }))).rejects.toThrow(/or run directory$/);
  });

  it('five_bar_file_with_a_thirty_bar_warm_up_then_warns_and_marks_the_annualised_figures', async () => {
    const csv = join(dir, 'five.csv');
    writeFileSync(csv, formatBarsCsv(generateSynthetic({ model: 'gbm', bars: 5, seed: 2 })));
    const run = await runCommand(registerBacktestCommand, ['backtest', '--data', csv, '--agent', 'sma-cross', '--out', join(dir, 'five'), '--json']);
    const out = JSON.parse(run.out) as { agent_notes: string[]; annualised_caveat?: string };
    expect(out.agent_notes.join(' ')).toContain("5 bars is not more than sma-cross:fast=10,slow=30's warm-up of 30 bars: it never trades");
    expect(out.annualised_caveat).toMatch(/^annualised from 5\.0 hours of data \(under 90 days\)/);
    const text = await runCommand(registerBacktestCommand, ['backtest', '--data', csv, '--agent', 'buy-and-hold', '--out', join(dir, 'five-text')]);
    expect(text.out).toMatch(/\d%\*/);
    expect(text.out).toContain('* annualised from 5.0 hours of data');
  });

  it('csv_flags_then_backtest_sweep_walk_forward_eval_env_and_data_inspect_all_take_the_same_ones', async () => {
    const { Command } = await import('commander');
    const { registerSweepCommands } = await import('./sweep.js');
    const { registerEvalCommand } = await import('./eval.js');
    const { registerEnvCommand } = await import('./env.js');
    const { registerDataCommand } = await import('./data.js');
    const program = new Command();
    for (const register of [registerBacktestCommand, registerSweepCommands, registerEvalCommand, registerEnvCommand, registerDataCommand]) register(program);
    const csvFlags = ['--volume-column', '--price-scale', '--time-unit', '--duplicates', '--gaps', '--outliers'];
    const leaves = (c: InstanceType<typeof Command>): InstanceType<typeof Command>[] => (c.commands.length === 0 ? [c] : c.commands.flatMap(leaves));
    const loaders = leaves(program).filter((c) => c.options.some((o) => o.long === '--data') || c.name() === 'inspect');
    expect(loaders.map((c) => c.name()).sort()).toEqual(['backtest', 'eval', 'inspect', 'inspect', 'sweep', 'walk-forward']);
    for (const c of loaders) expect(c.options.map((o) => o.long).filter((l) => l !== undefined && csvFlags.includes(l)).sort(), c.name()).toEqual([...csvFlags].sort());
  });

  it('day_start_and_timezone_then_backtest_sweep_walk_forward_and_paper_take_them_and_the_instrument_keeps_the_session', async () => {
    const { Command } = await import('commander');
    const { registerSweepCommands } = await import('./sweep.js');
    const { registerPaperCommand } = await import('./paper.js');
    const program = new Command();
    for (const register of [registerBacktestCommand, registerSweepCommands, registerPaperCommand]) register(program);
    for (const c of program.commands) expect(c.options.map((o) => o.long).filter((l) => l === '--day-start' || l === '--timezone'), c.name()).toEqual(['--day-start', '--timezone']);
    const job = jobFromFlags(flags({ dayStart: '17:00', timezone: 'America/New_York' }));
    expect(job.session).toEqual({ timezone: 'America/New_York', dayStartsAt: '17:00' });
    expect((await prepareJob(job)).instrument.session).toEqual({ timezone: 'America/New_York', dayStartsAt: '17:00' });
    expect((await prepareJob(jobFromFlags(flags({})))).instrument.session).toBeUndefined();
    await expect(runBacktestCommand(flags({ timezone: 'Eastern', out: join(dir, 'tz') }))).rejects.toThrow(/^--timezone: must be an IANA time zone/);
  });

  it('config_file_session_then_the_instrument_keeps_it_flags_replace_it_and_bad_values_name_the_field', async () => {
    const config = join(dir, 'session.yaml');
    writeFileSync(config, 'session: { timezone: America/New_York, dayStartsAt: "17:00" }\n');
    expect((await prepareJob(jobFromFlags(flags({ config })))).instrument.session).toEqual({ timezone: 'America/New_York', dayStartsAt: '17:00' });
    expect((await prepareJob(jobFromFlags(flags({ config, dayStart: '09:30', timezone: 'Europe/London' })))).instrument.session).toEqual({
      timezone: 'Europe/London',
      dayStartsAt: '09:30',
    });
    // Plain UTC days (from the flags or the file) leave the instrument as it always was.
    expect((await prepareJob(jobFromFlags(flags({ config, timezone: 'UTC' })))).instrument.session).toBeUndefined();
    const utcFile = join(dir, 'session-utc.yaml');
    writeFileSync(utcFile, 'session: { timezone: UTC }\n');
    expect((await prepareJob(jobFromFlags(flags({ config: utcFile })))).instrument.session).toBeUndefined();
    // The session decides where a day's trades are counted: one trade a day over 300 hourly bars trades a different number of days.
    const rules = join(dir, 'one-a-day.yaml');
    writeFileSync(rules, 'max_position_pct: 0.6\nmax_trades_per_day: 1\n');
    const trades = async (extra: Partial<BacktestFlags>): Promise<string> =>
      Array.from((await runBacktestCommand(flags({ agent: 'random:p=0.5,size=0.2', rules, out: join(dir, `s-${Math.random().toString(36).slice(2)}`), ...extra }))).record.positionQty).join(',');
    expect(await trades({ config })).toBe(await trades({ dayStart: '17:00', timezone: 'America/New_York' }));
    expect(await trades({ config })).not.toBe(await trades({}));
    for (const [body, field] of [
      ['session: { timezone: New York }\n', /session\.timezone: must be an IANA time zone .*got "New York"/],
      ['session: { dayStartsAt: "5pm" }\n', /session\.dayStartsAt: must be a local time HH:MM/],
      ['session: { dayStart: "17:00" }\n', /session.*dayStart/],
    ] as const) {
      const bad = join(dir, 'session-bad.yaml');
      writeFileSync(bad, body);
      await expect(runBacktestCommand(flags({ config: bad, out: join(dir, 'sbad') }))).rejects.toThrow(field);
    }
  });

  it('duplicate_timestamps_then_the_flag_the_error_suggests_exists_and_works', async () => {
    const bars = generateSynthetic({ model: 'gbm', bars: 60, seed: 3 });
    const lines = formatBarsCsv(bars).trimEnd().split('\n');
    lines.splice(11, 0, lines[10]);
    const csv = join(dir, 'dups.csv');
    writeFileSync(csv, `${lines.join('\n')}\n`);
    await expect(runBacktestCommand({ ...flags({ out: join(dir, 'd1') }), synth: undefined, data: csv })).rejects.toThrow(/keep-first' or 'keep-last/);
    const r = await runBacktestCommand({ ...flags({ out: join(dir, 'd2') }), synth: undefined, data: csv, duplicates: 'keep-last' });
    expect(r.record.bars.length).toBe(60);
    await expect(runBacktestCommand({ ...flags({ out: join(dir, 'd3') }), synth: undefined, data: csv, duplicates: 'newest' })).rejects.toThrow(
      "--duplicates: must be one of error, keep-first, keep-last, got 'newest'",
    );
  });

  it('price_spike_then_outliers_error_refuses_and_drop_removes_it', async () => {
    const bars = generateSynthetic({ model: 'gbm', bars: 300, seed: 5 });
    bars.close[150] = 1e9;
    bars.high[150] = 1e9;
    bars.open[151] = bars.close[149];
    const csv = join(dir, 'spike.csv');
    writeFileSync(csv, formatBarsCsv(bars));
    await expect(runBacktestCommand({ ...flags({ out: join(dir, 's1') }), synth: undefined, data: csv, outliers: 'error' })).rejects.toThrow(/outlier bar\(s\).*close 1000000000/);
    const dropped = await runBacktestCommand({ ...flags({ out: join(dir, 's2') }), synth: undefined, data: csv, outliers: 'drop' });
    expect(dropped.record.bars.length).toBe(299);
    expect(dropped.record.metrics.max_drawdown).toBeLessThan(0.5);
  });

  it('long_enough_run_then_no_warning_and_no_caveat', async () => {
    const run = await runCommand(registerBacktestCommand, ['backtest', '--synth', 'regime:bars=2400,seed=4', '--agent', 'sma-cross', '--out', join(dir, 'long'), '--json']);
    const out = JSON.parse(run.out) as { agent_notes: string[]; annualised_caveat?: string };
    expect(out.agent_notes.join(' ')).not.toContain('Warning');
    expect(out.annualised_caveat).toBeUndefined();
  });

  it('demo_hints_say_npx_bulwark_and_kill_help_names_one_default', async () => {
    expect(nextStepHints('runs/demo/ppo-lag').every((h) => h.startsWith('npx bulwark '))).toBe(true);
    let help = '';
    const r = await runCommand((p) => {
      registerKillCommand(p);
      p.commands.forEach((c) => c.configureOutput({ writeOut: (s) => (help += s) }));
    }, ['kill', '--help']).catch(() => null);
    expect(r).toBeNull(); // commander's exitOverride throws after printing help
    expect(help).toMatch(/--operator <id>\s+who \(default: "[^"]*"\)/);
    expect(help).not.toContain('(default: the OS user)');
  });
});
