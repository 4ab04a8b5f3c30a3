/**
 * The rule-based agents of `bulwark backtest --agent …`: buy-and-hold, sma-cross and random. They decide
 * at the close of bar t from bars [0, t] only; the runner sends the order, which fills at bar t+1's open.
 *
 * Sizing: `size=F` is an order worth F × cash in quote currency, filled as cash × F / fill price units at
 * whatever price it fills; `qty=Q` is a fixed quantity in base units.
 */
import { z } from 'zod';
import { type ActionSpec, type Bars, Rng, parseWithSchema } from '../core/index.js';
import type { Sizing } from '../execution/index.js';

export type { Sizing };

/** What an agent sees when it decides at the close of bar `t`. Buffers are reused: read, do not keep. */
export interface DecisionContext {
  readonly t: number;
  /** The whole series; an agent may read indices 0 … t only (the no-look-ahead specs check this). */
  readonly bars: Bars;
  readonly positionQty: number;
  readonly equity: number;
  readonly cash: number;
  /** 1 = allowed by the Constraint Logic Engine, per action (empty for a Box agent: it has no action list). */
  readonly mask: Uint8Array;
  /** The env's observation for this bar, for learned policies; null where the runner has none. */
  readonly obs: Float32Array | null;
}

export interface BacktestAgent {
  /** Display name, e.g. `sma-cross:fast=10,slow=30`. */
  readonly label: string;
  readonly actions: readonly ActionSpec[];
  /** How BUY and SELL orders are sized. */
  readonly sizing: Sizing;
  reset(seed: number): void;
  /** Index into `actions`. */
  act(ctx: DecisionContext): number;
  /**
   * A supervised (sandboxed) agent: why it was stopped, once, else null. The bar loop then moves the session
   * to REDUCING through the kill-switch (a runner without a gatekeeper gets the default one for this).
   */
  takeFault?(): string | null;
  /** Bars the agent watches before its first possible trade (e.g. the slow average of sma-cross); 0 when absent. */
  readonly warmupBars?: number;
}

/**
 * A target-position agent (a Box policy): at each decision it names the position it wants, as a share of
 * equity (signed position value / equity at the bar's close), instead of an action index. The runner judges
 * the target against the Constraint Logic Engine's allowed interval and sizes the order as the trading env
 * sizes a Box action.
 */
export interface BoxBacktestAgent {
  readonly actionType: 'box';
  readonly label: string;
  /** Lowest target of the agent's Box: −1 (long-short) or 0 (long-only); the highest is 1. */
  readonly boxLow: number;
  reset(seed: number): void;
  /** The target position share; must be a finite number. */
  target(ctx: DecisionContext): number;
  /** As BacktestAgent.takeFault: a supervised (sandboxed) agent's stop reason, once. */
  takeFault?(): string | null;
}

/** What the runner drives: an agent choosing from an action list, or one naming a target position. */
export type AnyBacktestAgent = BacktestAgent | BoxBacktestAgent;

export function isBoxAgent(agent: AnyBacktestAgent): agent is BoxBacktestAgent {
  return 'actionType' in agent && agent.actionType === 'box';
}

/** The action set of the rule-based agents. */
export const RULE_HOLD = 0;
export const RULE_BUY = 1;
export const RULE_SELL = 2;
export const RULE_CLOSE = 3;

export function ruleActions(sizing: Sizing): ActionSpec[] {
  // The fraction tells the Constraint Logic Engine roughly how big the order is; a fixed-qty agent's
  // share of equity is only known at the price, so the engine sees the full account as the bound.
  const fraction = sizing.kind === 'fraction' ? sizing.fraction : 1;
  if (sizing.kind === 'action') throw new RangeError('sizing: rule-based agents size by size= or qty=');
  return [
    { name: 'HOLD', kind: 'HOLD', fraction: 0 },
    { name: 'BUY', kind: 'BUY', fraction },
    { name: 'SELL', kind: 'SELL', fraction },
    { name: 'CLOSE_POSITION', kind: 'CLOSE_POSITION', fraction: 0 },
  ];
}

const sizingFields = {
  size: z.number().gt(0).max(1).optional(),
  qty: z.number().gt(0).optional(),
};

function sizingOf(p: { size?: number; qty?: number }, defaultFraction: number, source: string): Sizing {
  if (p.size !== undefined && p.qty !== undefined) {
    throw new RangeError(`${source}: give either size or qty, not both`);
  }
  if (p.qty !== undefined) return { kind: 'qty', qty: p.qty };
  return { kind: 'fraction', fraction: p.size ?? defaultFraction };
}

/** `,size=0.5` or `,qty=2` when the spec gave one: a label keeps every parameter (walk-forward windows show it). */
function sizingLabel(p: { size?: number; qty?: number }): string {
  if (p.qty !== undefined) return `,qty=${p.qty}`;
  return p.size === undefined ? '' : `,size=${p.size}`;
}

class BuyAndHold implements BacktestAgent {
  readonly actions: ActionSpec[];
  private entered = false;
  constructor(
    readonly label: string,
    readonly sizing: Sizing,
  ) {
    this.actions = ruleActions(sizing);
  }
  reset(): void {
    this.entered = false;
  }
  act(ctx: DecisionContext): number {
    if (ctx.positionQty !== 0) this.entered = true;
    // Decides on the first bar; asks again only while nothing has filled yet (e.g. a rejection).
    return this.entered ? RULE_HOLD : RULE_BUY;
  }
}

