/**
 * The engine as an env uses it: one state record per environment, kept in sync with the env's account
 * figures, locks updated on every sync, masks written in place (the batched form for N envs), and every
 * chosen action admitted against the mask it was chosen from. A masked action throws in `strict` mode
 * (the default) or becomes HOLD in `lenient` mode, counted as a violation. For a Box (target-position)
 * action the same holds for the allowed interval: a target outside it throws in `strict` mode or is projected
 * onto it in `lenient` mode. Nothing here allocates per step, except the error of a strict violation and the
 * events of a lock change.
 */
import { HOLD_ACTION } from '../core/index.js';
import { projectTargetOnto, targetBreachBits, targetWithin, writeTargetInterval } from './box.js';
import { type CompileOptions, type CompiledRules, compileRules } from './compile.js';
import { type LockListener, updateLocks } from './locks.js';
import { computeActionMasks, writeActionMask } from './mask.js';
import { type RuleId, ruleIdsFromBits } from './rule-ids.js';
import { parseRules } from './rules-schema.js';
import { type ConstraintState, createConstraintState } from './state.js';

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

/** The account figures an env keeps per environment (its own state record satisfies this). */
export interface AccountFigures {
  readonly equity: number;
  readonly peakEquity: number;
  readonly positionQty: number;
  readonly price: number;
  readonly dayPnl: number;
  readonly tradesToday: number;
  readonly barsSinceLastTrade: number;
  readonly timeMs: number;
}

/** A masked action sent to `step` in strict mode. */
export class MaskedActionError extends Error {
  readonly code = 'ACTION_MASKED';
  constructor(
    readonly action: number,
    readonly actionName: string,
    readonly reasons: readonly RuleId[],
  ) {
    super(`action ${action} (${actionName}) is masked: ${reasons.join(', ')}`);
    this.name = 'MaskedActionError';
  }
}

/** A Box target outside the allowed interval sent to `step` in strict mode. */
export class TargetOutsideIntervalError extends Error {
  readonly code = 'TARGET_OUTSIDE_INTERVAL';
  constructor(
    readonly proposed: number,
    readonly lo: number,
    readonly hi: number,
    readonly reasons: readonly RuleId[],
  ) {
    super(
      `target ${fmt(proposed)} is outside the allowed interval [${fmt(lo)}, ${fmt(hi)}]: ` +
        (reasons.length > 0 ? reasons.join(', ') : 'no rule id'),
    );
    this.name = 'TargetOutsideIntervalError';
  }
}

/** Enough digits to tell a proposal from an end it misses by more than TARGET_TOLERANCE. */
const fmt = (x: number): string => (Number.isFinite(x) ? String(Number(x.toPrecision(8))) : String(x));

export class ConstraintGuard {
  readonly compiled: CompiledRules;
  readonly mode: ConstraintMode;
  readonly numEnvs: number;
  readonly states: readonly ConstraintState[];
  /** [numEnvs × nActions] bits of the rules masking each action, from the last mask written. */
  readonly reasonBits: Uint32Array;
  /** Masked actions replaced by HOLD per env (lenient mode), since its last reset. */
  readonly violations: Int32Array;
  /** The masked action replaced at each env's last step, or −1. */
  readonly lastViolation: Int32Array;
  /** [numEnvs × 2]: each env's allowed Box target interval [lo, hi] (shares of equity), from the last write. */
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
  private readonly onLockEvent: LockListener | undefined;

  constructor(option: ConstraintsOption, numEnvs: number, compileOptions: CompileOptions & { readonly symbol: string }) {
    const mode = option.mode ?? 'strict';
    if (mode !== 'strict' && mode !== 'lenient') throw new RangeError(`constraints.mode: must be strict or lenient, got ${String(mode)}`);
    this.mode = mode;
    this.compiled = compileRules(parseRules(option.rules, 'constraints.rules'), compileOptions);
    this.numEnvs = numEnvs;
    this.states = Array.from({ length: numEnvs }, () => createConstraintState({ symbol: compileOptions.symbol, equity: 0, price: 0 }));
    this.reasonBits = new Uint32Array(numEnvs * this.compiled.nActions);
    this.violations = new Int32Array(numEnvs);
    this.lastViolation = new Int32Array(numEnvs).fill(-1);
    this.targetIntervals = new Float64Array(numEnvs * 2);
    this.targetReasonBits = new Uint32Array(numEnvs * 2);
    this.currentTargets = new Float64Array(numEnvs);
    this.proposedTargets = new Float64Array(numEnvs).fill(Number.NaN);
    this.executedTargets = new Float64Array(numEnvs).fill(Number.NaN);
    this.targetViolationBits = new Uint32Array(numEnvs);
    this.onLockEvent = option.onLockEvent;
  }

