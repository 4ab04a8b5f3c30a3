/**
 * The PPO-Lag networks (actor, reward critic, cost critic) and their update as one fused, allocation-free pass
 * on the CPU: matrix products in WebAssembly SIMD (wasm-gemm.ts), the loss head, gradient clipping and Adam in
 * plain loops over typed arrays. It computes exactly the loss of the TensorFlow.js update in lagrangian-ppo.ts
 *
 *   L = −mean(min(r·A, clip(r, 1 ± ε)·A)) − c_ent·H + c_v·(mean((V_r − R_r)²) + mean((V_c − R_c)²))
 *
 * with the gradient written out by hand (checked against tfjs's autodiff in fused-ppo.test.ts), and replaces it
 * where TensorFlow.js runs on wasm or cpu: a 512-sample minibatch there costs ~36 ms, mostly per-operation
 * overhead on small matrices; here it is a few milliseconds of arithmetic. The loss head accumulates in float64.
 *
 * The tf.Variables and the tensor Adam stay the record for checkpoints and the final policy: `load` copies
 * them in, `store` copies the trained values back (both exact float32 copies), so a checkpoint does not know
 * which update path wrote it.
 */
import type * as tf from '@tensorflow/tfjs';
import { readF32, assignF32, type Adam } from './adam.js';
import type { TrainingParts } from './checkpoint.js';
import { MASKED_LOGIT } from './distributions.js';
import { FlatAdam, clipFlatByGlobalNorm } from './flat-adam.js';
import { ArenaPlan, FusedMlp, mlpLayout, view } from './fused-mlp.js';
import { createGemmKernel, type GemmKernel } from './wasm-gemm.js';

/** One minibatch as lagrangian-ppo.ts gathers it (rows × obsDim observations, etc.). */
export interface PpoMinibatch {
  readonly obs: Float32Array;
  /** Discrete: [rows × nA], 1 = allowed. */
  readonly masks: Float32Array;
  /** Discrete: action index per row; Box: [rows × nA] raw samples. */
  readonly act: Int32Array | Float32Array;
  readonly logp: Float32Array;
  readonly adv: Float32Array;
  readonly retR: Float32Array;
  readonly retC: Float32Array;
}

export interface FusedPpoConfig {
  readonly obsDim: number;
  readonly hiddenSizes: readonly number[];
  readonly nA: number;
  readonly discrete: boolean;
  /** Most rows one call handles: max(minibatch size, number of envs). */
  readonly maxRows: number;
  readonly clipCoef: number;
  readonly entCoef: number;
  readonly vfCoef: number;
  readonly maxGradNorm: number;
  readonly actorLr: number;
  readonly criticLr: number;
  readonly adamEps: number;
}

/** The tensor-side record the fused networks load from and store to: the networks and optimisers of a checkpoint. */
export type TensorNetworks = Pick<TrainingParts, 'actor' | 'criticR' | 'criticC' | 'logStd' | 'adamActor' | 'adamCritic'>;

const HALF_LOG_2PI = 0.5 * Math.log(2 * Math.PI);

export class FusedPpoNetworks {
  private readonly kernel: GemmKernel;
  private readonly actor: FusedMlp;
  private readonly criticR: FusedMlp;
  private readonly criticC: FusedMlp;
  private readonly inputAt: number;
  private readonly input: Float32Array;
  /** Actor parameters then (Box) log-std, and both critics' parameters: each one region for clipping and Adam. */
  private readonly actorParams: Float32Array;
  private readonly actorGrads: Float32Array;
  private readonly criticParams: Float32Array;
  private readonly criticGrads: Float32Array;
  private readonly adamActor: FlatAdam;
  private readonly adamCritic: FlatAdam;
  private readonly dActor: Float32Array;
  private readonly dValueR: Float32Array;
  private readonly dValueC: Float32Array;
  private readonly forwardOut: Float32Array;
  private readonly diag = new Float32Array(6);
  private readonly probs: Float64Array;

