/**
 * `TradingVecEnv`: N trading accounts on one shared dataset, stepped together with auto-reset. Every buffer is
 * allocated once; a step writes observations, masks, rewards and flags in place and allocates nothing.
 */
import { Rng } from '../core/index.js';
import { type TradingEnvConfig, type TradingEnvConfigInput, parseTradingEnvConfig } from './config.js';
import { ConstraintGuard, type ConstraintsOption } from './constraint-guard.js';
import type { TradingDataset } from './dataset.js';
import { Box, Discrete } from './spaces.js';
import { TradingSim } from './trading-sim.js';
import { boxInterval } from './trading-env.js';
import type { VectorEnv, VectorResetResult, VectorStepResult } from './types.js';

/** What a TradingVecEnv's reset and step return besides the VectorEnv buffers. */
export interface TradingVecResetResult extends VectorResetResult {
  /** Box action space: [N × 2] allowed target interval [lo, hi] per env for the next step; null for discrete. */
  targetIntervals: Float64Array | null;
}
export interface TradingVecStepResult extends VectorStepResult {
  targetIntervals: Float64Array | null;
}

export interface TradingVecEnvOptions {
  dataset: TradingDataset;
  numEnvs: number;
  /** The config of every env; env i draws its episodes from its own RNG derived from `seed` and i. */
  config?: TradingEnvConfigInput;
  /** The Constraint Logic Engine's rules: `masks` (discrete) or `targetIntervals` (Box) come from them. */
  constraints?: ConstraintsOption;
}

export class TradingVecEnv implements VectorEnv {
  readonly numEnvs: number;
  /** The space of one env's observation (the batch is numEnvs of them). */
  readonly observationSpace: Box;
  /** The space of one env's action. */
  readonly actionSpace: Discrete | Box;
  readonly obsDim: number;
  readonly nActions: number;
  readonly config: TradingEnvConfig;
  readonly sims: readonly TradingSim[];

  // -- buffers, rewritten in place --
  readonly obs: Float32Array;
  readonly finalObs: Float32Array;
  readonly rewards: Float32Array;
  readonly costs: Float32Array;
  readonly terminated: Uint8Array;
  readonly truncated: Uint8Array;
  readonly masks: Uint8Array | null;
  /**
   * Box action space: [N × 2] allowed target interval [lo, hi] per env (shares of equity), from the engine with
   * `constraints` (reasons in `constraints.targetReasonBits`), else the Box range. Null for discrete.
   */
  readonly targetIntervals: Float64Array | null;
  /** Return, cost and length of the episode that ended at the last step (valid where terminated|truncated). */
  readonly episodeReturn: Float64Array;
  readonly episodeCost: Float64Array;
  readonly episodeLength: Int32Array;
  /** Running sums of the current episodes. */
  private readonly runningReturn: Float64Array;
  private readonly runningCost: Float64Array;

  private readonly discrete: boolean;
  /** The Constraint Logic Engine (its `violations` count lenient-mode replacements per env), or null. */
  readonly constraints: ConstraintGuard | null;
  private readonly seedRng: Rng;
  private readonly stepResult: TradingVecStepResult;
  private readonly resetResult: TradingVecResetResult;

  constructor(options: TradingVecEnvOptions) {
    const n = options.numEnvs;
    if (!Number.isInteger(n) || n < 1) throw new RangeError(`numEnvs: must be a whole number >= 1, got ${n}`);
    this.numEnvs = n;
    this.config = parseTradingEnvConfig(options.config ?? {});
    this.discrete = this.config.actionType === 'discrete';
    this.seedRng = new Rng(this.config.seed);
    this.nActions = this.discrete ? this.config.actionList.length : 0;
    const nA = this.nActions;
    const masks = this.discrete ? new Uint8Array(n * nA) : null;
    this.masks = masks;
    const guard = options.constraints ? new ConstraintGuard(options.constraints, n, this.config, options.dataset) : null;
    this.constraints = guard;
    // Each env's chain writes its mask (and interval) straight into its row of the batch buffers.
    const sims: TradingSim[] = [];
    for (let i = 0; i < n; i++) {
      const slot = { index: i, guard, ...(masks === null ? {} : { mask: masks.subarray(i * nA, (i + 1) * nA) }) };
      sims.push(new TradingSim(options.dataset, this.config, new Rng(this.seedRng.nextUint32()), slot));
    }
    this.sims = sims;
    const d = sims[0].obsDim;
    this.obsDim = d;
    this.observationSpace = new Box(-Infinity, Infinity, [d]);
    this.actionSpace = this.discrete
      ? new Discrete(this.nActions)
      : new Box(this.config.boxRange === 'long-only' ? 0 : -1, 1, [1]);
    this.obs = new Float32Array(n * d);
    this.finalObs = new Float32Array(n * d);
    this.rewards = new Float32Array(n);
    this.costs = new Float32Array(n);
    this.terminated = new Uint8Array(n);
    this.truncated = new Uint8Array(n);
    if (this.discrete) this.targetIntervals = null;
    else if (guard !== null) this.targetIntervals = guard.targetIntervals;
    else {
      const range = boxInterval(this.config);
      this.targetIntervals = new Float64Array(2 * n);
      for (let i = 0; i < n; i++) this.targetIntervals.set(range, 2 * i);
    }
    this.episodeReturn = new Float64Array(n);
    this.episodeCost = new Float64Array(n);
    this.episodeLength = new Int32Array(n);
    this.runningReturn = new Float64Array(n);
    this.runningCost = new Float64Array(n);
    this.stepResult = {
      obs: this.obs,
      rewards: this.rewards,
      costs: this.costs,
      terminated: this.terminated,
      truncated: this.truncated,
      masks: this.masks,
      finalObs: this.finalObs,
      targetIntervals: this.targetIntervals,
    };
    this.resetResult = { obs: this.obs, masks: this.masks, targetIntervals: this.targetIntervals };
  }

