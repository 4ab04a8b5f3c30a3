/**
 * Regression specs for the gatekeeper holes an adversarial probe found (issue 16): each test is named after the
 * bug it pins, and fails on the code before the fix.
 */
import { describe, expect, it } from 'vitest';
import { renderRejection } from './reasons.js';
import { codes, flush, makeFixture, T0_MS } from './test-helpers/fixtures.js';
import type { CheckResult } from './gatekeeper.js';

const rendered = (r: CheckResult): string[] => (r.allowed ? [] : r.rejections.map(renderRejection));

/** Per-order notional cap 100,000; everything else out of the way. BTC trusted at 50,000. */
const NOTIONAL_CAP = {
  limits: { maxOrderQty: 100, maxOrderNotionalQuote: 100_000, maxPositionQty: 1e6, maxPositionNotionalQuote: 1e12 },
  maxGrossExposureQuote: 1e12,
};

describe('defect 1: per-order notional at the worse of the order price and the trusted price', () => {
  it('a_market_order_with_a_low_reference_price_was_sized_at_it_and_passed_the_notional_cap_now_judged_at_the_trusted_price', () => {
    const f = makeFixture(NOTIONAL_CAP);
    // 2.1 × 47,500 = 99,750 looked under the cap; it fills near 50,000: 105,000.
    const r = f.gk.check(f.order({ quantity: 2.1, referencePrice: 47_500 }), f.ctx);
    expect(rendered(r)).toEqual(['MAX_ORDER_NOTIONAL: max=100000, got=105000, price=50000']);
    // With the collar opened to 99 % a reference price of 1 made the cap void.
    const g = makeFixture({ ...NOTIONAL_CAP, collarPct: 0.99 });
    expect(codes(g.gk.check(g.order({ side: 'SELL', quantity: 2.1, referencePrice: 1_000 }), g.ctx))).toEqual(['MAX_ORDER_NOTIONAL']);
    // A reference price above the trusted one is the worse price: judged at it.
    expect(rendered(f.gk.check(f.order({ quantity: 1.95, referencePrice: 52_500 }), f.ctx))).toEqual([
      'MAX_ORDER_NOTIONAL: max=100000, got=102375, price=52500',
    ]);
    expect(f.gk.check(f.order({ quantity: 2, referencePrice: 47_500 }), f.ctx).allowed).toBe(true); // 100,000: at the cap
  });

  it('a_sell_limit_below_the_market_was_sized_at_its_limit_though_it_fills_at_the_market_now_judged_at_the_trusted_price', () => {
    const f = makeFixture(NOTIONAL_CAP);
    f.ctx.setPosition('BTC/USD', 10);
    expect(rendered(f.gk.check(f.order({ side: 'SELL', type: 'LIMIT', limitPrice: 47_500, quantity: 2.1 }), f.ctx))).toEqual([
      'MAX_ORDER_NOTIONAL: max=100000, got=105000, price=50000',
    ]);
    // Above the market a sell fills at its limit or better: the limit is the worse price.
    expect(f.gk.check(f.order({ side: 'SELL', type: 'LIMIT', limitPrice: 52_500, quantity: 1.9 }), f.ctx).allowed).toBe(true);
    expect(codes(f.gk.check(f.order({ side: 'SELL', type: 'LIMIT', limitPrice: 52_500, quantity: 1.91 }), f.ctx))).toEqual([
      'MAX_ORDER_NOTIONAL',
    ]);
  });

  it('a_buy_limit_below_the_market_is_the_one_order_its_own_price_bounds', () => {
    const f = makeFixture(NOTIONAL_CAP);
    // 2.1 × 47,500 = 99,750: a buy limit never pays more than its limit.
    expect(f.gk.check(f.order({ type: 'LIMIT', limitPrice: 47_500, quantity: 2.1 }), f.ctx).allowed).toBe(true);
    expect(codes(f.gk.check(f.order({ type: 'LIMIT', limitPrice: 52_500, quantity: 1.95 }), f.ctx))).toEqual(['MAX_ORDER_NOTIONAL']);
  });

  it('the_minimum_notional_of_a_market_order_is_judged_at_the_trusted_price_not_at_its_reference_price', () => {
    const f = makeFixture();
    f.ctx.setPrice('BTC/USD', 9_500, T0_MS);
    // 0.001 × 10,000 = 10 on the caller's word; the venue sees 0.001 × 9,500 = 9.5.
    expect(rendered(f.gk.check(f.order({ quantity: 0.001, referencePrice: 9_900 }), f.ctx))).toEqual(['MIN_NOTIONAL: min=10, got=9.5']);
  });
});

