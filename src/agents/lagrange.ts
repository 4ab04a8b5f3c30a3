/**
 * The Lagrange multiplier λ ≥ 0 of PPO-Lag, updated once per epoch from the constraint violation
 * J_c − d (J_c: mean episode cost of the epoch, d: the cost limit).
 *
 * - 'adam': gradient ascent on λ·(J_c − d) with Adam, then λ ← max(0, λ) (OmniSafe's `Lagrange`).
 * - 'pid': the PID Lagrangian of Stooke, Achiam & Abbeel (2020), as OmniSafe's `PIDLagrangian`: the
 *   integral term alone is the classic multiplier; the P and D terms damp its overshoot and oscillation.
 * - 'none': λ stays 0 (plain PPO, the baseline trained by the same code).
 */
export type LagrangeMethod = 'adam' | 'pid' | 'none';

export interface LagrangeConfig {
  method: LagrangeMethod;
  /** The cost limit d, in cost units per episode. */
  costLimit: number;
  /** Initial λ (OmniSafe: 0.001). */
  lambdaInit: number;
  /** Adam learning rate of λ (OmniSafe: 0.035). */
  lambdaLr: number;
  /** PID gains (Stooke et al.; OmniSafe defaults 0.1, 0.01, 0.01). */
  pidKp: number;
  pidKi: number;
  pidKd: number;
  /** EMA smoothing of the proportional error and of the cost fed to the derivative (OmniSafe: 0.95). */
  pidDeltaPEmaAlpha: number;
  pidDeltaDEmaAlpha: number;
  /** The derivative compares against the smoothed cost this many updates ago (OmniSafe: 10). */
  pidDDelay: number;
  /** Upper bound on λ (keeps a hopeless constraint from blowing up the advantage scale). */
  lambdaMax: number;
}

export interface LagrangeState {
  readonly lambda: number;
  /** Adam moments and step count of the 'adam' method. */
  readonly adamM: number;
  readonly adamV: number;
  readonly adamT: number;
  /** PID integral, smoothed P error, smoothed cost and the delayed costs of the 'pid' method. */
  readonly pidI: number;
  readonly pidDeltaP: number;
  readonly pidCostD: number;
  readonly pidCostHistory: readonly number[];
}

const ADAM_BETA1 = 0.9;
const ADAM_BETA2 = 0.999;
const ADAM_EPS = 1e-8;

export class LagrangeMultiplier {
  private state: LagrangeState;

  constructor(readonly config: LagrangeConfig) {
    if (!(config.costLimit >= 0)) throw new RangeError(`costLimit: must be >= 0, got ${config.costLimit}`);
    if (!(config.lambdaInit >= 0)) throw new RangeError(`lambdaInit: must be >= 0, got ${config.lambdaInit}`);
    if (!Number.isInteger(config.pidDDelay) || config.pidDDelay < 1) {
      throw new RangeError(`pidDDelay: must be a whole number >= 1, got ${config.pidDDelay}`);
    }
    this.state = {
      lambda: config.method === 'none' ? 0 : config.lambdaInit,
      adamM: 0,
      adamV: 0,
      adamT: 0,
      pidI: config.method === 'pid' ? config.lambdaInit : 0,
      pidDeltaP: 0,
      pidCostD: 0,
      pidCostHistory: [],
    };
  }

  get lambda(): number {
    return this.state.lambda;
  }

  /** One update from the epoch's mean episode cost `jc`. A non-finite `jc` (no finished episode) changes nothing. */
  update(jc: number): number {
    if (!Number.isFinite(jc)) return this.state.lambda;
    const error = jc - this.config.costLimit;
    switch (this.config.method) {
      case 'none':
        return 0;
      case 'adam':
        this.state = this.adamStep(error);
        return this.state.lambda;
      case 'pid':
        this.state = this.pidStep(jc, error);
        return this.state.lambda;
    }
  }

  private adamStep(error: number): LagrangeState {
    const s = this.state;
    // Loss −λ·(J_c − d): its gradient in λ is −error; Adam descends it, so λ grows while the cost is over the limit.
    const grad = -error;
    const t = s.adamT + 1;
    const m = ADAM_BETA1 * s.adamM + (1 - ADAM_BETA1) * grad;
    const v = ADAM_BETA2 * s.adamV + (1 - ADAM_BETA2) * grad * grad;
    const mHat = m / (1 - ADAM_BETA1 ** t);
    const vHat = v / (1 - ADAM_BETA2 ** t);
    const raw = s.lambda - (this.config.lambdaLr * mHat) / (Math.sqrt(vHat) + ADAM_EPS);
    return { ...s, lambda: clamp(raw, 0, this.config.lambdaMax), adamM: m, adamV: v, adamT: t };
  }

  private pidStep(jc: number, error: number): LagrangeState {
    const c = this.config;
    const s = this.state;
    const pidI = Math.max(0, s.pidI + error * c.pidKi);
    const pidDeltaP = c.pidDeltaPEmaAlpha * s.pidDeltaP + (1 - c.pidDeltaPEmaAlpha) * error;
    const pidCostD = c.pidDeltaDEmaAlpha * s.pidCostD + (1 - c.pidDeltaDEmaAlpha) * jc;
    const delayed = s.pidCostHistory.length > 0 ? s.pidCostHistory[0] : 0;
    const pidD = Math.max(0, pidCostD - delayed);
    const lambda = clamp(c.pidKp * pidDeltaP + pidI + c.pidKd * pidD, 0, c.lambdaMax);
    const history = [...s.pidCostHistory, pidCostD].slice(-c.pidDDelay);
    return { ...s, lambda, pidI, pidDeltaP, pidCostD, pidCostHistory: history };
  }

  getState(): LagrangeState {
    return this.state;
  }

  setState(state: LagrangeState): void {
    this.state = { ...state, pidCostHistory: [...state.pidCostHistory] };
  }
}

function clamp(x: number, lo: number, hi: number): number {
  return x < lo ? lo : x > hi ? hi : x;
}
