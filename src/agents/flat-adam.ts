/**
 * Gradient-norm clipping and Adam over one flat Float32Array of parameters (the fused update's layout), with
 * the same rule and state as adam.ts's tensor version: m and v per parameter in float32, bias correction from
 * float64 powers of the step count, so its state moves between the two without conversion.
 */
import type { AdamConfig } from './adam.js';

export class FlatAdam {
  step = 0;
  readonly m: Float32Array;
  readonly v: Float32Array;

  constructor(
    readonly size: number,
    readonly config: AdamConfig,
  ) {
    if (!(config.learningRate > 0)) throw new RangeError(`learningRate: must be > 0, got ${config.learningRate}`);
    this.m = new Float32Array(size);
    this.v = new Float32Array(size);
  }

  /** One step: `params -= stepSize · m̂ / (√v̂ + ε)` with `grads` (already clipped) for `params`. */
  apply(params: Float32Array, grads: Float32Array): void {
    if (params.length !== this.size || grads.length !== this.size) {
      throw new RangeError(`adam: expected ${this.size} parameters and gradients, got ${params.length} and ${grads.length}`);
    }
    this.step++;
    const { beta1, beta2, epsilon, learningRate } = this.config;
    const stepSize = (learningRate * Math.sqrt(1 - beta2 ** this.step)) / (1 - beta1 ** this.step);
    const { m, v } = this;
    const c1 = 1 - beta1;
    const c2 = 1 - beta2;
    for (let i = 0; i < this.size; i++) {
      const g = grads[i];
      m[i] = m[i] * beta1 + g * c1;
      v[i] = v[i] * beta2 + g * g * c2;
      params[i] -= (m[i] / (Math.sqrt(v[i]) + epsilon)) * stepSize;
    }
  }
}

/** Scales `grads` in place so their global L2 norm is at most `maxNorm` (as clipByGlobalNorm in the tfjs update). */
export function clipFlatByGlobalNorm(grads: Float32Array, maxNorm: number): void {
  let sq = 0;
  for (let i = 0; i < grads.length; i++) sq += grads[i] * grads[i];
  const scale = Math.min(1, maxNorm / (Math.sqrt(sq) + 1e-6));
  if (scale < 1) for (let i = 0; i < grads.length; i++) grads[i] *= scale;
}