describe('defect 2: timestamps ahead of the clock', () => {
  it('a_future_dated_trusted_price_counted_as_fresh_for_an_hour_now_fails_closed_beyond_the_skew', () => {
    const f = makeFixture({ maxClockSkewMs: 1_000 });
    f.ctx.setPrice('BTC/USD', 50_000, T0_MS + 3_600_000);
    expect(rendered(f.gk.check(f.order(), f.ctx))).toEqual([
      'NO_TRUSTED_PRICE: symbol=BTC/USD, problem=stamped ahead of the clock, aheadMs=3600000, maxClockSkewMs=1000',
    ]);
    f.ctx.setPrice('BTC/USD', 50_000, T0_MS + 1_001);
    expect(codes(f.gk.check(f.order(), f.ctx))).toEqual(['NO_TRUSTED_PRICE']);
    f.ctx.setPrice('BTC/USD', 50_000, T0_MS + 1_000); // within the skew: clocks disagree a little
    expect(f.gk.check(f.order(), f.ctx).allowed).toBe(true);
  });

  it('a_future_dated_price_of_another_held_instrument_makes_the_gross_exposure_unknown', () => {
    const f = makeFixture();
    f.ctx.setPosition('ETH/USD', 1).setPrice('ETH/USD', 2_000, T0_MS + 60_000);
    expect(rendered(f.gk.check(f.order(), f.ctx))).toEqual([
      'NO_TRUSTED_PRICE: symbol=ETH/USD, problem=stamped ahead of the clock, aheadMs=60000, maxClockSkewMs=1000',
    ]);
  });

  it('a_future_dated_account_counted_as_fresh_now_fails_closed_beyond_the_skew', () => {
    const f = makeFixture({ maxClockSkewMs: 500 });
    f.ctx.setAccount({ equity: 100_000, peakEquity: 100_000, dayStartEquity: 100_000, timeMs: T0_MS + 3_600_000 });
    expect(rendered(f.gk.check(f.order(), f.ctx))).toEqual([
      'NO_ACCOUNT: problem=stamped ahead of the clock, aheadMs=3600000, maxClockSkewMs=500',
    ]);
    f.ctx.setAccount({ equity: 100_000, peakEquity: 100_000, dayStartEquity: 100_000, timeMs: T0_MS + 500 });
    expect(f.gk.check(f.order(), f.ctx).allowed).toBe(true);
  });
});

describe('defect 3: every account figure finite', () => {
  it('an_infinite_day_start_or_peak_equity_switched_the_loss_triggers_off_now_the_order_is_refused_naming_the_field', () => {
    const good = { equity: 50_000, peakEquity: 100_000, dayStartEquity: 100_000, timeMs: T0_MS };
    for (const [field, value] of [
      ['dayStartEquity', Number.POSITIVE_INFINITY],
      ['peakEquity', Number.POSITIVE_INFINITY],
      ['equity', Number.NEGATIVE_INFINITY],
      ['equity', Number.NaN],
      ['timeMs', Number.NaN],
      ['dayStartEquity', 0],
    ] as const) {
      const f = makeFixture();
      f.ctx.setAccount({ ...good, [field]: value });
      expect(rendered(f.gk.check(f.order(), f.ctx))).toEqual([`NO_ACCOUNT: problem=invalid, field=${field}, got=${String(value)}`]);
    }
  });
});

