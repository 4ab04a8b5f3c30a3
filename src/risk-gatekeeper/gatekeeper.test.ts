import { describe, expect, it } from 'vitest';
import { renderRejection } from './reasons.js';
import { codes, flush, makeFixture, T0_MS } from './test-helpers/fixtures.js';

describe('RiskGatekeeper pre-trade checks', () => {
  it('check_when_order_is_within_every_limit_then_approves_and_audits_approval', () => {
    const f = makeFixture();
    expect(f.gk.check(f.order(), f.ctx)).toEqual({ allowed: true });
    expect(f.audit.events.map((e) => e.type)).toEqual(['ORDER_APPROVED']);
    expect(f.audit.events[0].actor).toBe('agent:a1');
  });

  it('check_when_quantity_is_nan_infinite_zero_or_negative_then_denies_invalid_quantity', () => {
    const f = makeFixture();
    for (const quantity of [Number.NaN, Number.POSITIVE_INFINITY, 0, -0.1]) {
      expect(codes(f.gk.check(f.order({ quantity }), f.ctx))).toEqual(['INVALID_QUANTITY']);
    }
    expect(f.audit.events.every((e) => e.type === 'ORDER_DENIED')).toBe(true);
  });

  it('check_when_limit_price_is_bad_or_missing_then_denies_invalid_price', () => {
    const f = makeFixture();
    for (const limitPrice of [Number.NaN, Number.NEGATIVE_INFINITY, 0, -1, undefined]) {
      expect(codes(f.gk.check(f.order({ type: 'LIMIT', limitPrice }), f.ctx))).toEqual(['INVALID_PRICE']);
    }
    expect(codes(f.gk.check(f.order({ referencePrice: Number.NaN }), f.ctx))).toEqual(['INVALID_PRICE']);
  });

  it('check_when_symbol_is_unknown_then_denies_unknown_instrument', () => {
    const f = makeFixture();
    const r = f.gk.check(f.order({ symbol: 'DOGE/USD' }), f.ctx);
    expect(codes(r)).toEqual(['UNKNOWN_INSTRUMENT']);
    expect(r.allowed ? '' : renderRejection(r.rejections[0])).toBe('UNKNOWN_INSTRUMENT: symbol=DOGE/USD');
  });

  it('check_when_quantity_or_price_is_off_the_lot_or_tick_grid_then_denies', () => {
    const f = makeFixture();
    expect(codes(f.gk.check(f.order({ quantity: 0.0015 }), f.ctx))).toEqual(['LOT_SIZE']);
    expect(codes(f.gk.check(f.order({ type: 'LIMIT', limitPrice: 50_000.25 }), f.ctx))).toEqual(['TICK_SIZE']);
    expect(f.gk.check(f.order({ type: 'LIMIT', limitPrice: 50_000.5 }), f.ctx).allowed).toBe(true);
  });

  it('check_at_min_notional_approves_and_just_below_denies', () => {
    const f = makeFixture();
    // 0.001 BTC × 10,000 = 10 (the minimum) vs. 9.5.
    f.ctx.setPrice('BTC/USD', 10_000, T0_MS);
    expect(f.gk.check(f.order({ quantity: 0.001 }), f.ctx).allowed).toBe(true);
    f.ctx.setPrice('BTC/USD', 9_500, T0_MS);
    expect(codes(f.gk.check(f.order({ quantity: 0.001 }), f.ctx))).toEqual(['MIN_NOTIONAL']);
  });

  it('check_at_max_order_quantity_and_notional_approves_and_above_denies_with_numbers', () => {
    const f = makeFixture({ limits: { maxOrderQty: 1, maxOrderNotionalQuote: 20_000 } });
    f.ctx.setPrice('BTC/USD', 20_000, T0_MS);
    expect(f.gk.check(f.order({ quantity: 1 }), f.ctx).allowed).toBe(true);
    const r = f.gk.check(f.order({ quantity: 1.001 }), f.ctx);
    expect(codes(r)).toEqual(['MAX_ORDER_QUANTITY', 'MAX_ORDER_NOTIONAL']);
    expect(r.allowed ? [] : r.rejections.map(renderRejection)).toEqual([
      'MAX_ORDER_QUANTITY: max=1, got=1.001',
      'MAX_ORDER_NOTIONAL: max=20000, got=20020, price=20000',
    ]);
  });

  it('check_uses_per_instrument_overrides_of_limits', () => {
    const f = makeFixture({ instruments: { 'ETH/USD': { maxOrderQty: 5, maxPositionQty: 10 } } });
    expect(f.gk.check(f.order({ symbol: 'ETH/USD', quantity: 5 }), f.ctx).allowed).toBe(true);
    expect(codes(f.gk.check(f.order({ symbol: 'ETH/USD', quantity: 5.01 }), f.ctx))).toEqual(['MAX_ORDER_QUANTITY']);
    expect(codes(f.gk.check(f.order({ quantity: 1.5 }), f.ctx))).toContain('MAX_ORDER_QUANTITY');
  });

  it('check_when_limit_price_is_at_the_collar_edge_approves_and_beyond_denies', () => {
    const f = makeFixture({ collarPct: 0.05 });
    expect(f.gk.check(f.order({ type: 'LIMIT', limitPrice: 52_500, quantity: 0.01 }), f.ctx).allowed).toBe(true);
    expect(f.gk.check(f.order({ type: 'LIMIT', limitPrice: 47_500, quantity: 0.01 }), f.ctx).allowed).toBe(true);
    expect(codes(f.gk.check(f.order({ type: 'LIMIT', limitPrice: 52_500.5, quantity: 0.01 }), f.ctx))).toEqual(['PRICE_COLLAR']);
    expect(codes(f.gk.check(f.order({ referencePrice: 47_000, quantity: 0.01 }), f.ctx))).toEqual(['PRICE_COLLAR']);
  });

  it('check_when_trusted_price_is_missing_or_older_than_bound_then_denies_no_trusted_price', () => {
    const f = makeFixture({ maxPriceAgeSec: 60 });
    f.clock.advance(60_000);
    f.ctx.setAccount({ equity: 100_000, peakEquity: 100_000, dayStartEquity: 100_000, timeMs: f.clock.nowMs() });
    expect(f.gk.check(f.order(), f.ctx).allowed).toBe(true);
    f.clock.advance(1);
    expect(codes(f.gk.check(f.order(), f.ctx))).toEqual(['NO_TRUSTED_PRICE']);
    const g = makeFixture();
    g.ctx.setPrice('BTC/USD', Number.NaN, T0_MS);
    expect(codes(g.gk.check(g.order(), g.ctx))).toEqual(['NO_TRUSTED_PRICE']);
  });

  it('check_when_account_is_missing_or_stale_then_denies_no_account', () => {
    const f = makeFixture({ maxAccountAgeSec: 60 });
    f.ctx.setAccount(undefined);
    expect(codes(f.gk.check(f.order(), f.ctx))).toEqual(['NO_ACCOUNT']);
    f.ctx.setAccount({ equity: 100_000, peakEquity: 100_000, dayStartEquity: 100_000, timeMs: T0_MS - 60_001 });
    expect(codes(f.gk.check(f.order(), f.ctx))).toEqual(['NO_ACCOUNT']);
    f.ctx.setAccount({ equity: 100_000, peakEquity: 100_000, dayStartEquity: 100_000, timeMs: T0_MS - 60_000 });
    expect(f.gk.check(f.order(), f.ctx).allowed).toBe(true);
  });

  it('check_when_post_trade_position_exceeds_limit_then_denies_but_a_reducing_order_passes', () => {
    const f = makeFixture({
      limits: { maxPositionQty: 2, maxPositionNotionalQuote: 1e9, maxOrderNotionalQuote: 1e9 },
      maxGrossExposureQuote: 1e9,
    });
    f.ctx.setPosition('BTC/USD', 1.5);
    expect(f.gk.check(f.order({ quantity: 0.5 }), f.ctx).allowed).toBe(true);
    expect(codes(f.gk.check(f.order({ quantity: 0.501 }), f.ctx))).toEqual(['MAX_POSITION']);
    f.ctx.setPosition('BTC/USD', 2.5); // already over (e.g. the limit was lowered): shrinking is still allowed
    expect(f.gk.check(f.order({ side: 'SELL', quantity: 0.2 }), f.ctx).allowed).toBe(true);
    // From short -1.5, a sell of 0.6 ends at -2.1: over on the short side too.
    f.ctx.setPosition('BTC/USD', -1.5);
    expect(codes(f.gk.check(f.order({ side: 'SELL', quantity: 0.6 }), f.ctx))).toEqual(['MAX_POSITION']);
  });

  it('check_when_position_value_exceeds_notional_limit_then_denies', () => {
    const f = makeFixture({ limits: { maxPositionNotionalQuote: 60_000, maxOrderNotionalQuote: 1e9 }, maxGrossExposureQuote: 1e9 });
    f.ctx.setPosition('BTC/USD', 1);
    expect(f.gk.check(f.order({ quantity: 0.2 }), f.ctx).allowed).toBe(true); // 1.2 × 50,000 = 60,000
    expect(codes(f.gk.check(f.order({ quantity: 0.201 }), f.ctx))).toEqual(['MAX_POSITION']);
  });

  it('check_when_portfolio_gross_exposure_would_exceed_limit_then_denies', () => {
    const f = makeFixture({ maxGrossExposureQuote: 80_000 });
    f.ctx.setPosition('ETH/USD', -20); // 40,000 short counts as exposure
    f.ctx.setPosition('BTC/USD', 0.5); // 25,000
    expect(f.gk.check(f.order({ quantity: 0.3 }), f.ctx).allowed).toBe(true); // 40,000 + 40,000
    expect(codes(f.gk.check(f.order({ quantity: 0.301 }), f.ctx))).toEqual(['MAX_GROSS_EXPOSURE']);
  });

  it('check_when_a_held_instrument_has_no_trusted_price_then_exposure_is_unknown_and_denies', () => {
    const f = makeFixture();
    f.ctx.setPosition('ETH/USD', 1);
    f.ctx.setPrice('ETH/USD', 2000, T0_MS - 61_000);
    const r = f.gk.check(f.order(), f.ctx);
    expect(codes(r)).toEqual(['NO_TRUSTED_PRICE']);
    expect(r.allowed ? '' : renderRejection(r.rejections[0])).toContain('symbol=ETH/USD');
  });

  // Regression: a NaN position compared false against every limit, so the order was approved.
  it('check_when_a_position_is_nan_or_infinite_then_fails_closed_with_no_account', () => {
    for (const [symbol, qty] of [
      ['BTC/USD', Number.NaN],
      ['BTC/USD', Number.NEGATIVE_INFINITY],
      ['ETH/USD', Number.NaN],
    ] as const) {
      const f = makeFixture();
      f.ctx.setPosition(symbol, qty);
      const r = f.gk.check(f.order({ side: 'SELL' }), f.ctx);
      expect(codes(r)).toEqual(['NO_ACCOUNT']);
      expect(r.allowed ? '' : renderRejection(r.rejections[0])).toBe(
        `NO_ACCOUNT: problem=position unreadable, symbol=${symbol}, got=${String(qty)}`,
      );
    }
  });

  it('check_when_open_orders_reach_the_maximum_then_denies', () => {
    const f = makeFixture({ maxOpenOrders: 3 });
    f.ctx.setOpenOrderCount(2);
    expect(f.gk.check(f.order(), f.ctx).allowed).toBe(true);
    f.ctx.setOpenOrderCount(3);
    expect(codes(f.gk.check(f.order(), f.ctx))).toEqual(['MAX_OPEN_ORDERS']);
  });
});

