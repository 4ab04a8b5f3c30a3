/**
 * A rule set compiled once for the hot path: thresholds as plain numbers (Infinity when a rule is off),
 * the action list as typed arrays, the session windows as a bitmap, the allow-list as a Set.
 */
import { type ActionSpec, DEFAULT_ACTIONS, validateActionSet } from '../core/index.js';
import type { SimFillConfig } from '../venues/index.js';
import { simFillBoundFrac, worstCaseBoundFrac } from './fill-bound.js';
import type { DrawdownBreachAction, FillModelBound, Rules } from './rules-schema.js';
import { compileSessionWindows } from './session.js';
import { kindCode } from './share-math.js';

export type DrawdownRelease = 'recovery' | 'operator';

export interface CompiledRules {
  readonly rules: Rules;
  readonly actions: readonly ActionSpec[];
  readonly nActions: number;
  /** Action kinds as `KIND_*` codes of share-math.ts. */
  readonly kinds: Uint8Array;
  readonly fractions: Float64Array;
  /** b: largest adverse move of the next fill from the reference price, as a fraction (fill-bound.ts). */
  readonly boundFrac: number;
  /** Price rounding of fills, in quote currency (0 = none): one more tick of adverse move. */
  readonly tickSize: number;
  /** Taker fee as a fraction of notional. */
  readonly feeFrac: number;
  readonly maxPositionPct: number;
  readonly maxOrderPct: number;
  readonly maxLeverage: number;
  /** 1 / initial_margin_pct: the exposure ratio the initial margin allows. */
  readonly marginLeverage: number;
  /** What a position that drifted over an exposure limit gets: kept (`hold`) or trimmed back (`trim`), see drift.ts. */
  readonly onDrift: 'hold' | 'trim';
  readonly longOnly: boolean;
  readonly minBarsBetweenTrades: number;
  readonly maxTradesPerDay: number;
  readonly maxDrawdownPct: number;
  readonly drawdownReleasePct: number;
  readonly drawdownRelease: DrawdownRelease;
  readonly drawdownBreachAction: DrawdownBreachAction;
  readonly dailyLossLimitPct: number;
  /** In a lock, closing is exempt from the activity rules (session, frequency, allow-list): `close_in_lock: always`. */
  readonly lockCloseExempt: boolean;
  /** Minute-of-week bitmap, or null when trading is allowed at all times. */
  readonly sessionOpen: Uint8Array | null;
  readonly allowedInstruments: ReadonlySet<string> | null;
}

export interface CompileOptions {
  /** The discrete actions to judge; core `DEFAULT_ACTIONS` when absent. */
  readonly actions?: readonly ActionSpec[];
  /** A fill bound overriding the rule set's `fill_model` section. */
  readonly fillModel?: FillModelBound;
  /** The env's sim fill model: when given, the bound and the fee come from it (see fill-bound.ts). */
  readonly simFill?: SimFillConfig;
  /** The instrument's tick size when fills are rounded to it. */
  readonly tickSize?: number;
}

export function compileRules(rules: Rules, options: CompileOptions = {}): CompiledRules {
  const actions = options.actions ?? DEFAULT_ACTIONS;
  validateActionSet(actions);
  const fill = options.fillModel ?? rules.fill_model;
  const b = options.simFill ? simFillBoundFrac(options.simFill) : worstCaseBoundFrac(fill);
  if (!(b >= 0 && b < 1)) throw new RangeError(`fill model: worst-case bound must be in [0, 1), got ${b}`);
  const tickSize = options.tickSize ?? 0;
  if (!(tickSize >= 0 && Number.isFinite(tickSize))) throw new RangeError(`tickSize: must be a finite number >= 0, got ${tickSize}`);
  const off = Number.POSITIVE_INFINITY;
  return {
    rules,
    actions,
    nActions: actions.length,
    kinds: Uint8Array.from(actions, (a) => kindCode(a.kind)),
    fractions: Float64Array.from(actions, (a) => a.fraction),
    boundFrac: b,
    tickSize,
    feeFrac: options.simFill ? options.simFill.takerFeeBps / 10_000 : fill.fee_bps / 10_000,
    maxPositionPct: rules.max_position_pct,
    maxOrderPct: rules.max_order_pct ?? off,
    maxLeverage: rules.max_leverage ?? off,
    marginLeverage: rules.initial_margin_pct === undefined ? off : 1 / rules.initial_margin_pct,
    onDrift: rules.on_drift,
    longOnly: rules.long_only,
    minBarsBetweenTrades: rules.min_bars_between_trades,
    maxTradesPerDay: rules.max_trades_per_day ?? off,
    maxDrawdownPct: rules.max_drawdown_pct,
    drawdownReleasePct: rules.drawdown_release_pct ?? rules.max_drawdown_pct,
    drawdownRelease: rules.drawdown_lock_release,
    drawdownBreachAction: rules.drawdown_breach_action,
    dailyLossLimitPct: rules.daily_loss_limit_pct,
    lockCloseExempt: rules.close_in_lock === 'always',
    sessionOpen: rules.session_windows ? compileSessionWindows(rules.session_windows) : null,
    allowedInstruments: rules.allowed_instruments ? new Set(rules.allowed_instruments) : null,
  };
}
