/** Explicit orders (the gateway's order intents) and the per-call token notional cap, through the one chain. */
import { describe, expect, it } from 'vitest';
import { DEFAULT_ACTIONS, barsFromRecords, defineInstrument } from '../core/index.js';
import { parseRules } from '../constraints/index.js';
import { parseGatekeeperConfig } from '../risk-gatekeeper/index.js';
import { MemoryAuditSink } from '../security/index.js';
import { SimVenue } from '../venues/index.js';
import { AccountState } from './account-state.js';
import { startEpisode, stepBar } from './bar-step.js';
import { DecisionChain, compileChainRules } from './chain.js';
import { decisionReasonCodes } from './decision.js';
import { GatekeeperLink } from './gatekeeper-link.js';

const HOUR_MS = 3_600_000;
const instrument = defineInstrument({ symbol: 'TEST/USD', tickSize: 0.01, lotSize: 0.001 });
const ZERO_COST = { spreadBps: 0, slippageBps: 0, impactBps: 0, makerFeeBps: 0, takerFeeBps: 0, maxParticipation: 1 };
const T0 = Date.UTC(2024, 0, 1);

function setup(rules: unknown) {
  const bars = barsFromRecords(Array.from({ length: 10 }, (_, i) => ({ time: T0 + i * HOUR_MS, open: 100, high: 100, low: 100, close: 100, volume: 1e6 })));
  const account = new AccountState(10_000, instrument.symbol);
  const venue = new SimVenue({ instrument, fill: ZERO_COST });
  const audit = new MemoryAuditSink();
  const gatekeeper = new GatekeeperLink({ config: parseGatekeeperConfig({}), instrument, agentId: 'a1', audit, venue });
  const compiled = compileChainRules(parseRules(rules), { actions: DEFAULT_ACTIONS, fill: venue.sim.config, instrument });
  const chain = new DecisionChain({ instrument, account, venue, actionType: 'discrete', actions: DEFAULT_ACTIONS, rules: compiled, gatekeeper, agentId: 'a1', audit });
  startEpisode(chain, venue, bars, 0, HOUR_MS);
  return { chain, venue, bars, account, audit };
}

describe('DecisionChain.decideOrder', () => {
  it('an_order_within_the_rules_is_submitted_with_the_callers_client_order_id_and_fills_at_the_next_open', () => {
    const { chain, venue, bars, account } = setup({ max_position_pct: 0.2 });
    const d = chain.decideOrder({ clientOrderId: 'c-1', side: 'BUY', quantity: 10, type: 'MARKET' }, bars.time[0] + HOUR_MS);
    expect(d.outcome).toBe('SUBMITTED');
    if (d.outcome === 'SUBMITTED') expect(d.order.clientOrderId).toBe('c-1');
    stepBar(chain, venue, bars, 1, HOUR_MS);
    expect(account.positionQty).toBe(10);
  });

  it('an_order_leaving_a_position_over_max_position_pct_is_masked_with_the_rule', () => {
    const { chain, bars } = setup({ max_position_pct: 0.2 });
    const d = chain.decideOrder({ clientOrderId: 'c-2', side: 'BUY', quantity: 30, type: 'MARKET' }, bars.time[0] + HOUR_MS);
    expect(d.outcome).toBe('MASKED');
    expect(decisionReasonCodes(d)).toEqual(['MAX_POSITION_PCT']);
  });

  it('a_replayed_client_order_id_is_denied_by_the_gatekeeper_as_duplicate', () => {
    const { chain, bars } = setup({ max_position_pct: 0.2 });
    expect(chain.decideOrder({ clientOrderId: 'dup', side: 'BUY', quantity: 1, type: 'MARKET' }, bars.time[0] + HOUR_MS).outcome).toBe('SUBMITTED');
    const again = chain.decideOrder({ clientOrderId: 'dup', side: 'BUY', quantity: 1, type: 'MARKET' }, bars.time[0] + HOUR_MS);
    expect(again.outcome).toBe('DENIED');
    expect(decisionReasonCodes(again)).toContain('DUPLICATE_ORDER');
  });

  it('a_sized_proposal_or_order_above_the_token_cap_is_denied_before_the_gatekeeper', () => {
    const { chain, bars, audit } = setup({ max_position_pct: 1 });
    chain.orderNotionalCap = 400; // BUY_SMALL is 5 % of 10,000 = 500
    const d = chain.decideAction(1, bars.time[0] + HOUR_MS);
    expect(d.outcome).toBe('DENIED');
    if (d.outcome === 'DENIED') expect(d.rejections[0]).toEqual({ code: 'MAX_ORDER_NOTIONAL', detail: { limit: 'token', notional: 500, max: 400 } });
    expect(audit.events.some((e) => e.type === 'ORDER_DENIED')).toBe(false);
    expect(chain.decideOrder({ clientOrderId: 'small', side: 'BUY', quantity: 3, type: 'MARKET' }, bars.time[0] + HOUR_MS).outcome).toBe('SUBMITTED');
  });

  it('a_limit_order_keeps_its_price_and_rests_until_cancelled', () => {
    const { chain, venue, bars } = setup({ max_position_pct: 0.2 });
    const d = chain.decideOrder({ clientOrderId: 'l-1', side: 'BUY', quantity: 1, type: 'LIMIT', limitPrice: 99 }, bars.time[0] + HOUR_MS);
    expect(d.outcome).toBe('SUBMITTED');
    stepBar(chain, venue, bars, 1, HOUR_MS);
    expect(venue.openOrders().map((o) => o.order.clientOrderId)).toEqual(['l-1']);
  });
});