  constructor(readonly config: FusedPpoConfig) {
    const { obsDim, hiddenSizes, nA, discrete, maxRows } = config;
    const actorSizes = [obsDim, ...hiddenSizes, nA];
    const criticSizes = [obsDim, ...hiddenSizes, 1];
    const actorCount = mlpLayout(actorSizes).count + (discrete ? 0 : nA);
    const criticCount = mlpLayout(criticSizes).count;
    const plan = new ArenaPlan();
    const actorParamsAt = plan.alloc(actorCount);
    const actorGradsAt = plan.alloc(actorCount);
    // The two critics back to back, so their parameters (and gradients) form one region.
    const criticParamsAt = plan.alloc(2 * criticCount);
    const criticGradsAt = plan.alloc(2 * criticCount);
    this.inputAt = plan.alloc(maxRows * obsDim);
    this.actor = new FusedMlp(actorSizes, maxRows, actorParamsAt, actorGradsAt, plan);
    this.criticR = new FusedMlp(criticSizes, maxRows, criticParamsAt, criticGradsAt, plan);
    this.criticC = new FusedMlp(criticSizes, maxRows, criticParamsAt + 4 * criticCount, criticGradsAt + 4 * criticCount, plan);
    this.kernel = createGemmKernel(plan.bytes);
    for (const net of [this.actor, this.criticR, this.criticC]) net.bind(this.kernel);
    this.input = view(this.kernel, this.inputAt, maxRows * obsDim);
    this.actorParams = view(this.kernel, actorParamsAt, actorCount);
    this.actorGrads = view(this.kernel, actorGradsAt, actorCount);
    this.criticParams = view(this.kernel, criticParamsAt, 2 * criticCount);
    this.criticGrads = view(this.kernel, criticGradsAt, 2 * criticCount);
    const adam = { beta1: 0.9, beta2: 0.999, epsilon: config.adamEps };
    this.adamActor = new FlatAdam(actorCount, { ...adam, learningRate: config.actorLr });
    this.adamCritic = new FlatAdam(2 * criticCount, { ...adam, learningRate: config.criticLr });
    this.dActor = new Float32Array(maxRows * nA);
    this.dValueR = new Float32Array(maxRows);
    this.dValueC = new Float32Array(maxRows);
    this.forwardOut = new Float32Array(maxRows * (nA + 2));
    this.probs = new Float64Array(nA);
  }

  // ---- weights and optimiser state to and from the tensor record ------------------------------------------

  load(t: TensorNetworks): void {
    copyIn(this.actorParams, this.actorVariables(t));
    copyIn(this.criticParams, [...t.criticR.variables(), ...t.criticC.variables()]);
    loadAdam(this.adamActor, t.adamActor);
    loadAdam(this.adamCritic, t.adamCritic);
  }

  store(t: TensorNetworks): void {
    copyOut(this.actorParams, this.actorVariables(t));
    copyOut(this.criticParams, [...t.criticR.variables(), ...t.criticC.variables()]);
    storeAdam(this.adamActor, t.adamActor);
    storeAdam(this.adamCritic, t.adamCritic);
  }

  private actorVariables(t: TensorNetworks): tf.Variable[] {
    return this.config.discrete ? t.actor.variables() : [...t.actor.variables(), t.logStd];
  }

  /** The current log standard deviations (Box), a copy. */
  logStd(): Float32Array {
    const { nA, discrete } = this.config;
    return discrete ? new Float32Array(0) : this.actorParams.slice(this.actorParams.length - nA);
  }

  // ---- forward for rollouts ---------------------------------------------------------------------------------

  /**
   * Actor outputs and both values for `rows` observations: [rows × (nA + 2)], the same layout as the tfjs
   * forward. The returned array is reused by the next call.
   */
  forward(obs: Float32Array, rows: number): Float32Array {
    const { obsDim, nA } = this.config;
    this.input.set(obs.subarray(0, rows * obsDim));
    for (const net of [this.actor, this.criticR, this.criticC]) net.forward(this.inputAt, rows);
    const a = this.actor.output();
    const vr = this.criticR.output();
    const vc = this.criticC.output();
    const w = nA + 2;
    const out = this.forwardOut;
    for (let i = 0; i < rows; i++) {
      for (let k = 0; k < nA; k++) out[i * w + k] = a[i * nA + k];
      out[i * w + nA] = vr[i];
      out[i * w + nA + 1] = vc[i];
    }
    return out;
  }

