import type { Rng } from '../core/index.js';

/** `n` actions, numbered 0 … n−1 (Gymnasium's Discrete). */
export class Discrete {
  readonly kind = 'discrete';
  constructor(readonly n: number) {
    if (!Number.isInteger(n) || n < 1) throw new RangeError(`n: must be a whole number >= 1, got ${n}`);
  }
  contains(x: unknown): x is number {
    return typeof x === 'number' && Number.isInteger(x) && x >= 0 && x < this.n;
  }
  sample(rng: Rng): number {
    return rng.nextInt(this.n);
  }
}

/** A box of real vectors with per-element bounds (Gymnasium's Box). */
export class Box {
  readonly kind = 'box';
  readonly low: Float32Array;
  readonly high: Float32Array;
  readonly size: number;
  constructor(
    low: number | ArrayLike<number>,
    high: number | ArrayLike<number>,
    readonly shape: readonly number[],
  ) {
    this.size = shape.reduce((a, b) => a * b, 1);
    this.low = typeof low === 'number' ? new Float32Array(this.size).fill(low) : Float32Array.from(low);
    this.high = typeof high === 'number' ? new Float32Array(this.size).fill(high) : Float32Array.from(high);
    if (this.low.length !== this.size || this.high.length !== this.size) {
      throw new RangeError(`low/high: must have ${this.size} elements for shape [${shape.join(', ')}]`);
    }
  }
  contains(x: unknown): x is Float32Array {
    if (!(x instanceof Float32Array) || x.length !== this.size) return false;
    for (let i = 0; i < this.size; i++) if (!(x[i] >= this.low[i] && x[i] <= this.high[i])) return false;
    return true;
  }
  sample(rng: Rng): Float32Array {
    const out = new Float32Array(this.size);
    for (let i = 0; i < this.size; i++) {
      const lo = Number.isFinite(this.low[i]) ? this.low[i] : -1;
      const hi = Number.isFinite(this.high[i]) ? this.high[i] : 1;
      out[i] = rng.uniform(lo, hi);
    }
    return out;
  }
}

export type Space = Discrete | Box;
