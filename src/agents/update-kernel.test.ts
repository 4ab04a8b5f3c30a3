import { describe, expect, it } from 'vitest';
import { DEFAULT_TWO_ARMED, trainPpoLag, TwoArmedEnv, type PpoLagCheckpoint, type PpoLagConfig } from './index.js';

// The two update paths of trainPpoLag on the two-armed task: the fused WebAssembly update (default off
// tfjs-node) and the TensorFlow.js one. Same loss, same seeds, so the first epoch agrees closely.
const SHORT: PpoLagConfig = {
  makeEnv: () => new TwoArmedEnv(),
  numEnvs: 8,
  rolloutSteps: 10,
  costLimit: DEFAULT_TWO_ARMED.costLimit,
  updateEpochs: 2,
  numMinibatches: 2,
  hiddenSizes: [16],
  epochs: 3,
  targetKl: null,
};

describe('trainPpoLag update kernels', () => {
  it('default_kernel_on_wasm_when_trained_then_fused_and_recorded_in_result_and_checkpoint', async () => {
    const saved: PpoLagCheckpoint[] = [];
    const r = await trainPpoLag({ ...SHORT, seed: 3, onCheckpoint: (c) => void saved.push(c) });
    r.policy.dispose();
    expect(r.backend.name === 'tensorflow' ? 'tfjs' : 'fused').toBe(r.updateKernel);
    expect(r.updateThreads).toBe(1);
    expect(saved.at(-1)?.updateKernel).toBe(r.updateKernel);
  });

  it('fused_and_tfjs_when_trained_from_one_seed_then_first_epoch_losses_agree_to_1e-4', async () => {
    const fused = await trainPpoLag({ ...SHORT, seed: 5, epochs: 1, updateKernel: 'fused' });
    const tfjs = await trainPpoLag({ ...SHORT, seed: 5, epochs: 1, updateKernel: 'tfjs' });
    const [a, b] = [fused.history[0], tfjs.history[0]];
    // The rollout is the same (same weights, same draws); the update's diagnostics agree to float32 noise.
    expect(a.episodeReturn).toBe(b.episodeReturn);
    for (const key of ['pgLoss', 'vLossReward', 'vLossCost', 'entropy', 'approxKl'] as const) {
      expect(Math.abs(a[key] - b[key]), key).toBeLessThanOrEqual(1e-4);
    }
    const obs = new Float32Array([1, 0.3]);
    const outA = fused.policy.actorOutputs(obs);
    const outB = tfjs.policy.actorOutputs(obs);
    outA.forEach((x, i) => expect(Math.abs(x - outB[i])).toBeLessThanOrEqual(1e-4));
    fused.policy.dispose();
    tfjs.policy.dispose();
  });

  it('tfjs_kernel_when_trained_twice_with_one_seed_then_identical_history', async () => {
    const a = await trainPpoLag({ ...SHORT, seed: 7, updateKernel: 'tfjs' });
    const b = await trainPpoLag({ ...SHORT, seed: 7, updateKernel: 'tfjs' });
    expect(b.history).toEqual(a.history);
    a.policy.dispose();
    b.policy.dispose();
  });

  it('fused_checkpoint_when_resumed_on_the_tfjs_kernel_then_continues_from_its_weights_and_moments', async () => {
    const saved: PpoLagCheckpoint[] = [];
    const full = await trainPpoLag({ ...SHORT, seed: 9, checkpointEvery: 2, onCheckpoint: (c) => void saved.push(c), updateKernel: 'fused' });
    const resumed = await trainPpoLag({ ...SHORT, seed: 9, resume: saved[0], updateKernel: 'tfjs' });
    expect(resumed.history.slice(0, 2)).toEqual(full.history.slice(0, 2));
    // The third epoch's rollout runs on the restored weights: the same episodes as the fused run's.
    expect(resumed.history[2].episodeReturn).toBe(full.history[2].episodeReturn);
    full.policy.dispose();
    resumed.policy.dispose();
  });
});
