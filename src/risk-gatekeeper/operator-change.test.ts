import { describe, expect, it } from 'vitest';
import { FakeClock } from '../core/index.js';
import { type AuditEventPayloads, type AuditEventType, MemoryAuditSink } from '../security/index.js';
import { KillSwitch, type KillSwitchVenue, operatorChange } from './kill-switch.js';
import { MemoryStateStore } from './memory-state-store.js';
import { UnauditedStateChangeError, applyOperatorChange } from './operator-change.js';
import { replayTradingStates } from './state-replay.js';
import { T0_MS, makeFixture } from './test-helpers/fixtures.js';

/** An in-memory audit sink whose writes of the listed event types fail, as a full disk would. */
class FailingSink extends MemoryAuditSink {
  constructor(private readonly failing: ReadonlySet<string>) {
    super();
  }
  override append<T extends AuditEventType>(type: T, actor: string, payload: AuditEventPayloads[T]): void {
    if (this.failing.has(type)) throw new Error('ENOSPC: no space left on device');
    super.append(type, actor, payload);
  }
}

const REQUESTED = 'TRADING_STATE_CHANGE_REQUESTED';
const CHANGED = 'TRADING_STATE_CHANGED';
const FAILED = 'TRADING_STATE_CHANGE_FAILED';

describe('applyOperatorChange', () => {
  it('writes_the_request_before_the_store_changes_and_the_change_after', async () => {
    const store = new MemoryStateStore(new FakeClock(T0_MS));
    const audit = new MemoryAuditSink();
    const seen: string[] = [];
    store.onChange(() => seen.push(`store saw ${audit.events.length} event(s)`));
    const r = await applyOperatorChange(store, audit, operatorChange('global', 'HALTED', 'alice', 'incident'), { recordChanged: true });
    expect(seen).toEqual(['store saw 1 event(s)']);
    expect(audit.events).toEqual([
      { type: REQUESTED, actor: 'operator:alice', payload: { scope: 'global', from: 'ACTIVE', to: 'HALTED', reason: 'incident' } },
      {
        type: CHANGED,
        actor: 'operator:alice',
        payload: { scope: 'global', from: 'ACTIVE', to: 'HALTED', version: 1, reason: 'incident', changedAtMs: T0_MS, epoch: store.epoch().id },
      },
    ]);
    expect(r.state).toBe('HALTED');
  });

  it('kill_when_the_audit_log_fails_then_the_kill_is_applied_and_reported_as_unaudited', async () => {
    const store = new MemoryStateStore(new FakeClock(T0_MS));
    const audit = new FailingSink(new Set([REQUESTED, CHANGED]));
    const change = operatorChange('agent:a1', 'REDUCING', 'alice', 'runaway');
    const err = await applyOperatorChange(store, audit, change, { recordChanged: true }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UnauditedStateChangeError);
    expect((err as Error).message).toBe(
      'agent:a1 is now REDUCING (version 1), but the audit log could not record it (ENOSPC: no space left on device): ' +
        'the change will not survive a store restart by replay until it is written down',
    );
    expect(store.cache.stateOf('agent:a1')).toBe('REDUCING');
  });

  it('loosening_when_the_request_cannot_be_written_then_refused_and_the_store_is_untouched', async () => {
    const store = new MemoryStateStore(new FakeClock(T0_MS));
    await store.set(operatorChange('global', 'HALTED', 'alice', 'incident'));
    const audit = new FailingSink(new Set([REQUESTED]));
    for (const [state, kind] of [['ACTIVE', 'resume'], ['REDUCING', 'hard → soft']] as const) {
      await expect(applyOperatorChange(store, audit, operatorChange('global', state, 'bob', kind), { recordChanged: true })).rejects.toThrow(
        `global: ${state} refused, the audit log could not record the request (ENOSPC: no space left on device)`,
      );
      expect(store.cache.stateOf('global')).toBe('HALTED');
    }
    // A resume always needs its record, even where the store already says ACTIVE (it may have lost a latch).
    const fresh = new MemoryStateStore(new FakeClock(T0_MS));
    await expect(applyOperatorChange(fresh, audit, operatorChange('agent:a1', 'ACTIVE', 'bob', 'x'), { recordChanged: true })).rejects.toThrow(
      'agent:a1: ACTIVE refused, the audit log could not record the request',
    );
    expect(fresh.cache.all()).toEqual([]);
  });

  it('store_failure_is_recorded_as_failed_so_replay_does_not_apply_the_request', async () => {
    const store = new MemoryStateStore(new FakeClock(T0_MS));
    await store.close();
    const audit = new MemoryAuditSink();
    await expect(applyOperatorChange(store, audit, operatorChange('global', 'HALTED', 'alice', 'x'), { recordChanged: true })).rejects.toThrow(
      'trading state store: closed',
    );
    expect(audit.events.map((e) => [e.type, e.payload.error])).toEqual([
      [REQUESTED, undefined],
      [FAILED, 'trading state store: closed'],
    ]);
    expect(replayTradingStates(audit.events)).toEqual([]);
  });
});

