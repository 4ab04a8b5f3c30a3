import { describe, expect, it } from 'vitest';
import type { OrderIntent } from './context.js';
import { KillSwitch, type KillSwitchVenue, type VenuePosition } from './kill-switch.js';
import { MemoryStateStore } from './memory-state-store.js';
import { replayTradingStates } from './state-replay.js';
import { restoreTradingStates } from './state-restore.js';
import { codes, flush, makeFixture, T0_MS } from './test-helpers/fixtures.js';
import type { Scope } from './trading-state.js';

class RecordingVenue implements KillSwitchVenue {
  readonly cancelled: Scope[] = [];
  readonly submitted: OrderIntent[] = [];
  constructor(public held: VenuePosition[]) {}
  cancelAll(scope: Scope): Promise<number> {
    this.cancelled.push(scope);
    return Promise.resolve(2);
  }
  openOrders() {
    return Promise.resolve([]);
  }
  positions(): Promise<readonly VenuePosition[]> {
    return Promise.resolve(this.held);
  }
  submit(order: OrderIntent): Promise<void> {
    this.submitted.push(order);
    return Promise.resolve();
  }
}

describe('soft kill (REDUCING)', () => {
  it('kill_soft_then_only_orders_that_shrink_the_position_pass', async () => {
    const f = makeFixture();
    const ks = new KillSwitch({ store: f.store, gatekeeper: f.gk, audit: f.audit });
    await ks.kill('global', 'soft', 'alice', 'volatility');
    f.ctx.setPosition('BTC/USD', 0.3);
    expect(codes(f.gk.check(f.order({ side: 'BUY', quantity: 0.1 }), f.ctx))).toEqual(['REDUCING_ONLY']);
    expect(f.gk.check(f.order({ side: 'SELL', quantity: 0.2 }), f.ctx).allowed).toBe(true);
    expect(f.gk.check(f.order({ side: 'SELL', quantity: 0.3 }), f.ctx).allowed).toBe(true); // to flat
  });

  it('kill_soft_when_a_sell_would_flip_long_into_short_then_denies', async () => {
    const f = makeFixture();
    const ks = new KillSwitch({ store: f.store, gatekeeper: f.gk, audit: f.audit });
    await ks.kill('global', 'soft', 'alice', 'volatility');
    f.ctx.setPosition('BTC/USD', 0.3);
    // |−0.1| < |0.3|, but it crosses zero: judged on the resulting position, it opens a short.
    expect(codes(f.gk.check(f.order({ side: 'SELL', quantity: 0.4 }), f.ctx))).toEqual(['REDUCING_ONLY']);
    f.ctx.setPosition('BTC/USD', -0.3);
    expect(codes(f.gk.check(f.order({ side: 'BUY', quantity: 0.4 }), f.ctx))).toEqual(['REDUCING_ONLY']);
    expect(f.gk.check(f.order({ side: 'BUY', quantity: 0.3 }), f.ctx).allowed).toBe(true);
    f.ctx.setPosition('BTC/USD', 0);
    expect(codes(f.gk.check(f.order({ side: 'SELL', quantity: 0.1 }), f.ctx))).toEqual(['REDUCING_ONLY']);
  });

  it('the_strictest_scope_applies_agent_and_instrument_scopes_only_touch_their_orders', async () => {
    const f = makeFixture();
    const ks = new KillSwitch({ store: f.store, gatekeeper: f.gk, audit: f.audit });
    await ks.kill('instrument:ETH/USD', 'hard', 'alice', 'exchange incident');
    await ks.kill('agent:a2', 'soft', 'alice', 'misbehaving');
    expect(f.gk.check(f.order({ agentId: 'a1' }), f.ctx).allowed).toBe(true);
    expect(codes(f.gk.check(f.order({ agentId: 'a2' }), f.ctx))).toEqual(['REDUCING_ONLY']);
    const r = f.gk.check(f.order({ agentId: 'a1', symbol: 'ETH/USD', quantity: 1 }), f.ctx);
    expect(codes(r)).toEqual(['TRADING_HALTED']);
    expect(r.allowed ? {} : r.rejections[0].detail).toEqual({ scope: 'instrument:ETH/USD' });
    const view = f.gk.stateView();
    expect(view.effectiveState('a2', 'ETH/USD')).toBe('HALTED');
    expect(view.effectiveState('a2', 'BTC/USD')).toBe('REDUCING');
  });

  it('state_changes_are_audited_with_operator_reason_and_clock_time_and_only_an_operator_resumes', async () => {
    const f = makeFixture();
    const ks = new KillSwitch({ store: f.store, gatekeeper: f.gk, audit: f.audit });
    await ks.kill('global', 'hard', 'alice', 'incident 42');
    f.clock.advance(5_000);
    await ks.resume('global', 'bob', 'resolved');
    const flips = f.audit.events.filter((e) => e.type === 'TRADING_STATE_CHANGED');
    expect(flips.map((e) => [e.actor, e.payload.from, e.payload.to, e.payload.reason, e.payload.changedAtMs])).toEqual([
      ['operator:alice', 'ACTIVE', 'HALTED', 'incident 42', T0_MS],
      ['operator:bob', 'HALTED', 'ACTIVE', 'resolved', T0_MS + 5_000],
    ]);
    expect(f.gk.check(f.order(), f.ctx).allowed).toBe(true);
    await expect(ks.kill('global', 'hard', 'alice', '  ')).rejects.toThrow(/reason/);
    await expect(ks.kill('desk:7', 'hard', 'alice', 'x')).rejects.toThrow(/scope/);
  });

  it('the_agent_view_has_no_method_that_changes_state', () => {
    const f = makeFixture();
    const view = f.gk.stateView();
    expect(Object.keys(view).sort()).toEqual(['effectiveState', 'health', 'stateOf']);
    expect(Object.isFrozen(view)).toBe(true);
  });
});

