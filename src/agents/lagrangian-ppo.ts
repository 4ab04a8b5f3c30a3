/**
 * Lagrangian PPO (PPO-Lag; PID-Lagrangian and plain PPO from the same code), CleanRL style: read top to bottom.
 *
 *   config → envs → networks → for each epoch: rollout into preallocated buffers → λ update → GAE (reward
 *   and cost) → epochs × minibatches of clipped-surrogate updates → log.
 *
 * Maximises return subject to E[episode cost] ≤ d. The policy gradient uses the advantage
 * (A_r − λ·A_c) / (1 + λ) with A_r standardised and A_c only centred (OmniSafe's PPOLag).
 * Discrete actions honour the env's action mask: masked logits are set to MASKED_LOGIT before sampling and
 * again in the update (the mask is stored with each sample), so the PPO ratio and the entropy are those of
 * the masked distribution. The executed action is always the sampled one. Box actions are Gaussian samples
 * clipped to the space and, where the vector env publishes it (`targetIntervals`), to the engine's allowed
 * interval; each clip is counted (`clippedActions`).
 *
 * Determinism and resume: every random draw comes from one core Rng; each epoch starts by resetting every env
 * from a seed derived from (seed, epoch), so an epoch boundary carries no env state and a checkpoint (weights,
 * optimiser moments, Rng state, normaliser, λ state) resumes bit-for-bit. Choose `rolloutSteps` at least the
 * env's episode length so episodes are not cut at epoch ends (a cut episode is bootstrapped, not lost).
 */
import * as tf from '@tensorflow/tfjs';
import { Rng } from '../core/index.js';
import { Discrete, type Env, type VectorEnv } from '../env/index.js';
import { Adam } from './adam.js';
import { initBackend, type BackendInfo, type BackendPreference } from './backend.js';
import { restoreCheckpoint, snapshotCheckpoint, type PpoLagCheckpoint } from './checkpoint.js';
import { sampleGaussian, sampleMaskedCategorical } from './distributions.js';
import { FusedPpoNetworks } from './fused-ppo.js';
import { computeGae } from './gae.js';
import { LagrangeMultiplier } from './lagrange.js';
import { Mlp, uniqueVariableName } from './mlp.js';
import { PpoPolicy, type ActionKindOf } from './policy.js';
import { deriveSizes, resolveHyperparams, type PpoHyperparams, type PpoHyperparamsInput } from './ppo-config.js';
import { RunningMeanStd } from './running-stats.js';
import { tfPpoUpdate } from './tf-ppo-update.js';
import { EnvBatch } from './vector-adapter.js';
import { wasmSimdSupported } from './wasm-gemm.js';

/**
 * Which code runs the minibatch update (and the rollout's batched forward pass):
 * - 'fused': the allocation-free WebAssembly SIMD pass of fused-ppo.ts (one thread);
 * - 'tfjs': TensorFlow.js ops with autodiff on the active backend;
 * - 'auto' (default): 'tfjs' on `@tensorflow/tfjs-node` (native kernels), else 'fused'.
 */
export type UpdateKernelPreference = 'auto' | UpdateKernel;
export type UpdateKernel = 'fused' | 'tfjs';

