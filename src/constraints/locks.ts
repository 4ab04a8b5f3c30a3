/**
 * The drawdown and daily-loss locks. While a lock is engaged only HOLD, and CLOSE_POSITION when a position
 * is open, stay allowed. Whether a lock is engaged is a pure function of the state record (so the mask
 * stays pure); `updateLocks` writes the result back into the record's lock fields and emits an event for
 * each change, which is what the audit log records.
 */
import { renderReason } from '../core/index.js';
import type { AuditSink } from '../security/index.js';
import type { CompiledRules } from './compile.js';
import type { RuleId } from './rule-ids.js';
import { type ConstraintState, stateIsValid, stateTradingDay } from './state.js';

export type LockKind = 'DRAWDOWN' | 'DAILY_LOSS';
export type LockEventType = 'CONSTRAINT_LOCK_ENGAGED' | 'CONSTRAINT_LOCK_CLEARED';

export interface LockEvent {
  readonly type: LockEventType;
  readonly lock: LockKind;
  readonly rule: RuleId;
  readonly symbol: string;
  readonly timeMs: number;
  /** `system` for automatic changes, `operator:ID` for a reset. */
  readonly actor: string;
  /** Rendered `RULE_ID: key=value, …`. */
  readonly reason: string;
}

export type LockListener = (event: LockEvent) => void;

/** A listener that appends each lock event to an audit sink. */
export function auditLockListener(sink: AuditSink): LockListener {
  return (e) =>
    sink.append(e.type, e.actor, { lock: e.lock, rule: e.rule, symbol: e.symbol, timeMs: e.timeMs, reason: e.reason });
}

/** (peak − equity) / peak, 0 at or above the peak. */
export function stateDrawdown(s: ConstraintState): number {
  return s.equity < s.peakEquity ? (s.peakEquity - s.equity) / s.peakEquity : 0;
}

/** Loss since the trading day's start as a share of the day's starting equity, 0 on a winning day. */
export function stateDayLoss(s: ConstraintState): number {
  return s.dayPnl < 0 ? -s.dayPnl / (s.equity - s.dayPnl) : 0;
}

export function drawdownLockActive(s: ConstraintState, c: CompiledRules): boolean {
  const dd = stateDrawdown(s);
  if (dd > c.maxDrawdownPct) return true;
  if (!s.drawdownLocked) return false;
  return c.drawdownRelease === 'operator' || dd > c.drawdownReleasePct;
}

export function dailyLossLockActive(s: ConstraintState, c: CompiledRules): boolean {
  return stateDayLoss(s) > c.dailyLossLimitPct || s.dailyLossLockDay === stateTradingDay(s);
}

export function drawdownReason(s: ConstraintState, c: CompiledRules): string {
  return renderReason('MAX_DRAWDOWN_PCT', {
    max: c.maxDrawdownPct,
    drawdown: stateDrawdown(s),
    release: c.drawdownRelease,
    release_at: c.drawdownReleasePct,
  });
}

export function dailyLossReason(s: ConstraintState, c: CompiledRules): string {
  return renderReason('DAILY_LOSS_LIMIT_PCT', { max: c.dailyLossLimitPct, day_loss: stateDayLoss(s), day: stateTradingDay(s) });
}

function emit(
  s: ConstraintState,
  onEvent: LockListener | undefined,
  type: LockEventType,
  lock: LockKind,
  rule: RuleId,
  reason: string,
): void {
  onEvent?.({ type, lock, rule, symbol: s.symbol, timeMs: s.timeMs, actor: 'system', reason });
}

/**
 * Brings the record's lock fields up to date with its figures and emits one event per change.
 * Returns the number of events. Allocates only when a lock changes. An unusable record changes nothing:
 * the mask already fails closed on it.
 */
export function updateLocks(s: ConstraintState, c: CompiledRules, onEvent?: LockListener): number {
  if (!stateIsValid(s)) return 0;
  let events = 0;
  const ddActive = drawdownLockActive(s, c);
  if (ddActive !== s.drawdownLocked) {
    s.drawdownLocked = ddActive;
    const type = ddActive ? 'CONSTRAINT_LOCK_ENGAGED' : 'CONSTRAINT_LOCK_CLEARED';
    emit(s, onEvent, type, 'DRAWDOWN', 'MAX_DRAWDOWN_PCT', drawdownReason(s, c));
    events++;
  }
  const today = stateTradingDay(s);
  if (s.dailyLossLockDay !== -1 && s.dailyLossLockDay !== today) {
    // A new trading day clears yesterday's lock, even if today's loss engages a new one right after.
    s.dailyLossLockDay = -1;
    emit(s, onEvent, 'CONSTRAINT_LOCK_CLEARED', 'DAILY_LOSS', 'DAILY_LOSS_LIMIT_PCT', dailyLossReason(s, c));
    events++;
  }
  if (s.dailyLossLockDay === -1 && stateDayLoss(s) > c.dailyLossLimitPct) {
    s.dailyLossLockDay = today;
    emit(s, onEvent, 'CONSTRAINT_LOCK_ENGAGED', 'DAILY_LOSS', 'DAILY_LOSS_LIMIT_PCT', dailyLossReason(s, c));
    events++;
  }
  return events;
}

/**
 * An operator clears the drawdown lock and restarts the drawdown from current equity. The account's own
 * peak (core `Ledger.resetPeak`) must be reset too, or the next sync re-engages the lock.
 */
export function resetDrawdownLock(s: ConstraintState, c: CompiledRules, operatorId: string, onEvent?: LockListener): void {
  if (!operatorId) throw new RangeError('operatorId: must not be empty');
  const wasLocked = drawdownLockActive(s, c);
  s.peakEquity = s.equity;
  s.drawdownLocked = false;
  if (wasLocked) {
    onEvent?.({
      type: 'CONSTRAINT_LOCK_CLEARED',
      lock: 'DRAWDOWN',
      rule: 'MAX_DRAWDOWN_PCT',
      symbol: s.symbol,
      timeMs: s.timeMs,
      actor: `operator:${operatorId}`,
      reason: drawdownReason(s, c),
    });
  }
}
