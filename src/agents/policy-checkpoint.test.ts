import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Rng } from '../core/index.js';
import { writeCheckpointFile, type PpoLagCheckpoint } from './checkpoint.js';
import { trainPpoLag, type PpoLagResult } from './lagrangian-ppo.js';
import { loadPolicyCheckpoint, policyFromCheckpoint } from './policy-checkpoint.js';
import { describeTrainedEnv } from './trained-env.js';
import { regimeDataset, tradingVecEnvFactory } from './trading-setup.js';

const dir = mkdtempSync(join(tmpdir(), 'bulwark-policy-ckpt-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const dataset = regimeDataset(400, 5);
const env = { windowSize: 3, episodeLength: 16, actions: { targetLevels: [0, 0.5] } };
let trained: PpoLagResult;
let checkpoint: PpoLagCheckpoint;

beforeAll(async () => {
  const last: { c: PpoLagCheckpoint | null } = { c: null };
  trained = await trainPpoLag({
    makeVecEnv: tradingVecEnvFactory(dataset, env),
    numEnvs: 2,
    rolloutSteps: 16,
    epochs: 1,
    hiddenSizes: [8, 8],
    updateEpochs: 1,
    numMinibatches: 2,
    seed: 4,
    onCheckpoint: (c) => {
      last.c = c;
    },
  });
  if (last.c === null) throw new Error('no checkpoint');
  checkpoint = { ...last.c, env: describeTrainedEnv(dataset, env, { useMask: true }) };
});
afterAll(() => trained.policy.dispose());

function randomObs(rng: Rng, n: number): Float32Array {
  return Float32Array.from({ length: n }, () => rng.normal() * 2);
}

describe('policy from a checkpoint', () => {
  it('cpu_forward_then_matches_the_trained_tfjs_policy_outputs_and_actions', () => {
    const { policy } = policyFromCheckpoint(checkpoint);
    const rng = new Rng(9);
    for (let k = 0; k < 20; k++) {
      const obs = randomObs(rng, checkpoint.obsDim);
      const cpu = Array.from(policy.actorOutputs(obs));
      const tfOut = Array.from(trained.policy.actorOutputs(obs));
      cpu.forEach((v, i) => expect(v).toBeCloseTo(tfOut[i], 5));
      expect(policy.act(obs, null, { deterministic: true })).toBe(trained.policy.act(obs, null, { deterministic: true }));
    }
  });

  it('mask_then_never_returns_a_masked_action', () => {
    const { policy } = policyFromCheckpoint(checkpoint);
    const rng = new Rng(2);
    const mask = Uint8Array.of(1, 0, 1);
    for (let k = 0; k < 20; k++) expect(policy.act(randomObs(rng, checkpoint.obsDim), mask, { deterministic: true })).not.toBe(1);
  });

  it('written_file_then_loads_the_same_policy_and_env', async () => {
    const path = join(dir, 'run', 'checkpoints', 'last.json');
    await writeCheckpointFile(path, checkpoint);
    const loaded = await loadPolicyCheckpoint(join(dir, 'run'));
    expect(loaded.path).toBe(path);
    expect(loaded.env).toEqual(checkpoint.env);
    expect(loaded.epoch).toBe(1);
    const obs = randomObs(new Rng(1), checkpoint.obsDim);
    expect(Array.from(loaded.policy.actorOutputs(obs))).toEqual(Array.from(policyFromCheckpoint(checkpoint).policy.actorOutputs(obs)));
  });

  it('checkpoint_without_env_section_then_refuses', () => {
    const { env: _env, ...bare } = checkpoint;
    expect(() => policyFromCheckpoint(bare, 'ckpt')).toThrow(/ckpt: records no env section/);
  });

  it('weights_that_do_not_fit_the_hidden_sizes_then_names_weights_actor', () => {
    const bad = { ...checkpoint, hyperparams: { ...checkpoint.hyperparams, hiddenSizes: [8] } };
    expect(() => policyFromCheckpoint(bad, 'ckpt')).toThrow(/weights\.actor: 6 tensors, hiddenSizes \[8\] need 4/);
  });
});
