/**
 * The actor's forward pass in plain JavaScript with no imports at all, so the same code runs in this process
 * (CpuPolicy) and inside a sandbox (checkpoint-policy-agent.ts), where nothing of the project but these files is
 * mounted. The weights are copied once, transposed, so each output is one contiguous dot product; sums are
 * accumulated in float64 and the activations live in two reused scratch buffers, so a pass allocates nothing.
 */

/** One dense layer: `weights` is [inputDim × outputDim] row-major, as the tfjs variables store it. */
export interface DenseLayer {
  readonly inputDim: number;
  readonly outputDim: number;
  readonly weights: Float32Array;
  readonly bias: Float32Array;
}

/** Normaliser statistics frozen at the end of training. */
export interface FrozenObsStats {
  readonly mean: ArrayLike<number>;
  readonly var: ArrayLike<number>;
}

/** The normaliser clip of training (RunningMeanStd.normalize's default). */
const OBS_CLIP = 10;

/** A float32 tensor as checkpoints store it (base64 of its little-endian bytes). */
export function decodeF32(s: string): Float32Array {
  const buf = Buffer.from(s, 'base64');
  // Copy into a fresh, aligned buffer: Buffer's pool offset need not be a multiple of 4.
  const out = new Float32Array(buf.byteLength / 4);
  new Uint8Array(out.buffer).set(buf);
  return out;
}

/**
 * The actor's layers from a checkpoint's tensors (weights, bias per layer): `sizes` is [obsDim, ...hidden,
 * nActions]. Returns the layers, or the first problem as a field path and message.
 */
export function actorLayers(sizes: readonly number[], tensors: readonly string[]): DenseLayer[] | { path: string; message: string } {
  if (tensors.length !== 2 * (sizes.length - 1)) {
    return { path: 'weights.actor', message: `${tensors.length} tensors, hiddenSizes [${sizes.slice(1, -1).join(', ')}] need ${2 * (sizes.length - 1)}` };
  }
  const layers: DenseLayer[] = [];
  for (let l = 0; l < sizes.length - 1; l++) {
    const weights = decodeF32(tensors[2 * l]);
    const bias = decodeF32(tensors[2 * l + 1]);
    if (weights.length !== sizes[l] * sizes[l + 1] || bias.length !== sizes[l + 1]) {
      return {
        path: `weights.actor[${2 * l}]`,
        message: `layer ${l} should be ${sizes[l]} × ${sizes[l + 1]} plus ${sizes[l + 1]} biases, got ${weights.length} and ${bias.length} values`,
      };
    }
    layers.push({ inputDim: sizes[l], outputDim: sizes[l + 1], weights, bias });
  }
  return layers;
}

/** The first action with the largest value among those the mask allows (all when null); -1 when none is. */
export function maskedArgmax(values: ArrayLike<number>, offset: number, n: number, mask: ArrayLike<number> | null, maskOffset: number): number {
  let max = -Infinity;
  let best = -1;
  for (let a = 0; a < n; a++) {
    if (mask && mask[maskOffset + a] !== 1) continue;
    const v = values[offset + a];
    if (v > max) {
      max = v;
      best = a;
    }
  }
  return best;
}

export class DenseActor {
  readonly inputDim: number;
  readonly outputDim: number;
  /** Per layer: weights transposed to [outputDim × inputDim], so output o reads one contiguous row. */
  private readonly transposed: readonly DenseLayer[];
  private readonly bufA: Float64Array;
  private readonly bufB: Float64Array;
  private readonly out: Float32Array;
  private readonly mean: Float64Array | null;
  private readonly invStd: Float64Array | null;

  constructor(layers: readonly DenseLayer[], obsStats: FrozenObsStats | null) {
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
  }

  /** The raw outputs (logits or the Gaussian mean) for one observation; the array is reused by the next call. */
  outputs(obs: ArrayLike<number>): Float32Array {
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
}
