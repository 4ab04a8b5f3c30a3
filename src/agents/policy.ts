/**
 * The `act` interface of trained policies, and the trained PPO policy itself: the actor
 * network with the observation statistics frozen at the end of training.
 */
import * as tf from '@tensorflow/tfjs';
import { Rng } from '../core/index.js';
import { sampleGaussian, sampleMaskedCategorical } from './distributions.js';
import type { Mlp } from './mlp.js';
import type { RunningStatsState } from './running-stats.js';

export interface ActOptions {
  /** Take the most probable allowed action (Discrete) or the mean (Box) instead of sampling. */
  deterministic?: boolean;
}

/** Anything that picks an action from an observation and, for Discrete actions, a mask (1 = allowed). */
export interface Agent {
  readonly name: string;
  act(obs: Float32Array, mask?: Uint8Array | null, options?: ActOptions): number | Float32Array;
  /** Forget per-episode memory (agents with price history); a no-op for memoryless policies. */
  reset(): void;
}

export type ActionKindOf = { kind: 'discrete'; n: number } | { kind: 'box'; low: Float32Array; high: Float32Array };

/**
 * The action of one actor output row: a masked categorical draw (Discrete), or a Gaussian draw clipped to the
 * space's bounds (Box). Shared by the tfjs and the CPU policy, so both act alike on the same outputs.
 */
export function actionFromOutputs(
  out: Float32Array,
  action: ActionKindOf,
  logStd: Float32Array,
  mask: Uint8Array | null,
  rng: Rng,
  deterministic: boolean,
): number | Float32Array {
  if (action.kind === 'discrete') return sampleMaskedCategorical(out, 0, action.n, mask, 0, rng, deterministic).action;
  const a = new Float32Array(logStd.length);
  sampleGaussian(out, 0, logStd, a, 0, rng, deterministic);
  for (let k = 0; k < a.length; k++) a[k] = Math.min(action.high[k], Math.max(action.low[k], a[k]));
  return a;
}

export class PpoPolicy implements Agent {
  readonly name: string;
  private readonly scratch: Float32Array;
  private readonly rng: Rng;
  private readonly std: Float32Array;

  constructor(
    private readonly actor: Mlp,
    readonly action: ActionKindOf,
    /** Normaliser statistics (null: observations are used raw). */
    readonly obsStats: RunningStatsState | null,
    /** Box only: the learned log standard deviations. */
    readonly logStd: Float32Array,
    seed: number,
    name = 'ppo',
  ) {
    this.name = name;
    this.scratch = new Float32Array(actor.spec.inputDim);
    this.rng = new Rng(seed);
    this.std = logStd;
  }

  reset(): void {}

  act(obs: Float32Array, mask?: Uint8Array | null, options?: ActOptions): number | Float32Array {
    return actionFromOutputs(this.actorOutputs(obs), this.action, this.std, mask ?? null, this.rng, options?.deterministic ?? false);
  }

  /** The actor's raw outputs for one observation: logits (Discrete) or the Gaussian mean (Box). */
  actorOutputs(obs: Float32Array): Float32Array {
    const d = this.actor.spec.inputDim;
    if (obs.length !== d) throw new RangeError(`obs: expected ${d} values, got ${obs.length}`);
    const s = this.obsStats;
    for (let j = 0; j < d; j++) {
      const z = s ? (obs[j] - s.mean[j]) / Math.sqrt(s.var[j] + 1e-8) : obs[j];
      this.scratch[j] = s ? Math.max(-10, Math.min(10, z)) : z;
    }
    const t = tf.tidy(() => this.actor.apply(tf.tensor2d(this.scratch, [1, d])));
    const data = t.dataSync();
    t.dispose();
    return Float32Array.from(data);
  }

  dispose(): void {
    this.actor.dispose();
  }
}
