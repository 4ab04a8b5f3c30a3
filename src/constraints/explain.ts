/**
 * Human-readable account of a mask: each action, allowed or not, and each masking rule rendered
 * `RULE_ID: key=value, …` with the numbers it judged. The decision itself always comes from the hot
 * path (`writeActionMask`); this file only renders it.
 */
import { MS_PER_DAY, renderReason } from '../core/index.js';
import type { CompiledRules } from './compile.js';
import { type TargetInterval, allowedTargetInterval } from './box.js';
import { worstCasePriceRange, worstMoveDown, worstMoveUp } from './fill-bound.js';
import { dailyLossLockActive, drawdownLockActive, drawdownReason, stateDayLoss, stateDrawdown } from './locks.js';
import { computeActionMask, stateJudgeable } from './mask.js';
import type { RuleId } from './rule-ids.js';
import { resultingShare, worstExposureRatio } from './share-math.js';
import { type ConstraintState, invalidStateField, stateTradingDay } from './state.js';

export interface ActionExplanation {
  readonly index: number;
  readonly name: string;
  readonly allowed: boolean;
  /** Position share the action would leave, at the reference price. */
  readonly targetShare: number;
  readonly reasons: string[];
}

/** What the caller knows about where the state and the worst-case bound came from (the CLI: the files). */
export interface ExplainContext {
  /** Optional state fields the state document left out, with the default used. */
  readonly defaultedFields?: readonly { readonly field: string; readonly default: string }[];
  /** Where the rules' fill bound came from, e.g. "fill_model in rules.yaml". */
  readonly boundSource?: string;
}

export interface MaskExplanation {
  readonly valid: boolean;
  /** The state's time, ISO-8601 UTC. */
  readonly time: string;
  /** The date (YYYY-MM-DD) the trading day starts on on which the daily-loss lock engaged; null when it is not engaged. */
  readonly dailyLossLockDate: string | null;
  readonly defaultedFields: readonly { readonly field: string; readonly default: string }[];
  readonly positionShare: number;
  readonly drawdown: number;
  readonly dayLoss: number;
  readonly locks: { readonly drawdown: boolean; readonly dailyLoss: boolean };
  /**
   * The next bar's worst-case price range the size rules judged: price × (1 ∓ boundFrac) ∓ tickSize, and in
   * words where boundFrac came from.
   */
  readonly worstCasePrice: { readonly lo: number; readonly hi: number; readonly boundFrac: number; readonly tickSize: number; readonly source: string };
  readonly actions: ActionExplanation[];
  readonly targetInterval: TargetInterval & { readonly loText: string[]; readonly hiText: string[] };
}

function reasonText(id: RuleId, s: ConstraintState, c: CompiledRules, u: number, t: number): string {
  const rLo = worstMoveDown(c.boundFrac, c.tickSize, s.price);
  const rHi = worstMoveUp(c.boundFrac, c.tickSize, s.price);
  switch (id) {
    case 'INVALID_STATE': {
      const bad = invalidStateField(s);
      if (bad !== null) return renderReason(id, { field: bad.field, value: bad.value });
      // Usable figures, but the next bar's worst-case price reaches zero (a price within about a tick of it).
      return renderReason(id, { field: 'price', value: s.price, worst_case_low: s.price * rLo, problem: 'worst-case next price <= 0' });
    }
    case 'INSTRUMENT_ALLOW_LIST':
      return renderReason(id, { symbol: s.symbol || '(none)', allowed: [...(c.allowedInstruments ?? [])].join('|') });
    case 'SESSION_WINDOWS':
      return renderReason(id, { time: new Date(s.timeMs).toISOString() });
    case 'MIN_BARS_BETWEEN_TRADES':
      return renderReason(id, { min: c.minBarsBetweenTrades, bars_since_last_trade: s.barsSinceLastTrade });
    case 'MAX_TRADES_PER_DAY':
      return renderReason(id, { max: c.maxTradesPerDay, trades_today: s.tradesToday });
    case 'MAX_DRAWDOWN_PCT':
      return drawdownReason(s, c);
    case 'DAILY_LOSS_LIMIT_PCT':
      // The hot path's reason (dailyLossReason) carries the trading-day index; a person reads the date it starts on.
      return renderReason(id, { max: c.dailyLossLimitPct, day_loss: stateDayLoss(s), day: isoDate(stateTradingDay(s)) });
    case 'MAX_POSITION_PCT':
      return renderReason(id, { max: c.maxPositionPct, got: worstExposureRatio(u, t, rLo, rHi, c.feeFrac) });
    case 'MAX_LEVERAGE':
      return renderReason(id, { max: c.maxLeverage, got: worstExposureRatio(u, t, rLo, rHi, c.feeFrac) });
    case 'INITIAL_MARGIN_PCT':
      return renderReason(id, {
        initial_margin_pct: 1 / c.marginLeverage,
        margin_over_equity: worstExposureRatio(u, t, rLo, rHi, c.feeFrac) / c.marginLeverage,
      });
    case 'MAX_ORDER_PCT':
      return renderReason(id, { max: c.maxOrderPct, got: Math.abs(t - u) * rHi });
    case 'LONG_ONLY':
      return renderReason(id, { target_pct: t });
  }
}

