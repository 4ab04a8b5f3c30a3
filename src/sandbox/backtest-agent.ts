/**
 * `bulwark backtest --agent strategy.mjs [--tier N]`: the tier comes from the risk score (origin, a signature
 * by a trusted key, mode backtest); `--tier` may raise it, never lower it below the floor.
 */
import { readdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { KeyObject } from 'node:crypto';
import type { LoadedPolicy } from '../agents/index.js';
import { type PolicyRunner, parseAgentParams } from '../backtests/index.js';
import { loadPublicKey } from '../security/index.js';
import type { SandboxLimits } from './limits.js';
import { type CodeOrigin, type TierChoice, type TradingMode, chooseTier, isSignedByTrustedKey } from './risk-score.js';
import { SandboxedBacktestAgent } from './sandboxed-agent.js';
import { SandboxedPolicy } from './sandboxed-policy.js';
import type { SandboxTier } from './tiers.js';

/** Public keys (`*.pub.pem`) in `dir`; an unreadable key is an error naming the file. */
export function loadTrustedKeys(dir: string | undefined): KeyObject[] {
  if (dir === undefined) return [];
  let names: string[];
  try {
    names = readdirSync(dir).filter((n) => n.endsWith('.pub.pem'));
  } catch {
    throw new Error(`--trusted-keys ${dir}: not a readable directory`);
  }
  return names.map((n) => {
    try {
      return loadPublicKey(join(dir, n));
    } catch (err) {
      throw new Error(`--trusted-keys ${join(dir, n)}: ${err instanceof Error ? err.message : String(err)}`);
    }
  });
}

export interface SandboxedBacktestOptions {
  readonly spec: string;
  readonly requestedTier?: SandboxTier;
  readonly origin: CodeOrigin;
  readonly trustedKeysDir?: string;
  readonly limits: SandboxLimits;
  readonly seed: number;
  /** What the agent trades in (default backtest): paper and live raise the risk score. */
  readonly mode?: TradingMode;
  readonly agentId?: string;
}

export async function openSandboxedBacktestAgent(
  options: SandboxedBacktestOptions,
): Promise<{ agent: SandboxedBacktestAgent; choice: TierChoice; signed: boolean }> {
  const file = resolve(parseAgentParams(options.spec).name);
  const signed = isSignedByTrustedKey(file, loadTrustedKeys(options.trustedKeysDir));
  const choice = chooseTier({ origin: options.origin, signedByTrustedKey: signed, permissions: [], mode: options.mode ?? 'backtest' }, options.requestedTier);
  const agent = await SandboxedBacktestAgent.open(
    { spec: options.spec, tier: choice.tier, limits: options.limits, ...(options.agentId === undefined ? {} : { agentId: options.agentId }) },
    options.seed,
  );
  return { agent, choice, signed };
}

export interface CheckpointTierOptions {
  /** The checkpoint file or run directory, as given to --agent. */
  readonly spec: string;
  readonly requestedTier?: SandboxTier;
  readonly origin: CodeOrigin;
  readonly trustedKeysDir?: string;
  readonly limits: SandboxLimits;
  readonly mode: TradingMode;
  readonly agentId?: string;
}

/**
 * The tier of a policy checkpoint (its file signed by a trusted key as `FILE.sig` lowers the score) and, above
 * tier 0, the runner that opens its policy in that sandbox; `policy` is the opened one (to audit and close).
 */
export async function checkpointTier(options: CheckpointTierOptions): Promise<{
  choice: TierChoice;
  signed: boolean;
  runner: (PolicyRunner & { readonly policy: SandboxedPolicy | null }) | null;
}> {
  // agents/ (and TensorFlow.js behind it) loads only when a checkpoint is run.
  const { resolveCheckpointPath } = await import('../agents/index.js');
  const file = resolve(await resolveCheckpointPath(options.spec, '--agent'));
  const signed = isSignedByTrustedKey(file, loadTrustedKeys(options.trustedKeysDir));
  const choice = chooseTier({ origin: options.origin, signedByTrustedKey: signed, permissions: [], mode: options.mode }, options.requestedTier);
  if (choice.tier === 0) return { choice, signed, runner: null };
  const tier = choice.tier;
  const runner: PolicyRunner & { policy: SandboxedPolicy | null } = {
    policy: null,
    async open(loaded: LoadedPolicy): Promise<SandboxedPolicy> {
      runner.policy = await SandboxedPolicy.open(loaded, { tier, limits: options.limits, ...(options.agentId === undefined ? {} : { agentId: options.agentId }) });
      return runner.policy;
    },
  };
  return { choice, signed, runner };
}
