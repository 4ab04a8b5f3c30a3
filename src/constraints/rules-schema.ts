/**
 * The rule set: a declarative document (YAML or JSON) validated at the boundary. Every violation is
 * reported at once with its field (`max_drawdown_pct: must be between 0 and 1, got 1.5`); unknown
 * fields are errors, not ignored.
 *
 * Limits are inclusive: a value exactly at a limit is within it. Every `_pct` field is a fraction (0.2 = 20 %,
 * core `fractionSchema`); a value that reads as a percent is refused with both readings.
 */
import { z } from 'zod';
import { fractionSchema, parseWithSchema, requireNonEmptyDocument, unitMistakeMessage } from '../core/index.js';
import { parseYamlDocument, readYamlDocumentFile } from './document-file.js';

/** A positive ratio up to `hi` that is not a `_pct` fraction (leverage: gross exposure / equity). */
const share = (lo: number, hi: number) =>
  z
    .number({ error: 'must be a number' })
    .gt(lo, `must be between ${lo} and ${hi}`)
    .max(hi, `must be between ${lo} and ${hi}`);

const count = (what: string) => z.number({ error: 'must be a number' }).int(`must be a whole number of ${what}`).min(0, 'must be >= 0');

const HHMM = /^([01]\d|2[0-3]):[0-5]\d$|^24:00$/;
export const WEEKDAYS = ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'] as const;

/**
 * What the engine does when drawdown passes `max_drawdown_pct`:
 * - `hold`: the lock masks every action but HOLD, CLOSE_POSITION and partial reductions toward flat; the position
 *   stays until the agent reduces or closes it
 *   (a lock, not a stop: a losing position can keep losing while the agent holds).
 * - `close`: as `hold`, and the chain closes the position itself (a reduce-only market order at the next bar).
 * - `close_and_halt`: as `close`, and the chain sends nothing else for the rest of the run, until an operator
 *   resets the lock.
 */
export const DRAWDOWN_BREACH_ACTIONS = ['hold', 'close', 'close_and_halt'] as const;
export type DrawdownBreachAction = (typeof DRAWDOWN_BREACH_ACTIONS)[number];

const sessionWindowSchema = z
  .object({
    /** UTC weekdays the window opens on; all seven when absent. */
    days: z.array(z.enum(WEEKDAYS)).min(1, 'must name at least one day').optional(),
    /** UTC opening time `HH:MM`, inclusive. */
    start: z.string().regex(HHMM, 'must be a UTC time HH:MM'),
    /** UTC closing time `HH:MM`, exclusive; before `start` means the window runs past midnight. */
    end: z.string().regex(HHMM, 'must be a UTC time HH:MM'),
  })
  .strict()
  .refine((w) => w.start !== w.end, { message: 'start and end must differ', path: ['end'] });

/** The worst-case fill bound the size rules judge the next bar at (see `fill-bound.ts`). */
const fillModelSchema = z
  .object({
    /** Full quoted spread in bps; a taker pays half of it. */
    spread_bps: z.number().min(0, 'must be >= 0').max(2_000, 'must be <= 2000').default(0),
    /** Upper bound of slippage plus impact on one fill, in bps. */
    slippage_bound_bps: z.number().min(0, 'must be >= 0').max(2_000, 'must be <= 2000').default(0),
    /** Taker fee in bps of notional: it lowers the equity the next position is judged against. */
    fee_bps: z.number().min(0, 'must be >= 0').max(1_000, 'must be <= 1000').default(0),
  })
  .strict();

