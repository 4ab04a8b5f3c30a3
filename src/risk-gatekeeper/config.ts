/**
 * Gatekeeper configuration: every limit with its unit in its name and a default. Unknown fields are
 * rejected and every violation is reported at once (core `parseWithSchema`). `*Pct` fields are fractions
 * (0.05 = 5 %), as every `_pct`/`Pct` field is (core `fractionSchema`).
 */
import { z } from 'zod';
import { fractionSchema, parseWithSchema } from '../core/index.js';

const positive = z.number().positive().finite();

/** Configs written before the unit convention used percents in these fields; the error says so. */
const OLD_UNIT_NOTE = 'gatekeeper *Pct fields were percents before; they are fractions now, like the rules\' _pct';
/** A loss or price-distance limit as a fraction; 1 (100 %) is refused too: it never fires, and was 1 % before. */
const limitFraction = (of: string) => fractionSchema({ max: 1, maxInclusive: false, of, note: OLD_UNIT_NOTE });

/** Per-order and per-position limits of one instrument (units in the names). */
const limitFields = {
  /** Largest order, in base units. */
  maxOrderQty: positive,
  /** Largest order value, in quote currency. */
  maxOrderNotionalQuote: positive,
  /** Largest |position| after an order, in base units. */
  maxPositionQty: positive,
  /** Largest |position| value after an order, in quote currency. */
  maxPositionNotionalQuote: positive,
};

const instrumentLimitsSchema = z.strictObject({
  maxOrderQty: limitFields.maxOrderQty.default(1_000_000),
  maxOrderNotionalQuote: limitFields.maxOrderNotionalQuote.default(100_000),
  maxPositionQty: limitFields.maxPositionQty.default(1_000_000),
  maxPositionNotionalQuote: limitFields.maxPositionNotionalQuote.default(250_000),
});

/** Overrides carry no defaults: a field left out falls back to `limits`. */
const instrumentOverrideSchema = z.strictObject(limitFields).partial();

export const gatekeeperConfigSchema = z.strictObject({
  /** Limits applied to every instrument unless overridden below. */
  limits: instrumentLimitsSchema.prefault({}),
  /** Per-symbol overrides of `limits`. */
  instruments: z.record(z.string().min(1), instrumentOverrideSchema).default({}),
  /** Sum of |position| × trusted price over all instruments after an order, in quote currency. */
  maxGrossExposureQuote: positive.default(1_000_000),
  /** A limit price (or a market order's reference price) may differ this much from the trusted price (fraction). */
  collarPct: limitFraction('of the trusted price').default(0.05),
  /** A trusted price older than this is no price (NO_TRUSTED_PRICE). */
  maxPriceAgeSec: positive.default(60),
  /** An account snapshot older than this is no account (NO_ACCOUNT). */
  maxAccountAgeSec: positive.default(60),
  /**
   * A trusted price or account snapshot stamped more than this ahead of the gatekeeper's clock is refused
   * (NO_TRUSTED_PRICE, NO_ACCOUNT): clocks of feeds and hosts disagree a little, a future timestamp does not.
   */
  maxClockSkewMs: z.number().min(0).finite().default(1_000),
  maxOpenOrders: z.number().int().positive().default(50),
  /** Approved orders per agent per second. */
  maxOrdersPerSec: z.number().int().positive().default(5),
  /** Approved orders per agent per minute. */
  maxOrdersPerMin: z.number().int().positive().default(60),
  /** More actions (checks, approved or not) per agent per minute than this moves the agent to REDUCING. */
  circuitBreakerActionsPerMin: z.number().int().positive().default(100),
  /** A client order id is remembered this long for duplicate detection. */
  clientIdTtlSec: positive.default(86_400),
  /**
   * At most this many client order ids are remembered; the oldest are forgotten first. Its ring is held from the
   * start (about 16 bytes a slot before the ids), hence the ceiling: a mistyped 1e9 would fail at start-up.
   */
  clientIdCapacity: z.number().int().min(16).max(10_000_000, 'must be at most 10,000,000 (its memory is reserved at start)').default(100_000),
  /** An order identical to `maxRepeats` earlier ones within `repeatWindowSec` is refused (REPEATED_ORDER). */
  maxRepeats: z.number().int().positive().default(5),
  repeatWindowSec: positive.default(10),
  /** How many recent orders are compared for repeats (bounds the work per check). */
  repeatMemory: z.number().int().min(2).max(4096).default(128),
  /** Day loss (equity now vs. at the start of the trading day) at or beyond which the trigger fires (fraction of day start). */
  dailyLossLimitPct: limitFraction('of the day-start equity').default(0.05),
  /** State the daily loss trigger moves the global scope to. */
  dailyLossState: z.enum(['REDUCING', 'HALTED']).default('REDUCING'),
  /** Drawdown from peak equity at or beyond which the global scope is HALTED (fraction of the peak). */
  drawdownHaltPct: limitFraction('drawdown from peak').default(0.2),
  /** What an unreadable or stale store means for the order's scopes. */
  failClosedState: z.enum(['REDUCING', 'HALTED']).default('HALTED'),
  /** Write an ORDER_APPROVED audit event for every approval (denials are always written). */
  auditApprovals: z.boolean().default(true),
});

export type GatekeeperConfigInput = z.input<typeof gatekeeperConfigSchema>;
export type GatekeeperConfig = z.output<typeof gatekeeperConfigSchema>;
export type InstrumentLimits = z.output<typeof instrumentLimitsSchema>;

export function parseGatekeeperConfig(input: unknown, source = 'gatekeeper config'): GatekeeperConfig {
  return parseWithSchema(gatekeeperConfigSchema, input ?? {}, source);
}

/** The limits of `symbol`: the defaults with its overrides applied. */
export function limitsFor(config: GatekeeperConfig, symbol: string): InstrumentLimits {
  const o = config.instruments[symbol];
  if (!o) return config.limits;
  return {
    maxOrderQty: o.maxOrderQty ?? config.limits.maxOrderQty,
    maxOrderNotionalQuote: o.maxOrderNotionalQuote ?? config.limits.maxOrderNotionalQuote,
    maxPositionQty: o.maxPositionQty ?? config.limits.maxPositionQty,
    maxPositionNotionalQuote: o.maxPositionNotionalQuote ?? config.limits.maxPositionNotionalQuote,
  };
}
