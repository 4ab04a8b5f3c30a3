import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { formatBarsCsv, generateSynthetic } from '../../data/index.js';
import { runCommand } from '../test-helpers/run-command.js';
import { runBacktestCommand, type BacktestFlags } from './backtest.js';
import { formatEval, registerEvalCommand, runEval, type EvalFlags } from './eval.js';
import { runTrain } from './train.js';

const dir = mkdtempSync(join(tmpdir(), 'bulwark-cli-eval-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const quiet = <T>(fn: () => Promise<T>): Promise<T> => {
  const spy = vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
  return fn().finally(() => spy.mockRestore());
};

// Trained on the first half of a 600-bar CSV (split part train), under rules; the second half is held out.
const csv = join(dir, 'bars.csv');
const run = join(dir, 'run');
const rules = join(dir, 'rules.yaml');

beforeAll(async () => {
  writeFileSync(csv, formatBarsCsv(generateSynthetic({ model: 'regime', bars: 600, seed: 3 })));
  writeFileSync(rules, 'max_position_pct: 0.6\nmax_drawdown_pct: 0.2\n');
  const config = join(dir, 'train.yaml');
  writeFileSync(
    config,
    [
      'train: { algorithm: ppo-lag, seed: 3, epochs: 2, numEnvs: 2, rolloutSteps: 16, hiddenSizes: [8], updateEpochs: 1, numMinibatches: 2, costLimit: 2 }',
      'task:',
      `  data: ${csv}`,
      `  rules: ${rules}`,
      '  env: { episodeLength: 16, windowSize: 4, split: { part: train, trainFraction: 0.5 } }',
      'checkpointEvery: 2',
    ].join('\n'),
  );
  await quiet(() => runTrain({ config, out: run, progress: false }));
});

const evalFlags = (extra: Partial<EvalFlags> = {}): EvalFlags => ({ data: csv, episodes: '6', deterministic: false, seed: '0', heldOut: false, json: true, ...extra });

describe('bulwark eval CHECKPOINT', () => {
  it('n_episodes_then_per_episode_scores_and_mean_sd_that_recompute_by_hand_against_the_training_limit', async () => {
    const r = await runEval(run, evalFlags({ heldOut: true }));
    const s = r.summary;
    expect(s.episodes).toBe(6);
    expect(s.perEpisode).toHaveLength(6);
    expect(s.costLimit).toBe(2);
    const returns = s.perEpisode.map((e) => e.return);
    const mean = returns.reduce((a, b) => a + b, 0) / 6;
    expect(s.return.mean).toBeCloseTo(mean, 12);
    expect(s.return.sd).toBeCloseTo(Math.sqrt(returns.reduce((a, x) => a + (x - mean) ** 2, 0) / 5), 12);
    expect(s.overLimit).toBe(s.perEpisode.filter((e) => e.cost > 2).length);
    expect(s.perEpisode.every((e) => e.steps >= 1 && e.steps <= 16 && e.rejected >= 0 && e.maskedSteps <= e.steps)).toBe(true);
    // Held out: every episode starts after the training half, and the training rules apply.
    const trainedLast = JSON.parse(readFileSync(join(run, 'checkpoints', 'last.json'), 'utf8')).provenance.data.lastTimeMs;
    expect(s.perEpisode.every((e) => e.startTimeMs > trainedLast)).toBe(true);
    expect(Date.parse(r.data.first)).toBeGreaterThan(trainedLast);
    expect(r.rules).toBe('training');
    expect(r.notes.join(' ')).toMatch(/--held-out: the \d+ bars after training's last/);
    expect(r.notes.join(' ')).not.toMatch(/Warning/);
  });

  it('same_seed_then_identical_scores_and_deterministic_actions_ignore_the_seed_of_sampling_not_of_starts', async () => {
    const a = await runEval(run, evalFlags({ seed: '4' }));
    const b = await runEval(run, evalFlags({ seed: '4' }));
    expect(JSON.stringify(b.summary)).toBe(JSON.stringify(a.summary));
    const c = await runEval(run, evalFlags({ seed: '5' }));
    expect(c.summary.perEpisode.map((e) => e.startTimeMs)).not.toEqual(a.summary.perEpisode.map((e) => e.startTimeMs));
    const d1 = await runEval(run, evalFlags({ deterministic: true, episodes: '3' }));
    const d2 = await runEval(run, evalFlags({ deterministic: true, episodes: '3' }));
    expect(d2.summary).toEqual(d1.summary);
    expect(d1.summary.deterministic).toBe(true);
  });

  it('data_overlapping_training_or_other_rules_then_warned_and_held_out_with_nothing_left_is_an_error', async () => {
    const inSample = await runEval(run, evalFlags());
    expect(inSample.notes.join('\n')).toMatch(/Warning: \d+ of 600 bars .* overlap the training data .*the same data.*--held-out/);
    writeFileSync(join(dir, 'other-rules.yaml'), 'max_position_pct: 0.3\nmax_drawdown_pct: 0.2\n');
    const other = await runEval(run, evalFlags({ heldOut: true, rules: join(dir, 'other-rules.yaml') }));
    expect(other.notes.join('\n')).toMatch(/Warning: rules differ from training: .*max_position_pct: trained 0\.6, now 0\.3/);
    await expect(runEval(run, evalFlags({ heldOut: true, to: '2020-01-05' }))).rejects.toThrow(/--held-out: the data .* lies within the training data .*nothing is held out/);
    await expect(runEval(run, evalFlags({ episodes: '0' }))).rejects.toThrow(/--episodes: must be a whole number >= 1/);
    await expect(runEval(run, { ...evalFlags(), data: undefined })).rejects.toThrow(/exactly one of --data FILE or --synth/);
  });

  it('account_flags_then_episodes_run_on_that_account_and_a_warning_says_it_differs_from_training', async () => {
    const same = await runEval(run, evalFlags({ heldOut: true }));
    expect(same.account).toMatch(/^cash/);
    const margin = await runEval(run, evalFlags({ heldOut: true, account: 'margin', leverage: '2' }));
    expect(margin.account).toBe('margin 2x, maintenance 25 % of position value');
    expect(margin.notes.join('\n')).toMatch(/Warning: account differs from training: trained on cash \(spot: no borrowing, no shorts\), this run uses margin 2x/);
    // Saying the training account explicitly is no difference.
    expect((await runEval(run, evalFlags({ heldOut: true, account: 'cash' }))).notes.join('\n')).not.toMatch(/account differs/);
    await expect(runEval(run, evalFlags({ account: 'cash', leverage: '2' }))).rejects.toThrow(/leverage: applies to a margin account only/);
    const cli = await runCommand(registerEvalCommand, ['eval', run, '--data', csv, '--episodes', '2', '--held-out', '--account', 'margin', '--leverage', '3']);
    expect(cli.out).toMatch(/account: margin 3x/);
  });

  it('day_start_and_timezone_then_episodes_run_on_that_trading_day_and_a_warning_says_it_differs_from_training', async () => {
    const same = await runEval(run, evalFlags({ heldOut: true }));
    expect(same.tradingDay).toBe('UTC days');
    expect(same.notes.join('\n')).not.toMatch(/trading day differs/);
    const ny = await runEval(run, evalFlags({ heldOut: true, dayStart: '17:00', timezone: 'America/New_York' }));
    expect(ny.tradingDay).toBe('days from 17:00 America/New_York');
    expect(ny.notes.join('\n')).toMatch(/Warning: trading day differs from training: trained on UTC days, this run uses days from 17:00 America\/New_York/);
    // Saying UTC explicitly is no difference; a bad zone is refused naming the flag.
    expect((await runEval(run, evalFlags({ heldOut: true, timezone: 'UTC' }))).notes.join('\n')).not.toMatch(/trading day differs/);
    await expect(runEval(run, evalFlags({ timezone: 'Mars/Base' }))).rejects.toThrow(/--timezone: must be an IANA time zone/);
    const cli = await runCommand(registerEvalCommand, ['eval', run, '--data', csv, '--episodes', '2', '--held-out', '--day-start', '09:30', '--timezone', 'Europe/London']);
    expect(cli.out).toMatch(/trading day: days from 09:30 Europe\/London/);
  });

  it('table_and_json_from_the_command_line', async () => {
    const table = await runCommand(registerEvalCommand, ['eval', run, '--data', csv, '--episodes', '4', '--held-out', '--deterministic']);
    expect(table.out).toMatch(/Policy ppo-lag from .*last\.json \(epoch 2, seed 3\)/);
    expect(table.out).toMatch(/4 episodes, deterministic actions, seed 0/);
    for (const row of ['return', 'equity return', 'cost \\(limit 2\\)', 'steps', 'masked steps', 'rejected']) expect(table.out).toMatch(new RegExp(`\\n${row} +-?\\d`));
    expect(table.out).toMatch(/Episodes over the cost limit: \d of 4/);
    const json = await runCommand(registerEvalCommand, ['eval', run, '--data', csv, '--episodes', '4', '--held-out', '--deterministic', '--json']);
    const parsed = JSON.parse(json.out);
    expect(parsed.summary.perEpisode).toHaveLength(4);
    expect(formatEval(parsed)).toBe(table.out.trimEnd());
  });
});

describe('bulwark backtest of a checkpoint: provenance', () => {
  const flags = (extra: Partial<BacktestFlags> = {}): BacktestFlags => ({ data: csv, agent: run, seed: '0', json: true, out: join(dir, `bt-${Math.random().toString(36).slice(2)}`), ...extra });

  it('rules_or_fill_model_other_than_training_and_in_sample_bars_then_warned_and_held_out_keeps_only_unseen_bars', async () => {
    const plain = await runBacktestCommand(flags());
    const notes = plain.notes.join('\n');
    expect(notes).toMatch(/Warning: rules differ from training: trained under rules sha256 [0-9a-f]{12}, this run uses no rules/);
    expect(notes).toMatch(/Warning: \d+ of 600 bars .* overlap the training data/);
    const fees = await runBacktestCommand(flags({ rules, feesBps: '50' }));
    expect(fees.notes.join('\n')).toMatch(/Warning: fill\/cost model differs from training: .*takerFeeBps: trained \d+(\.\d+)?, now 50/);
    expect(fees.notes.join('\n')).not.toMatch(/rules differ/);
    const held = await runBacktestCommand(flags({ rules, heldOut: true }));
    const heldNotes = held.notes.join('\n');
    expect(heldNotes).toMatch(/--held-out: the \d+ bars after training's last/);
    expect(heldNotes).not.toMatch(/overlap the training data/);
    expect(held.record.bars.length).toBeLessThan(plain.record.bars.length);
    const trainedLast = JSON.parse(readFileSync(join(run, 'checkpoints', 'last.json'), 'utf8')).provenance.data.lastTimeMs;
    expect(held.record.bars.time[0]).toBeGreaterThan(trainedLast);
  });

  it('an_account_other_than_training_then_warned', async () => {
    const margin = await runBacktestCommand(flags({ rules, heldOut: true, account: 'margin', leverage: '2' }));
    expect(margin.notes.join('\n')).toMatch(/Warning: account differs from training: trained on cash \(spot: no borrowing, no shorts\), this run uses margin 2x/);
    const cash = await runBacktestCommand(flags({ rules, heldOut: true }));
    expect(cash.notes.join('\n')).not.toMatch(/account differs/);
  });

  it('a_trading_day_other_than_training_then_warned_whether_from_flags_or_the_config_file', async () => {
    const ny = await runBacktestCommand(flags({ rules, heldOut: true, dayStart: '17:00', timezone: 'America/New_York' }));
    expect(ny.notes.join('\n')).toMatch(/Warning: trading day differs from training: trained on UTC days, this run uses days from 17:00 America\/New_York/);
    const config = join(dir, 'bt-session.yaml');
    writeFileSync(config, 'session: { timezone: Asia/Tokyo, dayStartsAt: "09:00" }\n');
    const fromConfig = await runBacktestCommand(flags({ rules, heldOut: true, config }));
    expect(fromConfig.notes.join('\n')).toMatch(/this run uses days from 09:00 Asia\/Tokyo/);
    // The flags replace the config file's session: UTC days again, as training's, so no warning.
    const utc = await runBacktestCommand(flags({ rules, heldOut: true, config, timezone: 'UTC' }));
    expect(utc.notes.join('\n')).not.toMatch(/trading day differs/);
  });

  it('a_copy_of_the_training_file_counts_as_the_same_data_and_held_out_needs_a_checkpoint_agent', async () => {
    const copy = join(dir, 'copy.csv');
    copyFileSync(csv, copy);
    const r = await runBacktestCommand(flags({ data: copy, rules }));
    expect(r.notes.join('\n')).toMatch(/overlap the training data .*the same data/);
    await expect(runBacktestCommand(flags({ agent: 'buy-and-hold', heldOut: true }))).rejects.toThrow(/--held-out: applies to a checkpoint agent/);
  });
});
