import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { TradingVecEnv } from '../env/index.js';
import {
  DEFAULT_TWO_ARMED,
  regimeDataset,
  trainPpoLag,
  twoArmedOptimum,
  TwoArmedEnv,
  type EpochStats,
  type PpoLagCheckpoint,
  type PpoLagConfig,
} from './index.js';

// Small, fast settings for the two-armed task (limit 2 risky pulls per 10-step episode; optimum return 6).
const TASK: PpoLagConfig = {
  makeEnv: () => new TwoArmedEnv(),
  numEnvs: 32,
  rolloutSteps: 10,
  costLimit: DEFAULT_TWO_ARMED.costLimit,
  updateEpochs: 4,
  numMinibatches: 1,
  hiddenSizes: [16],
  actorLr: 0.003,
  lambdaLr: 0.05,
  entCoef: 0.02,
};

function tailMean(history: EpochStats[], n: number, key: 'episodeCost' | 'episodeReturn'): number {
  const tail = history.slice(-n);
  return tail.reduce((s, e) => s + e[key], 0) / tail.length;
}

describe('trainPpoLag on the constrained two-armed task', () => {
  it('ppo_lag_when_trained_then_cost_is_within_10pct_of_limit_and_return_near_constrained_optimum', async () => {
    const { history, policy } = await trainPpoLag({ ...TASK, algorithm: 'ppo-lag', seed: 1, epochs: 150 });
    policy.dispose();
    const optimum = twoArmedOptimum(DEFAULT_TWO_ARMED);
    const cost = tailMean(history, 75, 'episodeCost');
    expect(Math.abs(cost - optimum.episodeCost) / optimum.episodeCost).toBeLessThanOrEqual(0.1);
    expect(Math.abs(tailMean(history, 75, 'episodeReturn') - optimum.episodeReturn)).toBeLessThan(0.4);
    expect(history.at(-1)?.lambda).toBeGreaterThan(0);
  });

  it('plain_ppo_when_trained_then_exceeds_the_cost_limit', async () => {
    const { history, policy } = await trainPpoLag({ ...TASK, algorithm: 'ppo', seed: 1, epochs: 40 });
    policy.dispose();
    expect(tailMean(history, 10, 'episodeCost')).toBeGreaterThan(2 * DEFAULT_TWO_ARMED.costLimit);
    expect(history.every((e) => e.lambda === 0)).toBe(true);
  });

  it('pid_lagrangian_when_trained_then_cost_settles_near_the_limit', async () => {
    const { history, policy } = await trainPpoLag({
      ...TASK,
      algorithm: 'ppo-pid',
      seed: 1,
      epochs: 120,
      pidKp: 0.5,
      pidKi: 0.05,
      pidKd: 0,
      pidDeltaPEmaAlpha: 0,
    });
    policy.dispose();
    expect(Math.abs(tailMean(history, 40, 'episodeCost') - 2) / 2).toBeLessThanOrEqual(0.1);
  });
});

describe('trainPpoLag with action masks', () => {
  it('masked_risky_arm_when_training_then_never_sampled_and_entropy_is_zero', async () => {
    // The env throws if a masked action is executed, so finishing the run shows none was sampled.
    const env = { ...DEFAULT_TWO_ARMED, maskRiskyAfter: 0 };
    const { history, policy } = await trainPpoLag({ ...TASK, makeEnv: () => new TwoArmedEnv(env), seed: 3, epochs: 3 });
    policy.dispose();
    for (const e of history) {
      expect(e.episodeCost).toBe(0);
      expect(e.maskedActions).toBe(32 * 10);
      expect(e.maskedSteps).toBe(32 * 10);
      // One allowed action: the masked distribution is certain, so its entropy is 0 and the ratio stays 1.
      expect(e.entropy).toBeCloseTo(0, 6);
      expect(e.approxKl).toBeCloseTo(0, 6);
      expect(e.clipfrac).toBe(0);
    }
  });

  it('mask_limiting_risky_pulls_when_training_then_episode_cost_never_exceeds_the_hard_limit', async () => {
    const env = { ...DEFAULT_TWO_ARMED, maskRiskyAfter: 1 };
    const { history, policy } = await trainPpoLag({ ...TASK, algorithm: 'ppo', makeEnv: () => new TwoArmedEnv(env), seed: 4, epochs: 5 });
    policy.dispose();
    for (const e of history) expect(e.episodeCost).toBeLessThanOrEqual(1);
    expect(history.some((e) => e.maskedActions > 0)).toBe(true);
  });
});