describe('defect 4: the REDUCING allowance is tied to the lot, not to the position', () => {
  const HUGE = {
    limits: { maxOrderQty: 1e12, maxOrderNotionalQuote: 1e20, maxPositionQty: 1e12, maxPositionNotionalQuote: 1e20 },
    maxGrossExposureQuote: 1e20,
  };

  it('a_sell_flipping_a_long_of_5e8_into_a_short_of_0_4_passed_as_reducing_now_denied', async () => {
    const f = makeFixture(HUGE);
    await f.store.set({ scope: 'global', state: 'REDUCING', actor: 'operator:ops', reason: 'soft kill' });
    f.ctx.setPosition('BTC/USD', 5e8);
    // 0.4 BTC is 400 lots of 0.001: a real short, not rounding noise (the old allowance was 1e-9 × 5e8 = 0.5).
    expect(codes(f.gk.check(f.order({ side: 'SELL', quantity: 500_000_000.4 }), f.ctx))).toEqual(['REDUCING_ONLY']);
    expect(codes(f.gk.check(f.order({ side: 'SELL', quantity: 500_000_000.001 }), f.ctx))).toEqual(['REDUCING_ONLY']);
    expect(f.gk.check(f.order({ side: 'SELL', quantity: 500_000_000 }), f.ctx).allowed).toBe(true);
    expect(f.gk.check(f.order({ side: 'SELL', quantity: 499_999_999.6 }), f.ctx).allowed).toBe(true);
  });

  it('floating_point_dust_of_a_full_close_still_counts_as_flat', async () => {
    const f = makeFixture();
    await f.store.set({ scope: 'global', state: 'REDUCING', actor: 'operator:ops', reason: 'soft kill' });
    f.ctx.setPosition('BTC/USD', 0.3 - 0.1); // 0.19999999999999998
    expect(f.gk.check(f.order({ side: 'SELL', quantity: 0.2 }), f.ctx).allowed).toBe(true);
  });
});

describe('defect 7: minor holes', () => {
  it('a_negative_or_fractional_open_order_count_passed_as_room_now_fails_closed', () => {
    for (const n of [-1, 1.5, Number.NaN, Number.POSITIVE_INFINITY]) {
      const f = makeFixture();
      f.ctx.setOpenOrderCount(n);
      expect(rendered(f.gk.check(f.order(), f.ctx))).toEqual([`NO_ACCOUNT: problem=open order count unreadable, got=${String(n)}`]);
    }
  });

  it('an_unreadable_open_buy_quantity_on_the_orders_own_symbol_was_ignored_on_a_sell_now_fails_closed', () => {
    for (const bad of [Number.NaN, -0.5]) {
      const f = makeFixture();
      f.ctx.setPosition('BTC/USD', 0.5).setPendingOrders('BTC/USD', bad, 0);
      expect(rendered(f.gk.check(f.order({ side: 'SELL' }), f.ctx))).toEqual([
        `NO_ACCOUNT: problem=open orders unreadable, symbol=BTC/USD, side=BUY, got=${String(bad)}`,
      ]);
    }
  });

  it('a_copy_of_an_issued_flatten_order_with_a_limit_price_another_time_in_force_or_agent_matched_it_now_denied', () => {
    const f = makeFixture();
    const real = f.gk.issueFlatteningOrder('BTC/USD', 0.5, 'a1');
    for (const [field, copy] of [
      ['limitPrice', { ...real, limitPrice: 1 }],
      ['timeInForce', { ...real, timeInForce: 'GTC' as const }],
      ['agentId', { ...real, agentId: 'a2' }],
      ['referencePrice', { ...real, referencePrice: 40_000 }],
      ['createdAtMs', { ...real, createdAtMs: real.createdAtMs + 1 }],
    ] as const) {
      expect(rendered(f.gk.check(copy, f.ctx))).toEqual([
        `INVALID_ORDER: field=${field}, problem=differs from the flattening order the kill-switch issued`,
      ]);
    }
    // The order as issued still passes, once.
    expect(f.gk.check({ ...real }, f.ctx).allowed).toBe(true);
    expect(rendered(f.gk.check({ ...real }, f.ctx))).toEqual(['INVALID_ORDER: field=flattening, problem=not issued by the kill-switch']);
    expect(f.gk.issuedFlattenCount()).toBe(0);
  });

  it('a_flatten_issued_for_a_nan_position_was_refused_as_not_issued_and_stayed_in_memory_now_invalid_quantity_and_forgotten', () => {
    const f = makeFixture();
    for (const qty of [Number.NaN, Number.POSITIVE_INFINITY, 0]) {
      const order = f.gk.issueFlatteningOrder('BTC/USD', qty, 'a1');
      expect(codes(f.gk.check(order, f.ctx))).toEqual(['INVALID_QUANTITY']);
      expect(rendered(f.gk.check(order, f.ctx))[0]).toContain('problem=flattening order for an unreadable or zero position');
    }
    expect(f.gk.issuedFlattenCount()).toBe(0);
  });
});

