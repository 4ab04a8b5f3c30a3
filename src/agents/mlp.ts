/**
 * A tanh multi-layer perceptron on raw tf.Variables. Weights are initialised from the core Rng (orthogonal,
 * as CleanRL and OmniSafe do), so the same seed gives the same network on every backend, and they are read
 * and written as plain Float32Arrays for checkpoints.
 */
import * as tf from '@tensorflow/tfjs';
import type { Rng } from '../core/index.js';

export interface MlpSpec {
  /** Unique prefix of the variable names (tf.Variable names are global to the process). */
  readonly name: string;
  readonly inputDim: number;
  readonly hiddenSizes: readonly number[];
  readonly outputDim: number;
  /** Gain of the orthogonal init of the output layer (CleanRL: 0.01 for the actor, 1 for critics). */
  readonly outputGain: number;
}

let instanceCounter = 0;

/** tf.Variable names are global to the process: each network instance gets its own suffix. */
export function uniqueVariableName(prefix: string): string {
  return `${prefix}_${instanceCounter++}`;
}

export class Mlp {
  readonly weights: tf.Variable[] = [];
  readonly biases: tf.Variable[] = [];

  constructor(
    readonly spec: MlpSpec,
    rng: Rng,
  ) {
    const sizes = [spec.inputDim, ...spec.hiddenSizes, spec.outputDim];
    for (const [i, s] of sizes.entries()) {
      if (!Number.isInteger(s) || s < 1) throw new RangeError(`${spec.name} layer ${i}: size must be >= 1, got ${s}`);
    }
    const id = instanceCounter++;
    for (let l = 0; l < sizes.length - 1; l++) {
      const last = l === sizes.length - 2;
      const gain = last ? spec.outputGain : Math.SQRT2;
      const w = orthogonal(sizes[l], sizes[l + 1], gain, rng);
      // Inside tidy the initial-value tensors are released; the variables (never disposed by tidy) stay.
      tf.tidy(() => {
        this.weights.push(tf.variable(tf.tensor2d(w, [sizes[l], sizes[l + 1]]), true, `${spec.name}_${id}_w${l}`));
        this.biases.push(tf.variable(tf.zeros([sizes[l + 1]]), true, `${spec.name}_${id}_b${l}`));
      });
    }
  }

  /** [batch × inputDim] → [batch × outputDim]. Call inside tf.tidy. */
  apply(x: tf.Tensor2D): tf.Tensor2D {
    let h: tf.Tensor2D = x;
    const last = this.weights.length - 1;
    for (let l = 0; l <= last; l++) {
      const z: tf.Tensor2D = tf.add(tf.matMul(h, this.weights[l]), this.biases[l]);
      h = l === last ? z : tf.tanh(z);
    }
    return h;
  }

  variables(): tf.Variable[] {
    return this.weights.flatMap((w, i) => [w, this.biases[i]]);
  }

  dispose(): void {
    tf.dispose(this.variables());
  }
}

/**
 * A (rows × cols) matrix with orthonormal rows or columns, scaled by `gain` (Saxe et al. 2014): Gram–Schmidt
 * on a Gaussian matrix drawn from `rng`, computed in float64.
 */
export function orthogonal(rows: number, cols: number, gain: number, rng: Rng): Float32Array {
  // Orthonormalise the shorter side's vectors, each of the longer side's length.
  const n = Math.min(rows, cols);
  const len = Math.max(rows, cols);
  const vecs: Float64Array[] = [];
  for (let k = 0; k < n; k++) {
    const v = new Float64Array(len);
    let norm = 0;
    // Redraw in the (measure-zero) case of a dependent vector.
    while (norm < 1e-6) {
      for (let i = 0; i < len; i++) v[i] = rng.normal();
      for (const u of vecs) {
        let dot = 0;
        for (let i = 0; i < len; i++) dot += u[i] * v[i];
        for (let i = 0; i < len; i++) v[i] -= dot * u[i];
      }
      norm = Math.hypot(...v);
    }
    for (let i = 0; i < len; i++) v[i] /= norm;
    vecs.push(v);
  }
  const out = new Float32Array(rows * cols);
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < cols; c++) {
      // rows <= cols: the vectors are the rows; otherwise they are the columns.
      out[r * cols + c] = gain * (rows <= cols ? vecs[r][c] : vecs[c][r]);
    }
  }
  return out;
}
