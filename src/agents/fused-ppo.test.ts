import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { Rng } from '../core/index.js';
import { Adam, readF32 } from './adam.js';
import { initBackend } from './backend.js';
import { FusedPpoNetworks, type PpoMinibatch, type TensorNetworks } from './fused-ppo.js';
import { Mlp, uniqueVariableName } from './mlp.js';
import { tfPpoLoss, tfPpoUpdate } from './tf-ppo-update.js';

// The gradient check of the hand-written update against TensorFlow.js's autodiff, on the same weights and
// minibatch: every gradient entry, the diagnostics and the forward outputs agree to 1e-5.
const TOL = 1e-5;

interface Case {
  discrete: boolean;
  obsDim: number;
  hidden: number[];
  nA: number;
  rows: number;
}

function build(c: Case, seed: number): { nets: TensorNetworks; fused: FusedPpoNetworks; mb: PpoMinibatch; config: LossAndOpt } {
  const rng = new Rng(seed);
  const actor = new Mlp({ name: 'gc_actor', inputDim: c.obsDim, hiddenSizes: c.hidden, outputDim: c.nA, outputGain: 0.5 }, rng);
  const criticR = new Mlp({ name: 'gc_cr', inputDim: c.obsDim, hiddenSizes: c.hidden, outputDim: 1, outputGain: 1 }, rng);
  const criticC = new Mlp({ name: 'gc_cc', inputDim: c.obsDim, hiddenSizes: c.hidden, outputDim: 1, outputGain: 1 }, rng);
  const logStd = tf.variable(tf.tensor1d(Array.from({ length: c.discrete ? 1 : c.nA }, (_, k) => -0.5 + 0.2 * k)), !c.discrete, uniqueVariableName('gc_log_std'));
  const actorParams = c.discrete ? actor.variables() : [...actor.variables(), logStd];
  const config: LossAndOpt = { obsDim: c.obsDim, nA: c.nA, discrete: c.discrete, clipCoef: 0.2, entCoef: 0.05, vfCoef: 0.5, maxGradNorm: 0.5, actorLr: 3e-4, criticLr: 1e-3, adamEps: 1e-5 };
  const adam = { beta1: 0.9, beta2: 0.999, epsilon: config.adamEps };
  const nets: TensorNetworks = {
    actor,
    criticR,
    criticC,
    logStd,
    adamActor: new Adam(actorParams, { ...adam, learningRate: config.actorLr }),
    adamCritic: new Adam([...criticR.variables(), ...criticC.variables()], { ...adam, learningRate: config.criticLr }),
  };
  const fused = new FusedPpoNetworks({ ...config, hiddenSizes: c.hidden, maxRows: c.rows });
  fused.load(nets);
  const mb = minibatch(c, nets, rng);
  return { nets, fused, mb, config };
}

type LossAndOpt = { obsDim: number; nA: number; discrete: boolean; clipCoef: number; entCoef: number; vfCoef: number; maxGradNorm: number; actorLr: number; criticLr: number; adamEps: number };

/** A minibatch whose old log-probabilities sit near the current policy's, so some ratios clip and some do not. */
function minibatch(c: Case, nets: TensorNetworks, rng: Rng): PpoMinibatch {
  const { rows, obsDim, nA } = c;
  const obs = Float32Array.from({ length: rows * obsDim }, () => rng.normal());
  const masks = new Float32Array(c.discrete ? rows * nA : 0);
  const act = c.discrete ? new Int32Array(rows) : new Float32Array(rows * nA);
  const out = tf.tidy(() => nets.actor.apply(tf.tensor2d(obs, [rows, obsDim])).dataSync());
  const std = readF32(nets.logStd).map(Math.exp);
  const logp = new Float32Array(rows);
  for (let i = 0; i < rows; i++) {
    if (c.discrete) {
      // Action 0 always allowed; the others masked at random.
      for (let a = 0; a < nA; a++) masks[i * nA + a] = a === 0 || rng.next() < 0.6 ? 1 : 0;
      const allowed = [...Array(nA).keys()].filter((a) => masks[i * nA + a] === 1);
      act[i] = allowed[rng.nextInt(allowed.length)];
      const max = Math.max(...allowed.map((a) => out[i * nA + a]));
      const logSum = max + Math.log(allowed.reduce((s, a) => s + Math.exp(out[i * nA + a] - max), 0));
      logp[i] = out[i * nA + act[i]] - logSum + 0.3 * rng.normal();
    } else {
      let lp = 0;
      for (let k = 0; k < nA; k++) {
        const z = rng.normal();
        act[i * nA + k] = out[i * nA + k] + std[k] * z;
        lp += -0.5 * z * z - Math.log(std[k]) - 0.5 * Math.log(2 * Math.PI);
      }
      logp[i] = lp + 0.3 * rng.normal();
    }
  }
  const adv = Float32Array.from({ length: rows }, () => rng.normal());
  const retR = Float32Array.from({ length: rows }, () => 2 * rng.normal());
  const retC = Float32Array.from({ length: rows }, () => Math.abs(rng.normal()));
  return { obs, masks, act, logp, adv, retR, retC };
}