  /** Resets every env. With a seed, env i's episode draws restart from a seed derived from it and i. */
  reset(options?: { seed?: number }): TradingVecResetResult {
    const sims = this.sims;
    if (options?.seed !== undefined) {
      this.seedRng.reseed(options.seed);
      for (let i = 0; i < sims.length; i++) sims[i].rng.reseed(this.seedRng.nextUint32());
    }
    for (let i = 0; i < sims.length; i++) {
      sims[i].reset();
      this.constraints?.resetEnv(i);
      this.runningReturn[i] = 0;
      this.runningCost[i] = 0;
      this.publish(i);
    }
    this.terminated.fill(0);
    this.truncated.fill(0);
    return this.resetResult;
  }

  step(actions: Int32Array | Float32Array): TradingVecStepResult {
    const n = this.numEnvs;
    if (actions.length !== n) throw new RangeError(`actions: must have numEnvs = ${n} entries, got ${actions.length}`);
    if (this.discrete !== actions instanceof Int32Array) {
      throw new TypeError(`actions: must be ${this.discrete ? 'an Int32Array (Discrete)' : 'a Float32Array (Box)'}`);
    }
    const sims = this.sims;
    const d = this.obsDim;
    const discrete = this.discrete;
    const rewards = this.rewards;
    const costs = this.costs;
    const terminated = this.terminated;
    const truncated = this.truncated;
    const runningReturn = this.runningReturn;
    const runningCost = this.runningCost;
    const guard = this.constraints;
    // An action no env can take fails the whole batch before any env steps (as strict mode does below).
    for (let i = 0; i < n; i++) {
      const a = actions[i];
      if (discrete ? !(a >= 0 && a < this.nActions) : guard === null && Number.isNaN(a)) {
        throw new RangeError(
          discrete
            ? `actions[${i}]: must be an integer in [0, ${this.nActions}), got ${a}`
            : `actions[${i}]: target position must be a number, got NaN`,
        );
      }
    }
    // The engine judges the whole batch before any env steps, so in strict mode a masked action leaves every env
    // as it was; in lenient mode the violations are counted here and each chain masks or projects.
    if (guard !== null) {
      for (let i = 0; i < n; i++) {
        if (discrete) guard.admit(i, actions[i]);
        else guard.admitTarget(i, actions[i]);
      }
    }
    for (let i = 0; i < n; i++) {
      const sim = sims[i];
      if (discrete) sim.stepDiscrete(actions[i]);
      else {
        sim.stepTarget(actions[i]);
        const dec = sim.lastDecision;
        if (guard !== null && dec !== null) guard.recordTarget(i, dec.proposedTarget, dec.executedTarget);
      }
      const r = sim.reward;
      const c = sim.cost;
      rewards[i] = r;
      costs[i] = c;
      runningReturn[i] += r;
      runningCost[i] += c;
      const term = sim.terminated;
      const trunc = sim.truncated;
      terminated[i] = term ? 1 : 0;
      truncated[i] = trunc ? 1 : 0;
      if (term || trunc) {
        sim.writeObs(this.finalObs, i * d);
        this.episodeReturn[i] = runningReturn[i];
        this.episodeCost[i] = runningCost[i];
        this.episodeLength[i] = sim.steps;
        runningReturn[i] = 0;
        runningCost[i] = 0;
        sim.reset();
        guard?.resetEnv(i);
      }
      this.publish(i);
    }
    return this.stepResult;
  }

  private publish(i: number): void {
    const sim = this.sims[i];
    sim.writeObs(this.obs, i * this.obsDim);
    if (this.constraints !== null && !this.discrete) this.constraints.currentTargets[i] = sim.chain.currentTarget;
  }
}
