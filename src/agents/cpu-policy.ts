/**
 * A trained actor evaluated on the CPU in plain JavaScript, for inference one observation at a time
 * (backtests, paper trading). A tfjs forward pass per step pays a tensor upload, a kernel launch per layer and a
 * read back: about 60 µs on the wasm backend whatever the width. The forward pass (dense-actor.ts, shared with
 * the sandboxed checkpoint agent) costs about 2 ns per weight (16 µs for the default 64×64 actor on 116 inputs)
 * and allocates nothing. Sums are accumulated in float64, so outputs match the float32 device pass to ~1e-6.
 * For actors much wider than 128×128 the device pass is the faster one.
 */
import { Rng } from '../core/index.js';
import { type ActOptions, type ActionKindOf, type Agent, actionFromOutputs } from './policy.js';
import type { RunningStatsState } from './running-stats.js';
import { DenseActor, type DenseLayer } from './dense-actor.js';

export type { DenseLayer } from './dense-actor.js';

export class CpuPolicy implements Agent {
  readonly name: string;
  readonly inputDim: number;
  readonly outputDim: number;
  private readonly actor: DenseActor;
  private readonly rng: Rng;

  constructor(
    layers: readonly DenseLayer[],
    readonly action: ActionKindOf,
    /** Normaliser statistics frozen at the end of training (null: observations are used raw). */
    obsStats: RunningStatsState | null,
    /** Box only: the learned log standard deviations. */
    readonly logStd: Float32Array,
    seed: number,
    name = 'ppo',
  ) {
    this.name = name;
    this.actor = new DenseActor(layers, obsStats);
    this.inputDim = this.actor.inputDim;
    this.outputDim = this.actor.outputDim;
    const expectedOut = action.kind === 'discrete' ? action.n : action.low.length;
    if (expectedOut !== this.outputDim) throw new RangeError(`action: the network has ${this.outputDim} outputs, the action space needs ${expectedOut}`);
    if (action.kind === 'box' && logStd.length !== this.outputDim) {
      throw new RangeError(`logStd: expected ${this.outputDim} values, got ${logStd.length}`);
    }
    this.rng = new Rng(seed);
  }

  reset(): void {}

  /** Restarts the sampling stream (an evaluation's `--seed`). */
  reseed(seed: number): void {
    this.rng.reseed(seed);
  }

  act(obs: Float32Array, mask?: Uint8Array | null, options?: ActOptions): number | Float32Array {
    return actionFromOutputs(this.actorOutputs(obs), this.action, this.logStd, mask ?? null, this.rng, options?.deterministic ?? false);
  }

  /**
   * The actor's raw outputs (logits or the Gaussian mean) for one observation. The returned array is reused by
   * the next call: read it, do not keep it.
   */
  actorOutputs(obs: Float32Array): Float32Array {
    return this.actor.outputs(obs);
  }

  dispose(): void {}
}