/** A reason for an interval end; at the edge of the reduction range the rule allows reductions only. */
function endText(id: RuleId, s: ConstraintState, c: CompiledRules, u: number, end: number, reductionEdge: number): string {
  const text = reasonText(id, s, c, u, end);
  return end === reductionEdge && end !== u && id !== 'INVALID_STATE' ? `${text}, reductions_only=true` : text;
}

/** Trading-day index → YYYY-MM-DD, the local date the day starts on (an index that is no date stays a number). */
function isoDate(dayIndex: number): string {
  const ms = dayIndex * MS_PER_DAY;
  return Number.isFinite(ms) && Math.abs(ms) <= 8.64e15 ? new Date(ms).toISOString().slice(0, 10) : String(dayIndex);
}

function isoTime(ms: number): string {
  return Number.isFinite(ms) && Math.abs(ms) <= 8.64e15 ? new Date(ms).toISOString() : String(ms);
}

export function explainActionMask(s: ConstraintState, c: CompiledRules, context: ExplainContext = {}): MaskExplanation {
  const { mask, reasons } = computeActionMask(s, c);
  const bad = invalidStateField(s);
  const u = bad === null ? (s.positionQty * s.price) / s.equity : Number.NaN;
  const actions = c.actions.map((a, i) => {
    const t = resultingShare(c.kinds[i], c.fractions[i], u);
    return {
      index: i,
      name: a.name,
      allowed: mask[i] === 1,
      targetShare: t,
      reasons: reasons[i].map((id) => reasonText(id, s, c, u, t)),
    };
  });
  const interval = allowedTargetInterval(s, c);
  const lockDay = s.dailyLossLockDay === -1 || s.dailyLossLockDay !== stateTradingDay(s) ? null : s.dailyLossLockDay;
  return {
    valid: stateJudgeable(s, c),
    time: isoTime(s.timeMs),
    dailyLossLockDate: lockDay === null ? null : isoDate(lockDay),
    defaultedFields: context.defaultedFields ?? [],
    positionShare: u,
    drawdown: stateDrawdown(s),
    dayLoss: stateDayLoss(s),
    locks: { drawdown: bad === null && drawdownLockActive(s, c), dailyLoss: bad === null && dailyLossLockActive(s, c) },
    worstCasePrice: {
      ...worstCasePriceRange(s.price, c.boundFrac, c.tickSize),
      boundFrac: c.boundFrac,
      tickSize: c.tickSize,
      source: context.boundSource ?? "the rule set's fill_model section",
    },
    actions,
    targetInterval: {
      ...interval,
      loText: interval.loReasons.map((id) => endText(id, s, c, u, interval.lo, Math.min(0, u))),
      hiText: interval.hiReasons.map((id) => endText(id, s, c, u, interval.hi, Math.max(0, u))),
    },
  };
}

// An unusable state has no meaningful shares (NaN, Infinity): shown as n/a rather than as NaN%.
const pct = (x: number): string => (Number.isFinite(x) ? `${(x * 100).toFixed(2)}%` : 'n/a');

/** The explanation as a plain-text table. */
export function formatExplanation(e: MaskExplanation): string {
  const lines: string[] = [];
  lines.push(
    `position ${pct(e.positionShare)} of equity, drawdown ${pct(e.drawdown)}, day loss ${pct(e.dayLoss)}, ` +
      `worst-case next price [${e.worstCasePrice.lo}, ${e.worstCasePrice.hi}]`,
  );
  const w = e.worstCasePrice;
  lines.push(
    `worst-case range: price × (1 ± ${+w.boundFrac.toPrecision(6)}) ± tick ${w.tickSize}; bound from ${w.source}`,
  );
  lines.push(`time ${e.time}`);
  lines.push(
    `locks: drawdown ${e.locks.drawdown ? 'ENGAGED' : 'off'}, daily loss ${e.locks.dailyLoss ? 'ENGAGED' : 'off'}` +
      (e.dailyLossLockDate === null ? '' : ` (daily-loss lock engaged on ${e.dailyLossLockDate})`),
  );
  if (e.defaultedFields.length > 0) {
    lines.push(`defaults used (not in the state): ${e.defaultedFields.map((d) => `${d.field} = ${d.default}`).join('; ')}`);
  }
  const width = Math.max(6, ...e.actions.map((a) => a.name.length));
  lines.push(`${'#'.padStart(2)}  ${'action'.padEnd(width)}  allowed  resulting position  why`);
  for (const a of e.actions) {
    const head = `${String(a.index).padStart(2)}  ${a.name.padEnd(width)}  ${(a.allowed ? 'yes' : 'NO').padEnd(7)}  ${pct(a.targetShare).padStart(18)}`;
    lines.push(a.reasons.length === 0 ? head : `${head}  ${a.reasons[0]}`);
    for (const r of a.reasons.slice(1)) lines.push(`${' '.repeat(head.length)}  ${r}`);
  }
  const t = e.targetInterval;
  lines.push(`target position interval: [${pct(t.lo)}, ${pct(t.hi)}]`);
  for (const r of t.loText) lines.push(`  lo: ${r}`);
  for (const r of t.hiText) lines.push(`  hi: ${r}`);
  return lines.join('\n');
}