/** Long-only moving-average crossover, with running sums: O(1) per bar, no allocation. */
class SmaCross implements BacktestAgent {
  readonly actions: ActionSpec[];
  readonly warmupBars: number;
  private lastT = -2;
  private sumFast = 0;
  private sumSlow = 0;
  private prevDiff = Number.NaN;
  constructor(
    readonly label: string,
    readonly sizing: Sizing,
    private readonly fast: number,
    private readonly slow: number,
  ) {
    this.actions = ruleActions(sizing);
    this.warmupBars = slow;
  }
  reset(): void {
    this.lastT = -2;
    this.prevDiff = Number.NaN;
  }
  private rebuild(close: Float64Array, t: number): void {
    this.sumFast = 0;
    this.sumSlow = 0;
    for (let i = Math.max(0, t - this.slow + 1); i <= t; i++) {
      this.sumSlow += close[i];
      if (i > t - this.fast) this.sumFast += close[i];
    }
    this.prevDiff = Number.NaN;
    if (t >= this.slow) {
      let f = 0;
      let s = 0;
      for (let i = t - this.slow; i < t; i++) {
        s += close[i];
        if (i >= t - this.fast) f += close[i];
      }
      this.prevDiff = f / this.fast - s / this.slow;
    }
  }
  act(ctx: DecisionContext): number {
    const { t } = ctx;
    const close = ctx.bars.close;
    if (t === this.lastT + 1 && t > 0) {
      this.sumFast += close[t] - (t >= this.fast ? close[t - this.fast] : 0);
      this.sumSlow += close[t] - (t >= this.slow ? close[t - this.slow] : 0);
    } else {
      this.rebuild(close, t);
    }
    this.lastT = t;
    if (t < this.slow - 1) return RULE_HOLD;
    const diff = this.sumFast / this.fast - this.sumSlow / this.slow;
    const prev = this.prevDiff;
    this.prevDiff = diff;
    if (Number.isNaN(prev)) return RULE_HOLD;
    if (prev <= 0 && diff > 0 && ctx.positionQty === 0) return RULE_BUY;
    if (prev >= 0 && diff < 0 && ctx.positionQty > 0) return RULE_CLOSE;
    return RULE_HOLD;
  }
}

/** Trades with probability `p` per bar, picking BUY, SELL or CLOSE uniformly; seeded by the run. */
class RandomAgent implements BacktestAgent {
  readonly actions: ActionSpec[];
  private rng = new Rng(0);
  constructor(
    readonly label: string,
    readonly sizing: Sizing,
    private readonly p: number,
  ) {
    this.actions = ruleActions(sizing);
  }
  reset(seed: number): void {
    this.rng = new Rng(seed);
  }
  act(): number {
    if (this.rng.next() >= this.p) return RULE_HOLD;
    return 1 + this.rng.nextInt(3);
  }
}

const buyAndHoldSchema = z.object({ ...sizingFields }).strict();
const smaCrossSchema = z
  .object({ fast: z.number().int().min(1).default(10), slow: z.number().int().min(2).default(30), ...sizingFields })
  .strict()
  .refine((p) => p.fast < p.slow, { message: 'fast must be < slow', path: ['fast'] });
const randomSchema = z.object({ p: z.number().gt(0).max(1).default(0.05), ...sizingFields }).strict();

export const RULE_AGENT_NAMES = ['buy-and-hold', 'sma-cross', 'random'] as const;

/** Splits `name:k=v,k=v` into the name and numeric parameters. */
export function parseAgentParams(spec: string): { name: string; params: Record<string, number> } {
  const colon = spec.indexOf(':');
  const name = (colon < 0 ? spec : spec.slice(0, colon)).trim();
  const params: Record<string, number> = {};
  if (colon >= 0) {
    for (const part of spec.slice(colon + 1).split(',')) {
      if (part.trim() === '') continue;
      const eq = part.indexOf('=');
      const key = eq < 0 ? part.trim() : part.slice(0, eq).trim();
      const raw = eq < 0 ? '' : part.slice(eq + 1).trim();
      const value = Number(raw);
      if (eq < 0 || raw === '' || !Number.isFinite(value)) {
        throw new RangeError(`agent ${spec}: ${key}: must be key=number, got '${part.trim()}'`);
      }
      params[key] = value;
    }
  }
  return { name, params };
}

export function isRuleAgentSpec(spec: string): boolean {
  const name = spec.split(':')[0].trim();
  return (RULE_AGENT_NAMES as readonly string[]).includes(name);
}

/** Builds a rule-based agent from `buy-and-hold`, `sma-cross:fast=10,slow=30,size=0.5`, `random:p=0.1,qty=2`. */
export function createRuleAgent(spec: string): BacktestAgent {
  const { name, params } = parseAgentParams(spec);
  const source = `agent ${spec}`;
  switch (name) {
    case 'buy-and-hold': {
      const p = parseWithSchema(buyAndHoldSchema, params, source);
      return new BuyAndHold(spec, sizingOf(p, 1, source));
    }
    case 'sma-cross': {
      const p = parseWithSchema(smaCrossSchema, params, source);
      return new SmaCross(`sma-cross:fast=${p.fast},slow=${p.slow}${sizingLabel(p)}`, sizingOf(p, 1, source), p.fast, p.slow);
    }
    case 'random': {
      const p = parseWithSchema(randomSchema, params, source);
      return new RandomAgent(`random:p=${p.p}${sizingLabel(p)}`, sizingOf(p, 0.1, source), p.p);
    }
    default:
      throw new RangeError(`agent: unknown agent '${name}'; choose buy-and-hold, sma-cross[:fast=10,slow=30], random or a checkpoint path`);
  }
}