function tfGradients(nets: TensorNetworks, mb: PpoMinibatch, rows: number, config: LossAndOpt): { actor: Float32Array; critics: Float32Array; diag: Float32Array } {
  const diag: { tensor: tf.Tensor | null } = { tensor: null };
  const actorVars = nets.adamActor.params;
  const criticVars = nets.adamCritic.params;
  const flat = tf.tidy(() => {
    const { grads } = tf.variableGrads(tfPpoLoss(nets, mb, rows, config, diag), [...actorVars, ...criticVars]);
    return [actorVars, criticVars].map((vars) => tf.concat(vars.map((v) => tf.reshape(grads[v.name], [-1]))));
  });
  const [actor, critics] = flat.map((t) => readF32(t));
  tf.dispose(flat);
  if (!diag.tensor) throw new Error('the loss did not run');
  const d = readF32(diag.tensor);
  diag.tensor.dispose();
  return { actor, critics, diag: d };
}

function maxAbsDiff(a: Float32Array, b: Float32Array): number {
  expect(a.length).toBe(b.length);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}

function dispose(nets: TensorNetworks): void {
  for (const x of [nets.actor, nets.criticR, nets.criticC, nets.adamActor, nets.adamCritic]) x.dispose();
  nets.logStd.dispose();
}

const CASES: Array<[string, Case]> = [
  ['discrete_masked_default_shape', { discrete: true, obsDim: 116, hidden: [64, 64], nA: 6, rows: 512 }],
  ['discrete_odd_sizes', { discrete: true, obsDim: 7, hidden: [5, 19, 3], nA: 3, rows: 37 }],
  ['box_two_dims', { discrete: false, obsDim: 116, hidden: [64, 64], nA: 2, rows: 256 }],
  ['box_one_dim_one_layer', { discrete: false, obsDim: 9, hidden: [13], nA: 1, rows: 33 }],
];

describe('FusedPpoNetworks against TensorFlow.js on the same weights', () => {
  beforeAll(async () => {
    await initBackend();
  });

  it.each(CASES)('%s_when_differentiated_then_every_gradient_matches_tfjs_autodiff_to_1e-5', (_name, c) => {
    const { nets, fused, mb, config } = build(c, 7);
    const diag = Float32Array.from(fused.gradients(mb, c.rows));
    const mine = fused.gradientViews();
    const ref = tfGradients(nets, mb, c.rows, config);
    expect(maxAbsDiff(mine.actor, ref.actor)).toBeLessThanOrEqual(TOL);
    expect(maxAbsDiff(mine.critics, ref.critics)).toBeLessThanOrEqual(TOL);
    expect(maxAbsDiff(diag, ref.diag)).toBeLessThanOrEqual(TOL);
    // The case exercises both branches of the clip (otherwise half the gradient rule is untested).
    expect(diag[5]).toBeGreaterThan(0);
    expect(diag[5]).toBeLessThan(1);
    // Not a vacuous match: the gradients are far from zero.
    expect(Math.max(...mine.actor.map(Math.abs))).toBeGreaterThan(1e-3);
    dispose(nets);
  });

  it('forward_when_run_then_actor_outputs_and_values_match_tfjs_to_1e-5', () => {
    const c = CASES[0][1];
    const { nets, fused, mb } = build(c, 8);
    const rows = 16;
    const out = fused.forward(mb.obs, rows);
    const ref = tf.tidy(() => {
      const x = tf.tensor2d(mb.obs.subarray(0, rows * c.obsDim), [rows, c.obsDim]);
      return tf.concat([nets.actor.apply(x), nets.criticR.apply(x), nets.criticC.apply(x)], 1).dataSync();
    });
    expect(maxAbsDiff(out.subarray(0, rows * (c.nA + 2)), Float32Array.from(ref))).toBeLessThanOrEqual(TOL);
    dispose(nets);
  });

  it('three_update_steps_when_run_on_both_paths_then_weights_and_adam_state_agree', () => {
    const c = CASES[1][1];
    const a = build(c, 9);
    const b = build(c, 9);
    for (let s = 0; s < 3; s++) {
      a.fused.update(a.mb, c.rows);
      tfPpoUpdate(b.nets, b.mb, c.rows, b.config);
    }
    a.fused.store(a.nets);
    const wa = a.nets.actor.variables().map(readF32);
    const wb = b.nets.actor.variables().map(readF32);
    wa.forEach((w, i) => expect(maxAbsDiff(w, wb[i])).toBeLessThanOrEqual(TOL));
    expect(a.nets.adamActor.getState().step).toBe(3);
    // The weights moved: the comparison is not between two untouched copies.
    const w0 = build(c, 9);
    expect(maxAbsDiff(readF32(w0.nets.actor.weights[0]), wa[0])).toBeGreaterThan(1e-4);
    [a, b, w0].forEach((x) => dispose(x.nets));
  });

  it('same_minibatch_when_differentiated_twice_then_bitwise_identical', () => {
    const c = CASES[0][1];
    const { nets, fused, mb } = build(c, 10);
    fused.gradients(mb, c.rows);
    const first = Float32Array.from(fused.gradientViews().actor);
    fused.gradients(mb, c.rows);
    expect(Array.from(fused.gradientViews().actor)).toEqual(Array.from(first));
    dispose(nets);
  });

  it('rows_beyond_the_planned_maximum_then_refused', () => {
    const c = CASES[1][1];
    const { nets, fused, mb } = build(c, 11);
    expect(() => fused.gradients(mb, c.rows + 1)).toThrow(/rows: must be 1\.\.37/);
    dispose(nets);
  });
});
