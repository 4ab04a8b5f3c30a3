/** Layer 2, the Constraint Logic Engine: a validated rule set compiled into an action mask with reasons. */
export { RULE_IDS, RULE_BIT, type RuleId, ruleIdsFromBits } from './rule-ids.js';
export {
  rulesSchema,
  type Rules,
  type RulesInput,
  type SessionWindow,
  type FillModelBound,
  type DrawdownBreachAction,
  DRAWDOWN_BREACH_ACTIONS,
  parseRules,
  parseRulesText,
  loadRulesFile,
} from './rules-schema.js';
export { worstCaseBoundFrac, simFillBoundFrac, worstCasePriceRange } from './fill-bound.js';
export {
  type ConstraintState,
  createConstraintState,
  syncStateFromAccount,
  parseConstraintState,
  loadStateFile,
  loadStateFileWithDefaults,
  defaultedStateFields,
  stateIsValid,
} from './state.js';
export { type CompiledRules, type CompileOptions, type DrawdownRelease, compileRules } from './compile.js';
export { type ActionMaskResult, computeActionMask, computeActionMasks, stateJudgeable, writeActionMask } from './mask.js';
export { actionShare, driftTrimTarget, exposureCap, exposureOverBits, overLimitBits } from './drift.js';
export {
  type TargetInterval,
  TARGET_TOLERANCE,
  allowedTargetInterval,
  holdsPosition,
  projectTarget,
  projectTargetOnto,
  targetBreachBits,
  targetWithin,
  writeTargetInterval,
} from './box.js';
export {
  type LockKind,
  type LockEvent,
  type LockEventType,
  type LockListener,
  auditLockListener,
  updateLocks,
  resetDrawdownLock,
  drawdownLockActive,
  dailyLossLockActive,
  stateDrawdown,
  stateDayLoss,
  drawdownReason,
  dailyLossReason,
} from './locks.js';
export { type ActionExplanation, type MaskExplanation, explainActionMask, formatExplanation } from './explain.js';
export { MaskedActionError, TargetOutsideIntervalError } from './errors.js';
export { benchMask } from './bench.js';
