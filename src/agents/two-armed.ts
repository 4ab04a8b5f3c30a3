/**
 * A small constrained task with a known optimum, for testing constrained RL: every step the agent picks
 * one of two arms; the safe arm pays `safeReward` at no cost, the better arm pays `riskyReward` and costs 1.
 * An episode lasts `horizon` steps and the expected cost limit is `costLimit`, so the constrained optimum
 * pulls the risky arm `costLimit` times per episode in expectation (return = horizon·safe + costLimit·(risky −
 * safe)) while an unconstrained learner pulls it every step (cost = horizon).
 * The observation is [1, t / horizon]. With `maskRiskyAfter`, the mask forbids the risky arm once that many
 * risky pulls have been made in the episode (a hard limit of the kind the constraint engine imposes).
 */
import { Box, Discrete, type Env, type ResetResult, type StepResult } from '../env/index.js';

export interface TwoArmedConfig {
  horizon: number;
  safeReward: number;
  riskyReward: number;
  costLimit: number;
  /** Risky pulls per episode after which the risky arm is masked (null: never masked). */
  maskRiskyAfter: number | null;
}

export const DEFAULT_TWO_ARMED: TwoArmedConfig = {
  horizon: 10,
  safeReward: 0.5,
  riskyReward: 1,
  costLimit: 2,
  maskRiskyAfter: null,
};

export const SAFE_ARM = 0;
export const RISKY_ARM = 1;

/** Best expected return subject to E[cost] ≤ costLimit. */
export function twoArmedOptimum(c: TwoArmedConfig): { episodeReturn: number; episodeCost: number } {
  const risky = Math.min(c.costLimit, c.horizon, c.maskRiskyAfter ?? Infinity);
  return { episodeReturn: c.horizon * c.safeReward + risky * (c.riskyReward - c.safeReward), episodeCost: risky };
}

export class TwoArmedEnv implements Env {
  readonly observationSpace = new Box(0, 1, [2]);
  readonly actionSpace = new Discrete(2);
  private t = 0;
  private riskyPulls = 0;
  private readonly mask = new Uint8Array([1, 1]);

  constructor(readonly config: TwoArmedConfig = DEFAULT_TWO_ARMED) {
    if (!Number.isInteger(config.horizon) || config.horizon < 1) {
      throw new RangeError(`horizon: must be a whole number >= 1, got ${config.horizon}`);
    }
  }

  reset(): ResetResult {
    this.t = 0;
    this.riskyPulls = 0;
    return { obs: this.observe(), info: { actionMask: this.currentMask() } };
  }

  step(action: number | Float32Array): StepResult {
    if (typeof action !== 'number' || !this.actionSpace.contains(action)) {
      throw new RangeError(`action: must be 0 or 1, got ${String(action)}`);
    }
    if (this.currentMask()[action] !== 1) throw new RangeError(`action: ${action} is masked at step ${this.t}`);
    const risky = action === RISKY_ARM;
    if (risky) this.riskyPulls++;
    this.t++;
    return {
      obs: this.observe(),
      reward: risky ? this.config.riskyReward : this.config.safeReward,
      cost: risky ? 1 : 0,
      terminated: false,
      truncated: this.t >= this.config.horizon,
      info: { actionMask: this.currentMask(), costs: { riskyArm: risky ? 1 : 0 } },
    };
  }

  private observe(): Float32Array {
    return new Float32Array([1, this.t / this.config.horizon]);
  }

  private currentMask(): Uint8Array {
    const limit = this.config.maskRiskyAfter;
    this.mask[RISKY_ARM] = limit !== null && this.riskyPulls >= limit ? 0 : 1;
    return this.mask;
  }
}
