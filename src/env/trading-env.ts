/**
 * `TradingEnv`: one trading account on one dataset behind the Gym-style `Env` interface.
 * The observation, the result and the info it returns are owned by the env and rewritten in place on each
 * call (as a VecEnv's buffers are): copy what you keep.
 */
import { Rng } from '../core/index.js';
import { fillStatusName } from '../venues/index.js';
import { type TradingEnvConfig, type TradingEnvConfigInput, parseTradingEnvConfig } from './config.js';
import { ConstraintGuard, type ConstraintsOption } from './constraint-guard.js';
import type { TradingDataset } from './dataset.js';
import type { TradingEnvState } from './env-state.js';
import { Box, Discrete } from './spaces.js';
import { TradingSim } from './trading-sim.js';
import type { Env, EnvInfo, ResetResult, StepResult } from './types.js';

/** The fill of the last step (all zeros when nothing filled). */
export interface StepFillInfo {
  /** Signed filled quantity, base units. */
  qty: number;
  price: number;
  fee: number;
  /** Fill-model status name: FILLED, PARTIAL, NONE, QTY_BELOW_LOT, BELOW_MIN_NOTIONAL, NO_VOLUME. */
  status: string;
}

export interface TradingEnvInfo extends EnvInfo {
  /** One entry per discrete action, 1 = allowed (empty for a Box action space). */
  actionMask: Uint8Array;
  costs: { drawdown: number; position: number; dailyLoss: number };
  equity: number;
  positionQty: number;
  price: number;
  /** Bar index of the decision point. */
  barIndex: number;
  timeMs: number;
  fill: StepFillInfo;
  /** Fee paid in this step, quote currency. */
  fees: number;
  /** Fees paid in this episode, quote currency. */
  feesTotal: number;
  /** The state record the mask is computed from (the same object every call). */
  state: TradingEnvState;
  /** With `constraints` in lenient mode: the masked action replaced by HOLD at this step, or −1. */
  maskedAction: number;
  /** With `constraints` in lenient mode: masked actions replaced by HOLD, or Box targets projected, in this episode. */
  constraintViolations: number;
  /**
   * Box action space: the allowed target position [lo, hi] (shares of equity) for the next step. With
   * `constraints` it comes from the engine (`constraints.targetReasonsOf(0)` names the rules); without, it is
   * the Box range. Empty for a discrete action space.
   */
  targetInterval: Float64Array;
  /** Box action space: bits (`RULE_BIT`) of the rules setting lo and hi (0 = none). Empty for discrete. */
  targetReasonBits: Uint32Array;
  /** With `constraints` and a Box action space: the target proposed at this step (NaN after a reset). */
  proposedTarget: number;
  /** ... and the target executed (the projection in lenient mode; the env still clips it to the Box range). */
  executedTarget: number;
  /** ... and bits of the rules the proposal broke (lenient mode), 0 when none. */
  targetViolationBits: number;
}

export interface TradingStepResult extends StepResult {
  info: TradingEnvInfo;
}
export interface TradingResetResult extends ResetResult {
  info: TradingEnvInfo;
}

export interface TradingEnvOptions {
  dataset: TradingDataset;
  config?: TradingEnvConfigInput;
  /**
   * The Constraint Logic Engine's rules: `info.actionMask` (discrete) or `info.targetInterval` (Box) comes
   * from them, and `step` admits each action against it.
   */
  constraints?: ConstraintsOption;
}

export class TradingEnv implements Env {
  readonly observationSpace: Box;
  readonly actionSpace: Discrete | Box;
  readonly config: TradingEnvConfig;
  readonly sim: TradingSim;
  /** Number of discrete actions (0 for a Box action space). */
  readonly nActions: number;
  private readonly obs: Float32Array;
  private readonly mask: Uint8Array;
  private readonly info: TradingEnvInfo;
  private readonly result: TradingStepResult;
  private readonly resetResult: TradingResetResult;
  private readonly discrete: boolean;
  /** The Constraint Logic Engine, or null when the env has no `constraints` (every action allowed). */
  readonly constraints: ConstraintGuard | null;

