export { Rng, type RngState } from './rng.js';
export { type Clock, systemClock, FakeClock, MS_PER_DAY, utcDayIndex } from './clock.js';
export {
  roundToTick,
  ceilToTick,
  floorToTick,
  floorToLot,
  isMultipleOf,
  decimalsOf,
  bpsToFraction,
} from './precision.js';
export { type Instrument, type InstrumentKind, defineInstrument, withTradingSession } from './instrument.js';
export {
  type TradingSession,
  UTC_SESSION,
  TradingDayCalendar,
  tradingDayIndex,
  parseTradingSession,
  isUtcSession,
  describeTradingSession,
  sameTradingDay,
  trainingDayWarning,
} from './trading-day.js';
export {
  type Bars,
  type BarRecord,
  allocateBars,
  barsFromRecords,
  barAt,
  setBar,
  copyBar,
  sliceBars,
  copyBars,
  barIntervalMs,
  barsPerYear,
} from './bars.js';
export { type Calendar, type CalendarBasis, inferCalendar, elapsedYears, WEEKDAY_SESSIONS_PER_YEAR } from './calendar.js';
export { type Side, type OrderType, type TimeInForce, type Liquidity, type Order, type Fill, sideSign } from './order.js';
export { type AccountSnapshot, Ledger } from './ledger.js';
export { type Position, positionValue, unrealisedPnl } from './position.js';
export {
  type ActionKind,
  type ActionSpec,
  DEFAULT_ACTIONS,
  HOLD_ACTION,
  targetLevelActions,
  validateActionSet,
  actionOrderQty,
  targetOrderQty,
} from './actions.js';
export { type DefinedFields, definedFields } from './defined-fields.js';
export { siblingModuleArgs } from './sibling-module.js';
export { type FractionBounds, fractionSchema, unitMistakeMessage } from './fraction.js';
export { type ValidationIssue, ValidationError, describeValue, parseWithSchema, requireNonEmptyDocument } from './validation.js';
export {
  RULE_IDS,
  type RuleId,
  RULE_REASONS,
  GATEKEEPER_REASONS,
  type GatekeeperCode,
  VENUE_REJECT_REASONS,
  type VenueRejectCode,
  VENUE_CANCEL_REASONS,
  type VenueCancelCode,
  NO_ORDER_REASONS,
  type NoOrderCode,
  RECONCILE_REASONS,
  type ReconcileCode,
  REASONS,
  type ReasonCode,
  type ReasonFields,
  isReasonCode,
  describeReason,
  renderReason,
} from './reasons.js';