describe('hard kill (HALTED)', () => {
  it('kill_hard_then_every_new_order_is_denied_even_reducing_ones', async () => {
    const f = makeFixture();
    const ks = new KillSwitch({ store: f.store, gatekeeper: f.gk, audit: f.audit });
    await ks.kill('global', 'hard', 'alice', 'incident');
    f.ctx.setPosition('BTC/USD', 0.3);
    expect(codes(f.gk.check(f.order({ side: 'SELL', quantity: 0.3, reduceOnly: true }), f.ctx))).toEqual(['TRADING_HALTED']);
  });

  it('kill_hard_cancels_open_orders_and_flattens_positions_in_scope_with_marked_audited_orders', async () => {
    const f = makeFixture();
    const venue = new RecordingVenue([
      { symbol: 'BTC/USD', quantity: 0.5, agentId: 'a1' },
      { symbol: 'ETH/USD', quantity: -3, agentId: 'a1' },
      { symbol: 'BTC/USD', quantity: 0.2, agentId: 'a2' },
    ]);
    const ks = new KillSwitch({ store: f.store, gatekeeper: f.gk, audit: f.audit, venue });
    await ks.kill('agent:a1', 'hard', 'alice', 'runaway');
    await ks.settled();
    expect(venue.cancelled).toEqual(['agent:a1']);
    expect(venue.submitted.map((o) => [o.symbol, o.side, o.quantity, o.reduceOnly, o.flattening, o.agentId])).toEqual([
      ['BTC/USD', 'SELL', 0.5, true, true, 'a1'],
      ['ETH/USD', 'BUY', 3, true, true, 'a1'],
    ]);
    const types = f.audit.events.map((e) => e.type);
    expect(types.filter((t) => t === 'FLATTEN_ORDER_ISSUED')).toHaveLength(2);
    expect(types.filter((t) => t === 'FLATTEN_ORDER_SUBMITTED')).toHaveLength(2);
    expect(types).toContain('OPEN_ORDERS_CANCELLED');
    expect(f.audit.events.filter((e) => e.type === 'ORDER_APPROVED').every((e) => e.payload.flattening === true)).toBe(true);
  });

  it('an_agent_order_marked_flattening_but_not_issued_by_the_kill_switch_is_denied', async () => {
    const f = makeFixture();
    const ks = new KillSwitch({ store: f.store, gatekeeper: f.gk, audit: f.audit });
    await ks.kill('global', 'hard', 'alice', 'incident');
    const forged = f.order({ side: 'SELL', flattening: true, reduceOnly: true });
    expect(codes(f.gk.check(forged, f.ctx))).toEqual(['INVALID_ORDER']);
    // A real flattening order passes exactly once.
    const real = f.gk.issueFlatteningOrder('BTC/USD', 0.5, 'a1');
    expect(f.gk.check(real, f.ctx).allowed).toBe(true);
    expect(codes(f.gk.check(real, f.ctx))).toEqual(['INVALID_ORDER']);
  });

  it('an_automatic_drawdown_halt_also_flattens', async () => {
    const f = makeFixture({ drawdownHaltPct: 0.1, dailyLossLimitPct: 0.5 });
    const venue = new RecordingVenue([{ symbol: 'BTC/USD', quantity: 1 }]);
    const ks = new KillSwitch({ store: f.store, gatekeeper: f.gk, audit: f.audit, venue });
    f.ctx.setAccount({ equity: 90_000, peakEquity: 100_000, dayStartEquity: 95_000, timeMs: T0_MS });
    f.gk.check(f.order(), f.ctx);
    await flush();
    await ks.settled();
    expect(venue.cancelled).toEqual(['global']);
    expect(venue.submitted).toHaveLength(1);
  });
});

