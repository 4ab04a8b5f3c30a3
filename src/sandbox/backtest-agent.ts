/**
 * `bulwark backtest --agent strategy.mjs [--tier N]`: the tier comes from the risk score (origin, a signature
 * by a trusted key, mode backtest); `--tier` may raise it, never lower it below the floor.
 */
import { readdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { KeyObject } from 'node:crypto';
import { parseAgentParams } from '../backtests/index.js';
import { loadPublicKey } from '../security/index.js';
import type { SandboxLimits } from './limits.js';
import { type CodeOrigin, type TierChoice, chooseTier, isSignedByTrustedKey } from './risk-score.js';
import { SandboxedBacktestAgent } from './sandboxed-agent.js';
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
}

export async function openSandboxedBacktestAgent(
  options: SandboxedBacktestOptions,
): Promise<{ agent: SandboxedBacktestAgent; choice: TierChoice; signed: boolean }> {
  const file = resolve(parseAgentParams(options.spec).name);
  const signed = isSignedByTrustedKey(file, loadTrustedKeys(options.trustedKeysDir));
  const choice = chooseTier({ origin: options.origin, signedByTrustedKey: signed, permissions: [], mode: 'backtest' }, options.requestedTier);
  const agent = await SandboxedBacktestAgent.open({ spec: options.spec, tier: choice.tier, limits: options.limits }, options.seed);
  return { agent, choice, signed };
}