describe('replay of operator requests', () => {
  const request = (scope: string, to: string, timeMs?: number) => ({
    type: REQUESTED,
    actor: 'operator:alice',
    payload: { scope, from: 'ACTIVE', to, reason: 'r' },
    timeMs,
  });
  const changed = (scope: string, from: string, to: string, version: number) => ({
    type: CHANGED,
    actor: 'operator:alice',
    payload: { scope, from, to, version, reason: 'r', changedAtMs: 5 },
  });

  it('an_unconfirmed_kill_is_applied_on_replay_after_the_highest_version', () => {
    const records = replayTradingStates([changed('global', 'ACTIVE', 'REDUCING', 3), request('agent:a1', 'HALTED', 99)]);
    expect(records).toContainEqual({
      scope: 'agent:a1',
      state: 'HALTED',
      previous: 'ACTIVE',
      version: 4,
      actor: 'operator:alice',
      reason: 'r (requested; its confirmation is missing from the audit log)',
      changedAtMs: 99,
    });
  });

  it('an_unconfirmed_loosening_is_not_applied_and_a_confirmed_request_is_taken_as_confirmed', () => {
    expect(replayTradingStates([changed('global', 'ACTIVE', 'HALTED', 1), request('global', 'ACTIVE')]).map((r) => r.state)).toEqual(['HALTED']);
    const confirmed = replayTradingStates([request('global', 'REDUCING'), changed('global', 'ACTIVE', 'REDUCING', 1)]);
    expect(confirmed.map((r) => [r.state, r.version, r.reason])).toEqual([['REDUCING', 1, 'r']]);
  });

  it('an_unreadable_request_stops_the_replay_naming_the_event', () => {
    expect(() => replayTradingStates([{ type: REQUESTED, actor: 'x', payload: { scope: 'global', to: 'OFF' } }])).toThrow(
      'audit replay: TRADING_STATE_CHANGE_REQUESTED event #1 is unreadable (to, reason)',
    );
  });
});

describe('kill-switch when the audit log fails', () => {
  // Regression guard: the gatekeeper records the change from inside a store listener; a throwing audit write
  // there must not stop the kill-switch's own listener from cancelling and flattening.
  it('hard_kill_still_cancels_and_flattens_and_then_reports_the_unaudited_change', async () => {
    const f = makeFixture();
    const audit = new FailingSink(new Set([CHANGED]));
    f.audit.append = (type, actor, payload) => audit.append(type, actor, payload);
    let cancelled = 0;
    const venue: KillSwitchVenue = {
      cancelAll: () => Promise.resolve((cancelled += 1)),
      openOrders: () => Promise.resolve([]),
      positions: () => Promise.resolve([{ symbol: 'BTC/USD', quantity: 0.5, agentId: 'a1' }]),
      submit: () => Promise.resolve(),
    };
    const ks = new KillSwitch({ store: f.store, gatekeeper: f.gk, audit: f.audit, venue });
    await expect(ks.kill('global', 'hard', 'alice', 'incident')).rejects.toBeInstanceOf(UnauditedStateChangeError);
    await ks.settled();
    expect(f.store.cache.stateOf('global')).toBe('HALTED');
    expect(cancelled).toBe(1);
    expect(audit.events.map((e) => e.type)).toEqual([REQUESTED, 'OPEN_ORDERS_CANCELLED', 'FLATTEN_ORDER_ISSUED', 'ORDER_APPROVED', 'FLATTEN_ORDER_SUBMITTED']);
  });
});
