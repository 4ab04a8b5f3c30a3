/**
 * A trained actor evaluated on the CPU in plain JavaScript, for inference one observation at a time
 * (backtests, paper trading). A tfjs forward pass per step pays a tensor upload, a kernel launch per layer and a
 * read back: about 60 µs on the wasm backend whatever the width. These loops cost about 2 ns per weight (16 µs
 * for the default 64×64 actor on 116 inputs) and allocate nothing: the weights are copied once, transposed, so
 * each output is one contiguous dot product, and the activations live in two reused scratch buffers. Sums are
 * accumulated in float64, so outputs match the float32 device pass to ~1e-6. For actors much wider than
 * 128×128 the device pass is the faster one.
 */
import { Rng } from '../core/index.js';
import { type ActOptions, type ActionKindOf, type Agent, actionFromOutputs } from './policy.js';
import type { RunningStatsState } from './running-stats.js';

/** One dense layer: `weights` is [inputDim × outputDim] row-major, as the tfjs variables store it. */
export interface DenseLayer {
  readonly inputDim: number;
  readonly outputDim: number;
  readonly weights: Float32Array;
  readonly bias: Float32Array;
}

/** The normaliser clip of training (RunningMeanStd.normalize's default). */
const OBS_CLIP = 10;

export class CpuPolicy implements Agent {
  readonly name: string;
  readonly inputDim: number;
  readonly outputDim: number;
  /** Per layer: weights transposed to [outputDim × inputDim], so output o reads one contiguous row. */
  private readonly transposed: readonly DenseLayer[];
  private readonly bufA: Float64Array;
  private readonly bufB: Float64Array;
  private readonly out: Float32Array;
  private readonly mean: Float64Array | null;
  private readonly invStd: Float64Array | null;
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
    if (layers.length === 0) throw new RangeError('layers: need at least one layer');
    layers.forEach((l, i) => {
      if (l.weights.length !== l.inputDim * l.outputDim) {
        throw new RangeError(`layers[${i}].weights: expected ${l.inputDim} × ${l.outputDim} values, got ${l.weights.length}`);
      }
      if (l.bias.length !== l.outputDim) throw new RangeError(`layers[${i}].bias: expected ${l.outputDim} values, got ${l.bias.length}`);
      if (i > 0 && l.inputDim !== layers[i - 1].outputDim) {
        throw new RangeError(`layers[${i}].inputDim: ${l.inputDim} does not match layer ${i - 1}'s output ${layers[i - 1].outputDim}`);
      }
    });
    this.name = name;
    this.transposed = layers.map((l) => {
      const t = new Float32Array(l.weights.length);
      for (let i = 0; i < l.inputDim; i++) for (let o = 0; o < l.outputDim; o++) t[o * l.inputDim + i] = l.weights[i * l.outputDim + o];
      return { inputDim: l.inputDim, outputDim: l.outputDim, weights: t, bias: Float32Array.from(l.bias) };
    });
    this.inputDim = layers[0].inputDim;
    this.outputDim = layers[layers.length - 1].outputDim;
    const widest = Math.max(this.inputDim, ...layers.map((l) => l.outputDim));
    this.bufA = new Float64Array(widest);
    this.bufB = new Float64Array(widest);
    this.out = new Float32Array(this.outputDim);
    const expectedOut = action.kind === 'discrete' ? action.n : action.low.length;
    if (expectedOut !== this.outputDim) throw new RangeError(`action: the network has ${this.outputDim} outputs, the action space needs ${expectedOut}`);
    if (action.kind === 'box' && logStd.length !== this.outputDim) {
      throw new RangeError(`logStd: expected ${this.outputDim} values, got ${logStd.length}`);
    }
    if (obsStats) {
      if (obsStats.mean.length !== this.inputDim || obsStats.var.length !== this.inputDim) {
        throw new RangeError(`obsStats: ${obsStats.mean.length} features, the network takes ${this.inputDim}`);
      }
      this.mean = Float64Array.from(obsStats.mean);
      this.invStd = Float64Array.from(obsStats.var, (v) => 1 / Math.sqrt(v + 1e-8));
    } else {
      this.mean = null;
      this.invStd = null;
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
    const d = this.inputDim;
    if (obs.length !== d) throw new RangeError(`obs: expected ${d} values, got ${obs.length}`);
    let x = this.bufA;
    let y = this.bufB;
    const mean = this.mean;
    const invStd = this.invStd;
    for (let j = 0; j < d; j++) {
      if (mean && invStd) {
        const z = (obs[j] - mean[j]) * invStd[j];
        x[j] = z > OBS_CLIP ? OBS_CLIP : z < -OBS_CLIP ? -OBS_CLIP : z;
      } else x[j] = obs[j];
    }
    const last = this.transposed.length - 1;
    for (let l = 0; l <= last; l++) {
      const { inputDim: n, outputDim, weights, bias } = this.transposed[l];
      const n4 = n - (n % 4);
      for (let o = 0; o < outputDim; o++) {
        // Four independent sums keep the multiply-adds from waiting on each other.
        const row = o * n;
        let s0 = bias[o];
        let s1 = 0;
        let s2 = 0;
        let s3 = 0;
        let i = 0;
        for (; i < n4; i += 4) {
          s0 += x[i] * weights[row + i];
          s1 += x[i + 1] * weights[row + i + 1];
          s2 += x[i + 2] * weights[row + i + 2];
          s3 += x[i + 3] * weights[row + i + 3];
        }
        for (; i < n; i++) s0 += x[i] * weights[row + i];
        const z = s0 + s1 + (s2 + s3);
        y[o] = l < last ? Math.tanh(z) : z;
      }
      const t = x;
      x = y;
      y = t;
    }
    for (let o = 0; o < this.outputDim; o++) this.out[o] = x[o];
    return this.out;
  }

  dispose(): void {}
}
