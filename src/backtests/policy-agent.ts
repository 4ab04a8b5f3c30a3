/**
 * Learned policies in a backtest: the agent sees the observation the trading env would have built at the
 * same bar (env `writeObservation`: feature window + portfolio entries) and, if it is
 * mask-aware, the Constraint Logic Engine's mask. Orders are sized as the env sizes them (each action's own
 * fraction of equity at the reference price; a Box policy's target × equity), so a policy trades in the
 * backtest as it did in training.
 */
import type { ActionSpec, Ledger } from '../core/index.js';
import type { FeatureMatrix } from '../data/index.js';
import { observationSize, writeObservation } from '../env/index.js';
import type { Agent } from '../agents/index.js';
import type { BacktestAgent, BoxBacktestAgent, DecisionContext, Sizing } from './rule-agents.js';

/** A policy run by a supervisor elsewhere (a sandbox tier) has `takeFault()`: when it was stopped it says why, once. */
function faultSource(policy: Agent): (() => string | null) | undefined {
  const takeFault: unknown = Reflect.get(policy, 'takeFault');
  if (typeof takeFault !== 'function') return undefined;
  return () => {
    const reason: unknown = Reflect.apply(takeFault, policy, []);
    return typeof reason === 'string' ? reason : null;
  };
}

export class PolicyAgent implements BacktestAgent {
  readonly sizing: Sizing = { kind: 'action' };
  /** Set for a sandboxed policy: the bar loop moves the session to REDUCING when it was stopped. */
  readonly takeFault?: () => string | null;
  constructor(
    readonly label: string,
    private readonly policy: Agent,
    readonly actions: readonly ActionSpec[],
    /** Pass the Constraint Logic Engine's mask to the policy (masked logits → −∞); false for plain policies. */
    private readonly maskAware: boolean,
    /** Bars before this one have no full feature window (warm-up): the agent holds (action 0, HOLD) there. */
    private readonly firstBar = 0,
  ) {
    if (actions[0]?.kind !== 'HOLD') throw new RangeError(`actions[0]: must be HOLD, got ${actions[0]?.kind ?? 'nothing'}`);
    const takeFault = faultSource(policy);
    if (takeFault !== undefined) this.takeFault = takeFault;
  }
  reset(): void {
    this.policy.reset();
  }
  act(ctx: DecisionContext): number {
    if (ctx.t < this.firstBar) return 0;
    if (ctx.obs === null) throw new Error(`agent ${this.label}: needs observations (give the runner an observe function)`);
    const a = this.policy.act(ctx.obs, this.maskAware ? ctx.mask : null, { deterministic: true });
    if (typeof a !== 'number') throw new TypeError(`agent ${this.label}: expected a discrete action, got a vector`);
    return a;
  }
}

/**
 * A Box policy (Gaussian, target position) in a backtest: its deterministic action, the mean clipped to the
 * policy's Box, is the target position share; the runner clips it onto the engine's interval and sizes it.
 * Before `firstBar` (feature warm-up), and when a sandboxed policy gives no answer, it proposes the current
 * position share: it holds.
 */
export class BoxPolicyAgent implements BoxBacktestAgent {
  readonly actionType = 'box';
  /** Set for a sandboxed policy: the bar loop moves the session to REDUCING when it was stopped. */
  readonly takeFault?: () => string | null;
  constructor(
    readonly label: string,
    private readonly policy: Agent,
    /** −1 (long-short) or 0 (long-only), the env's `boxRange`. */
    readonly boxLow: number,
    private readonly firstBar = 0,
  ) {
    const takeFault = faultSource(policy);
    if (takeFault !== undefined) this.takeFault = takeFault;
  }
  reset(): void {
    this.policy.reset();
  }
  target(ctx: DecisionContext): number {
    const current = (): number => (ctx.equity > 0 ? (ctx.positionQty * ctx.bars.close[ctx.t]) / ctx.equity : 0);
    if (ctx.t < this.firstBar) return current();
    if (ctx.obs === null) throw new Error(`agent ${this.label}: needs observations (give the runner an observe function)`);
    const a = this.policy.act(ctx.obs, null, { deterministic: true });
    if (typeof a === 'number') throw new TypeError(`agent ${this.label}: expected a target position (a Box action), got the discrete action ${a}`);
    // A sandboxed policy with no answer (late, or stopped) holds: its target is the position it has.
    if (a.length === 0) return current();
    if (a.length !== 1) throw new TypeError(`agent ${this.label}: expected a target position of 1 value, got ${a.length}`);
    return a[0];
  }
}

/**
 * An observation writer for the runner: bar t of the backtest is row `rowOffset + t` of `features`.
 * `firstBar` is the first backtest bar whose whole window lies after the feature warm-up; before it the
 * observation is all zeros and a PolicyAgent given `firstBar` holds.
 */
export function envObservation(
  features: FeatureMatrix,
  rowOffset: number,
  windowSize: number,
): { obsDim: number; firstBar: number; observe: (t: number, ledger: Ledger, out: Float32Array) => void } {
  if (!Number.isInteger(rowOffset) || rowOffset < 0 || rowOffset >= features.length) {
    throw new RangeError(`rowOffset: must be a row of the features [0, ${features.length}), got ${rowOffset}`);
  }
  const firstBar = Math.max(0, features.warmup + windowSize - 1 - rowOffset);
  return {
    obsDim: observationSize(windowSize, features.nFeatures),
    firstBar,
    observe: (t, ledger, out) => {
      if (t < firstBar) {
        out.fill(0);
        return;
      }
      writeObservation(out, 0, features, rowOffset + t, windowSize, ledger);
    },
  };
}