describe('RiskGatekeeper throttles, breaker and duplicates', () => {
  it('check_when_per_second_rate_is_reached_then_denies_until_the_window_moves', () => {
    const f = makeFixture({ maxOrdersPerSec: 3 });
    for (let i = 0; i < 3; i++) expect(f.gk.check(f.order({ quantity: 0.1 + i * 0.001 }), f.ctx).allowed).toBe(true);
    expect(codes(f.gk.check(f.order({ quantity: 0.2 }), f.ctx))).toEqual(['RATE_LIMIT']);
    f.clock.advance(999);
    expect(codes(f.gk.check(f.order({ quantity: 0.21 }), f.ctx))).toEqual(['RATE_LIMIT']);
    f.clock.advance(1);
    expect(f.gk.check(f.order({ quantity: 0.22 }), f.ctx).allowed).toBe(true);
    // Another agent has its own budget.
    expect(f.gk.check(f.order({ agentId: 'a2', quantity: 0.23 }), f.ctx).allowed).toBe(true);
  });

  it('check_when_per_minute_rate_is_reached_then_denies', () => {
    const f = makeFixture({ maxOrdersPerMin: 4, maxPriceAgeSec: 3600, maxAccountAgeSec: 3600 });
    for (let i = 0; i < 4; i++) {
      expect(f.gk.check(f.order({ quantity: 0.1 + i * 0.001 }), f.ctx).allowed).toBe(true);
      f.clock.advance(10_000);
    }
    expect(codes(f.gk.check(f.order({ quantity: 0.3 }), f.ctx))).toEqual(['RATE_LIMIT']);
    f.clock.advance(20_000); // the first order is now exactly 60 s old
    expect(f.gk.check(f.order({ quantity: 0.31 }), f.ctx).allowed).toBe(true);
  });

  it('check_when_actions_exceed_breaker_limit_then_agent_goes_reducing_and_alerts_once', async () => {
    const f = makeFixture({ circuitBreakerActionsPerMin: 5 });
    for (let i = 0; i < 5; i++) f.gk.check(f.order({ quantity: Number.NaN }), f.ctx); // even refused actions count
    const r = f.gk.check(f.order({ quantity: 0.1 }), f.ctx);
    expect(codes(r)).toEqual(['CIRCUIT_BREAKER']);
    await flush();
    expect(f.store.cache.stateOf('agent:a1')).toBe('REDUCING');
    expect(codes(f.gk.check(f.order({ quantity: 0.11 }), f.ctx))).toContain('REDUCING_ONLY');
    expect(f.gk.check(f.order({ agentId: 'a2' }), f.ctx).allowed).toBe(true);
    const types = f.audit.events.map((e) => e.type);
    expect(types.filter((t) => t === 'CIRCUIT_BREAKER_TRIPPED')).toHaveLength(1);
    const flip = f.audit.events.find((e) => e.type === 'TRADING_STATE_CHANGED');
    expect(flip?.actor).toBe('system');
    expect(flip?.payload).toMatchObject({ scope: 'agent:a1', from: 'ACTIVE', to: 'REDUCING' });
    // Nothing returns to ACTIVE by itself: a minute later the agent is still REDUCING.
    f.clock.advance(120_000);
    expect(f.store.cache.stateOf('agent:a1')).toBe('REDUCING');
  });

  it('check_when_client_order_id_was_seen_before_then_denies_duplicate_until_ttl', () => {
    const f = makeFixture({ clientIdTtlSec: 10, maxPriceAgeSec: 3600, maxAccountAgeSec: 3600 });
    expect(f.gk.check(f.order({ clientOrderId: 'x' }), f.ctx).allowed).toBe(true);
    expect(codes(f.gk.check(f.order({ clientOrderId: 'x', quantity: 0.2 }), f.ctx))).toEqual(['DUPLICATE_ORDER']);
    f.clock.advance(9_999);
    expect(codes(f.gk.check(f.order({ clientOrderId: 'x', quantity: 0.3 }), f.ctx))).toEqual(['DUPLICATE_ORDER']);
    f.clock.advance(1);
    expect(f.gk.check(f.order({ clientOrderId: 'x', quantity: 0.4 }), f.ctx).allowed).toBe(true);
  });

  it('check_when_same_order_repeats_k_times_within_window_then_denies_and_alerts_once', () => {
    const f = makeFixture({ maxRepeats: 3, repeatWindowSec: 10 });
    const same = { quantity: 0.05, side: 'BUY' as const };
    for (let i = 0; i < 3; i++) expect(f.gk.check(f.order(same), f.ctx).allowed).toBe(true);
    // An agent looping on one action: the 4th and every later copy inside the window is refused.
    for (let i = 0; i < 50; i++) expect(codes(f.gk.check(f.order(same), f.ctx))).toEqual(['REPEATED_ORDER']);
    expect(f.audit.events.filter((e) => e.type === 'REPEATED_ORDER_ALERT')).toHaveLength(1);
    expect(f.gk.check(f.order({ quantity: 0.06 }), f.ctx).allowed).toBe(true); // a different order is fine
    f.clock.advance(10_000);
    expect(f.gk.check(f.order(same), f.ctx).allowed).toBe(true);
  });
});