export const rulesSchema = z
  .object({
    /** |position value| / equity after the action (a fraction; above 1 only with leverage declared). */
    max_position_pct: fractionSchema({ max: 100, of: 'of equity' }).default(0.2),
    /** |order value| / equity before the action; off when absent. */
    max_order_pct: fractionSchema({ max: 100, of: 'of equity' }).optional(),
    /** (peak − equity) / peak beyond which the drawdown lock engages. */
    max_drawdown_pct: fractionSchema({ max: 1, of: 'drawdown from peak' }).default(0.1),
    /**
     * What a drawdown breach does (see `DRAWDOWN_BREACH_ACTIONS`): `hold` (default) locks new risk and leaves the
     * position to the agent; `close` also closes the position at the next bar; `close_and_halt` closes it and
     * stops trading for the rest of the run (until an operator resets the lock).
     */
    drawdown_breach_action: z.enum(DRAWDOWN_BREACH_ACTIONS, { error: 'must be hold, close or close_and_halt' }).default('hold'),
    /**
     * `recovery`: the lock clears once drawdown ≤ `drawdown_release_pct`; `operator`: only a reset clears it.
     * Default `recovery` for `hold`, `operator` for `close` and `close_and_halt` (a flat book cannot recover).
     */
    drawdown_lock_release: z.enum(['recovery', 'operator']).optional(),
    /** Drawdown at or below which a recovery clears the lock; defaults to `max_drawdown_pct`. */
    drawdown_release_pct: fractionSchema({ max: 1, zeroAllowed: true, of: 'drawdown from peak' }).optional(),
    /** Loss since the trading day's start / equity at the day's start beyond which the daily-loss lock engages. */
    daily_loss_limit_pct: fractionSchema({ max: 1, of: 'of the day-start equity' }).default(0.03),
    /** Gross exposure / equity after the action; off when absent. */
    max_leverage: share(0, 1_000).optional(),
    /** Initial margin as a share of position value: the position needs margin ≤ equity; off when absent. */
    initial_margin_pct: fractionSchema({ max: 1, of: 'of position value' }).optional(),
    /**
     * A position that drifts over an exposure limit (max_position_pct, max_leverage, initial_margin_pct) by price
     * moves alone: `hold` (default) keeps it and only blocks increases; `trim` sends an order at the next decision
     * that brings it back to the tightest of those limits (unless the agent's own proposal already does), through
     * the gatekeeper like any order, its reason the rule that was over.
     */
    on_drift: z.enum(['hold', 'trim']).default('hold'),
    long_only: z.boolean({ error: 'must be true or false' }).default(false),
    min_bars_between_trades: count('bars').default(0),
    max_trades_per_day: count('trades').optional(),
    /** UTC windows in which trading is allowed; trading is allowed at all times when absent. */
    session_windows: z.array(sessionWindowSchema).min(1, 'must list at least one window').optional(),
    /**
     * While a drawdown or daily-loss lock is engaged: `always` (default) keeps closing the position possible even
     * when a session window, trades-per-day, min-bars or allow-list rule would mask it (a losing position must
     * never be trapped open); `when_trading_allowed` lets those rules mask closes too.
     */
    close_in_lock: z.enum(['always', 'when_trading_allowed']).default('always'),
    /** Symbols that may be traded; all when absent. */
    allowed_instruments: z.array(z.string().min(1, 'must not be empty')).min(1, 'must list at least one symbol').optional(),
    fill_model: fillModelSchema.default({ spread_bps: 0, slippage_bound_bps: 0, fee_bps: 0 }),
  })
  .strict()
  .refine((r) => r.drawdown_release_pct === undefined || r.drawdown_release_pct <= r.max_drawdown_pct, {
    message: 'must be <= max_drawdown_pct',
    path: ['drawdown_release_pct'],
  })
  .superRefine((r, ctx) => {
    // Above 1 a share of equity is leverage, which a rule set must declare; undeclared, 20 is far likelier a
    // percent written where a fraction belongs (20 % meant, 2,000 % read) than a wish for 20x exposure.
    if (r.max_leverage !== undefined || r.initial_margin_pct !== undefined) return;
    for (const field of ['max_position_pct', 'max_order_pct'] as const) {
      const v = r[field];
      if (v === undefined || v <= 1) continue;
      ctx.addIssue({
        code: 'custom',
        path: [field],
        message: unitMistakeMessage(v, 'of equity', 'a share above 1 is leverage: allowed only with max_leverage or initial_margin_pct set'),
        params: { valueShown: true },
      });
    }
  })
  // Refused, not accepted and never met: after a forced close the book is flat, and a flat account's equity
  // never moves, so its drawdown can never fall back to the release level.
  .refine((r) => r.drawdown_breach_action === 'hold' || r.drawdown_lock_release !== 'recovery', {
    message:
      'recovery can never clear a lock whose breach action closes the position (a flat account cannot recover its drawdown); ' +
      'use drawdown_lock_release: operator, or drawdown_breach_action: hold',
    path: ['drawdown_lock_release'],
  })
  .transform((r) => ({
    ...r,
    drawdown_lock_release: r.drawdown_lock_release ?? (r.drawdown_breach_action === 'hold' ? ('recovery' as const) : ('operator' as const)),
  }));

export type RulesInput = z.input<typeof rulesSchema>;
export type Rules = z.output<typeof rulesSchema>;
export type SessionWindow = z.output<typeof sessionWindowSchema>;
export type FillModelBound = z.output<typeof fillModelSchema>;

const EMPTY_RULES_HINT =
  'a rules file must state its limits (e.g. max_position_pct: 0.2, max_drawdown_pct: 0.1, daily_loss_limit_pct: 0.03; ' +
  'unset fields take those defaults); to run without the Constraint Logic Engine, leave out --rules';

/** Validates a parsed document (object) as a rule set. */
export function parseRules(input: unknown, source = 'rules'): Rules {
  return parseWithSchema(rulesSchema, input ?? {}, source);
}

/** Parses YAML or JSON text (JSON is YAML) into a validated rule set. */
export function parseRulesText(text: string, source = 'rules'): Rules {
  return parseRules(parseYamlDocument(text, source), source);
}

/** Reads a rule set file; `source` (default: the path) starts every error message, e.g. `--rules FILE`. */
export function loadRulesFile(path: string, source = path): Rules {
  const doc = readYamlDocumentFile(path, source);
  // Refused rather than read as "every default": a safety limit nobody wrote down is one nobody chose.
  requireNonEmptyDocument(doc, source, EMPTY_RULES_HINT);
  return parseRules(doc, source);
}
