import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { formatBarsCsv, generateSynthetic } from '../../data/index.js';
import { runCommand } from '../test-helpers/run-command.js';
import { METRIC_COLUMNS } from '../../agents/index.js';
import { registerTrainCommand, runTrain } from './train.js';

const dir = mkdtempSync(join(tmpdir(), 'bulwark-cli-train-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A tiny seeded run: 2 envs × 16 steps per epoch, one hidden layer of 8, one pass of 2 minibatches. */
function writeConfig(name: string, overrides: { epochs?: number; train?: string; task?: string; top?: string } = {}): string {
  const path = join(dir, `${name}.yaml`);
  writeFileSync(
    path,
    [
      'train:',
      '  algorithm: ppo-lag',
      '  seed: 1',
      `  epochs: ${overrides.epochs ?? 2}`,
      '  numEnvs: 2',
      '  rolloutSteps: 16',
      '  hiddenSizes: [8]',
      '  updateEpochs: 1',
      '  numMinibatches: 2',
      '  costLimit: 1',
      // A fast λ so the resume spec compares a λ that moves every epoch.
      '  lambdaLr: 0.5',
      overrides.train ?? '',
      'task:',
      overrides.task ?? '  data: regime:bars=600,seed=3',
      '  env:',
      '    episodeLength: 16',
      '    windowSize: 4',
      'checkpointEvery: 2',
      overrides.top ?? '',
    ].join('\n'),
  );
  return path;
}

const quiet = <T>(fn: () => Promise<T>): Promise<T> => {
  const spy = vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
  return fn().finally(() => spy.mockRestore());
};
const train = (opts: Parameters<typeof runTrain>[0]): ReturnType<typeof runTrain> => quiet(() => runTrain({ progress: false, ...opts }));
const read = (...p: string[]): string => readFileSync(join(...p), 'utf8');
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
    expect(read(dir, 'seed-a', 'metrics.jsonl')).toBe(read(dir, 'seed-b', 'metrics.jsonl'));
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

    expect(read(resumed, 'metrics.jsonl')).toBe(read(straight, 'metrics.jsonl'));
    expect(read(resumed, 'metrics.csv')).toBe(read(straight, 'metrics.csv'));
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
    const epochs = read(masked, 'metrics.jsonl').trim().split('\n').map((l) => JSON.parse(l) as { maskedSteps: number; maskedActions: number });
    // Target levels above 5 % of equity are masked at every step: each step has masked actions.
    expect(epochs.every((e) => e.maskedSteps > 0 && e.maskedActions >= e.maskedSteps)).toBe(true);
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
      /--resume: task \(data, env, useMask, rules\) differs/,
    );
  });

  it('bad_rules_inline_or_in_a_file_then_error_names_task_rules_and_the_problem_before_anything_is_written', async () => {
    const out = join(dir, 'bad-rules');
    await expect(train({ config: writeConfig('br1', { task: '  rules:\n    max_drawdown_pct: 1.5' }), out })).rejects.toThrow(
      /task\.rules.*max_drawdown_pct: must be between 0 and 1, got 1\.5/,
    );
    await expect(train({ config: writeConfig('br2', { task: '  rules: missing-rules.yaml' }), out })).rejects.toThrow(/task\.rules \(missing-rules\.yaml\)/);
    await expect(train({ config: writeConfig('br3', { task: '  rules:\n    max_positon_pct: 0.2' }), out })).rejects.toThrow(/max_positon_pct/);
    await expect(train({ config: writeConfig('br4'), out, rules: join(dir, 'nope.yaml') })).rejects.toThrow(/--rules .*nope\.yaml/);
    expect(existsSync(out)).toBe(false);
  });
});
