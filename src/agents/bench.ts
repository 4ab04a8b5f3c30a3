/**
 * `bulwark bench train --json`: end-to-end training throughput (rollouts and updates) of PPO-Lag with the
 * default network ([64, 64] tanh, actor + two critics) on 16 trading envs, in env steps per second.
 * The first epoch is a warm-up (kernel set-up) and is not timed.
 */
import { initBackend } from './backend.js';
import { trainPpoLag } from './lagrangian-ppo.js';
import { deriveSizes } from './ppo-config.js';
import { regimeDataset, tradingVecEnvFactory } from './trading-setup.js';

const N_ENVS = 16;
const ROLLOUT_STEPS = 128;

export async function benchTrain(options: { json: boolean; scale: number }): Promise<Record<string, unknown>> {
  const backend = await initBackend();
  const epochs = 1 + Math.max(1, Math.round(8 * options.scale));
  const dataset = regimeDataset(50_000, 1);
  const timedFrom: number[] = [];
  const { policy, hyperparams } = await trainPpoLag({
    makeVecEnv: tradingVecEnvFactory(dataset, { episodeLength: ROLLOUT_STEPS }),
    numEnvs: N_ENVS,
    rolloutSteps: ROLLOUT_STEPS,
    epochs,
    seed: 1,
    costLimit: 5,
    // No KL early stop: every epoch does the full update work, so the figure does not depend on the data.
    targetKl: null,
    onEpoch: (stats) => {
      if (stats.epoch === 1) timedFrom.push(performance.now());
    },
  });
  const elapsedS = (performance.now() - (timedFrom[0] ?? 0)) / 1000;
  policy.dispose();
  const steps = (epochs - 1) * N_ENVS * ROLLOUT_STEPS;
  return {
    bench: 'train',
    backend: backend.name,
    env_steps_per_sec: Math.round(steps / elapsedS),
    n_envs: N_ENVS,
    steps,
    rollout_steps: ROLLOUT_STEPS,
    update_epochs: hyperparams.updateEpochs,
    minibatch_size: deriveSizes(hyperparams).minibatchSize,
    hidden_sizes: hyperparams.hiddenSizes,
  };
}
