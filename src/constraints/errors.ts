/**
 * The errors a strict consumer of the engine throws when an agent proposes what the engine forbids: a masked
 * discrete action, or a Box target outside the allowed interval. Each names the rules.
 */
import type { RuleId } from './rule-ids.js';

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
