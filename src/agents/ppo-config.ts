/**
 * Hyperparameters of PPO-Lag: one typed field each, with its default and a one-line doc. Defaults follow
 * CleanRL's `ppo.py` for the PPO part and OmniSafe's PPOLag / CPPOPID for the Lagrangian part.
 * `ppoHyperSchema` validates the same fields from YAML (unknown fields are rejected, every issue named).
 */
import { z } from 'zod';
import { parseWithSchema } from '../core/index.js';

export const ppoHyperSchema = z
  .object({
    /** Seed of every random draw: weight init, action sampling, minibatch shuffles, env reset seeds. */
    seed: z.number().int().min(0).default(1),
    /** Number of parallel environments. */
    numEnvs: z.number().int().min(1).max(4096).default(16),
    /** Env steps per environment per epoch (CleanRL `num_steps`). */
    rolloutSteps: z.number().int().min(1).default(128),
    /** Training epochs (one rollout + one update each). */
    epochs: z.number().int().min(1).default(50),
    /** 'ppo-lag': λ learned by Adam; 'ppo-pid': PID Lagrangian; 'ppo': λ fixed at 0. */
    algorithm: z.enum(['ppo-lag', 'ppo-pid', 'ppo']).default('ppo-lag'),
    /** Hidden layer sizes of the actor and of each critic. */
    hiddenSizes: z.array(z.number().int().min(1).max(4096)).min(1).default([64, 64]),
    /** Actor learning rate (Adam). */
    actorLr: z.number().positive().default(3e-4),
    /** Reward- and cost-critic learning rate (Adam). */
    criticLr: z.number().positive().default(1e-3),
    /** Adam epsilon (CleanRL 1e-5). */
    adamEps: z.number().positive().default(1e-5),
    /** Discount of the reward. */
    gamma: z.number().min(0).max(1).default(0.99),
    /** Discount of the cost. */
    costGamma: z.number().min(0).max(1).default(0.99),
    /** GAE λ (for reward and cost). */
    gaeLambda: z.number().min(0).max(1).default(0.95),
    /** Passes over the rollout per epoch (CleanRL `update_epochs`). */
    updateEpochs: z.number().int().min(1).default(4),
    /** Minibatches per pass (CleanRL `num_minibatches`). */
    numMinibatches: z.number().int().min(1).default(4),
    /** PPO ratio clip. */
    clipCoef: z.number().positive().default(0.2),
    /** Entropy bonus coefficient. */
    entCoef: z.number().min(0).default(0.01),
    /** Weight of the two value losses. */
    vfCoef: z.number().min(0).default(0.5),
    /** Gradient-norm clip, applied to the actor's and to the critics' gradients separately. */
    maxGradNorm: z.number().positive().default(0.5),
    /** Stop the update early when a pass's mean approximate KL exceeds this (null: never). */
    targetKl: z.number().positive().nullable().default(0.02),
    /** Normalise observations with running mean and variance. */
    normalizeObs: z.boolean().default(true),
    /** Expected-cost limit d per episode. */
    costLimit: z.number().min(0).default(25),
    /** Initial λ. */
    lambdaInit: z.number().min(0).default(0.001),
    /** Adam learning rate of λ ('ppo-lag'). */
    lambdaLr: z.number().positive().default(0.035),
    /** Upper bound of λ. */
    lambdaMax: z.number().positive().default(100),
    /** PID gains ('ppo-pid'). */
    pidKp: z.number().min(0).default(0.1),
    pidKi: z.number().min(0).default(0.01),
    pidKd: z.number().min(0).default(0.01),
    /** PID EMA smoothing of the P error and of the cost fed to D. */
    pidDeltaPEmaAlpha: z.number().min(0).max(1).default(0.95),
    pidDeltaDEmaAlpha: z.number().min(0).max(1).default(0.95),
    /** PID derivative delay in epochs. */
    pidDDelay: z.number().int().min(1).default(10),
    /** Initial log standard deviation of the Gaussian policy (Box actions). */
    logStdInit: z.number().default(-0.5),
  })
  .strict();

export type PpoHyperparams = z.output<typeof ppoHyperSchema>;
export type PpoHyperparamsInput = z.input<typeof ppoHyperSchema>;

/** Fills defaults and validates; throws a ValidationError naming every bad field. */
export function resolveHyperparams(input: unknown, source = 'ppo config'): PpoHyperparams {
  return parseWithSchema(ppoHyperSchema, input, source);
}

/** Values derived from the hyperparameters, computed once and never written back. */
export interface DerivedSizes {
  /** Samples per epoch: numEnvs × rolloutSteps. */
  readonly batchSize: number;
  readonly minibatchSize: number;
}

export function deriveSizes(h: PpoHyperparams): DerivedSizes {
  const batchSize = h.numEnvs * h.rolloutSteps;
  if (h.numMinibatches > batchSize) {
    throw new RangeError(`numMinibatches: ${h.numMinibatches} is more than the ${batchSize} samples per epoch`);
  }
  return { batchSize, minibatchSize: Math.floor(batchSize / h.numMinibatches) };
}
