/**
 * The engine as an env applies it to an agent: strict mode throws on a masked action (or a Box target outside
 * the allowed interval) before any env steps; lenient mode lets the chain mask it (no order) or project it,
 * counting a violation. The masks and intervals themselves are written by each env's `DecisionChain` into the
 * buffers here (rows of one batch), so the engine runs once per env per step and exactly as in a backtest.
 */
import {
  type CompiledRules,
  type LockListener,
  MaskedActionError,
  type RuleId,
  TargetOutsideIntervalError,
  parseRules,
  ruleIdsFromBits,
  targetBreachBits,
  targetWithin,
} from '../constraints/index.js';
import { compileChainRules } from '../execution/index.js';
import type { TradingEnvConfig } from './config.js';
import type { TradingDataset } from './dataset.js';

export type ConstraintMode = 'strict' | 'lenient';

/** The `constraints` option of the envs. */
export interface ConstraintsOption {
  /** A rule set document (validated here) or an already parsed one. */
  readonly rules: unknown;
  /** `strict` (default): a masked action is an error. `lenient`: it becomes HOLD and counts as a violation. */
  readonly mode?: ConstraintMode;
  /** Receives lock engaged / cleared events (e.g. `auditLockListener(sink)`). */
  readonly onLockEvent?: LockListener;
}

export class ConstraintGuard {
  readonly compiled: CompiledRules;
  readonly mode: ConstraintMode;
  readonly numEnvs: number;
  readonly onLockEvent: LockListener | undefined;
  /** [numEnvs × nActions] bits of the rules masking each action, as each env's chain last wrote them. */
  readonly reasonBits: Uint32Array;
  /** Masked actions (lenient: sent as no order) or projected Box targets per env since its last reset. */
  readonly violations: Int32Array;
  /** The masked action proposed at each env's last step, or −1. */
  readonly lastViolation: Int32Array;
  /** [numEnvs × 2]: each env's allowed Box target interval [lo, hi] (shares of equity). */
  readonly targetIntervals: Float64Array;
  /** [numEnvs × 2]: bits (`RULE_BIT`) of the rules setting lo and hi. */
  readonly targetReasonBits: Uint32Array;
  /** Each env's position share at the last interval write (inside its interval). */
  readonly currentTargets: Float64Array;
  /** Per env at its last Box step: the target proposed and the one let through (NaN before the first). */
  readonly proposedTargets: Float64Array;
  readonly executedTargets: Float64Array;
  /** Per env at its last Box step: bits of the rules the proposal broke (lenient mode), 0 when none. */
  readonly targetViolationBits: Uint32Array;

  constructor(option: ConstraintsOption, numEnvs: number, config: TradingEnvConfig, dataset: TradingDataset) {
    const mode = option.mode ?? 'strict';
    if (mode !== 'strict' && mode !== 'lenient') throw new RangeError(`constraints.mode: must be strict or lenient, got ${String(mode)}`);
    this.mode = mode;
    this.compiled = compileChainRules(parseRules(option.rules, 'constraints.rules'), {
      actions: config.actionList,
      fill: config.fill,
      instrument: dataset.instrument,
    });
    this.numEnvs = numEnvs;
    this.onLockEvent = option.onLockEvent;
    this.reasonBits = new Uint32Array(numEnvs * this.compiled.nActions);
    this.violations = new Int32Array(numEnvs);
    this.lastViolation = new Int32Array(numEnvs).fill(-1);
    this.targetIntervals = new Float64Array(numEnvs * 2);
    this.targetReasonBits = new Uint32Array(numEnvs * 2);
    this.currentTargets = new Float64Array(numEnvs);
    this.proposedTargets = new Float64Array(numEnvs).fill(Number.NaN);
    this.executedTargets = new Float64Array(numEnvs).fill(Number.NaN);
    this.targetViolationBits = new Uint32Array(numEnvs);
  }

  /** A new episode: no violations (the account, and with it the locks, is reset by the env's chain). */
  resetEnv(i: number): void {
    this.violations[i] = 0;
    this.lastViolation[i] = -1;
    this.proposedTargets[i] = Number.NaN;
    this.executedTargets[i] = Number.NaN;
    this.targetViolationBits[i] = 0;
  }

  /**
   * Judges the chosen `action` of env i against its last mask: strict mode throws on a masked one; lenient mode
   * counts it (the chain then sends no order). Out-of-range actions are left for the env to reject.
   */
  admit(i: number, action: number): void {
    const n = this.compiled.nActions;
    this.lastViolation[i] = -1;
    if (!(Number.isInteger(action) && action >= 0 && action < n)) return;
    const bits = this.reasonBits[i * n + action];
    if (bits === 0) return;
    if (this.mode === 'strict') throw new MaskedActionError(action, this.compiled.actions[action].name, ruleIdsFromBits(bits));
    this.violations[i]++;
    this.lastViolation[i] = action;
  }

  /**
   * Judges a proposed Box target of env i against its last interval: strict mode throws when it is outside
   * (beyond TARGET_TOLERANCE, or not finite); lenient mode counts it (the chain projects it onto the interval).
   */
  admitTarget(i: number, proposed: number): void {
    const lo = this.targetIntervals[2 * i];
    const hi = this.targetIntervals[2 * i + 1];
    let bits = 0;
    if (!targetWithin(proposed, lo, hi)) {
      bits = targetBreachBits(proposed, lo, hi, this.targetReasonBits[2 * i], this.targetReasonBits[2 * i + 1]);
      if (this.mode === 'strict') throw new TargetOutsideIntervalError(proposed, lo, hi, ruleIdsFromBits(bits));
      this.violations[i]++;
    }
    this.targetViolationBits[i] = bits;
  }

  /** Records what env i's chain did with its last Box proposal. */
  recordTarget(i: number, proposed: number, executed: number): void {
    this.proposedTargets[i] = proposed;
    this.executedTargets[i] = executed;
  }

  /** The rules setting each end of env i's last interval. */
  targetReasonsOf(i: number): { lo: RuleId[]; hi: RuleId[] } {
    return { lo: ruleIdsFromBits(this.targetReasonBits[2 * i]), hi: ruleIdsFromBits(this.targetReasonBits[2 * i + 1]) };
  }

  /** The rules masking `action` for env i at its last mask. */
  reasonsOf(i: number, action: number): RuleId[] {
    return ruleIdsFromBits(this.reasonBits[i * this.compiled.nActions + action]);
  }
}