describe('design: the agent id comes from the caller identity', () => {
  it('an_order_whose_body_names_another_agent_than_the_authenticated_caller_is_refused', () => {
    const f = makeFixture();
    const r = f.gk.check(f.order({ agentId: 'a2' }), f.ctx, { agentId: 'a1' });
    expect(rendered(r)).toEqual(['AGENT_MISMATCH: authenticated=a1, claimed=a2']);
    const denied = f.audit.events.at(-1);
    expect(denied?.actor).toBe('agent:a1');
    expect(denied?.payload).toMatchObject({ agentId: 'a1', claimedAgentId: 'a2' });
    expect(codes(f.gk.check(f.order({ agentId: 'a1' }), f.ctx, { agentId: '' }))).toEqual(['AGENT_MISMATCH']);
    // The same agent, or no agent in the body: attributed to the caller.
    expect(f.gk.check(f.order({ agentId: 'a1' }), f.ctx, { agentId: 'a1' }).allowed).toBe(true);
    const { agentId: _dropped, ...anonymous } = f.order();
    expect(f.gk.check(anonymous, f.ctx, { agentId: 'a1' }).allowed).toBe(true);
    expect(f.audit.events.at(-1)?.actor).toBe('agent:a1');
  });

  it('scopes_throttles_and_the_breaker_key_on_the_authenticated_agent_not_on_the_order_body', async () => {
    const f = makeFixture({ circuitBreakerActionsPerMin: 3 });
    await f.store.set({ scope: 'agent:a7', state: 'REDUCING', actor: 'operator:ops', reason: 'watch' });
    const { agentId: _dropped, ...anonymous } = f.order();
    // The body names nobody, the caller is a7: a7's REDUCING applies.
    expect(codes(f.gk.check(anonymous, f.ctx, { agentId: 'a7' }))).toEqual(['REDUCING_ONLY']);
    for (let i = 0; i < 3; i++) f.gk.check(f.order({ agentId: undefined, quantity: Number.NaN }), f.ctx, { agentId: 'a8' });
    expect(codes(f.gk.check(f.order({ agentId: undefined }), f.ctx, { agentId: 'a8' }))).toEqual(['CIRCUIT_BREAKER']);
    await flush();
    expect(f.store.cache.stateOf('agent:a8')).toBe('REDUCING');
    expect(f.store.cache.stateOf('global')).toBe('ACTIVE');
  });

  it('a_flattening_order_from_an_outside_caller_is_refused_even_when_issued', () => {
    const f = makeFixture();
    const real = f.gk.issueFlatteningOrder('BTC/USD', 0.5, 'a1');
    expect(rendered(f.gk.check(real, f.ctx, { agentId: 'a1' }))).toEqual([
      'INVALID_ORDER: field=flattening, problem=only the kill-switch submits flattening orders',
    ]);
  });

  it('orders_with_no_agent_id_over_the_breaker_rate_are_refused_but_never_trip_the_global_scope', async () => {
    const f = makeFixture({ circuitBreakerActionsPerMin: 5 });
    const unattributed = () => {
      const { agentId: _dropped, ...o } = f.order({ quantity: 0.1 + f.audit.events.length * 0.001 });
      return o;
    };
    for (let i = 0; i < 5; i++) expect(f.gk.check(unattributed(), f.ctx).allowed).toBe(true);
    for (let i = 0; i < 3; i++) {
      expect(rendered(f.gk.check(unattributed(), f.ctx))).toEqual([
        'CIRCUIT_BREAKER: scope=none, agent=unattributed, maxActionsPerMin=5',
      ]);
    }
    await flush();
    expect(f.store.cache.stateOf('global')).toBe('ACTIVE');
    expect(f.audit.events.filter((e) => e.type === 'CIRCUIT_BREAKER_TRIPPED')).toHaveLength(1);
    // Every attributed agent still trades.
    expect(f.gk.check(f.order({ agentId: 'a1' }), f.ctx).allowed).toBe(true);
    // Once the minute has passed, unattributed orders pass again.
    f.clock.advance(60_000);
    f.ctx.setAccount({ equity: 100_000, peakEquity: 100_000, dayStartEquity: 100_000, timeMs: f.clock.nowMs() });
    f.ctx.setPrice('BTC/USD', 50_000, f.clock.nowMs());
    expect(f.gk.check(unattributed(), f.ctx).allowed).toBe(true);
  });
});
