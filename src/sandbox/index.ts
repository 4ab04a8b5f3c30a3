/** The sandbox's public face: isolated agents (tiers 0-3, one narrow channel, a warm pool) and risk-chosen tiers. */
export { type SandboxTier, SANDBOX_TIERS, TIER_DESCRIPTIONS, parseTier } from './tiers.js';
export { type SandboxLimits, type SandboxLimitsInput, sandboxLimitsSchema, parseSandboxLimits } from './limits.js';
export { type SandboxFaultKind, SANDBOX_FAULT_KINDS } from './protocol.js';
export {
  type AgentModuleSpec,
  type AgentSandbox,
  type Decision,
  type SandboxFault,
  type SandboxOptions,
  createAgentSandbox,
  currentRelayThread,
} from './agent-sandbox.js';
export { SandboxUnavailableError } from './sandbox-command.js';
export { FrameError, FrameReader, encodeFrame } from './frame-codec.js';
export {
  type CodeOrigin,
  type TradingMode,
  type AgentPermission,
  type RiskInputs,
  type TierChoice,
  CODE_ORIGINS,
  TRADING_MODES,
  riskFloor,
  chooseTier,
  isSignedByTrustedKey,
} from './risk-score.js';
export { SANDBOX_OBSERVATION_FIELDS, SandboxedBacktestAgent, isModuleAgentSpec } from './sandboxed-agent.js';
export {
  type SandboxedBacktestOptions,
  type CheckpointTierOptions,
  checkpointTier,
  loadTrustedKeys,
  openSandboxedBacktestAgent,
} from './backtest-agent.js';
export { type SandboxedPolicyOptions, SandboxedPolicy } from './sandboxed-policy.js';
export { type PoolOptions, SandboxPool } from './pool.js';
export { benchSandbox } from './bench.js';