  constructor(options: TradingEnvOptions) {
    this.config = parseTradingEnvConfig(options.config ?? {});
    this.discrete = this.config.actionType === 'discrete';
    this.nActions = this.discrete ? this.config.actionList.length : 0;
    const guard = options.constraints ? new ConstraintGuard(options.constraints, 1, this.config, options.dataset) : null;
    this.constraints = guard;
    // Empty for a Box action space: there is nothing discrete to mask. The chain writes the mask here.
    this.mask = new Uint8Array(this.nActions);
    this.sim = new TradingSim(options.dataset, this.config, new Rng(this.config.seed), { index: 0, guard, mask: this.mask });
    this.observationSpace = new Box(-Infinity, Infinity, [this.sim.obsDim]);
    this.actionSpace = this.discrete
      ? new Discrete(this.nActions)
      : new Box(this.config.boxRange === 'long-only' ? 0 : -1, 1, [1]);
    this.obs = new Float32Array(this.sim.obsDim);
    // The engine's buffers for one env are exactly [lo, hi]; without an engine, the Box range. Empty for discrete.
    const box = !this.discrete;
    const targetInterval = !box ? new Float64Array(0) : guard !== null ? guard.targetIntervals : boxInterval(this.config);
    const targetReasonBits = !box ? new Uint32Array(0) : guard !== null ? guard.targetReasonBits : new Uint32Array(2);
    this.info = {
      actionMask: this.mask,
      costs: { drawdown: 0, position: 0, dailyLoss: 0 },
      equity: 0,
      positionQty: 0,
      price: 0,
      barIndex: 0,
      timeMs: 0,
      fill: { qty: 0, price: 0, fee: 0, status: 'NONE' },
      fees: 0,
      feesTotal: 0,
      state: this.sim.state,
      maskedAction: -1,
      constraintViolations: 0,
      targetInterval,
      targetReasonBits,
      proposedTarget: Number.NaN,
      executedTarget: Number.NaN,
      targetViolationBits: 0,
    };
    this.result = { obs: this.obs, reward: 0, cost: 0, terminated: false, truncated: false, info: this.info };
    this.resetResult = { obs: this.obs, info: this.info };
  }

  get obsDim(): number {
    return this.sim.obsDim;
  }

  /** The state record of the current step (read-only for callers; the env rewrites it). */
  get state(): TradingEnvState {
    return this.sim.state;
  }

  /** Names of the observation entries, in order. */
  obsNames(): string[] {
    return this.sim.obsNames();
  }

  reset(options?: { seed?: number; startIndex?: number }): TradingResetResult {
    if (options?.seed !== undefined) this.sim.rng.reseed(options.seed);
    if (options?.startIndex !== undefined) this.sim.resetAt(options.startIndex);
    else this.sim.reset();
    this.constraints?.resetEnv(0);
    this.publish();
    return this.resetResult;
  }

  step(action: number | Float32Array): TradingStepResult {
    const sim = this.sim;
    const guard = this.constraints;
    if (this.discrete) {
      if (typeof action !== 'number') throw new TypeError('action: this env has a Discrete action space; pass an integer');
      guard?.admit(0, action);
      sim.stepDiscrete(action);
    } else {
      if (typeof action === 'number' || action.length !== 1) {
        throw new TypeError('action: this env has a Box action space; pass a Float32Array of length 1');
      }
      guard?.admitTarget(0, action[0]);
      sim.stepTarget(action[0]);
      const d = sim.lastDecision;
      if (guard !== null && d !== null) guard.recordTarget(0, d.proposedTarget, d.executedTarget);
    }
    const r = this.result;
    r.reward = sim.reward;
    r.cost = sim.cost;
    r.terminated = sim.terminated;
    r.truncated = sim.truncated;
    this.publish();
    return r;
  }

  private publish(): void {
    const sim = this.sim;
    sim.writeObs(this.obs, 0);
    const guard = this.constraints;
    const info = this.info;
    if (guard !== null) {
      if (!this.discrete) {
        guard.currentTargets[0] = sim.chain.currentTarget;
        info.proposedTarget = guard.proposedTargets[0];
        info.executedTarget = guard.executedTargets[0];
        info.targetViolationBits = guard.targetViolationBits[0];
      }
      info.maskedAction = guard.lastViolation[0];
      info.constraintViolations = guard.violations[0];
    }
    const s = sim.state;
    info.costs.drawdown = sim.costDrawdown;
    info.costs.position = sim.costPosition;
    info.costs.dailyLoss = sim.costDailyLoss;
    info.equity = s.equity;
    info.positionQty = s.positionQty;
    info.price = s.price;
    info.barIndex = sim.t;
    info.timeMs = s.timeMs;
    const f = sim.fill;
    info.fill.qty = f.signedQty;
    info.fill.price = f.price;
    info.fill.fee = f.fee;
    info.fill.status = fillStatusName(f.status);
    info.fees = sim.stepFee;
    info.feesTotal = sim.ledger.feesPaid;
  }
}

/** The Box range [low, high] as an interval (what the env accepts without constraints). */
export function boxInterval(config: TradingEnvConfig): Float64Array {
  return Float64Array.of(config.boxRange === 'long-only' ? 0 : -1, 1);
}
