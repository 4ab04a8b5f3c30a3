/**
 * A tanh MLP's forward and backward pass on Float32Array views of one WebAssembly.Memory, every matrix product,
 * tanh and tanh′ in the SIMD kernels of wasm-gemm.ts: no tensors, no allocation per call. The same layer order and layout as
 * mlp.ts's tf.Variables ([w0, b0, w1, b1, …], each weight [inputDim × outputDim] row-major), so weights and
 * gradients copy one to one; `fused-mlp.test.ts` checks both passes against TensorFlow.js's autodiff.
 *
 * Memory is planned before the kernel exists (an ArenaPlan hands out byte offsets), then bound to it; the
 * memory never grows, so the views stay valid.
 */
import type { GemmKernel } from './wasm-gemm.js';

/** Bump allocator of float32 regions (16-byte aligned) in a memory that does not exist yet. */
export class ArenaPlan {
  private nextByte = 0;

  /** Reserves `floats` float32 values; returns the byte offset. */
  alloc(floats: number): number {
    const at = this.nextByte;
    this.nextByte += Math.ceil((floats * 4) / 16) * 16;
    return at;
  }

  get bytes(): number {
    return this.nextByte;
  }
}

export function view(kernel: GemmKernel, byteOffset: number, floats: number): Float32Array {
  return new Float32Array(kernel.memory.buffer, byteOffset, floats);
}

/** Offsets of each layer's weight and bias inside a flat parameter vector [w0, b0, w1, b1, …]. */
export interface MlpLayout {
  readonly sizes: readonly number[];
  readonly weightAt: readonly number[];
  readonly biasAt: readonly number[];
  /** Parameters in all. */
  readonly count: number;
}

export function mlpLayout(sizes: readonly number[]): MlpLayout {
  const weightAt: number[] = [];
  const biasAt: number[] = [];
  let at = 0;
  for (let l = 0; l < sizes.length - 1; l++) {
    weightAt.push(at);
    at += sizes[l] * sizes[l + 1];
    biasAt.push(at);
    at += sizes[l + 1];
  }
  return { sizes, weightAt, biasAt, count: at };
}

/**
 * One network. Parameters and gradients live in regions the owner allocates (so several networks can share one
 * contiguous region for gradient clipping and Adam); activations and scratch are its own.
 */
export class FusedMlp {
  readonly layout: MlpLayout;
  private readonly layers: number;
  private readonly widest: number;
  /** Byte offsets: activations after each hidden layer and the output, [maxRows × size] each. */
  private readonly actAt: number[] = [];
  private readonly deltaAt: [number, number];
  private readonly transposeAt: number;
  private readonly onesAt: number;
  private kernel: GemmKernel | null = null;
  private bound: {
    params: Float32Array;
    grads: Float32Array;
    acts: Float32Array[];
    deltas: [Float32Array, Float32Array];
    transpose: Float32Array;
  } | null = null;

  constructor(
    sizes: readonly number[],
    readonly maxRows: number,
    /** Byte offsets of this network's parameters and gradients (layout.count floats each). */
    readonly paramsAt: number,
    readonly gradsAt: number,
    plan: ArenaPlan,
  ) {
    this.layout = mlpLayout(sizes);
    this.layers = sizes.length - 1;
    this.widest = Math.max(...sizes);
    for (let l = 1; l < sizes.length; l++) this.actAt.push(plan.alloc(maxRows * sizes[l]));
    this.deltaAt = [plan.alloc(maxRows * this.widest), plan.alloc(maxRows * this.widest)];
    let biggestWeight = 0;
    for (let l = 0; l < this.layers; l++) biggestWeight = Math.max(biggestWeight, sizes[l] * sizes[l + 1]);
    this.transposeAt = plan.alloc(biggestWeight);
    this.onesAt = plan.alloc(maxRows);
  }

  bind(kernel: GemmKernel): void {
    const s = this.layout.sizes;
    this.kernel = kernel;
    this.bound = {
      params: view(kernel, this.paramsAt, this.layout.count),
      grads: view(kernel, this.gradsAt, this.layout.count),
      acts: this.actAt.map((at, l) => view(kernel, at, this.maxRows * s[l + 1])),
      deltas: [view(kernel, this.deltaAt[0], this.maxRows * this.widest), view(kernel, this.deltaAt[1], this.maxRows * this.widest)],
      transpose: view(kernel, this.transposeAt, this.transposeFloats()),
    };
    view(kernel, this.onesAt, this.maxRows).fill(1);
  }

