/**
 * Configuration of the bar-based fill model, validated at the boundary, and its compiled form: the
 * fractions and rounding factors the hot path needs, computed once so that a fill is a few float ops.
 */
import { z } from 'zod';
import { type Instrument, decimalsOf, parseWithSchema } from '../core/index.js';

/**
 * How the price impact grows with the order's share of the bar's volume (participation p = qty / volume):
 * - `sqrt`: impactBps × √p, the square-root law of market impact (Almgren et al. 2005; Tóth et al. 2011).
 * - `linear`: impactBps × p, Kyle's linear impact.
 */
export type ImpactModel = 'sqrt' | 'linear';

// The bounds keep a seller's price positive: half spread + slippage + impact stays below 30 % of the price.
export const simFillConfigSchema = z
  .object({
    /** Full quoted spread in bps of the price; a taker pays half of it. */
    spreadBps: z.number().min(0).max(2_000).default(2),
    /** Fixed slippage in bps, paid by every taker fill on top of half the spread. */
    slippageBps: z.number().min(0).max(1_000).default(1),
    /** Impact coefficient in bps, scaled by the participation (see `ImpactModel`). */
    impactBps: z.number().min(0).max(1_000).default(10),
    impactModel: z.enum(['sqrt', 'linear']).default('sqrt'),
    /** Fee in bps of notional for fills that rested on the book (limit orders filled at their price). */
    makerFeeBps: z.number().min(-100).max(1_000).default(2),
    /** Fee in bps of notional for fills that took liquidity (market orders, limits marketable at the open). */
    takerFeeBps: z.number().min(0).max(1_000).default(5),
    /** Largest share of a bar's volume one order may take; the rest is cancelled (IOC) or rests (GTC). */
    maxParticipation: z.number().gt(0).max(1).default(0.1),
  })
  .strict();

export type SimFillConfigInput = z.input<typeof simFillConfigSchema>;
export type SimFillConfig = z.output<typeof simFillConfigSchema>;

/**
 * The one set of fill defaults: the training env, the backtest, the paper session, the gateway desks and a bare
 * `SimVenue` all fill with these unless told otherwise, so a policy is judged under the costs it trained with.
 */
export const SIM_FILL_DEFAULTS: SimFillConfig = Object.freeze(simFillConfigSchema.parse({}));

export function parseSimFillConfig(input: unknown = {}, source = 'fill model config'): SimFillConfig {
  return parseWithSchema(simFillConfigSchema, input, source);
}

/** The fill model's numbers in the form the hot path uses. Build it with `compileSimFill`. */
export interface CompiledSimFill {
  readonly config: SimFillConfig;
  readonly halfSpreadFrac: number;
  readonly slippageFrac: number;
  readonly impactFrac: number;
  /** 1 for the square-root law, 0 for linear. */
  readonly impactSqrt: number;
  readonly makerFeeFrac: number;
  readonly takerFeeFrac: number;
  readonly maxParticipation: number;
  readonly tickSize: number;
  readonly lotSize: number;
  readonly minNotional: number;
  /** 10^decimals of the tick and lot: rounding snaps to these so that 0.1 + 0.2 stays 0.3. */
  readonly tickScale: number;
  readonly lotScale: number;
}

export function compileSimFill(config: SimFillConfig, instrument: Instrument): CompiledSimFill {
  return {
    config,
    halfSpreadFrac: config.spreadBps / 20_000,
    slippageFrac: config.slippageBps / 10_000,
    impactFrac: config.impactBps / 10_000,
    impactSqrt: config.impactModel === 'sqrt' ? 1 : 0,
    makerFeeFrac: config.makerFeeBps / 10_000,
    takerFeeFrac: config.takerFeeBps / 10_000,
    maxParticipation: config.maxParticipation,
    tickSize: instrument.tickSize,
    lotSize: instrument.lotSize,
    minNotional: instrument.minNotional,
    tickScale: 10 ** Math.min(decimalsOf(instrument.tickSize), 12),
    lotScale: 10 ** Math.min(decimalsOf(instrument.lotSize), 12),
  };
}
