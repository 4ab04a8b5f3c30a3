/**
 * Box (target-position) decisions in a backtest, judged and sized as the trading env judges and sizes a Box
 * action, so that a policy trades as it did in training:
 *
 *   target proposed → (with rules) the Constraint Logic Engine's allowed interval [lo, hi]: inside (within
 *   TARGET_TOLERANCE) it passes, outside it is clipped onto the interval (the env's lenient projection, what the
 *   trainer executes too) and the clip is recorded with the rules setting the end it passed; a clipped target
 *   equal to the current position keeps the position (no order) → the target clipped to the Box range and
 *   sized by `targetOrderQty`, the env's own sizing: target × equity / close − position.
 *
 * Nothing here allocates per bar (the agent may).
 */
import { targetOrderQty } from '../core/index.js';
import {
  type CompiledRules,
  type ConstraintState,
  RULE_IDS,
  projectTargetOnto,
  targetBreachBits,
  targetWithin,
  writeTargetInterval,
} from '../constraints/index.js';
import { type DecisionLog, type TargetLog, countRuleBits } from './decision-log.js';
import type { BoxBacktestAgent, DecisionContext } from './rule-agents.js';

export class BoxTargets {
  /** Clipped targets per rule id (RULE_IDS order): each rule setting the end a clipped target passed. */
  readonly clipCounts = new Uint32Array(RULE_IDS.length);
  private readonly interval = new Float64Array(2);
  private readonly reasonBits = new Uint32Array(2);
  private readonly log: TargetLog;
  private readonly low: number;

  constructor(
    private readonly agent: BoxBacktestAgent,
    /** The engine's rules; null: targets are bounded by the Box range only. */
    private readonly compiled: CompiledRules | null,
    private readonly decisions: DecisionLog,
  ) {
    if (agent.boxLow !== -1 && agent.boxLow !== 0) {
      throw new RangeError(`agent ${agent.label}: boxLow must be -1 (long-short) or 0 (long-only), got ${agent.boxLow}`);
    }
    if (decisions.targets === null) throw new Error('decisions: a Box run needs the target columns (new DecisionLog(n, { targets: true }))');
    this.log = decisions.targets;
    this.low = agent.boxLow;
  }

  /**
   * The agent's order at bar t, in signed base units before lot rounding (0: none), with the target proposed,
   * the interval and the target executed written to the decision log. `state` must be synced with the account
   * and its locks updated when there are rules; `price` is the bar's close, the price the env sizes at.
   */
  order(t: number, ctx: DecisionContext, state: ConstraintState, price: number): number {
    const proposed = this.agent.target(ctx);
    if (!Number.isFinite(proposed)) {
      throw new RangeError(`agent ${this.agent.label}: target must be a finite share of equity, got ${proposed} at bar ${t}`);
    }
    const log = this.log;
    const low = this.low;
    log.proposed[t] = proposed;
    let target = proposed;
    if (this.compiled === null) {
      log.lo[t] = low;
      log.hi[t] = 1;
    } else {
      const iv = this.interval;
      const bits = this.reasonBits;
      const current = writeTargetInterval(state, this.compiled, iv, bits, 0);
      const lo = iv[0];
      const hi = iv[1];
      log.lo[t] = clamp(lo, low);
      log.hi[t] = clamp(hi, low);
      if (!targetWithin(proposed, lo, hi)) {
        const first = countRuleBits(targetBreachBits(proposed, lo, hi, bits[0], bits[1]), this.clipCounts);
        if (first !== null) this.decisions.maskRule[t] = this.decisions.strings.intern(first);
      }
      target = projectTargetOnto(proposed, lo, hi, current);
      if (target === current) {
        // The env steps without an order here (stepHold): no rounding-noise order for "keep the position".
        log.executed[t] = current;
        return 0;
      }
    }
    const executed = clamp(target, low);
    log.executed[t] = executed;
    return targetOrderQty(executed, low, ctx.positionQty, ctx.equity, price);
  }
}

/** Clips a share onto the Box range [low, 1]. */
function clamp(x: number, low: number): number {
  return x < low ? low : x > 1 ? 1 : x;
}