  /** The output rows of the last forward pass: [rows × outputDim] row-major (a view; the next pass rewrites it). */
  output(): Float32Array {
    return this.state().bound.acts[this.layers - 1];
  }

  /** Forward pass of `rows` rows of the input at byte offset `inputAt` ([rows × inputDim]); keeps the activations. */
  forward(inputAt: number, rows: number): void {
    const { kernel } = this.state();
    this.checkRows(rows);
    const s = this.layout.sizes;
    let inAt = inputAt;
    for (let l = 0; l < this.layers; l++) {
      const n = s[l];
      const m = s[l + 1];
      const outAt = this.actAt[l];
      // Z = 1·bᵀ (each row the bias), then Z += A·W.
      kernel.gemm(rows, m, 1, this.onesAt, 4, 4, this.paramsAt + 4 * this.layout.biasAt[l], 4 * m, outAt, 4 * m, 0);
      kernel.gemm(rows, m, n, inAt, 4 * n, 4, this.paramsAt + 4 * this.layout.weightAt[l], 4 * m, outAt, 4 * m, 1);
      if (l < this.layers - 1) kernel.tanh(outAt, rows * m);
      inAt = outAt;
    }
  }

  /**
   * Backward pass after `forward(inputAt, rows)`: `dOut` ([rows × outputDim], dLoss/dOutput) in; this network's
   * gradient region is overwritten with dLoss/dParams.
   */
  backward(inputAt: number, rows: number, dOut: Float32Array): void {
    const { kernel, bound } = this.state();
    this.checkRows(rows);
    const s = this.layout.sizes;
    let cur = 0;
    bound.deltas[cur].set(dOut.subarray(0, rows * s[this.layers]));
    for (let l = this.layers - 1; l >= 0; l--) {
      const n = s[l];
      const m = s[l + 1];
      const dZAt = this.deltaAt[cur];
      const inAt = l === 0 ? inputAt : this.actAt[l - 1];
      // dW = Aᵀ·dZ ([n × m], summed over rows) and db = 1ᵀ·dZ: A read through swapped strides, no copy.
      kernel.gemm(n, m, rows, inAt, 4, 4 * n, dZAt, 4 * m, this.gradsAt + 4 * this.layout.weightAt[l], 4 * m, 0);
      kernel.gemm(1, m, rows, this.onesAt, 0, 4, dZAt, 4 * m, this.gradsAt + 4 * this.layout.biasAt[l], 4 * m, 0);
      if (l === 0) break;
      // dA = dZ·Wᵀ, then dZ_prev = dA ⊙ (1 − A²) (tanh′).
      const w = bound.params.subarray(this.layout.weightAt[l], this.layout.weightAt[l] + n * m);
      const wt = bound.transpose;
      for (let i = 0; i < n; i++) for (let j = 0; j < m; j++) wt[j * n + i] = w[i * m + j];
      const next = 1 - cur;
      kernel.gemm(rows, n, m, dZAt, 4 * m, 4, this.transposeAt, 4 * n, this.deltaAt[next], 4 * n, 0);
      kernel.tanhGrad(this.deltaAt[next], this.actAt[l - 1], rows * n);
      cur = next;
    }
  }

  private transposeFloats(): number {
    let biggest = 0;
    for (let l = 0; l < this.layers; l++) biggest = Math.max(biggest, this.layout.sizes[l] * this.layout.sizes[l + 1]);
    return biggest;
  }

  private checkRows(rows: number): void {
    if (!Number.isInteger(rows) || rows < 1 || rows > this.maxRows) throw new RangeError(`rows: must be 1..${this.maxRows}, got ${rows}`);
  }

  private state(): { kernel: GemmKernel; bound: NonNullable<FusedMlp['bound']> } {
    if (!this.kernel || !this.bound) throw new Error('FusedMlp: bind(kernel) before use');
    return { kernel: this.kernel, bound: this.bound };
  }
}