export interface PpoLagConfig extends PpoHyperparamsInput {
  /** Builds env `index` of `numEnvs` (any foundation `Env`). Give this or `makeVecEnv`. */
  makeEnv?: (index: number) => Env;
  /** Builds a native vectorised env of `numEnvs` envs (faster than N single envs). */
  makeVecEnv?: (numEnvs: number) => VectorEnv;
  /** Use the envs' action masks (default true; with `makeEnv`, only if the first reset reports one). */
  useMask?: boolean;
  backend?: BackendPreference;
  updateKernel?: UpdateKernelPreference;
  /** Called after each epoch; awaited (progress bars, metric files). */
  onEpoch?: (stats: EpochStats, progress: EpochProgress) => void | Promise<void>;
  /** Save a checkpoint every this many epochs (and after the last); 0 = only after the last. */
  checkpointEvery?: number;
  onCheckpoint?: (checkpoint: PpoLagCheckpoint) => void | Promise<void>;
  /** Continue a run from this checkpoint (same config required). */
  resume?: PpoLagCheckpoint;
  /**
   * The envs' episode length in steps. When no episode finishes in an epoch, λ is updated from the epoch's mean
   * cost per step × this length (an estimate of the episode cost); without it λ stays put that epoch.
   */
  episodeLength?: number;
  /** Told once per run about a condition worth a human's attention (λ estimated from partial episodes). */
  onWarning?: (message: string) => void;
  /**
   * Asked after each epoch; true ends training after that epoch with a checkpoint of it (how SIGINT stops a run
   * without losing the finished epoch). The run's result then holds the epochs done so far.
   */
  stopRequested?: () => boolean;
  /**
   * Every `every` epochs (and after the last), called with a snapshot of the policy before `onEpoch`, e.g. to score
   * it on held-out data. It must not draw from the training Rng: training is the same with or without it.
   */
  evaluate?: { every: number; run: (snapshot: PpoLagCheckpoint) => void | Promise<void> };
}

/** One line of the learning curve; a pure function of config and seed (no wall-clock values). */
export interface EpochStats {
  epoch: number;
  envSteps: number;
  /** Mean return / cost / length of the episodes that finished this epoch (NaN if none did). */
  episodeReturn: number;
  episodeCost: number;
  episodeLength: number;
  episodes: number;
  /** λ used for this epoch's policy update. */
  lambda: number;
  /**
   * The episode cost λ was updated from: `episodeCost`, or, when no episode finished, the epoch's mean cost per
   * step × the episode length (NaN when neither is known; λ then stays put).
   */
  lambdaCost: number;
  costLimit: number;
  pgLoss: number;
  vLossReward: number;
  vLossCost: number;
  entropy: number;
  approxKl: number;
  clipfrac: number;
  explainedVariance: number;
  explainedVarianceCost: number;
  /** Passes over the rollout actually run (fewer after a KL early stop). */
  updatePasses: number;
  /** (step, env, action) entries the mask disallowed, and steps with at least one disallowed action. */
  maskedActions: number;
  maskedSteps: number;
  /** Box actions: dimensions whose sampled value was clipped to the allowed interval before execution. */
  clippedActions: number;
}

export interface EpochProgress {
  elapsedMs: number;
  envStepsPerSec: number;
  epochs: number;
  /** Wall-clock split of this epoch: rollout (env steps, forward passes, GAE) and update (all minibatches). */
  rolloutMs: number;
  updateMs: number;
  /** Minibatch updates run this epoch (passes × minibatches, fewer after a KL early stop). */
  minibatches: number;
}

export interface PpoLagResult {
  policy: PpoPolicy;
  history: EpochStats[];
  backend: BackendInfo;
  updateKernel: UpdateKernel;
  /** Threads the update ran on (the fused kernel and the wasm backend use one). */
  updateThreads: number;
  hyperparams: PpoHyperparams;
  /** True when `stopRequested` ended the run before its last epoch. */
  stopped: boolean;
}