describe('trainPpoLag determinism, resume and memory', () => {
  const SHORT: PpoLagConfig = { ...TASK, numEnvs: 8, epochs: 6, numMinibatches: 2, targetKl: null };

  it('same_seed_and_config_when_trained_twice_then_identical_history_and_policy', async () => {
    const a = await trainPpoLag({ ...SHORT, seed: 11 });
    const b = await trainPpoLag({ ...SHORT, seed: 11 });
    const c = await trainPpoLag({ ...SHORT, seed: 12 });
    expect(b.history).toEqual(a.history);
    const obs = new Float32Array([1, 0.3]);
    expect(Array.from(b.policy.actorOutputs(obs))).toEqual(Array.from(a.policy.actorOutputs(obs)));
    expect(c.history).not.toEqual(a.history);
    [a, b, c].forEach((r) => r.policy.dispose());
  });

  it('checkpoint_at_epoch_3_when_resumed_then_continues_bit_for_bit', async () => {
    const saved: PpoLagCheckpoint[] = [];
    const full = await trainPpoLag({ ...SHORT, seed: 21, checkpointEvery: 3, onCheckpoint: (c) => void saved.push(c) });
    expect(saved.map((c) => c.epoch)).toEqual([3, 6]);
    // Through JSON, as the CLI stores it.
    const atThree: PpoLagCheckpoint = JSON.parse(JSON.stringify(saved[0]));
    const resumed = await trainPpoLag({ ...SHORT, seed: 21, resume: atThree });
    expect(resumed.history).toEqual(full.history);
    const obs = new Float32Array([1, 0.7]);
    expect(Array.from(resumed.policy.actorOutputs(obs))).toEqual(Array.from(full.policy.actorOutputs(obs)));
    full.policy.dispose();
    resumed.policy.dispose();
  });

  it('resume_with_changed_hyperparameters_then_refuses_naming_them', async () => {
    const saved: PpoLagCheckpoint[] = [];
    const r = await trainPpoLag({ ...SHORT, epochs: 1, seed: 5, onCheckpoint: (c) => void saved.push(c) });
    r.policy.dispose();
    await expect(trainPpoLag({ ...SHORT, seed: 5, actorLr: 0.1, resume: saved[0] })).rejects.toThrow(/actorLr/);
  });

  it('training_epochs_when_run_then_tensor_count_stays_flat', async () => {
    const counts: number[] = [];
    const before = tf.memory().numTensors;
    const r = await trainPpoLag({ ...SHORT, seed: 31, onEpoch: () => void counts.push(tf.memory().numTensors) });
    expect(new Set(counts).size).toBe(1);
    r.policy.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });

  it('bad_hyperparameters_when_training_then_validation_error_names_each_field', async () => {
    await expect(trainPpoLag({ ...SHORT, clipCoef: -1, numEnvs: 0 })).rejects.toThrow(/clipCoef.*numEnvs|numEnvs.*clipCoef/);
  });
});

describe('trainPpoLag with Box actions under the Constraint Logic Engine', () => {
  it('box_targets_when_the_engine_bounds_them_then_clipped_to_its_interval_and_counted_so_strict_mode_never_throws', async () => {
    // Strict mode throws on a target outside the engine's interval: finishing the run shows every executed
    // target was clipped into it. A 10 % position cap is far inside the Box range [-1, 1].
    const dataset = regimeDataset(800, 3);
    const config = { actionType: 'box' as const, episodeLength: 16, windowSize: 4 };
    const makeVecEnv = (numEnvs: number) => new TradingVecEnv({ dataset, numEnvs, config, constraints: { rules: { max_position_pct: 0.1 }, mode: 'strict' } });
    const { history, policy } = await trainPpoLag({ makeVecEnv, numEnvs: 2, rolloutSteps: 16, epochs: 2, hiddenSizes: [8], updateEpochs: 1, numMinibatches: 2, seed: 2, logStdInit: 0 });
    policy.dispose();
    expect(history).toHaveLength(2);
    expect(history.reduce((s, e) => s + e.clippedActions, 0)).toBeGreaterThan(0);
  });
});

describe('λ with no finished episode (issue 15)', () => {
  // Episodes of 100 steps, rollouts of 10: no episode ends in any epoch; a random policy pulls the costly arm often.
  const long = { ...DEFAULT_TWO_ARMED, horizon: 100 };
  const base: PpoLagConfig = { ...TASK, makeEnv: () => new TwoArmedEnv(long), numEnvs: 4, seed: 2, epochs: 3, costLimit: 1, lambdaLr: 0.1 };

  it('episode_length_given_then_lambda_follows_the_cost_per_step_scaled_to_an_episode_and_warns_once', async () => {
    const warnings: string[] = [];
    const { history, policy } = await trainPpoLag({ ...base, episodeLength: 100, onWarning: (m) => warnings.push(m) });
    policy.dispose();
    expect(history.every((e) => e.episodes === 0 && Number.isNaN(e.episodeCost))).toBe(true);
    // The stand-in for J_c: mean cost per step (a share of risky pulls, in (0, 1)) × 100 steps.
    expect(history.every((e) => e.lambdaCost > 1 && e.lambdaCost < 100)).toBe(true);
    expect(history[2].lambda).toBeGreaterThan(history[0].lambda);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(/epoch 1: no episode finished .*cost per step × the episode length \(100\)/);
  });

  it('episode_length_unknown_then_lambda_stays_and_the_warning_says_why', async () => {
    const warnings: string[] = [];
    const { history, policy } = await trainPpoLag({ ...base, onWarning: (m) => warnings.push(m) });
    policy.dispose();
    expect(new Set(history.map((e) => e.lambda)).size).toBe(1);
    expect(history.every((e) => Number.isNaN(e.lambdaCost))).toBe(true);
    expect(warnings).toEqual([expect.stringMatching(/episode length is unknown; λ does not move/)]);
  });
});
