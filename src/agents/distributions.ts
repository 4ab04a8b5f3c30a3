/**
 * Action sampling on the CPU from one read of the network's outputs: a masked categorical for Discrete
 * actions and a diagonal Gaussian for Box actions. The log-probabilities here are the ones the update
 * recomputes on the device, so the same masking rule lives in both places (see lagrangian-ppo.ts).
 */
import type { Rng } from '../core/index.js';
import { maskedArgmax } from './dense-actor.js';

/** What a masked logit becomes: large and finite, so 0 · logit stays 0 and softmax gives exactly 0. */
export const MASKED_LOGIT = -1e9;

export interface Sampled {
  action: number;
  logProb: number;
}

/**
 * Samples from softmax(logits) restricted to the allowed actions (`mask[maskOffset + a] === 1`; no mask = all
 * allowed). `deterministic` takes the most probable allowed action. Fails closed: a mask with no allowed
 * action is an error, never a silent fallback.
 */
export function sampleMaskedCategorical(
  logits: Float32Array,
  offset: number,
  n: number,
  mask: Uint8Array | null,
  maskOffset: number,
  rng: Rng | null,
  deterministic: boolean,
): Sampled {
  const best = maskedArgmax(logits, offset, n, mask, maskOffset);
  if (best < 0) throw new RangeError('mask: no action is allowed (HOLD must always be allowed)');
  const max = logits[offset + best];
  let sum = 0;
  for (let a = 0; a < n; a++) {
    if (mask && mask[maskOffset + a] !== 1) continue;
    sum += Math.exp(logits[offset + a] - max);
  }
  const logSum = Math.log(sum) + max;
  if (deterministic || !rng) return { action: best, logProb: logits[offset + best] - logSum };
  let u = rng.next() * sum;
  let chosen = best;
  for (let a = 0; a < n; a++) {
    if (mask && mask[maskOffset + a] !== 1) continue;
    u -= Math.exp(logits[offset + a] - max);
    if (u < 0) {
      chosen = a;
      break;
    }
  }
  return { action: chosen, logProb: logits[offset + chosen] - logSum };
}

/** Probabilities of the masked categorical (0 for masked actions). */
export function maskedProbabilities(logits: ArrayLike<number>, mask: Uint8Array | null): Float64Array {
  const n = logits.length;
  const out = new Float64Array(n);
  let max = -Infinity;
  for (let a = 0; a < n; a++) if ((!mask || mask[a] === 1) && logits[a] > max) max = logits[a];
  if (max === -Infinity) throw new RangeError('mask: no action is allowed (HOLD must always be allowed)');
  let sum = 0;
  for (let a = 0; a < n; a++) {
    out[a] = !mask || mask[a] === 1 ? Math.exp(logits[a] - max) : 0;
    sum += out[a];
  }
  for (let a = 0; a < n; a++) out[a] /= sum;
  return out;
}

const HALF_LOG_2PI = 0.5 * Math.log(2 * Math.PI);

/**
 * Draws a ~ N(mean, exp(logStd)²) per dimension into `out` (from `outOffset`) and returns log p(a). With
 * `deterministic`, a = mean.
 */
export function sampleGaussian(
  mean: Float32Array,
  meanOffset: number,
  logStd: Float32Array,
  out: Float32Array,
  outOffset: number,
  rng: Rng | null,
  deterministic: boolean,
): number {
  let logProb = 0;
  for (let k = 0; k < logStd.length; k++) {
    const z = deterministic || !rng ? 0 : rng.normal();
    out[outOffset + k] = mean[meanOffset + k] + Math.exp(logStd[k]) * z;
    logProb += -0.5 * z * z - logStd[k] - HALF_LOG_2PI;
  }
  return logProb;
}