  /** A new episode: a fresh account, so no locks and no violations. */
  resetEnv(i: number): void {
    const s = this.states[i];
    s.drawdownLocked = false;
    s.dailyLossLockDay = -1;
    this.violations[i] = 0;
    this.lastViolation[i] = -1;
    this.proposedTargets[i] = Number.NaN;
    this.executedTargets[i] = Number.NaN;
    this.targetViolationBits[i] = 0;
  }

  /** Copies env i's figures into its record and brings its locks up to date (emitting lock events). */
  syncEnv(i: number, f: AccountFigures): void {
    const s = this.states[i];
    s.equity = f.equity;
    s.peakEquity = f.peakEquity;
    s.positionQty = f.positionQty;
    s.price = f.price;
    s.dayPnl = f.dayPnl;
    s.tradesToday = f.tradesToday;
    s.barsSinceLastTrade = f.barsSinceLastTrade;
    s.timeMs = f.timeMs;
    updateLocks(s, this.compiled, this.onLockEvent);
  }

  /** Writes env i's mask into row i of `out` ([numEnvs × nActions]; for one env, the whole of it). */
  writeMask(i: number, out: Uint8Array): void {
    writeActionMask(this.states[i], this.compiled, out, i * this.compiled.nActions, this.reasonBits);
  }

  /** Writes every env's mask into `out` [numEnvs × nActions] with the batched form. */
  writeMasks(out: Uint8Array): void {
    computeActionMasks(this.states, this.compiled, out, this.reasonBits);
  }

  /**
   * The action env i executes for the chosen `action`, judged against the last mask written for it.
   * Out-of-range actions are returned unchanged for the env to reject.
   */
  admit(i: number, action: number): number {
    const n = this.compiled.nActions;
    this.lastViolation[i] = -1;
    if (!(Number.isInteger(action) && action >= 0 && action < n)) return action;
    const bits = this.reasonBits[i * n + action];
    if (bits === 0) return action;
    if (this.mode === 'strict') throw new MaskedActionError(action, this.compiled.actions[action].name, ruleIdsFromBits(bits));
    this.violations[i]++;
    this.lastViolation[i] = action;
    return HOLD_ACTION;
  }

  /** Writes env i's allowed target interval into row i of `targetIntervals` / `targetReasonBits`. */
  writeTargetInterval(i: number): void {
    this.currentTargets[i] = writeTargetInterval(this.states[i], this.compiled, this.targetIntervals, this.targetReasonBits, 2 * i);
  }

  /**
   * The target env i executes for the proposed one, judged against the last interval written for it.
   * Inside (within TARGET_TOLERANCE): the proposal, snapped onto the interval. Outside (or not finite): strict
   * mode throws; lenient mode returns its projection and counts a violation. The current position share
   * (`currentTargets[i]`) means: keep the position as it is.
   */
  admitTarget(i: number, proposed: number): number {
    const lo = this.targetIntervals[2 * i];
    const hi = this.targetIntervals[2 * i + 1];
    const current = this.currentTargets[i];
    let bits = 0;
    let executed: number;
    if (targetWithin(proposed, lo, hi)) {
      executed = proposed < lo ? lo : proposed > hi ? hi : proposed;
    } else {
      bits = targetBreachBits(proposed, lo, hi, this.targetReasonBits[2 * i], this.targetReasonBits[2 * i + 1]);
      if (this.mode === 'strict') throw new TargetOutsideIntervalError(proposed, lo, hi, ruleIdsFromBits(bits));
      this.violations[i]++;
      executed = projectTargetOnto(proposed, lo, hi, current);
    }
    this.proposedTargets[i] = proposed;
    this.executedTargets[i] = executed;
    this.targetViolationBits[i] = bits;
    return executed;
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