export async function trainPpoLag(config: PpoLagConfig): Promise<PpoLagResult> {
  // ---- config and derived sizes ------------------------------------------------------------------------------
  const backend = await initBackend(config.backend ?? 'auto');
  const {
    makeEnv,
    makeVecEnv,
    useMask,
    onEpoch,
    checkpointEvery = 0,
    onCheckpoint,
    resume,
    backend: _b,
    updateKernel: kernelPref = 'auto',
    episodeLength,
    onWarning,
    stopRequested,
    evaluate,
    ...rest
  } = config;
  if (episodeLength !== undefined && !(Number.isInteger(episodeLength) && episodeLength >= 1)) {
    throw new RangeError(`episodeLength: must be a whole number >= 1, got ${episodeLength}`);
  }
  if (evaluate !== undefined && !(Number.isInteger(evaluate.every) && evaluate.every >= 1)) {
    throw new RangeError(`evaluate.every: must be a whole number >= 1, got ${evaluate.every}`);
  }
  const h = resolveHyperparams(rest);
  const { batchSize, minibatchSize } = deriveSizes(h);
  const N = h.numEnvs;
  const T = h.rolloutSteps;

  // ---- envs ----------------------------------------------------------------------------------------------------
  let vec: VectorEnv;
  if (makeVecEnv) vec = makeVecEnv(N);
  else if (makeEnv) {
    const envs = Array.from({ length: N }, (_, i) => makeEnv(i));
    const probe = envs[0].reset({ seed: h.seed });
    vec = new EnvBatch(envs, useMask ?? probe.info.actionMask !== undefined);
  } else throw new RangeError('makeEnv: give makeEnv or makeVecEnv');
  if (vec.numEnvs !== N) throw new RangeError(`makeVecEnv: built ${vec.numEnvs} envs, numEnvs is ${N}`);
  const space = vec.actionSpace;
  const discrete = space instanceof Discrete;
  // A vectorised env's masks are used unless the config turns them off (for the "no mask" arm of experiments).
  const maskOn = discrete && useMask !== false;
  const obsDim = vec.obsDim;
  const nA = space instanceof Discrete ? space.n : space.size;
  const lowA = space instanceof Discrete ? new Float32Array(0) : space.low;
  const highA = space instanceof Discrete ? new Float32Array(0) : space.high;
  // Box: the Constraint Logic Engine's allowed target interval per env, where the vector env publishes one.
  const intervals = discrete || nA !== 1 ? null : targetIntervalsOf(vec, N);
  const envSeedRng = (epoch: number): number => new Rng(h.seed ^ 0x5eed5eed).fork(epoch).nextUint32();

  // ---- networks, optimisers, λ ----------------------------------------------------------------------------
  const rng = new Rng(h.seed);
  const actor = new Mlp({ name: 'actor', inputDim: obsDim, hiddenSizes: h.hiddenSizes, outputDim: nA, outputGain: 0.01 }, rng);
  const criticR = new Mlp({ name: 'critic_r', inputDim: obsDim, hiddenSizes: h.hiddenSizes, outputDim: 1, outputGain: 1 }, rng);
  const criticC = new Mlp({ name: 'critic_c', inputDim: obsDim, hiddenSizes: h.hiddenSizes, outputDim: 1, outputGain: 1 }, rng);
  const logStd = tf.tidy(() => tf.variable(tf.fill([discrete ? 1 : nA], h.logStdInit), !discrete, uniqueVariableName('log_std')));
  const actorParams = discrete ? actor.variables() : [...actor.variables(), logStd];
  const criticParams = [...criticR.variables(), ...criticC.variables()];
  const adamActor = new Adam(actorParams, { learningRate: h.actorLr, beta1: 0.9, beta2: 0.999, epsilon: h.adamEps });
  const adamCritic = new Adam(criticParams, { learningRate: h.criticLr, beta1: 0.9, beta2: 0.999, epsilon: h.adamEps });
  const lagrange = new LagrangeMultiplier({
    method: h.algorithm === 'ppo' ? 'none' : h.algorithm === 'ppo-pid' ? 'pid' : 'adam',
    costLimit: h.costLimit,
    lambdaInit: h.lambdaInit,
    lambdaLr: h.lambdaLr,
    lambdaMax: h.lambdaMax,
    pidKp: h.pidKp,
    pidKi: h.pidKi,
    pidKd: h.pidKd,
    pidDeltaPEmaAlpha: h.pidDeltaPEmaAlpha,
    pidDeltaDEmaAlpha: h.pidDeltaDEmaAlpha,
    pidDDelay: h.pidDDelay,
  });
  const obsRms = new RunningMeanStd(obsDim);
  const parts = { actor, criticR, criticC, logStd, adamActor, adamCritic, lagrange, obsRms, rng };
  let history: EpochStats[] = [];
  let startEpoch = 0;
  const releaseTraining = (): void => {
    [criticR, criticC, adamActor, adamCritic].forEach((x) => x.dispose());
    logStd.dispose();
  };
  if (resume) {
    try {
      restoreCheckpoint(resume, parts, { obsDim, nA, hyperparams: h });
    } catch (err) {
      releaseTraining();
      actor.dispose();
      throw err;
    }
    history = resume.history.map((e) => ({ ...e }));
    startEpoch = resume.epoch;
  }

  // ---- the update kernel: the fused pass owns the weights while training; the tf.Variables are the record ----
  const updateKernel = chooseUpdateKernel(kernelPref, backend);
  const lossConfig = { obsDim, nA, discrete, clipCoef: h.clipCoef, entCoef: h.entCoef, vfCoef: h.vfCoef, maxGradNorm: h.maxGradNorm };
  const fused =
    updateKernel === 'fused'
      ? new FusedPpoNetworks({ ...lossConfig, hiddenSizes: h.hiddenSizes, maxRows: Math.max(minibatchSize, N), actorLr: h.actorLr, criticLr: h.criticLr, adamEps: h.adamEps })
      : null;
  fused?.load(parts);

  // ---- rollout buffers (time-major [T × N]) ------------------------------------------------------------------
  const actW = discrete ? 1 : nA;
  const b_obs = new Float32Array(batchSize * obsDim);
  const b_masks = new Uint8Array(discrete ? batchSize * nA : 0).fill(1);
  const b_act = new Float32Array(batchSize * actW);
  const b_logp = new Float32Array(batchSize);
  const b_rew = new Float32Array(batchSize);
  const b_cost = new Float32Array(batchSize);
  const b_done = new Uint8Array(batchSize);
  const b_vr = new Float32Array(batchSize);
  const b_vc = new Float32Array(batchSize);
  const b_advR = new Float32Array(batchSize);
  const b_retR = new Float32Array(batchSize);
  const b_advC = new Float32Array(batchSize);
  const b_retC = new Float32Array(batchSize);
  const b_adv = new Float32Array(batchSize);
  const lastVr = new Float32Array(N);
  const lastVc = new Float32Array(N);
  const stepActions = discrete ? new Int32Array(N) : new Float32Array(N * nA);
  const normObs = new Float32Array(N * obsDim);
  const mb_inds = new Int32Array(batchSize);
  const mb = {
    obs: new Float32Array(minibatchSize * obsDim),
    masks: new Float32Array(discrete ? minibatchSize * nA : 0),
    act: discrete ? new Int32Array(minibatchSize) : new Float32Array(minibatchSize * nA),
    logp: new Float32Array(minibatchSize),
    adv: new Float32Array(minibatchSize),
    retR: new Float32Array(minibatchSize),
    retC: new Float32Array(minibatchSize),
  };
  const epRet = new Float64Array(N);
  const epCost = new Float64Array(N);
  const epLen = new Int32Array(N);
  const stdHost = new Float32Array(nA);

  /** One forward pass of actor and both critics for all rows: [rows × (outW + 2)], read once. */
  const forward = (obs: Float32Array, rows: number): Float32Array => {
    if (fused) return fused.forward(obs, rows);
    const out = tf.tidy(() => {
      const x = tf.tensor2d(obs.subarray(0, rows * obsDim), [rows, obsDim]);
      return tf.concat([actor.apply(x), criticR.apply(x), criticC.apply(x)], 1);
    });
    const data = out.dataSync();
    out.dispose();
    return data instanceof Float32Array ? data : Float32Array.from(data);
  };
  const normalise = (src: Float32Array, dst: Float32Array, rows: number, update: boolean): void => {
    if (!h.normalizeObs) {
      dst.set(src.subarray(0, rows * obsDim));
      return;
    }
    if (update) obsRms.update(src, rows);
    obsRms.normalize(src, dst, rows);
  };

  const started = performance.now();
  let warnedNoEpisode = false;
  let stopped = false;
  for (let epoch = startEpoch; epoch < h.epochs; epoch++) {
    const epochStart = performance.now();
    // ---- rollout -------------------------------------------------------------------------------------------
    const first = vec.reset({ seed: envSeedRng(epoch) });
    let obs = first.obs;
    let masks = maskOn ? first.masks : null;
    if (!discrete) stdHost.set(fused ? fused.logStd() : logStd.dataSync());
    let finished = 0;
    let sumRet = 0;
    let sumCost = 0;
    let sumLen = 0;
    let sumStepCost = 0;
    let maskedActions = 0;
    let maskedSteps = 0;
    let clippedActions = 0;
    epRet.fill(0);
    epCost.fill(0);
    epLen.fill(0);
    for (let t = 0; t < T; t++) {
      const base = t * N;
      normalise(obs, b_obs.subarray(base * obsDim, (base + N) * obsDim), N, true);
      if (discrete && masks) b_masks.set(masks.subarray(0, N * nA), base * nA);
      const out = forward(b_obs.subarray(base * obsDim, (base + N) * obsDim), N);
      const w = nA + 2;
      for (let e = 0; e < N; e++) {
        const i = base + e;
        b_vr[i] = out[e * w + nA];
        b_vc[i] = out[e * w + nA + 1];
        if (discrete) {
          const s = sampleMaskedCategorical(out, e * w, nA, masks, e * nA, rng, false);
          stepActions[e] = s.action;
          b_act[i] = s.action;
          b_logp[i] = s.logProb;
          if (masks) {
            let m = 0;
            for (let a = 0; a < nA; a++) if (masks[e * nA + a] !== 1) m++;
            maskedActions += m;
            if (m > 0) maskedSteps++;
          }
        } else {
          b_logp[i] = sampleGaussian(out, e * w, stdHost, b_act, i * nA, rng, false);
          for (let k = 0; k < nA; k++) {
            const raw = b_act[i * nA + k];
            // The stored log-probability stays the raw sample's; the env executes the clip (counted below).
            const lo = intervals ? Math.max(lowA[k], intervals[2 * e]) : lowA[k];
            const hi = intervals ? Math.min(highA[k], intervals[2 * e + 1]) : highA[k];
            const clipped = Math.min(hi, Math.max(lo, raw));
            if (clipped !== raw) clippedActions++;
            stepActions[e * nA + k] = clipped;
          }
        }
      }
      const r = vec.step(stepActions);
      let truncRows = 0;
      for (let e = 0; e < N; e++) {
        const i = base + e;
        b_rew[i] = r.rewards[e];
        b_cost[i] = r.costs[e];
        epRet[e] += r.rewards[e];
        epCost[e] += r.costs[e];
        sumStepCost += r.costs[e];
        epLen[e]++;
        const done = r.terminated[e] === 1 || r.truncated[e] === 1;
        b_done[i] = done ? 1 : 0;
        if (done) {
          finished++;
          sumRet += epRet[e];
          sumCost += epCost[e];
          sumLen += epLen[e];
          epRet[e] = 0;
          epCost[e] = 0;
          epLen[e] = 0;
          if (r.truncated[e] === 1 && r.terminated[e] !== 1) truncRows++;
        }
      }
      // A time-limit cut is not a real end: fold γ·V(final obs) into the step's reward and cost (as SB3 does).
      if (truncRows > 0) {
        const rows: number[] = [];
        const fin = new Float32Array(truncRows * obsDim);
        for (let e = 0; e < N; e++) {
          if (r.truncated[e] === 1 && r.terminated[e] !== 1) {
            fin.set(r.finalObs.subarray(e * obsDim, (e + 1) * obsDim), rows.length * obsDim);
            rows.push(e);
          }
        }
        normalise(fin, fin, truncRows, false);
        const v = forward(fin, truncRows);
        rows.forEach((e, k) => {
          b_rew[base + e] += h.gamma * v[k * (nA + 2) + nA];
          b_cost[base + e] += h.costGamma * v[k * (nA + 2) + nA + 1];
        });
      }
      obs = r.obs;
      masks = maskOn ? r.masks : null;
    }
    normalise(obs, normObs, N, false);
    const lastOut = forward(normObs, N);
    for (let e = 0; e < N; e++) {
      lastVr[e] = lastOut[e * (nA + 2) + nA];
      lastVc[e] = lastOut[e * (nA + 2) + nA + 1];
    }

    // ---- λ update from this epoch's mean episode cost (OmniSafe updates before the policy step) -----------
    // With no finished episode (rollouts shorter than episodes), the mean cost per step scaled to the episode
    // length stands in for it, so λ still answers a violated limit instead of freezing (issue 15).
    const jc = finished > 0 ? sumCost / finished : NaN;
    const lambdaCost = finished > 0 ? jc : episodeLength !== undefined ? (sumStepCost / batchSize) * episodeLength : NaN;
    if (finished === 0 && !warnedNoEpisode && h.algorithm !== 'ppo') {
      warnedNoEpisode = true;
      onWarning?.(
        episodeLength !== undefined
          ? `epoch ${epoch + 1}: no episode finished within the rollout (${T} steps per env); λ is updated from the cost per step × the episode length (${episodeLength}) until episodes finish. Set rolloutSteps >= the episode length for exact episode costs.`
          : `epoch ${epoch + 1}: no episode finished within the rollout (${T} steps per env) and the episode length is unknown; λ does not move this epoch. Set rolloutSteps >= the episode length.`,
      );
    }
    const lambda = lagrange.update(lambdaCost);

    // ---- GAE for reward and cost; the combined advantage --------------------------------------------------
    computeGae({ steps: T, numEnvs: N, signal: b_rew, values: b_vr, dones: b_done, lastValues: lastVr, gamma: h.gamma, gaeLambda: h.gaeLambda }, b_advR, b_retR);
    computeGae({ steps: T, numEnvs: N, signal: b_cost, values: b_vc, dones: b_done, lastValues: lastVc, gamma: h.costGamma, gaeLambda: h.gaeLambda }, b_advC, b_retC);
    const [meanR, stdR] = meanStd(b_advR);
    const [meanC] = meanStd(b_advC);
    for (let i = 0; i < batchSize; i++) {
      const aR = (b_advR[i] - meanR) / (stdR + 1e-8);
      const aC = b_advC[i] - meanC;
      b_adv[i] = (aR - lambda * aC) / (1 + lambda);
    }

    // ---- update: passes × minibatches ---------------------------------------------------------------------
    const updateStart = performance.now();
    const sums = { pg: 0, vr: 0, vc: 0, ent: 0, kl: 0, clip: 0, n: 0 };
    let passes = 0;
    for (let pass = 0; pass < h.updateEpochs; pass++) {
      passes++;
      for (let i = 0; i < batchSize; i++) mb_inds[i] = i;
      for (let i = batchSize - 1; i > 0; i--) {
        const j = rng.nextInt(i + 1);
        const tmp = mb_inds[i];
        mb_inds[i] = mb_inds[j];
        mb_inds[j] = tmp;
      }
      let passKl = 0;
      for (let m = 0; m < h.numMinibatches; m++) {
        gatherMinibatch(mb_inds, m * minibatchSize);
        const d = fused ? fused.update(mb, minibatchSize) : tfPpoUpdate({ ...parts }, mb, minibatchSize, lossConfig);
        sums.pg += d[0];
        sums.vr += d[1];
        sums.vc += d[2];
        sums.ent += d[3];
        sums.kl += d[4];
        sums.clip += d[5];
        sums.n++;
        passKl += d[4];
      }
      if (h.targetKl !== null && passKl / h.numMinibatches > h.targetKl) break;
    }

    // ---- log ------------------------------------------------------------------------------------------------
    const stats: EpochStats = {
      epoch: epoch + 1,
      envSteps: (epoch + 1) * batchSize,
      episodeReturn: finished > 0 ? sumRet / finished : NaN,
      episodeCost: jc,
      episodeLength: finished > 0 ? sumLen / finished : NaN,
      episodes: finished,
      lambda,
      lambdaCost,
      costLimit: h.costLimit,
      pgLoss: sums.pg / sums.n,
      vLossReward: sums.vr / sums.n,
      vLossCost: sums.vc / sums.n,
      entropy: sums.ent / sums.n,
      approxKl: sums.kl / sums.n,
      clipfrac: sums.clip / sums.n,
      explainedVariance: explainedVariance(b_vr, b_retR),
      explainedVarianceCost: explainedVariance(b_vc, b_retC),
      updatePasses: passes,
      maskedActions,
      maskedSteps,
      clippedActions,
    };
    history.push(stats);
    const last = epoch + 1 === h.epochs;
    if (evaluate && (last || (epoch + 1) % evaluate.every === 0)) {
      fused?.store(parts);
      await evaluate.run(snapshotCheckpoint(parts, { epoch: epoch + 1, envSteps: stats.envSteps, history, hyperparams: h, backend: backend.name, updateKernel }));
    }
    const now = performance.now();
    await onEpoch?.(stats, {
      elapsedMs: now - started,
      envStepsPerSec: batchSize / ((now - epochStart) / 1000),
      epochs: h.epochs,
      rolloutMs: updateStart - epochStart,
      updateMs: now - updateStart,
      minibatches: sums.n,
    });
    // Asked after the epoch's callbacks: a SIGINT handler runs at their awaits, and this epoch is then complete.
    stopped = !last && stopRequested?.() === true;
    if (onCheckpoint && (last || stopped || (checkpointEvery > 0 && (epoch + 1) % checkpointEvery === 0))) {
      fused?.store(parts);
      await onCheckpoint(snapshotCheckpoint(parts, { epoch: epoch + 1, envSteps: stats.envSteps, history, hyperparams: h, backend: backend.name, updateKernel }));
    }
    if (stopped) break;
  }

  // ---- the policy keeps the actor; everything else is released ------------------------------------------
  fused?.store(parts);
  const policy = new PpoPolicy(
    actor,
    discrete ? { kind: 'discrete', n: nA } : ({ kind: 'box', low: lowA, high: highA } satisfies ActionKindOf),
    h.normalizeObs ? obsRms.getState() : null,
    discrete ? new Float32Array(0) : Float32Array.from(logStd.dataSync()),
    h.seed,
    h.algorithm,
  );
  releaseTraining();
  return { policy, history, backend, updateKernel, updateThreads: 1, hyperparams: h, stopped };

  // ---- minibatch plumbing (closures over the buffers above) -------------------------------------------
  function gatherMinibatch(inds: Int32Array, from: number): void {
    for (let k = 0; k < minibatchSize; k++) {
      const i = inds[from + k];
      mb.obs.set(b_obs.subarray(i * obsDim, (i + 1) * obsDim), k * obsDim);
      if (discrete) {
        for (let a = 0; a < nA; a++) mb.masks[k * nA + a] = b_masks[i * nA + a];
        mb.act[k] = b_act[i];
      } else mb.act.set(b_act.subarray(i * nA, (i + 1) * nA), k * nA);
      mb.logp[k] = b_logp[i];
      mb.adv[k] = b_adv[i];
      mb.retR[k] = b_retR[i];
      mb.retC[k] = b_retC[i];
    }
  }
}

