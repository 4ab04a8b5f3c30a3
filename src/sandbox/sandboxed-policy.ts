/**
 * A policy checkpoint run in a sandbox tier: the sandbox gets the checkpoint's directory read-only as its
 * workspace and runs the project's checkpoint agent module (agents/checkpoint-policy-agent.ts, the same forward
 * pass as the in-process CpuPolicy, no TensorFlow.js), so tiers 1-3 decide exactly as tier 0 does. Seen from
 * the backtest (or paper session) it is a policy like any other: `act(obs, mask)` gives the deterministic
 * action, or for a Box policy its target position. A late answer is HOLD (a Box policy: no answer, an empty
 * target, which its agent turns into holding the current position), and a stopped agent is audited and
 * reported once through `takeFault`.
 */
import { basename, dirname, resolve } from 'node:path';
import type { ActOptions, Agent, LoadedPolicy } from '../agents/index.js';
import { CHECKPOINT_AGENT_MODULE } from './host-files.js';
import type { SandboxLimits } from './limits.js';
import { SupervisedAgent, SupervisedSandbox } from './supervised.js';
import type { SandboxTier } from './tiers.js';

export interface SandboxedPolicyOptions {
  readonly tier: SandboxTier;
  readonly limits: SandboxLimits;
  readonly agentId?: string;
}

const NO_TARGET = new Float32Array(0);

export class SandboxedPolicy extends SupervisedAgent implements Agent {
  readonly name: string;
  private readonly allAllowed: Uint8Array;
  private readonly box: boolean;

  private constructor(loaded: Pick<LoadedPolicy, 'env' | 'algorithm'>, supervised: SupervisedSandbox) {
    super(supervised);
    this.name = `${loaded.algorithm} (tier ${supervised.tier})`;
    this.box = loaded.env.actionType === 'box';
    // A policy that ignores masks still answers over the channel, which checks the action against a mask.
    this.allAllowed = new Uint8Array(this.box ? 1 : loaded.env.actions.length).fill(1);
  }

  /** Starts the sandbox and loads the checkpoint in it; throws (and frees the sandbox) if it does not load. */
  static async open(loaded: Pick<LoadedPolicy, 'path' | 'env' | 'algorithm'>, options: SandboxedPolicyOptions): Promise<SandboxedPolicy> {
    const supervised = new SupervisedSandbox(options.tier, { limits: options.limits, holdAction: 0 }, options.agentId ?? 'backtest');
    const path = resolve(loaded.path);
    const env = loaded.env;
    try {
      await supervised.sandbox.open({
        workspaceDir: dirname(path),
        moduleFile: basename(path),
        hostModule: CHECKPOINT_AGENT_MODULE,
        spec: { checkpoint: basename(path), useMask: env.useMask, ...(env.actionType === 'box' ? { boxLow: env.env.boxRange === 'long-only' ? 0 : -1 } : {}) },
      });
    } catch (err) {
      await supervised.close();
      throw err;
    }
    return new SandboxedPolicy(loaded, supervised);
  }

  reset(): void {
    // Deterministic inference keeps no state between decisions.
  }

  act(obs: Float32Array, mask?: Uint8Array | null, _options?: ActOptions): number | Float32Array {
    const d = this.supervised.sandbox.decide(obs, mask ?? this.allAllowed);
    if (!this.box) return d.action;
    return d.late || d.target === undefined ? NO_TARGET : Float32Array.of(d.target);
  }
}
