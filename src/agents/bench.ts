/**
 * `bulwark bench train --json`: end-to-end training throughput (rollouts and updates) of PPO-Lag with the
 * default network ([64, 64] tanh, actor + two critics) on 16 trading envs, in env steps per second, split into
 * rollout and update time. The first epoch is a warm-up (kernel set-up, JIT) and is not timed.
 *
 * Reference (README): CleanRL's `ppo.py` with the same shape of work runs 15,000–17,000 env-steps/s on this
 * machine (PyTorch 1.13 CPU, OPENBLAS_NUM_THREADS=1, CartPole).
 */
import { initBackend } from './backend.js';
import { trainPpoLag, type UpdateKernelPreference } from './lagrangian-ppo.js';
import { deriveSizes } from './ppo-config.js';
import { regimeDataset, tradingVecEnvFactory } from './trading-setup.js';

const N_ENVS = 16;
const ROLLOUT_STEPS = 128;

export async function benchTrain(options: { json: boolean; scale: number; updateKernel?: UpdateKernelPreference }): Promise<Record<string, unknown>> {
  const backend = await initBackend();
  const epochs = 1 + Math.max(1, Math.round(8 * options.scale));
  const dataset = regimeDataset(50_000, 1);
  const timed = { fromMs: 0, fromCpu: process.cpuUsage(), rolloutMs: 0, updateMs: 0, minibatches: 0 };
  const { policy, hyperparams, updateKernel, updateThreads } = await trainPpoLag({
    makeVecEnv: tradingVecEnvFactory(dataset, { episodeLength: ROLLOUT_STEPS }),
    numEnvs: N_ENVS,
    rolloutSteps: ROLLOUT_STEPS,
    epochs,
    seed: 1,
    costLimit: 5,
    // No KL early stop: every epoch does the full update work, so the figure does not depend on the data.
    targetKl: null,
    updateKernel: options.updateKernel ?? 'auto',
    onEpoch: (stats, progress) => {
      if (stats.epoch === 1) {
        timed.fromMs = performance.now();
        timed.fromCpu = process.cpuUsage();
        return;
      }
      timed.rolloutMs += progress.rolloutMs;
      timed.updateMs += progress.updateMs;
      timed.minibatches += progress.minibatches;
    },
  });
  const elapsedS = (performance.now() - timed.fromMs) / 1000;
  const cpu = process.cpuUsage(timed.fromCpu);
  const cpuS = (cpu.user + cpu.system) / 1e6;
  policy.dispose();
  const steps = (epochs - 1) * N_ENVS * ROLLOUT_STEPS;
  return {
    bench: 'train',
    backend: backend.name,
    update_kernel: updateKernel,
    threads: updateThreads,
    env_steps_per_sec: Math.round(steps / elapsedS),
    // Steps per second of this process's CPU time: what the wall-clock figure would be on an otherwise idle
    // machine (one thread), and far steadier than it when other jobs share the cores.
    env_steps_per_cpu_sec: Math.round(steps / cpuS),
    rollout_sec: round3(timed.rolloutMs / 1000),
    update_sec: round3(timed.updateMs / 1000),
    update_ms_per_minibatch: round3(timed.updateMs / Math.max(1, timed.minibatches)),
    n_envs: N_ENVS,
    steps,
    rollout_steps: ROLLOUT_STEPS,
    update_epochs: hyperparams.updateEpochs,
    minibatch_size: deriveSizes(hyperparams).minibatchSize,
    hidden_sizes: hyperparams.hiddenSizes,
  };
}

function round3(x: number): number {
  return Math.round(x * 1000) / 1000;
}
