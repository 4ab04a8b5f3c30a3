export {
  type TradingState,
  type Scope,
  type StateRecord,
  type StateChange,
  type StoreHealth,
  type StoreEpoch,
  type TradingStateView,
  TRADING_STATES,
  strictness,
  stricterOf,
  isTradingState,
  parseScope,
} from './trading-state.js';
export { type RejectCode, type RejectDetail, type Rejection, REJECT_REASONS, renderRejection } from './reasons.js';
export {
  type GatekeeperConfig,
  type GatekeeperConfigInput,
  type InstrumentLimits,
  gatekeeperConfigSchema,
  parseGatekeeperConfig,
  limitsFor,
} from './config.js';
export { type TrustedPrice, type AccountRisk, type RiskContext, type OrderIntent, type CallerIdentity, PortfolioContext } from './context.js';
export { StateCache, type StateListener } from './state-cache.js';
export { type TradingStateStore, type SetOptions, type StoreSnapshot, RestoreConflictError } from './state-store.js';
export { type RestoreRequest, type RestoreOutcome, mergeForRestore, restoreTradingStates } from './state-restore.js';
export { MemoryStateStore } from './memory-state-store.js';
export { type RedisStateStoreOptions, RedisStateStore, redactRedisUrl } from './redis-state-store.js';
export { type CheckResult, type GatekeeperOptions, RiskGatekeeper, errorText } from './gatekeeper.js';
export {
  type KillMode,
  type ResumeTarget,
  assertKillTightens,
  assertResumeLoosens,
  type KillSwitchVenue,
  type VenuePosition,
  type VenueOpenOrder,
  type KillSwitchOptions,
  KillSwitch,
  inScope,
  operatorChange,
} from './kill-switch.js';
export {
  type OperatorChangeOptions,
  UnauditedStateChangeError,
  applyOperatorChange,
  isTightening,
} from './operator-change.js';
export {
  type ReplayableEvent,
  STATE_CHANGED,
  STATE_CHANGE_FAILED,
  STATE_CHANGE_REQUESTED,
  STATE_RESTORED,
  STATE_RESTORE_FAILED,
  type ReplayOptions,
  replayTradingStates,
  stateChangePayload,
} from './state-replay.js';
export { benchGatekeeper, benchKillswitch } from './bench.js';
export { type BenchRedis, startBenchRedis } from './bench-redis.js';