  // ---- the update -----------------------------------------------------------------------------------------

  /**
   * Gradients of the PPO-Lag loss on `rows` rows of `mb`, written to the gradient regions (not applied);
   * returns [pgLoss, vLossR, vLossC, entropy, approxKl, clipfrac].
   */
  gradients(mb: PpoMinibatch, rows: number): Float32Array {
    const { obsDim } = this.config;
    this.input.set(mb.obs.subarray(0, rows * obsDim));
    for (const net of [this.actor, this.criticR, this.criticC]) net.forward(this.inputAt, rows);
    this.lossHead(mb, rows);
    this.actor.backward(this.inputAt, rows, this.dActor);
    this.criticR.backward(this.inputAt, rows, this.dValueR);
    this.criticC.backward(this.inputAt, rows, this.dValueC);
    return this.diag;
  }

  /** One clipped-surrogate step: gradients, per-network norm clip, Adam. Returns the diagnostics. */
  update(mb: PpoMinibatch, rows: number): Float32Array {
    const diag = this.gradients(mb, rows);
    clipFlatByGlobalNorm(this.actorGrads, this.config.maxGradNorm);
    clipFlatByGlobalNorm(this.criticGrads, this.config.maxGradNorm);
    this.adamActor.apply(this.actorParams, this.actorGrads);
    this.adamCritic.apply(this.criticParams, this.criticGrads);
    return diag;
  }

  /** The current gradient regions (actor [+ log-std], then both critics), for the gradient check. */
  gradientViews(): { actor: Float32Array; critics: Float32Array } {
    return { actor: this.actorGrads, critics: this.criticGrads };
  }

