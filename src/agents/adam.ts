/**
 * Adam on tf.Variables with its whole state readable and writable, so a resumed run continues bit-for-bit.
 * (tfjs's own AdamOptimizer rebuilds its bias-correction powers on restore with a different rounding than
 * its running product, which breaks exact resume.) Bias correction uses float64 powers of the step count.
 */
import * as tf from '@tensorflow/tfjs';

export interface AdamConfig {
  learningRate: number;
  beta1: number;
  beta2: number;
  /** CleanRL uses 1e-5. */
  epsilon: number;
}

export interface AdamState {
  readonly step: number;
  readonly m: Float32Array[];
  readonly v: Float32Array[];
}

export class Adam {
  private step = 0;
  private readonly m: tf.Variable[];
  private readonly v: tf.Variable[];

  constructor(
    readonly params: readonly tf.Variable[],
    readonly config: AdamConfig,
  ) {
    if (!(config.learningRate > 0)) throw new RangeError(`learningRate: must be > 0, got ${config.learningRate}`);
    this.m = tf.tidy(() => params.map((p) => tf.variable(tf.zerosLike(p), false)));
    this.v = tf.tidy(() => params.map((p) => tf.variable(tf.zerosLike(p), false)));
  }

  /** Applies one step with `grads[i]` for `params[i]`. The caller keeps ownership of `grads`. */
  apply(grads: readonly tf.Tensor[]): void {
    if (grads.length !== this.params.length) {
      throw new RangeError(`grads: need ${this.params.length} gradients, got ${grads.length}`);
    }
    this.step++;
    const { beta1, beta2, epsilon, learningRate } = this.config;
    const stepSize = (learningRate * Math.sqrt(1 - beta2 ** this.step)) / (1 - beta1 ** this.step);
    tf.tidy(() => {
      for (let i = 0; i < grads.length; i++) {
        const g = grads[i];
        const m = tf.add(tf.mul(this.m[i], beta1), tf.mul(g, 1 - beta1));
        const v = tf.add(tf.mul(this.v[i], beta2), tf.mul(tf.square(g), 1 - beta2));
        this.m[i].assign(m);
        this.v[i].assign(v);
        this.params[i].assign(tf.sub(this.params[i], tf.mul(tf.div(m, tf.add(tf.sqrt(v), epsilon)), stepSize)));
      }
    });
  }

  getState(): AdamState {
    return { step: this.step, m: this.m.map(readF32), v: this.v.map(readF32) };
  }

  setState(state: AdamState): void {
    if (state.m.length !== this.m.length || state.v.length !== this.v.length) {
      throw new RangeError(`optimizer: saved state has ${state.m.length} parameters, the network has ${this.m.length}`);
    }
    this.step = state.step;
    state.m.forEach((arr, i) => assignF32(this.m[i], arr));
    state.v.forEach((arr, i) => assignF32(this.v[i], arr));
  }

  dispose(): void {
    tf.dispose([...this.m, ...this.v]);
  }
}

export function readF32(t: tf.Tensor): Float32Array {
  const data = t.dataSync();
  if (!(data instanceof Float32Array)) throw new TypeError(`tensor ${t.id}: expected float32 data, got ${t.dtype}`);
  return Float32Array.from(data);
}

export function assignF32(v: tf.Variable, data: Float32Array): void {
  const size = v.shape.reduce((a, b) => a * b, 1);
  if (data.length !== size) throw new RangeError(`${v.name}: expected ${size} values, got ${data.length}`);
  tf.tidy(() => v.assign(tf.tensor(data, v.shape)));
}