describe('latch across restarts', () => {
  it('a_restarted_gatekeeper_comes_back_in_the_last_state_replayed_from_the_audit_log', async () => {
    const f = makeFixture();
    const ks = new KillSwitch({ store: f.store, gatekeeper: f.gk, audit: f.audit });
    await ks.kill('global', 'soft', 'alice', 'first');
    await ks.kill('agent:a1', 'hard', 'alice', 'second');
    await ks.kill('global', 'hard', 'bob', 'third');
    await ks.resume('global', 'bob', 'fourth');

    // A new process: empty store, state rebuilt from the events the old one wrote.
    const records = replayTradingStates(f.audit.events);
    const g = makeFixture({}, new MemoryStateStore(f.clock), f.clock);
    const before = g.store.epoch()?.id;
    const restored = await restoreTradingStates(g.store, { fromLog: records, actor: 'system', reason: 'start', source: 'spec', clock: f.clock, audit: g.audit });
    expect(g.store.cache.stateOf('global')).toBe('ACTIVE');
    expect(g.store.cache.stateOf('agent:a1')).toBe('HALTED');
    expect(codes(g.gk.check(g.order({ agentId: 'a1' }), g.ctx))).toEqual(['TRADING_HALTED']);
    // Audited as one restore under a new epoch; versions restart in it and new flips continue after them.
    expect(restored.epoch.id).not.toBe(before);
    expect(g.audit.events.filter((e) => e.type === 'TRADING_STATE_RESTORED')).toHaveLength(1);
    const next = await g.store.set({ scope: 'agent:a1', state: 'ACTIVE', actor: 'operator:bob', reason: 'ok' });
    expect(next).toMatchObject({ epoch: restored.epoch.id, version: restored.records.length + 1 });
  });

  it('replay_refuses_an_unreadable_state_event_instead_of_guessing', () => {
    expect(() =>
      replayTradingStates([{ type: 'TRADING_STATE_CHANGED', actor: 'system', payload: { scope: 'global', to: 'PAUSED' } }]),
    ).toThrow(/TRADING_STATE_CHANGED event #1 is unreadable/);
  });
});
