/**
 * A JavaScript strategy as a backtest agent, run in a sandbox tier: `--agent strategy.mjs[:size=0.1,k=v]`.
 * The supervisor (this process) keeps the chain, the venue and the audit log; the agent sees one observation
 * row and the mask per bar and answers an index into HOLD, BUY, SELL, CLOSE_POSITION (sized by `size=` or
 * `qty=`, as the rule-based agents). A late answer is HOLD and counted. When the sandbox stops the agent, the
 * event is audited (`SANDBOX_AGENT_STOPPED`) and `takeFault` hands the bar loop the reason once, which moves
 * the session to REDUCING through the kill-switch; every later decision is HOLD.
 */
import { existsSync, statSync } from 'node:fs';
import { basename, dirname, resolve } from 'node:path';
import { type BacktestAgent, type DecisionContext, type Sizing, parseAgentParams, ruleActions } from '../backtests/index.js';
import type { ActionSpec } from '../core/index.js';
import type { SandboxLimits } from './limits.js';
import { SupervisedAgent, SupervisedSandbox } from './supervised.js';
import type { SandboxTier } from './tiers.js';

/** The observation row a sandboxed strategy receives, in this order, then the env features when the run has them. */
export const SANDBOX_OBSERVATION_FIELDS = ['t', 'time_ms', 'open', 'high', 'low', 'close', 'volume', 'position_qty', 'equity', 'cash'] as const;

/** Whether an `--agent` spec names a JavaScript module file (`x.mjs`, `x.js`, with optional `:k=v` params). */
export function isModuleAgentSpec(spec: string): boolean {
  return /\.(m?js)(:|$)/.test(spec);
}

export interface SandboxedAgentOptions {
  readonly spec: string;
  readonly tier: SandboxTier;
  readonly limits: SandboxLimits;
  readonly agentId?: string;
}

function sizingOf(params: Record<string, number>, spec: string): Sizing {
  if (params.size !== undefined && params.qty !== undefined) throw new RangeError(`--agent ${spec}: give size= or qty=, not both`);
  if (params.qty !== undefined) {
    if (!(params.qty > 0)) throw new RangeError(`--agent ${spec}: qty: must be > 0, got ${params.qty}`);
    return { kind: 'qty', qty: params.qty };
  }
  const fraction = params.size ?? 0.1;
  if (!(fraction > 0 && fraction <= 1)) throw new RangeError(`--agent ${spec}: size: must be in (0, 1], got ${fraction}`);
  return { kind: 'fraction', fraction };
}

export class SandboxedBacktestAgent extends SupervisedAgent implements BacktestAgent {
  readonly actions: readonly ActionSpec[];
  private row: Float64Array = new Float64Array(0);

  private constructor(
    readonly label: string,
    readonly sizing: Sizing,
    supervised: SupervisedSandbox,
  ) {
    super(supervised);
    this.actions = ruleActions(sizing);
  }

  /** Starts the sandbox and the agent (its `init` receives the action names, the observation fields and the params). */
  static async open(options: SandboxedAgentOptions, seed: number): Promise<SandboxedBacktestAgent> {
    const { name: file, params } = parseAgentParams(options.spec);
    const path = resolve(file);
    if (!existsSync(path) || !statSync(path).isFile()) throw new Error(`--agent ${file}: file not found`);
    const sizing = sizingOf(params, options.spec);
    const agentParams = Object.fromEntries(Object.entries(params).filter(([k]) => k !== 'size' && k !== 'qty'));
    const supervised = new SupervisedSandbox(options.tier, { limits: options.limits, holdAction: 0 }, options.agentId ?? 'backtest');
    const agent = new SandboxedBacktestAgent(`${basename(file)} (tier ${options.tier})`, sizing, supervised);
    try {
      await supervised.sandbox.open({
        workspaceDir: dirname(path),
        moduleFile: basename(path),
        spec: { actions: agent.actions.map((a) => a.name), fields: SANDBOX_OBSERVATION_FIELDS, params: agentParams, seed },
      });
    } catch (err) {
      await supervised.close();
      throw err;
    }
    return agent;
  }

  reset(): void {
    // The agent's own state lives in the sandbox; its init already received the seed.
  }

  act(ctx: DecisionContext): number {
    const extra = ctx.obs?.length ?? 0;
    const width = SANDBOX_OBSERVATION_FIELDS.length + extra;
    if (this.row.length !== width) this.row = new Float64Array(width);
    const r = this.row;
    const b = ctx.bars;
    const t = ctx.t;
    r[0] = t;
    r[1] = b.time[t];
    r[2] = b.open[t];
    r[3] = b.high[t];
    r[4] = b.low[t];
    r[5] = b.close[t];
    r[6] = b.volume[t];
    r[7] = ctx.positionQty;
    r[8] = ctx.equity;
    r[9] = ctx.cash;
    if (ctx.obs !== null) r.set(ctx.obs, SANDBOX_OBSERVATION_FIELDS.length);
    return this.supervised.sandbox.decide(r, ctx.mask).action;
  }
}