/**
 * The [N × 2] buffer of allowed Box targets [lo, hi] per env that a vector env rewrites at each reset and step
 * (`TradingVecEnv.targetIntervals`, from the Constraint Logic Engine's rules), or null where it has none.
 */
function chooseUpdateKernel(preference: UpdateKernelPreference, backend: BackendInfo): UpdateKernel {
  if (preference === 'tfjs') return 'tfjs';
  if (preference === 'fused') {
    if (!wasmSimdSupported()) throw new Error('updateKernel: fused needs WebAssembly SIMD, which this runtime does not validate');
    return 'fused';
  }
  return backend.name === 'tensorflow' || !wasmSimdSupported() ? 'tfjs' : 'fused';
}

function targetIntervalsOf(vec: VectorEnv, numEnvs: number): Float64Array | null {
  if (!('targetIntervals' in vec)) return null;
  const t = vec.targetIntervals;
  return t instanceof Float64Array && t.length === 2 * numEnvs ? t : null;
}

function meanStd(a: Float32Array): [number, number] {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i];
  const mean = s / a.length;
  let sq = 0;
  for (let i = 0; i < a.length; i++) sq += (a[i] - mean) ** 2;
  return [mean, Math.sqrt(sq / a.length)];
}

/** 1 − Var[y − ŷ] / Var[y] (CleanRL's diagnostic; NaN when the targets are constant). */
export function explainedVariance(pred: Float32Array, target: Float32Array): number {
  const [, stdY] = meanStd(target);
  const diff = new Float32Array(target.length);
  for (let i = 0; i < target.length; i++) diff[i] = target[i] - pred[i];
  const [, stdD] = meanStd(diff);
  return stdY === 0 ? NaN : 1 - (stdD * stdD) / (stdY * stdY);
}
