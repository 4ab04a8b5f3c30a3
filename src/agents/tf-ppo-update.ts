/**
 * The PPO-Lag minibatch update on TensorFlow.js tensors: the loss built from tf ops, its gradient by tfjs's
 * autodiff, per-network gradient-norm clipping and the tensor Adam. The reference the fused update
 * (fused-ppo.ts) is checked against, and the update on `@tensorflow/tfjs-node`, whose native kernels are not
 * the per-operation cost the fused path avoids.
 */
import * as tf from '@tensorflow/tfjs';
import type { Adam } from './adam.js';
import { MASKED_LOGIT } from './distributions.js';
import type { PpoMinibatch } from './fused-ppo.js';
import type { Mlp } from './mlp.js';

export interface TfPpoNetworks {
  actor: Mlp;
  criticR: Mlp;
  criticC: Mlp;
  logStd: tf.Variable;
}

export interface PpoLossConfig {
  readonly obsDim: number;
  readonly nA: number;
  readonly discrete: boolean;
  readonly clipCoef: number;
  readonly entCoef: number;
  readonly vfCoef: number;
}

/**
 * The PPO-Lag loss of `rows` rows of `mb` as a tf scalar (call inside tf.tidy or a gradient function);
 * `diag` receives a kept [6] tensor of [pgLoss, vLossR, vLossC, entropy, approxKl, clipfrac].
 */
export function tfPpoLoss(
  nets: TfPpoNetworks,
  mb: PpoMinibatch,
  rows: number,
  c: PpoLossConfig,
  diag: { tensor: tf.Tensor | null },
): () => tf.Scalar {
  const M = rows;
  const { obsDim, nA, discrete } = c;
  const x = tf.tensor2d(mb.obs.subarray(0, M * obsDim), [M, obsDim]);
  const oldLogp = tf.tensor1d(mb.logp.subarray(0, M));
  const adv = tf.tensor1d(mb.adv.subarray(0, M));
  const retR = tf.tensor1d(mb.retR.subarray(0, M));
  const retC = tf.tensor1d(mb.retC.subarray(0, M));
  const mask = discrete ? tf.tensor2d(mb.masks.subarray(0, M * nA), [M, nA]) : null;
  const act = discrete ? tf.oneHot(tf.tensor1d(mb.act.subarray(0, M), 'int32'), nA) : tf.tensor2d(mb.act.subarray(0, M * nA), [M, nA]);
  const { actor, criticR, criticC, logStd } = nets;
  return (): tf.Scalar => {
    const outA = actor.apply(x);
    let logp: tf.Tensor1D;
    let entropy: tf.Scalar;
    if (mask) {
      const masked = tf.where(tf.greater(mask, 0.5), outA, tf.fill([M, nA], MASKED_LOGIT));
      const logpAll = tf.logSoftmax(masked);
      logp = tf.sum(tf.mul(logpAll, act), 1);
      // Entropy over allowed actions only: masked entries have p = 0 and are multiplied out.
      entropy = tf.mean(tf.neg(tf.sum(tf.mul(tf.mul(tf.exp(logpAll), logpAll), mask), 1)));
    } else {
      const z = tf.div(tf.sub(act, outA), tf.exp(logStd));
      logp = tf.sum(tf.sub(tf.sub(tf.mul(-0.5, tf.square(z)), logStd), 0.5 * Math.log(2 * Math.PI)), 1);
      entropy = tf.sum(tf.add(logStd, 0.5 + 0.5 * Math.log(2 * Math.PI)));
    }
    const logRatio = tf.sub(logp, oldLogp);
    const ratio = tf.exp(logRatio);
    const pg = tf.neg(tf.mean(tf.minimum(tf.mul(ratio, adv), tf.mul(tf.clipByValue(ratio, 1 - c.clipCoef, 1 + c.clipCoef), adv))));
    const vr = tf.mean(tf.square(tf.sub(tf.squeeze(criticR.apply(x), [1]), retR)));
    const vc = tf.mean(tf.square(tf.sub(tf.squeeze(criticC.apply(x), [1]), retC)));
    const kl = tf.mean(tf.sub(tf.sub(ratio, 1), logRatio));
    const clipfrac = tf.mean(tf.cast(tf.greater(tf.abs(tf.sub(ratio, 1)), c.clipCoef), 'float32'));
    diag.tensor = tf.keep(tf.stack([pg, vr, vc, entropy, kl, clipfrac]));
    return tf.add(tf.sub(pg, tf.mul(c.entCoef, entropy)), tf.mul(c.vfCoef, tf.add(vr, vc)));
  };
}

/** One clipped-surrogate step on tensors; returns [pgLoss, vLossR, vLossC, entropy, approxKl, clipfrac]. */
export function tfPpoUpdate(
  nets: TfPpoNetworks & { adamActor: Adam; adamCritic: Adam },
  mb: PpoMinibatch,
  rows: number,
  c: PpoLossConfig & { maxGradNorm: number },
): Float32Array {
  const diag: { tensor: tf.Tensor | null } = { tensor: null };
  const actorParams = nets.adamActor.params;
  const criticParams = nets.adamCritic.params;
  tf.tidy(() => {
    const lossFn = tfPpoLoss(nets, mb, rows, c, diag);
    const { grads } = tf.variableGrads(lossFn, [...actorParams, ...criticParams]);
    const gA = clipByGlobalNorm(actorParams.map((p) => grads[p.name]), c.maxGradNorm);
    const gC = clipByGlobalNorm(criticParams.map((p) => grads[p.name]), c.maxGradNorm);
    nets.adamActor.apply(gA);
    nets.adamCritic.apply(gC);
  });
  const d = diag.tensor;
  if (d === null) throw new Error('update: the loss did not run');
  const values = Float32Array.from(d.dataSync());
  d.dispose();
  return values;
}

function clipByGlobalNorm(grads: tf.Tensor[], maxNorm: number): tf.Tensor[] {
  const norm = tf.sqrt(tf.addN(grads.map((g) => tf.sum(tf.square(g)))));
  const scale = tf.minimum(1, tf.div(maxNorm, tf.add(norm, 1e-6)));
  return grads.map((g) => tf.mul(g, scale));
}
