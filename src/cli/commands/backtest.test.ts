import { generateKeyPairSync, sign } from 'node:crypto';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { runSweep, sweepJobs } from '../../backtests/index.js';
import { runBacktestCommand, type BacktestFlags } from './backtest.js';
import { runSweepCommand } from './sweep.js';
import { runTrain } from './train.js';

const dir = mkdtempSync(join(tmpdir(), 'bulwark-cli-backtest-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const quiet = <T>(fn: () => Promise<T>): Promise<T> => {
  const spy = vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
  return fn().finally(() => spy.mockRestore());
};

const run = join(dir, 'run');
/** Hourly regime bars, as the policy was trained on (another seed: held-out data). */
const SYNTH = 'regime:bars=500,seed=11';
const flags = (agent: string, out: string, extra: Partial<BacktestFlags> = {}): BacktestFlags => ({
  synth: SYNTH,
  agent,
  seed: '0',
  out: join(dir, out),
  json: true,
  ...extra,
});

beforeAll(async () => {
  // A tiny PPO-Lag run: 2 epochs of 2 envs × 16 steps, one hidden layer of 8, target-level actions.
  const config = join(dir, 'train.yaml');
  writeFileSync(
    config,
    [
      'train: { algorithm: ppo-lag, seed: 3, epochs: 2, numEnvs: 2, rolloutSteps: 16, hiddenSizes: [8], updateEpochs: 1, numMinibatches: 2 }',
      'task:',
      '  data: regime:bars=600,seed=3',
      '  env: { episodeLength: 16, windowSize: 4, actions: { targetLevels: [0, 0.5, 1] } }',
      'checkpointEvery: 1',
    ].join('\n'),
  );
  await quiet(() => runTrain({ config, out: run, progress: false }));
});

describe('bulwark backtest --agent CHECKPOINT', () => {
  it('checkpoint_written_by_train_then_records_the_env_it_was_trained_on', () => {
    const c = JSON.parse(readFileSync(join(run, 'checkpoints', 'last.json'), 'utf8'));
    expect(c.env.windowSize).toBe(4);
    expect(c.env.obsDim).toBe(c.obsDim);
    expect(c.env.actions.map((a: { name: string }) => a.name)).toEqual(['HOLD', 'TARGET_0', 'TARGET_0.5', 'TARGET_1']);
    expect(c.env.useMask).toBe(true);
    expect(c.env.barIntervalMs).toBe(3_600_000);
    expect(c.env.featureNames.length * 4 + c.env.portfolioNames.length).toBe(c.obsDim);
  });

  it('run_directory_then_backtests_its_last_checkpoint_through_the_full_chain_deterministically', async () => {
    const risk = join(dir, 'risk.yaml');
    writeFileSync(risk, '{}\n');
    const rules = join(dir, 'rules.yaml');
    writeFileSync(rules, 'max_position_pct: 0.6\nmax_drawdown_pct: 0.2\n');
    const a = await runBacktestCommand(flags(run, 'a', { rules, risk }));
    const b = await runBacktestCommand(flags(join(run, 'checkpoints', 'last.json'), 'b', { rules, risk }));
    expect(a.record.agent).toContain('ppo-lag');
    expect(a.record.agent).toContain('epoch 2');
    expect(a.record.limits.note).toContain('Constraint Logic Engine rules applied');
    expect(a.record.limits.note).toContain('risk gatekeeper applied');
    // The policy held through the feature warm-up, then decided on every bar.
    expect(a.notes.join(' ')).toMatch(/holds for the first \d+ bar/);
    expect(a.record.equity.length).toBe(500);
    expect(Array.from(a.record.equity)).toEqual(Array.from(b.record.equity));
    expect(a.record.metrics).toEqual(b.record.metrics);
    expect(readFileSync(a.files['decisions.csv'], 'utf8')).toBe(readFileSync(b.files['decisions.csv'], 'utf8'));
    // The policy's own decisions: it holds (0) before its first full window and proposes trades after it.
    const proposed = Array.from(a.record.decisions.proposed);
    const first = Number(/first (\d+) bar/.exec(a.notes.join(' '))?.[1]);
    expect(proposed.slice(0, first).every((x) => x === 0)).toBe(true);
    expect(proposed.slice(first).some((x) => x > 0)).toBe(true);
    expect(a.record.actions.map((x) => x.name)).toEqual(['HOLD', 'TARGET_0', 'TARGET_0.5', 'TARGET_1']);
  });

  it('sweep_cell_with_a_checkpoint_agent_then_equals_the_single_backtest', async () => {
    const single = await runBacktestCommand(flags(run, 'single'));
    const cells = await runSweep(sweepJobs({ agent: run, synth: SYNTH }, [], [0]), { workers: 0 });
    expect(cells[0].metrics.final_equity).toBe(single.record.metrics.final_equity);
    expect(cells[0].metrics.n_trades).toBe(single.record.metrics.n_trades);
  });

  it('sweep_command_with_checkpoints_then_runs_each_once_with_a_note_and_writes_the_summary', async () => {
    const single = await runBacktestCommand(flags(run, 'single-for-sweep'));
    // Two learned agents: the run's last checkpoint and its first epoch's (written with checkpointEvery: 1).
    const agents = [run, join(run, 'checkpoints', 'epoch-00001.json')];
    const r = await runSweepCommand({ synth: SYNTH, agent: agents, seed: '0', seeds: '0,1,2', workers: '0', grid: [], out: join(dir, 'sweep'), json: true });
    expect(r.cells.map((c) => [c.agent, c.seed])).toEqual(agents.map((a) => [a, 0]));
    expect(r.cells[0].metrics.final_equity).toBe(single.record.metrics.final_equity);
    expect(r.notes).toHaveLength(agents.length);
    expect(r.notes[0]).toContain('uses no randomness');
    expect(r.summary[0].metrics.final_equity).toEqual({ mean: single.record.metrics.final_equity, sd: null, n: 1 });
    const summaryCsv = readFileSync(r.files.summaryCsv, 'utf8').trim().split('\n');
    expect(summaryCsv[0]).toBe('agent,seeds,total_return_mean,total_return_sd,sharpe_mean,sharpe_sd,max_drawdown_mean,max_drawdown_sd,n_trades_mean,n_trades_sd,fees_paid_mean,fees_paid_sd,final_equity_mean,final_equity_sd');
    expect(summaryCsv).toHaveLength(1 + agents.length);
    expect(JSON.parse(readFileSync(r.files.summaryJson, 'utf8')).notes).toEqual(r.notes);
    await expect(
      runSweepCommand({ synth: SYNTH, agent: [run], seed: '0', seeds: '0', workers: '0', grid: ['fast=5,10'], out: join(dir, 'sweep-bad'), json: true }),
    ).rejects.toThrow(/--grid: .* is a checkpoint, which has no parameters to sweep/);
    expect(existsSync(join(dir, 'sweep-bad'))).toBe(false);
  });

  it('checkpoint_in_sandbox_tiers_1_2_3_then_decides_exactly_as_in_process_and_the_floor_holds', async () => {
    // Signed by a trusted key, an own checkpoint's floor is tier 0, so every tier may run it.
    const keys = join(dir, 'trusted');
    mkdirSync(keys, { recursive: true });
    const pair = generateKeyPairSync('ed25519');
    writeFileSync(join(keys, 'ops.pub.pem'), pair.publicKey.export({ type: 'spki', format: 'pem' }));
    const signedDir = join(dir, 'signed');
    mkdirSync(signedDir, { recursive: true });
    const ckpt = join(signedDir, 'policy.json');
    copyFileSync(join(run, 'checkpoints', 'last.json'), ckpt);
    writeFileSync(`${ckpt}.sig`, sign(null, readFileSync(ckpt), pair.privateKey).toString('base64'));
    const rules = join(dir, 'tier-rules.yaml');
    writeFileSync(rules, 'max_position_pct: 0.6\n');
    const runs = [];
    for (const tier of ['0', '1', '2', '3']) {
      runs.push(await runBacktestCommand(flags(ckpt, `tier${tier}`, { rules, tier, trustedKeys: keys, decisionTimeoutMs: '5000' })));
    }
    expect(runs[0].notes.join(' ')).toContain('sandbox tier 0 (floor 0');
    const decisions = readFileSync(runs[0].files['decisions.csv'], 'utf8');
    expect(runs[0].record.fills.length).toBeGreaterThan(0);
    for (const r of runs.slice(1)) {
      expect(readFileSync(r.files['decisions.csv'], 'utf8')).toBe(decisions);
      expect(r.record.metrics).toEqual(runs[0].record.metrics);
      expect(r.notes.join(' ')).toMatch(/Sandbox tier \d: 449 decisions, 0 late \(HOLD\)\./);
    }
    // Unsigned, an own checkpoint runs at its floor, tier 1 (crash containment), and --tier 0 is refused.
    const unsigned = await runBacktestCommand(flags(run, 'unsigned'));
    expect(unsigned.notes.join(' ')).toContain('sandbox tier 1 (floor 1, risk score 2; unsigned)');
    await expect(runBacktestCommand(flags(run, 'refused', { tier: '0' }))).rejects.toThrow(/--tier: 0 is below this agent's floor of tier 1/);
    await expect(runBacktestCommand(flags(run, 'refused', { origin: 'third-party', tier: '2' }))).rejects.toThrow(/--tier: 2 is below this agent's floor of tier 3/);
    expect(existsSync(join(dir, 'refused'))).toBe(false);
  }, 180_000);

  it('missing_path_then_names_the_flag_and_the_path', async () => {
    await expect(runBacktestCommand(flags(join(dir, 'nope.json'), 'x'))).rejects.toThrow(/--agent: .*nope\.json: no such file or directory/);
  });

  it('missing_rules_or_config_file_bad_seed_or_fill_out_of_range_then_named_and_no_directory_left', async () => {
    await expect(runBacktestCommand(flags('buy-and-hold', 'b1', { rules: join(dir, 'none.yaml') }))).rejects.toThrow(/--rules .*none\.yaml: file not found/);
    await expect(runBacktestCommand(flags('buy-and-hold', 'b2', { config: dir }))).rejects.toThrow(/--config .*: not a file/);
    await expect(runBacktestCommand(flags('buy-and-hold', 'b3', { seed: '1.5' }))).rejects.toThrow(/--seed: must be a whole number >= 0, got '1\.5'/);
    await expect(runBacktestCommand(flags('buy-and-hold', 'b4', { spreadBps: '20000' }))).rejects.toThrow(/--spread-bps.*spreadBps: Too big/);
    for (const name of ['b1', 'b2', 'b3', 'b4']) expect(existsSync(join(dir, name))).toBe(false);
  });

  it('file_that_is_not_a_checkpoint_then_says_so', async () => {
    const notJson = join(dir, 'notes.txt');
    writeFileSync(notJson, 'hello');
    await expect(runBacktestCommand(flags(notJson, 'x'))).rejects.toThrow(/notes\.txt is not a checkpoint \(not JSON/);
    const otherJson = join(dir, 'other.json');
    writeFileSync(otherJson, '{"format":"something.else"}');
    await expect(runBacktestCommand(flags(otherJson, 'x'))).rejects.toThrow(/other\.json is not a checkpoint \(format "something\.else"/);
    await expect(runBacktestCommand(flags(dir, 'x'))).rejects.toThrow(/is a directory without checkpoints/);
  });

  it('data_with_another_bar_interval_then_names_barIntervalMs', async () => {
    await expect(runBacktestCommand(flags(run, 'x', { synth: 'regime:bars=500,seed=11,intervalMs=60000' }))).rejects.toThrow(
      /barIntervalMs: the policy was trained on 3600000 ms bars, the data has 60000 ms bars/,
    );
  });

  it('checkpoint_whose_layout_disagrees_then_names_the_field', async () => {
    const c = JSON.parse(readFileSync(join(run, 'checkpoints', 'last.json'), 'utf8'));
    const edited = join(dir, 'edited.json');
    writeFileSync(edited, JSON.stringify({ ...c, env: { ...c.env, windowSize: 5 } }));
    await expect(runBacktestCommand(flags(edited, 'x'))).rejects.toThrow(/obsDim: \d+, but windowSize × features \+ portfolio entries = \d+/);
    writeFileSync(edited, JSON.stringify({ ...c, env: { ...c.env, featureNames: ['ret_1'], obsDim: 4 + c.env.portfolioNames.length } }));
    await expect(runBacktestCommand(flags(edited, 'x'))).rejects.toThrow(/obsDim: \d+, its env section says/);
    const { env: _env, ...old } = c;
    writeFileSync(edited, JSON.stringify(old));
    await expect(runBacktestCommand(flags(edited, 'x'))).rejects.toThrow(/records no env section/);
  });
});

describe('bulwark backtest --agent CHECKPOINT (Box policy)', () => {
  const boxRun = join(dir, 'box-run');
  const rules = join(dir, 'box-rules.yaml');
  const csvRows = (path: string): Record<string, string>[] => {
    const [header, ...lines] = readFileSync(path, 'utf8').trim().split('\n');
    const keys = header.split(',');
    return lines.map((l) => Object.fromEntries(l.split(',').map((v, i) => [keys[i], v])));
  };

  beforeAll(async () => {
    // The same tiny run with a Box action: a Gaussian policy whose action is a target position in [-1, 1].
    const config = join(dir, 'train-box.yaml');
    writeFileSync(
      config,
      [
        'train: { algorithm: ppo-lag, seed: 3, epochs: 2, numEnvs: 2, rolloutSteps: 16, hiddenSizes: [8], updateEpochs: 1, numMinibatches: 2 }',
        'task:',
        '  data: regime:bars=600,seed=3',
        '  env: { episodeLength: 16, windowSize: 4, actionType: box }',
        'checkpointEvery: 1',
      ].join('\n'),
    );
    await quiet(() => runTrain({ config, out: boxRun, progress: false }));
    writeFileSync(rules, 'max_position_pct: 0.2\nmax_drawdown_pct: 0.2\n');
  });

  it('box_checkpoint_then_backtests_its_targets_through_the_full_chain_deterministically', async () => {
    const risk = join(dir, 'box-risk.yaml');
    writeFileSync(risk, '{}\n');
    const a = await runBacktestCommand(flags(boxRun, 'box-a', { rules, risk }));
    const b = await runBacktestCommand(flags(join(boxRun, 'checkpoints', 'last.json'), 'box-b', { rules, risk }));
    expect(a.record.agent).toContain('ppo-lag');
    expect(a.notes.join(' ')).toContain('target position in [-1, 1] of equity (Box, long-short)');
    expect(a.record.actions).toEqual([]);
    expect(Array.from(a.record.equity)).toEqual(Array.from(b.record.equity));
    expect(a.record.metrics).toEqual(b.record.metrics);
    expect(readFileSync(a.files['decisions.csv'], 'utf8')).toBe(readFileSync(b.files['decisions.csv'], 'utf8'));
    expect(JSON.parse(readFileSync(a.files['metrics.json'], 'utf8'))).toHaveProperty('clipped_targets');

    // Holds (its current position, flat) through the warm-up, then proposes targets of its own and trades them.
    const first = Number(/first (\d+) bar/.exec(a.notes.join(' '))?.[1]);
    const rows = csvRows(a.files['decisions.csv']);
    expect(rows.slice(0, first).every((r) => r.proposed_target === '0' && r.gate === 'NO_ORDER')).toBe(true);
    const decided = rows.slice(first, -1);
    expect(new Set(decided.map((r) => r.proposed_target)).size).toBeGreaterThan(10);
    expect(a.record.fills.length).toBeGreaterThan(0);
    for (const r of decided) {
      expect(Number(r.executed_target)).toBeGreaterThanOrEqual(Number(r.allowed_lo));
      expect(Number(r.executed_target)).toBeLessThanOrEqual(Number(r.allowed_hi));
      // A clip is recorded exactly where the target moved, with the rule that set the end it passed.
      expect(r.mask_rule !== '').toBe(Math.abs(Number(r.proposed_target) - Number(r.executed_target)) > 1e-6);
    }
  });

  it('box_checkpoint_in_sandbox_tier_2_then_proposes_the_same_targets_as_tier_1', async () => {
    const t1 = await runBacktestCommand(flags(boxRun, 'box-t1', { rules }));
    const t2 = await runBacktestCommand(flags(boxRun, 'box-t2', { rules, tier: '2', decisionTimeoutMs: '5000' }));
    expect(t1.notes.join(' ')).toContain('sandbox tier 1');
    expect(readFileSync(t2.files['decisions.csv'], 'utf8')).toBe(readFileSync(t1.files['decisions.csv'], 'utf8'));
    expect(t2.record.metrics).toEqual(t1.record.metrics);
  }, 120_000);

  it('box_checkpoint_wanting_more_than_the_rules_allow_then_every_target_is_clipped_and_counted_by_rule', async () => {
    // The same policy with its mean's bias set to 0.9: it wants 90 % long on every bar.
    const c = JSON.parse(readFileSync(join(boxRun, 'checkpoints', 'last.json'), 'utf8'));
    const actor = [...c.weights.actor];
    actor[actor.length - 1] = Buffer.from(Float32Array.of(0.9).buffer).toString('base64');
    const greedy = join(dir, 'greedy.json');
    writeFileSync(greedy, JSON.stringify({ ...c, weights: { ...c.weights, actor } }));

    const capped = await runBacktestCommand(flags(greedy, 'box-capped', { rules }));
    const first = Number(/first (\d+) bar/.exec(capped.notes.join(' '))?.[1]);
    expect(capped.record.metrics.clipped_targets).toEqual({ MAX_POSITION_PCT: 500 - 1 - first });
    expect(capped.record.metrics.masked_actions).toEqual({});
    const t = capped.record.decisions.targets;
    if (t === null) throw new Error('a Box run keeps the target columns');
    for (let i = first; i < 499; i++) {
      expect(t.proposed[i]).toBeGreaterThan(0.8);
      expect(t.executed[i]).toBe(t.hi[i]);
      // Above 20 % only by holding what the price carried there: reductions are always allowed, increases are not.
      if (t.executed[i] > 0.2) expect(capped.record.decisions.orderQty[i]).toBe(0);
    }

    // Without --rules only the Box range bounds it: the policy gets its 90 %, and no clip is recorded.
    const free = await runBacktestCommand(flags(greedy, 'box-free'));
    expect(free.notes.join(' ')).toContain('no --rules, so targets are bounded by the Box range only');
    expect(free.record.metrics.clipped_targets).toEqual({});
    expect(free.record.decisions.targets?.executed[first]).toBe(free.record.decisions.targets?.proposed[first]);
    expect(free.record.decisions.targets?.executed[first]).toBeGreaterThan(0.8);
  });
});