describe('RiskGatekeeper loss triggers', () => {
  it('check_when_day_loss_reaches_limit_then_global_goes_reducing_and_increasing_orders_are_denied', async () => {
    const f = makeFixture({ dailyLossLimitPct: 0.05 });
    f.ctx.setAccount({ equity: 95_001, peakEquity: 100_000, dayStartEquity: 100_000, timeMs: T0_MS });
    expect(f.gk.check(f.order(), f.ctx).allowed).toBe(true);
    f.ctx.setAccount({ equity: 95_000, peakEquity: 100_000, dayStartEquity: 100_000, timeMs: T0_MS });
    // The embedded store flips at once, so the same check already sees REDUCING.
    expect(codes(f.gk.check(f.order(), f.ctx))).toEqual(['DAILY_LOSS_LIMIT', 'REDUCING_ONLY']);
    await flush();
    expect(f.store.cache.stateOf('global')).toBe('REDUCING');
    f.ctx.setPosition('BTC/USD', 0.5);
    expect(f.gk.check(f.order({ side: 'SELL', quantity: 0.2 }), f.ctx).allowed).toBe(true);
    // Recovering equity does not lift the latch.
    f.ctx.setAccount({ equity: 100_000, peakEquity: 100_000, dayStartEquity: 100_000, timeMs: T0_MS });
    expect(codes(f.gk.check(f.order(), f.ctx))).toEqual(['REDUCING_ONLY']);
  });

  it('check_when_drawdown_reaches_halt_then_global_is_halted', async () => {
    const f = makeFixture({ drawdownHaltPct: 0.2, dailyLossLimitPct: 0.5 });
    f.ctx.setAccount({ equity: 80_001, peakEquity: 100_000, dayStartEquity: 90_000, timeMs: T0_MS });
    expect(f.gk.check(f.order(), f.ctx).allowed).toBe(true);
    f.ctx.setAccount({ equity: 80_000, peakEquity: 100_000, dayStartEquity: 90_000, timeMs: T0_MS });
    f.ctx.setPosition('BTC/USD', 0.5);
    expect(codes(f.gk.check(f.order({ side: 'SELL', quantity: 0.1 }), f.ctx))).toEqual(['DRAWDOWN_HALT', 'TRADING_HALTED']);
    await flush();
    expect(f.store.cache.stateOf('global')).toBe('HALTED');
    expect(codes(f.gk.check(f.order({ side: 'SELL', quantity: 0.2 }), f.ctx))).toContain('TRADING_HALTED');
  });

  // Regression: a closed embedded store threw from inside check() when a trigger tried to escalate.
  it('check_when_a_trigger_fires_on_a_closed_store_then_denies_and_audits_the_failed_escalation', async () => {
    const f = makeFixture({ drawdownHaltPct: 0.2, dailyLossLimitPct: 0.5 });
    await f.store.close();
    f.ctx.setAccount({ equity: 80_000, peakEquity: 100_000, dayStartEquity: 90_000, timeMs: T0_MS });
    expect(codes(f.gk.check(f.order(), f.ctx))).toEqual(['DRAWDOWN_HALT', 'STATE_UNKNOWN']);
    await flush();
    const failed = f.audit.events.find((e) => e.type === 'STATE_ESCALATION_FAILED');
    expect(failed?.payload).toMatchObject({ scope: 'global', state: 'HALTED', error: 'trading state store: closed' });
  });
});
