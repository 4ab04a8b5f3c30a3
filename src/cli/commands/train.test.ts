import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { formatBarsCsv, generateSynthetic } from '../../data/index.js';
import { runCommand } from '../test-helpers/run-command.js';
import { METRIC_COLUMNS, WALL_CLOCK_COLUMNS } from '../../agents/index.js';
import { registerTrainCommand, runTrain } from './train.js';
import { type TinyTrainOverrides, writeTinyTrainConfig } from '../../test-support/tiny-train-config.js';

const dir = mkdtempSync(join(tmpdir(), 'bulwark-cli-train-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A tiny seeded run (test-support/tiny-train-config.ts) in this file's folder. */
const writeConfig = (name: string, overrides: TinyTrainOverrides = {}): string => writeTinyTrainConfig(dir, name, overrides);

const quiet = <T>(fn: () => Promise<T>): Promise<T> => {
  const spy = vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
  return fn().finally(() => spy.mockRestore());
};
const train = (opts: Parameters<typeof runTrain>[0]): ReturnType<typeof runTrain> => quiet(() => runTrain({ progress: false, ...opts }));
const read = (...p: string[]): string => readFileSync(join(...p), 'utf8');
/** A metrics file with the wall-clock columns blanked: what must be identical between runs of the same seed. */
function withoutWallClock(text: string, kind: 'csv' | 'jsonl'): string {
  const lines = text.trimEnd().split('\n');
  if (kind === 'jsonl') {
    return lines.map((l) => JSON.stringify(Object.fromEntries(Object.entries(JSON.parse(l) as object).filter(([k]) => !WALL_CLOCK_COLUMNS.includes(k))))).join('\n');
  }
  const header = lines[0].split(',');
  const drop = new Set(WALL_CLOCK_COLUMNS.map((c) => header.indexOf(c)));
  expect(drop.has(-1)).toBe(false);
  return lines.map((l) => l.split(',').filter((_, i) => !drop.has(i)).join(',')).join('\n');
}
const lastCheckpoint = (out: string): { epoch: number; weights: unknown; optimizers: unknown; lagrange: { lambda: number }; rng: unknown; obsStats: unknown } =>
  JSON.parse(read(out, 'checkpoints', 'last.json'));

describe('bulwark train', () => {
  it('tiny_seeded_run_then_writes_metrics_checkpoints_curve_and_meta_with_backend', async () => {
    const out = join(dir, 'files');
    const summary = await train({ config: writeConfig('files', { epochs: 4 }), out });
    expect(summary.epochs).toBe(4);
    const lines = read(out, 'metrics.jsonl').trim().split('\n');
    expect(lines.map((l) => JSON.parse(l).epoch)).toEqual([1, 2, 3, 4]);
    const csv = read(out, 'metrics.csv').trim().split('\n');
    expect(csv[0]).toBe(METRIC_COLUMNS.join(','));
    expect(csv).toHaveLength(5);
    for (const f of ['epoch-00002.json', 'epoch-00004.json', 'last.json']) expect(existsSync(join(out, 'checkpoints', f))).toBe(true);
    expect(existsSync(join(out, 'checkpoints', 'epoch-00001.json'))).toBe(false);
    expect(lastCheckpoint(out).epoch).toBe(4);
    const html = read(out, 'curve.html');
    expect(html).toContain('<html');
    expect(html).not.toMatch(/<script[^>]+src=/); // self-contained: uPlot is inlined, nothing is fetched
    const meta = JSON.parse(read(out, 'meta.json'));
    expect(['tensorflow', 'wasm', 'cpu']).toContain(meta.backend);
    expect(meta.backend).toBe(summary.backend);
    expect(meta.data).toContain('regime:bars=600,seed=3');
    expect(JSON.parse(read(out, 'config.json')).task.data).toBe('regime:bars=600,seed=3');
  });

  it('config_with_unknown_field_or_out_of_range_value_then_error_names_the_field', async () => {
    await expect(train({ config: writeConfig('unknown', { train: '  learningRate: 0.1' }), out: join(dir, 'x1') })).rejects.toThrow(/train.*'learningRate'/);
    await expect(train({ config: writeConfig('range', { train: '  clipCoef: -0.2' }), out: join(dir, 'x2') })).rejects.toThrow(/train\.clipCoef/);
    await expect(train({ config: writeConfig('toplevel', { top: 'checkpointEvery2: 1' }), out: join(dir, 'x3') })).rejects.toThrow(/checkpointEvery2/);
    await expect(train({ config: writeConfig('seedflag'), seed: '-3', out: join(dir, 'x4') })).rejects.toThrow(/--seed/);
    expect(existsSync(join(dir, 'x1'))).toBe(false);
  });

  it('bad_data_source_then_error_names_task_data_or_flag_and_the_problem', async () => {
    await expect(train({ config: writeConfig('badspec', { task: '  data: regime:bars=abc' }), out: join(dir, 'y1') })).rejects.toThrow(/task\.data.*bars.*expected a number/);
    await expect(train({ config: writeConfig('badmodel', { task: '  data: regime:colour=3' }), out: join(dir, 'y2') })).rejects.toThrow(/task\.data.*colour.*unknown parameter/);
    await expect(train({ config: writeConfig('both', { task: '  data: regime:bars=600\n  bars: 600' }), out: join(dir, 'y3') })).rejects.toThrow(/task\.bars.*not together with task\.data/);
    await expect(train({ config: writeConfig('flag'), data: 'jump:seed=x', out: join(dir, 'y4') })).rejects.toThrow(/--data.*seed/);
    await expect(train({ config: writeConfig('nofile'), data: join(dir, 'missing.csv'), out: join(dir, 'y5') })).rejects.toThrow(/missing\.csv.*cannot read/);
  });

  it('missing_or_broken_config_too_many_minibatches_or_resume_without_run_then_named_and_no_directory_left', async () => {
    await expect(train({ config: join(dir, 'absent.yaml'), out: join(dir, 'z1') })).rejects.toThrow(/--config .*absent\.yaml: file not found/);
    const broken = join(dir, 'broken.yaml');
    writeFileSync(broken, 'train: [\n');
    await expect(train({ config: broken, out: join(dir, 'z2') })).rejects.toThrow(/broken\.yaml: not valid YAML/);
    const many = writeConfig('many', { train: '  numMinibatches: 64' });
    writeFileSync(many, read(many).replace('  numMinibatches: 2\n', ''));
    await expect(train({ config: many, out: join(dir, 'z3') })).rejects.toThrow(/train\.numMinibatches: 64 is more than the 32 samples per epoch/);
    await expect(train({ config: writeConfig('noresume'), out: join(dir, 'z4'), resume: true })).rejects.toThrow(/--resume: no checkpoint at/);
    // Data too short for one episode fails inside training, after the run directory was made: it is removed again.
    await expect(train({ config: writeConfig('short'), data: 'regime:bars=50,seed=1', out: join(dir, 'z5') })).rejects.toThrow(/need at least \d+ bars/);
    for (const name of ['z1', 'z2', 'z3', 'z4', 'z5']) expect(existsSync(join(dir, name))).toBe(false);
  });

  it('empty_comments_only_csv_or_binary_config_then_refused_saying_what_it_is_in_one_short_line', async () => {
    const cases: [string, string | Buffer, RegExp][] = [
      ['empty.yaml', '', /empty\.yaml: is empty .*start from examples\/train-ppo-lag\.yaml/],
      ['comments.yaml', '# nothing yet\n', /comments\.yaml: is empty/],
      ['braces.yaml', '{}\n', /braces\.yaml: is empty/],
      ['bars.csv', formatBarsCsv(generateSynthetic({ model: 'gbm', bars: 500, seed: 1 })), /bars\.csv: not a YAML\/JSON mapping of fields, got a text of \d+ characters starting "time/],
      ['blob.bin', Buffer.from(Array.from({ length: 4096 }, (_, i) => (i * 37) % 256)), /blob\.bin: (not a YAML\/JSON mapping of fields, got binary data|not valid YAML)/],
    ];
    for (const [name, content, expected] of cases) {
      writeFileSync(join(dir, name), content);
      const err = await train({ config: join(dir, name), out: join(dir, `cfg-${name}`) }).then(
        () => new Error('trained'),
        (e: unknown) => (e instanceof Error ? e : new Error(String(e))),
      );
      expect(err.message).toMatch(expected);
      expect(err.message.length, name).toBeLessThan(400);
      expect(existsSync(join(dir, `cfg-${name}`))).toBe(false);
    }
  });

  it('data_flag_with_a_csv_file_then_trains_on_its_bars', async () => {
    const csvPath = join(dir, 'bars.csv');
    writeFileSync(csvPath, formatBarsCsv(generateSynthetic({ model: 'gbm', bars: 300, seed: 5 })));
    const out = join(dir, 'csv');
    const summary = await train({ config: writeConfig('csv'), data: csvPath, out });
    expect(summary.data).toContain('bars.csv (300 bars');
    expect(JSON.parse(read(out, 'config.json')).task.data).toBe(csvPath);
    expect(read(out, 'metrics.jsonl').trim().split('\n')).toHaveLength(2);
  });

  it('same_seed_then_identical_metrics_and_seed_flag_overrides_the_config', async () => {
    const config = writeConfig('seeds');
    await train({ config, out: join(dir, 'seed-a') });
    await train({ config, out: join(dir, 'seed-b') });
    await train({ config, out: join(dir, 'seed-7'), seed: '7' });
    expect(withoutWallClock(read(dir, 'seed-a', 'metrics.jsonl'), 'jsonl')).toBe(withoutWallClock(read(dir, 'seed-b', 'metrics.jsonl'), 'jsonl'));
    expect(read(dir, 'seed-a', 'checkpoints', 'last.json')).toBe(read(dir, 'seed-b', 'checkpoints', 'last.json'));
    expect(JSON.parse(read(dir, 'seed-7', 'meta.json')).seed).toBe(7);
    expect(JSON.parse(read(dir, 'seed-7', 'config.json')).train.seed).toBe(7);
    expect(read(dir, 'seed-7', 'metrics.jsonl')).not.toBe(read(dir, 'seed-a', 'metrics.jsonl'));
  });

  it('two_epochs_resumed_to_four_then_equal_to_four_straight_epochs_bit_for_bit', async () => {
    const straight = join(dir, 'straight');
    await train({ config: writeConfig('straight4', { epochs: 4 }), out: straight });
    const resumed = join(dir, 'resumed');
    await train({ config: writeConfig('resume2', { epochs: 2 }), out: resumed });
    expect(lastCheckpoint(resumed).epoch).toBe(2);
    await expect(train({ config: writeConfig('resume4', { epochs: 4 }), out: resumed })).rejects.toThrow(/already holds a run/);
    await train({ config: writeConfig('resume4', { epochs: 4 }), out: resumed, resume: true });

    // Byte-identical but for the wall-clock columns (when each epoch ended, how long it took).
    expect(withoutWallClock(read(resumed, 'metrics.jsonl'), 'jsonl')).toBe(withoutWallClock(read(straight, 'metrics.jsonl'), 'jsonl'));
    expect(withoutWallClock(read(resumed, 'metrics.csv'), 'csv')).toBe(withoutWallClock(read(straight, 'metrics.csv'), 'csv'));
    const a = lastCheckpoint(straight);
    const b = lastCheckpoint(resumed);
    expect(b.epoch).toBe(4);
    expect(b.weights).toEqual(a.weights);
    expect(b.optimizers).toEqual(a.optimizers);
    expect(b.rng).toEqual(a.rng);
    expect(b.obsStats).toEqual(a.obsStats);
    expect(b.lagrange).toEqual(a.lagrange);
    expect(a.lagrange.lambda).toBeGreaterThan(0);
    expect(JSON.parse(read(resumed, 'meta.json')).resumedFromEpoch).toBe(2);
  });

  it('csv_flags_then_the_loader_reads_the_file_as_told_config_json_records_them_and_a_resume_with_other_flags_is_refused', async () => {
    // A file with one timestamp twice: refused by default, as every command that loads a CSV refuses it.
    const lines = formatBarsCsv(generateSynthetic({ model: 'gbm', bars: 300, seed: 5 })).trimEnd().split('\n');
    const csvPath = join(dir, 'dup.csv');
    writeFileSync(csvPath, `${[...lines.slice(0, 101), lines[100], ...lines.slice(101)].join('\n')}\n`);
    await expect(train({ config: writeConfig('dup0'), data: csvPath, out: join(dir, 'dup0') })).rejects.toThrow(/duplicate/i);
    expect(existsSync(join(dir, 'dup0'))).toBe(false);
    // Through the command line: the shared flag exists on train and reaches the loader.
    const out = join(dir, 'dup');
    const run = await runCommand(registerTrainCommand, ['train', '--config', writeConfig('dup'), '--out', out, '--data', csvPath, '--duplicates', 'keep-last']);
    expect(JSON.parse(run.out).data).toContain('dup.csv (300 bars');
    expect(JSON.parse(read(out, 'config.json')).task.csv).toEqual({ duplicates: 'keep-last' });
    // A resume that reads the file another way is refused, naming what changed; the same flags resume.
    await expect(train({ config: writeConfig('dup4', { epochs: 4 }), out, resume: true, data: csvPath, duplicates: 'keep-first' })).rejects.toThrow(
      /--resume: task .*differs.*task\.csv was \{"duplicates":"keep-last"\}, now \{"duplicates":"keep-first"\}/,
    );
    await expect(train({ config: writeConfig('dup4b', { epochs: 4 }), out, resume: true, data: csvPath })).rejects.toThrow(/task\.csv was .*now unset/);
    expect((await train({ config: writeConfig('dup4c', { epochs: 4 }), out, resume: true, data: csvPath, duplicates: 'keep-last' })).epochs).toBe(4);
    // The config's task.csv does the same; a flag wins over it key by key.
    const fromConfig = join(dir, 'dup-config');
    await train({ config: writeConfig('dupc', { task: `  data: ${csvPath}\n  csv: { duplicates: keep-first, gaps: report }` }), out: fromConfig, duplicates: 'keep-last' });
    expect(JSON.parse(read(fromConfig, 'config.json')).task.csv).toEqual({ duplicates: 'keep-last', gaps: 'report' });
    await expect(train({ config: writeConfig('dupbad', { task: `  data: ${csvPath}\n  csv: { duplicates: sometimes }` }), out: join(dir, 'dupbad') })).rejects.toThrow(/task\.csv\.duplicates/);
  });

  it('csv_flags_on_synthetic_data_then_refused_and_from_to_cut_the_training_bars_recorded_in_provenance', async () => {
    await expect(train({ config: writeConfig('synthcsv'), outliers: 'drop', out: join(dir, 'synthcsv') })).rejects.toThrow(
      /the CSV flags \(outliers\): apply to a CSV data file, but the data is the synthetic market regime:bars=600,seed=3/,
    );
    const bars = generateSynthetic({ model: 'regime', bars: 600, seed: 3 });
    const from = new Date(bars.time[100]).toISOString();
    const to = new Date(bars.time[399]).toISOString();
    const out = join(dir, 'cut');
    const run = await runCommand(registerTrainCommand, ['train', '--config', writeConfig('cut'), '--out', out, '--from', from, '--to', to]);
    expect(JSON.parse(run.out).data).toContain('(300 bars,');
    const task = JSON.parse(read(out, 'config.json')).task;
    expect([task.from, task.to]).toEqual([from, to]);
    const c = JSON.parse(read(out, 'checkpoints', 'last.json'));
    expect(c.provenance.data.firstTimeMs).toBeGreaterThanOrEqual(bars.time[100]);
    expect(c.provenance.data.lastTimeMs).toBeLessThanOrEqual(bars.time[399]);
    await expect(train({ config: writeConfig('cut4', { epochs: 4 }), out, resume: true, from, to: new Date(bars.time[450]).toISOString() })).rejects.toThrow(/task\.to was/);
    await expect(train({ config: writeConfig('cutbad'), from: to, to: from, out: join(dir, 'cutbad') })).rejects.toThrow(/--from .* is after --to/);
  });

  it('account_flags_override_task_env_account_key_by_key_are_recorded_and_a_resume_on_another_account_is_refused', async () => {
    // The config trains on margin 2x; --account cash drops its margin terms, and the checkpoint says cash.
    const cash = join(dir, 'acct-cash');
    const run = await runCommand(registerTrainCommand, ['train', '--config', writeConfig('acct'), '--out', cash, '--account', 'cash']);
    expect(JSON.parse(run.out).epochs).toBe(2);
    expect(JSON.parse(read(cash, 'config.json')).task.env.account).toEqual({ type: 'cash' });
    const c = JSON.parse(read(cash, 'checkpoints', 'last.json'));
    expect(c.provenance.account).toEqual({ type: 'cash' });
    expect(c.env.env.account).toEqual({ type: 'cash' });
    // Without the flag the config's account applies, which is another account than the run's: refused on resume.
    await expect(train({ config: writeConfig('acct4', { epochs: 4 }), out: cash, resume: true })).rejects.toThrow(/--resume: task .*differs.*task\.env was/);
    expect((await train({ config: writeConfig('acct4b', { epochs: 4 }), out: cash, resume: true, account: 'cash' })).epochs).toBe(4);
    // --leverage alone keeps the config's margin type; the default maintenance follows the new leverage.
    const lev = join(dir, 'acct-lev');
    await train({ config: writeConfig('acctlev'), out: lev, leverage: '4' });
    expect(JSON.parse(read(lev, 'checkpoints', 'last.json')).provenance.account).toEqual({ type: 'margin', leverage: 4, maintenanceMargin: 0.125 });
    await expect(train({ config: writeConfig('acctbad'), out: join(dir, 'acct-bad'), account: 'cash', leverage: '3' })).rejects.toThrow(/leverage: applies to a margin account only/);
    await expect(train({ config: writeConfig('acctbad2'), out: join(dir, 'acct-bad2'), account: 'spot' })).rejects.toThrow(/--account: must be cash or margin, got 'spot'/);
    expect(existsSync(join(dir, 'acct-bad'))).toBe(false);
  });

  it('resume_on_other_data_then_refused', async () => {
    const out = join(dir, 'other-data');
    await train({ config: writeConfig('od2'), out });
    await expect(train({ config: writeConfig('od4', { epochs: 4 }), out, resume: true, data: 'regime:bars=600,seed=4' })).rejects.toThrow(/--resume: task/);
  });

  it('command_line_flags_then_reach_the_run', async () => {
    const out = join(dir, 'cli');
    const run = await runCommand(registerTrainCommand, ['train', '--config', writeConfig('cli'), '--out', out, '--seed', '3', '--data', 'gbm:bars=400,seed=2']);
    const summary = JSON.parse(run.out);
    expect(summary).toMatchObject({ out, epochs: 2 });
    expect(summary.data).toContain('gbm:bars=400,seed=2');
    expect(JSON.parse(read(out, 'meta.json')).seed).toBe(3);
  });

  it('rules_file_beside_the_config_then_the_training_envs_mask_and_config_json_records_the_rules_inline', async () => {
    writeFileSync(join(dir, 'tight-rules.yaml'), 'max_position_pct: 0.05\nmax_drawdown_pct: 0.1\n');
    const masked = join(dir, 'masked');
    await train({ config: writeConfig('masked', { task: '  data: regime:bars=600,seed=3\n  rules: tight-rules.yaml' }), out: masked });
    const epochs = read(masked, 'metrics.jsonl').trim().split('\n').map((l) => JSON.parse(l) as { maskedSteps: number; maskedMaskEntries: number; maskedActions: number });
    // Target levels above 5 % of equity are masked at every step: each step has masked actions.
    expect(epochs.every((e) => e.maskedSteps > 0 && e.maskedMaskEntries >= e.maskedSteps)).toBe(true);
    // The old key stays in the JSONL for one release, with the same count.
    expect(epochs.every((e) => e.maskedActions === e.maskedMaskEntries)).toBe(true);
    const csvRows = read(masked, 'metrics.csv').trim().split('\n').map((l) => l.split(','));
    const col = csvRows[0].indexOf('maskedMaskEntries');
    expect(csvRows[0]).not.toContain('maskedActions');
    expect(csvRows.slice(1).map((r) => Number(r[col]))).toEqual(epochs.map((e) => e.maskedMaskEntries));
    const task = JSON.parse(read(masked, 'config.json')).task;
    expect(task.rules).toMatchObject({ max_position_pct: 0.05, max_drawdown_pct: 0.1, daily_loss_limit_pct: 0.03 });
    expect(task.constraintMode).toBe('lenient');
    // Without rules the envs mask nothing.
    const free = join(dir, 'unmasked');
    await train({ config: writeConfig('unmasked'), out: free });
    expect(read(free, 'metrics.jsonl').trim().split('\n').every((l) => (JSON.parse(l) as { maskedSteps: number }).maskedSteps === 0)).toBe(true);
  });

  it('rules_flag_overrides_and_a_resume_under_other_rules_is_refused', async () => {
    writeFileSync(join(dir, 'flag-rules.json'), '{"max_position_pct": 0.3}');
    writeFileSync(join(dir, 'other-rules.json'), '{"max_position_pct": 0.4}');
    const out = join(dir, 'rules-flag');
    await train({ config: writeConfig('rf2'), out, rules: join(dir, 'flag-rules.json') });
    expect(JSON.parse(read(out, 'config.json')).task.rules.max_position_pct).toBe(0.3);
    await expect(train({ config: writeConfig('rf4', { epochs: 4 }), out, resume: true, rules: join(dir, 'other-rules.json') })).rejects.toThrow(
      /--resume: task \(data, csv, from\/to, env, useMask, rules, session\) differs.*task\.rules was/,
    );
  });

  it('bad_rules_inline_or_in_a_file_then_error_names_task_rules_and_the_problem_before_anything_is_written', async () => {
    const out = join(dir, 'bad-rules');
    await expect(train({ config: writeConfig('br1', { task: '  rules:\n    max_drawdown_pct: 1.5' }), out })).rejects.toThrow(
      /task\.rules.*max_drawdown_pct: .*1\.5/,
    );
    await expect(train({ config: writeConfig('br2', { task: '  rules: missing-rules.yaml' }), out })).rejects.toThrow(/task\.rules \(missing-rules\.yaml\)/);
    await expect(train({ config: writeConfig('br3', { task: '  rules:\n    max_positon_pct: 0.2' }), out })).rejects.toThrow(/max_positon_pct/);
    await expect(train({ config: writeConfig('br4'), out, rules: join(dir, 'nope.yaml') })).rejects.toThrow(/--rules .*nope\.yaml/);
    expect(existsSync(out)).toBe(false);
  });
});

describe('bulwark train: workflow (progress, wall clock, meta.json, SIGINT, held-out eval, provenance, λ)', () => {
  it('metrics_csv_keeps_the_old_columns_first_and_appends_lambda_cost_time_and_wall_seconds_and_progress_is_one_line_per_epoch', async () => {
    const out = join(dir, 'wall');
    let text = '';
    await quiet(() => runTrain({ config: writeConfig('wall', { epochs: 3 }), out, progress: 'lines', write: (t) => (text += t) }));
    const lines = text.trimEnd().split('\n');
    expect(lines).toHaveLength(3);
    lines.forEach((l, i) => expect(l).toMatch(new RegExp(`^epoch ${i + 1}/3 \\| steps ${(i + 1) * 32} \\| return -?\\d+\\.\\d{4} \\| cost \\d+\\.\\d{2} / 1 \\| λ \\d+\\.\\d{3} \\| \\d+\\.\\d s$`)));
    const csv = read(out, 'metrics.csv').trim().split('\n');
    const header = csv[0].split(',');
    // The columns readers knew before stay in place; new ones come after them.
    expect(header.slice(0, 20)).toEqual(['epoch', 'envSteps', 'episodeReturn', 'episodeCost', 'costLimit', 'lambda', 'episodeLength', 'episodes', 'pgLoss', 'vLossReward', 'vLossCost', 'entropy', 'approxKl', 'clipfrac', 'explainedVariance', 'explainedVarianceCost', 'updatePasses', 'maskedMaskEntries', 'maskedSteps', 'clippedActions']);
    expect(header.slice(20, 23)).toEqual(['lambdaCost', 'time', 'wallSeconds']);
    const started = Date.now() - 10 * 60_000;
    let previous = 0;
    for (const row of csv.slice(1)) {
      const cells = row.split(',');
      expect(cells).toHaveLength(header.length);
      const time = Date.parse(cells[header.indexOf('time')]);
      expect(time).toBeGreaterThan(started);
      expect(time).toBeGreaterThanOrEqual(previous);
      previous = time;
      expect(Number(cells[header.indexOf('wallSeconds')])).toBeGreaterThan(0);
      // No held-out evaluation ran: its cells are blank, not zeros.
      expect(cells[header.indexOf('evalReturn')]).toBe('');
    }
  });

  it('meta_json_keeps_every_session_with_version_commit_and_command_line', async () => {
    const out = join(dir, 'meta');
    await train({ config: writeConfig('meta2', { epochs: 2 }), out, command: ['bulwark', 'train', '--config', 'meta2.yaml'] });
    const first = JSON.parse(read(out, 'meta.json'));
    expect(first.sessions).toHaveLength(1);
    expect(first.sessions[0]).toMatchObject({ status: 'completed', resumedFromEpoch: null, lastEpoch: 2, command: ['bulwark', 'train', '--config', 'meta2.yaml'] });
    expect(first.bulwarkVersion).toMatch(/^\d+\.\d+\.\d+/);
    // A git commit when the code runs from a checkout, null otherwise: never a failure.
    expect(first.gitCommit === null || /^[0-9a-f]{40}$/.test(first.gitCommit)).toBe(true);
    await train({ config: writeConfig('meta4', { epochs: 4 }), out, resume: true, command: ['bulwark', 'train', '--resume'] });
    const second = JSON.parse(read(out, 'meta.json'));
    expect(second.sessions.map((s: { resumedFromEpoch: number | null; lastEpoch: number; status: string }) => [s.resumedFromEpoch, s.lastEpoch, s.status])).toEqual([
      [null, 2, 'completed'],
      [2, 4, 'completed'],
    ]);
    expect(second.sessions[1].command).toEqual(['bulwark', 'train', '--resume']);
    expect(second.sessions[0].startedAt).toBe(first.sessions[0].startedAt);
    expect(second.resumedFromEpoch).toBe(2);
  });

  it('sigint_in_a_spawned_process_saves_the_finished_epoch_exits_130_and_a_resume_equals_a_straight_run', async () => {
    const out = join(dir, 'sigint');
    // Far more epochs than the test waits for: only SIGINT ends this run.
    const config = writeConfig('sigint', { epochs: 100_000 });
    // No periodic checkpoints: the one the run leaves is the one SIGINT made.
    writeFileSync(config, read(config).replace('checkpointEvery: 2', 'checkpointEvery: 0'));
    const child = spawn(process.execPath, ['--import', './src/test-support/ts-register.mjs', 'src/cli/main.ts', 'train', '--config', config, '--out', out], {
      cwd: process.cwd(),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    let stdout = '';
    child.stdout.on('data', (c: Buffer) => (stdout += String(c)));
    const exited = new Promise<number | null>((done) => child.on('exit', (code) => done(code)));
    await new Promise<void>((done, fail) => {
      child.stderr.on('data', (c: Buffer) => {
        stderr += String(c);
        // stderr is a pipe, not a terminal: progress comes as plain lines; interrupt after the second.
        if (/epoch 2\/100000 \|/.test(stderr) && !child.killed) {
          child.kill('SIGINT');
          done();
        }
      });
      child.on('exit', () => fail(new Error(`exited before SIGINT: ${stderr}`)));
    });
    expect(await exited).toBe(130);
    expect(stderr).toMatch(/SIGINT: finishing the current epoch/);
    expect(stderr).not.toMatch(/at .*\.ts:\d+/); // no stack trace
    const summary = JSON.parse(stdout);
    expect(summary.interrupted).toBe(true);
    const saved = lastCheckpoint(out).epoch;
    expect(saved).toBe(summary.epochs);
    expect(saved).toBeGreaterThanOrEqual(2);
    expect(read(out, 'metrics.jsonl').trim().split('\n')).toHaveLength(saved);
    expect(existsSync(join(out, 'curve.html'))).toBe(true);
    expect(JSON.parse(read(out, 'meta.json')).sessions[0]).toMatchObject({ status: 'interrupted', lastEpoch: saved });
    // Resumed to two more epochs, the run equals one trained straight through.
    await train({ config: writeConfig('sigint-more', { epochs: saved + 2 }), out, resume: true });
    const straight = join(dir, 'sigint-straight');
    await train({ config: writeConfig('sigint-straight', { epochs: saved + 2 }), out: straight });
    expect(withoutWallClock(read(out, 'metrics.csv'), 'csv')).toBe(withoutWallClock(read(straight, 'metrics.csv'), 'csv'));
    expect(lastCheckpoint(out).weights).toEqual(lastCheckpoint(straight).weights);
  }, 180_000);

  it('eval_every_k_then_held_out_columns_on_those_epochs_in_both_files_and_the_curve_and_training_unchanged', async () => {
    const plain = join(dir, 'no-eval');
    await train({ config: writeConfig('no-eval', { epochs: 4 }), out: plain });
    const evald = join(dir, 'with-eval');
    await train({ config: writeConfig('with-eval', { epochs: 4 }), out: evald, evalEvery: '3', evalData: 'regime:bars=600,seed=9', evalEpisodes: '3' });
    const rows = read(evald, 'metrics.jsonl').trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    // Epoch 3 (every 3) and the last epoch are scored; the others are not.
    expect(rows.map((r) => r.evalEpisodes ?? null)).toEqual([null, null, 3, 3]);
    expect(typeof rows[2].evalReturn).toBe('number');
    expect(rows[2].evalCost as number).toBeGreaterThanOrEqual(0);
    const csv = read(evald, 'metrics.csv').trim().split('\n').map((l) => l.split(','));
    const col = csv[0].indexOf('evalReturn');
    expect(csv.slice(1).map((c) => c[col] !== '')).toEqual([false, false, true, true]);
    expect(read(evald, 'curve.html')).toContain('held-out return');
    // Evaluation draws from its own seed: the training itself is the same as without it.
    expect(lastCheckpoint(evald).weights).toEqual(lastCheckpoint(plain).weights);
    const strip = (text: string): string =>
      withoutWallClock(text, 'jsonl').split('\n').map((l) => JSON.stringify(Object.fromEntries(Object.entries(JSON.parse(l) as object).filter(([k]) => !k.startsWith('eval'))))).join('\n');
    expect(strip(read(evald, 'metrics.jsonl'))).toBe(strip(read(plain, 'metrics.jsonl')));
    expect(JSON.parse(read(evald, 'config.json')).eval).toMatchObject({ every: 3, data: 'regime:bars=600,seed=9', episodes: 3 });
    await expect(train({ config: writeConfig('eval-half', { epochs: 2 }), out: join(dir, 'eval-half'), evalEvery: '2' })).rejects.toThrow(/--eval-every and --eval-data: give both/);
    await expect(train({ config: writeConfig('eval-bad', { epochs: 2 }), out: join(dir, 'eval-bad'), evalEvery: '2', evalData: 'regime:bars=x' })).rejects.toThrow(/--eval-data.*bars/);
    expect(existsSync(join(dir, 'eval-bad'))).toBe(false);
  });

  it('checkpoint_records_provenance_rules_with_hash_training_data_range_and_fill_model', async () => {
    writeFileSync(join(dir, 'prov-rules.yaml'), 'max_position_pct: 0.3\n');
    const out = join(dir, 'prov');
    await train({ config: writeConfig('prov', { task: '  data: regime:bars=600,seed=3\n  rules: prov-rules.yaml' }), out });
    const { provenance } = JSON.parse(read(out, 'checkpoints', 'last.json'));
    expect(provenance.rules.content).toMatchObject({ max_position_pct: 0.3 });
    expect(provenance.rules.sha256).toMatch(/^[0-9a-f]{64}$/);
    expect(provenance.data).toMatchObject({ kind: 'synthetic', source: 'regime:bars=600,seed=3', bars: 600 });
    expect(Date.parse(provenance.data.first)).toBe(provenance.data.firstTimeMs);
    expect(provenance.data.lastTimeMs).toBeGreaterThan(provenance.data.firstTimeMs);
    expect(provenance.fill).toHaveProperty('spreadBps');
    expect(provenance.constraintMode).toBe('lenient');
    // A CSV source is identified by the hash of its bytes.
    const csvPath = join(dir, 'prov.csv');
    writeFileSync(csvPath, formatBarsCsv(generateSynthetic({ model: 'gbm', bars: 300, seed: 5 })));
    const csvOut = join(dir, 'prov-csv');
    await train({ config: writeConfig('prov-csv'), data: csvPath, out: csvOut });
    const csvProv = JSON.parse(read(csvOut, 'checkpoints', 'last.json')).provenance;
    expect(csvProv.data).toMatchObject({ kind: 'csv', source: csvPath, identity: createHash('sha256').update(readFileSync(csvPath)).digest('hex') });
    expect(csvProv.rules).toEqual({ content: null, sha256: null });
  });

  it('rollouts_shorter_than_episodes_then_lambda_moves_from_the_cost_per_step_and_a_warning_says_so_once', async () => {
    const out = join(dir, 'no-episode');
    // Episodes of 64 steps, rollouts of 16: no episode ends in any epoch. Every position over 1 % of equity costs 1.
    const config = writeConfig('no-episode', { epochs: 4, task: '  data: regime:bars=600,seed=3\n  env:\n    episodeLength: 64\n    windowSize: 4\n    costs:\n      maxPositionFraction: 0.01' });
    writeFileSync(config, read(config).replace('  env:\n    episodeLength: 16\n    windowSize: 4\n', '').replace('  costLimit: 1', '  costLimit: 0'));
    const logged: string[] = [];
    const spy = vi.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => {
      logged.push(String(chunk));
      return true;
    });
    try {
      await runTrain({ config, out });
    } finally {
      spy.mockRestore();
    }
    const rows = read(out, 'metrics.jsonl').trim().split('\n').map((l) => JSON.parse(l) as { episodes: number; episodeCost: number | null; lambdaCost: number; lambda: number });
    expect(rows.every((r) => r.episodes === 0 && r.episodeCost === null)).toBe(true);
    expect(rows.every((r) => r.lambdaCost > 0)).toBe(true);
    // λ rises while the estimated episode cost is over the limit of 0.
    const lambdas = rows.map((r) => r.lambda);
    expect(lambdas[3]).toBeGreaterThan(lambdas[0]);
    expect(new Set(lambdas).size).toBe(4);
    const warnings = logged.filter((l) => /no episode finished/.test(l));
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(/cost per step × the episode length \(64\)/);
  });

  it('day_start_and_timezone_then_the_training_instrument_keeps_the_session_recorded_in_config_and_provenance_and_a_resume_on_another_day_is_refused', async () => {
    // One trade a day: where the day starts decides which proposals the envs mask, so the runs must differ.
    const rules = '  rules: { max_trades_per_day: 1 }';
    const task = (extra = ''): string => `  data: regime:bars=600,seed=3\n${rules}${extra}`;
    const utc = join(dir, 'day-utc');
    await train({ config: writeConfig('day-utc', { task: task() }), out: utc });
    const ny = join(dir, 'day-ny');
    const run = await runCommand(registerTrainCommand, ['train', '--config', writeConfig('day-ny', { task: task() }), '--out', ny, '--day-start', '17:00', '--timezone', 'America/New_York']);
    expect(JSON.parse(run.out).epochs).toBe(2);
    expect(JSON.parse(read(ny, 'config.json')).task.session).toEqual({ timezone: 'America/New_York', dayStartsAt: '17:00' });
    expect(JSON.parse(read(ny, 'checkpoints', 'last.json')).provenance.session).toEqual({ timezone: 'America/New_York', dayStartsAt: '17:00' });
    // UTC days record nothing: a run from before sessions existed looks the same.
    expect(JSON.parse(read(utc, 'config.json')).task.session).toBeUndefined();
    expect(JSON.parse(read(utc, 'checkpoints', 'last.json')).provenance.session).toBeUndefined();
    const masked = (out: string): number[] => read(out, 'metrics.jsonl').trim().split('\n').map((l) => (JSON.parse(l) as { maskedMaskEntries: number }).maskedMaskEntries);
    expect(masked(ny)).not.toEqual(masked(utc));
    // The config's task.session gives the same run; a flag wins over it key by key.
    const fromConfig = join(dir, 'day-config');
    await train({ config: writeConfig('day-config', { task: task('\n  session: { timezone: America/New_York, dayStartsAt: "09:00" }') }), out: fromConfig, dayStart: '17:00' });
    expect(JSON.parse(read(fromConfig, 'config.json')).task.session).toEqual({ timezone: 'America/New_York', dayStartsAt: '17:00' });
    expect(withoutWallClock(read(fromConfig, 'metrics.jsonl'), 'jsonl')).toBe(withoutWallClock(read(ny, 'metrics.jsonl'), 'jsonl'));
    // A resume on another trading day is refused naming task.session; the same flags resume.
    await expect(train({ config: writeConfig('day-ny4', { epochs: 4, task: task() }), out: ny, resume: true })).rejects.toThrow(
      /--resume: task .*differs.*task\.session was \{"timezone":"America\/New_York","dayStartsAt":"17:00"\}, now unset/,
    );
    await expect(train({ config: writeConfig('day-ny4b', { epochs: 4, task: task() }), out: ny, resume: true, dayStart: '17:00', timezone: 'Europe/London' })).rejects.toThrow(
      /task\.session was .*now \{"timezone":"Europe\/London","dayStartsAt":"17:00"\}/,
    );
    await expect(train({ config: writeConfig('day-utc4', { epochs: 4, task: task() }), out: utc, resume: true, timezone: 'Asia/Tokyo' })).rejects.toThrow(/task\.session was unset, now/);
    expect((await train({ config: writeConfig('day-ny4c', { epochs: 4, task: task() }), out: ny, resume: true, dayStart: '17:00', timezone: 'America/New_York' })).epochs).toBe(4);
    // Bad values are refused naming the flag or the config field, before any directory is made.
    await expect(train({ config: writeConfig('day-bad'), out: join(dir, 'day-bad'), timezone: 'Mars/Base' })).rejects.toThrow(/--timezone: must be an IANA time zone .*got "Mars\/Base"/);
    await expect(train({ config: writeConfig('day-bad2'), out: join(dir, 'day-bad2'), dayStart: '5pm' })).rejects.toThrow(/--day-start: must be a local time HH:MM/);
    await expect(train({ config: writeConfig('day-bad3', { task: task('\n  session: { timezone: New York }') }), out: join(dir, 'day-bad3') })).rejects.toThrow(/task\.session\.timezone: must be an IANA time zone/);
    await expect(train({ config: writeConfig('day-bad4', { task: task('\n  session: { dayStart: "17:00" }') }), out: join(dir, 'day-bad4') })).rejects.toThrow(/task\.session/);
    for (const bad of ['day-bad', 'day-bad2', 'day-bad3', 'day-bad4']) expect(existsSync(join(dir, bad))).toBe(false);
  });
});