  /** Loss value pieces and dLoss/d(actor outputs), dLoss/dV_r, dLoss/dV_c (and the log-std gradient). */
  private lossHead(mb: PpoMinibatch, rows: number): void {
    const { nA, discrete, clipCoef, entCoef, vfCoef } = this.config;
    const out = this.actor.output();
    const vr = this.criticR.output();
    const vc = this.criticC.output();
    const lo = 1 - clipCoef;
    const hi = 1 + clipCoef;
    const invM = 1 / rows;
    let pgSum = 0;
    let entSum = 0;
    let klSum = 0;
    let clipCount = 0;
    let vrSum = 0;
    let vcSum = 0;
    const logStdAt = this.actorParams.length - nA;
    const dLogStdAt = this.actorGrads.length - nA;
    if (!discrete) for (let k = 0; k < nA; k++) this.actorGrads[dLogStdAt + k] = 0;
    for (let i = 0; i < rows; i++) {
      const o = i * nA;
      // log π(a|s) of the stored action under the current network, and (Discrete) the entropy.
      let logp = 0;
      let entropy = 0;
      let logSum = 0;
      if (discrete) {
        let max = -Infinity;
        for (let a = 0; a < nA; a++) {
          const l = mb.masks[o + a] > 0.5 ? out[o + a] : MASKED_LOGIT;
          if (l > max) max = l;
        }
        let sum = 0;
        for (let a = 0; a < nA; a++) {
          const l = mb.masks[o + a] > 0.5 ? out[o + a] : MASKED_LOGIT;
          const e = Math.exp(l - max);
          this.probs[a] = e;
          sum += e;
        }
        logSum = Math.log(sum) + max;
        for (let a = 0; a < nA; a++) {
          this.probs[a] /= sum;
          if (mb.masks[o + a] > 0.5) entropy -= this.probs[a] * (out[o + a] - logSum);
        }
        logp = out[o + mb.act[i]] - logSum;
      } else {
        for (let k = 0; k < nA; k++) {
          const s = this.actorParams[logStdAt + k];
          const z = (mb.act[o + k] - out[o + k]) / Math.exp(s);
          logp += -0.5 * z * z - s - HALF_LOG_2PI;
        }
      }
      const logRatio = logp - mb.logp[i];
      const ratio = Math.exp(logRatio);
      const adv = mb.adv[i];
      const unclipped = ratio * adv;
      const clippedRatio = ratio < lo ? lo : ratio > hi ? hi : ratio;
      const clipped = clippedRatio * adv;
      pgSum -= Math.min(unclipped, clipped);
      klSum += ratio - 1 - logRatio;
      if (Math.abs(ratio - 1) > clipCoef) clipCount++;
      entSum += entropy;
      // dL/dlogp: the min passes its gradient to the unclipped term on ties (as tf.minimum does), and the clip
      // passes it inside [1 − ε, 1 + ε] inclusive (as tf.clipByValue does).
      const passes = unclipped <= clipped || (ratio >= lo && ratio <= hi);
      const dLogp = passes ? -adv * ratio * invM : 0;
      if (discrete) {
        const entropyTerm = entCoef * invM;
        for (let a = 0; a < nA; a++) {
          if (mb.masks[o + a] <= 0.5) {
            this.dActor[o + a] = 0;
            continue;
          }
          const p = this.probs[a];
          const logpA = out[o + a] - logSum;
          // d logp/dz_a = [a = act] − p_a ; dH/dz_a = −p_a (log p_a + H); the loss has −c_ent·H.
          const dLogpDz = (a === mb.act[i] ? 1 : 0) - p;
          this.dActor[o + a] = dLogp * dLogpDz + entropyTerm * p * (logpA + entropy);
        }
      } else {
        for (let k = 0; k < nA; k++) {
          const s = this.actorParams[logStdAt + k];
          const sigma = Math.exp(s);
          const z = (mb.act[o + k] - out[o + k]) / sigma;
          this.dActor[o + k] = (dLogp * z) / sigma;
          this.actorGrads[dLogStdAt + k] += dLogp * (z * z - 1);
        }
      }
      const er = vr[i] - mb.retR[i];
      const ec = vc[i] - mb.retC[i];
      vrSum += er * er;
      vcSum += ec * ec;
      this.dValueR[i] = 2 * vfCoef * er * invM;
      this.dValueC[i] = 2 * vfCoef * ec * invM;
    }
    let entropy = entSum * invM;
    if (!discrete) {
      // The Gaussian's entropy does not depend on the state: Σ_k (log σ_k + ½ + ½ log 2π).
      entropy = 0;
      for (let k = 0; k < nA; k++) {
        entropy += this.actorParams[logStdAt + k] + 0.5 + HALF_LOG_2PI;
        this.actorGrads[dLogStdAt + k] -= entCoef;
      }
    }
    const d = this.diag;
    d[0] = pgSum * invM;
    d[1] = vrSum * invM;
    d[2] = vcSum * invM;
    d[3] = entropy;
    d[4] = klSum * invM;
    d[5] = clipCount * invM;
  }
}

function copyIn(dst: Float32Array, vars: readonly tf.Variable[]): void {
  let at = 0;
  for (const v of vars) {
    const data = readF32(v);
    dst.set(data, at);
    at += data.length;
  }
  if (at !== dst.length) throw new RangeError(`fused networks: the variables hold ${at} values, the layout ${dst.length}`);
}

function copyOut(src: Float32Array, vars: readonly tf.Variable[]): void {
  let at = 0;
  for (const v of vars) {
    const size = v.shape.reduce((a, b) => a * b, 1);
    assignF32(v, src.slice(at, at + size));
    at += size;
  }
}

function loadAdam(flat: FlatAdam, adam: Adam): void {
  const s = adam.getState();
  flat.step = s.step;
  let at = 0;
  s.m.forEach((m, i) => {
    flat.m.set(m, at);
    flat.v.set(s.v[i], at);
    at += m.length;
  });
  if (at !== flat.size) throw new RangeError(`fused networks: the optimiser holds ${at} moments, the layout ${flat.size}`);
}

function storeAdam(flat: FlatAdam, adam: Adam): void {
  const sizes = adam.getState().m.map((m) => m.length);
  let at = 0;
  const m: Float32Array[] = [];
  const v: Float32Array[] = [];
  for (const size of sizes) {
    m.push(flat.m.slice(at, at + size));
    v.push(flat.v.slice(at, at + size));
    at += size;
  }
  adam.setState({ step: flat.step, m, v });
}
