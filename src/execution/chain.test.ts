import { describe, expect, it } from 'vitest';
import { type Bars, DEFAULT_ACTIONS, barsFromRecords, defineInstrument } from '../core/index.js';
import { RULE_BIT, parseRules } from '../constraints/index.js';
import { parseGatekeeperConfig } from '../risk-gatekeeper/index.js';
import { MemoryAuditSink } from '../security/index.js';
import { CASH_ACCOUNT, SimVenue } from '../venues/index.js';
import { AccountState } from './account-state.js';
import { startEpisode, stepBar } from './bar-step.js';
import { DecisionChain, compileChainRules } from './chain.js';
import { decisionReasonCodes, renderDecision } from './decision.js';
import { GatekeeperLink } from './gatekeeper-link.js';
import { OrderSize, lotOf, lotQty, sizeAction } from './sizing.js';

const HOUR_MS = 3_600_000;
const instrument = defineInstrument({ symbol: 'TEST/USD', tickSize: 0.01, lotSize: 0.001 });
const ZERO_COST = { spreadBps: 0, slippageBps: 0, impactBps: 0, makerFeeBps: 0, takerFeeBps: 0, maxParticipation: 1 };

function flatBars(n: number, startMs: number, price = 100, volume = 1e6): Bars {
  return barsFromRecords(
    Array.from({ length: n }, (_, i) => ({ time: startMs + i * HOUR_MS, open: price, high: price, low: price, close: price, volume })),
  );
}

function setup(opts: { rules?: unknown; gatekeeper?: boolean; startMs?: number; n?: number } = {}) {
  const bars = flatBars(opts.n ?? 10, opts.startMs ?? Date.UTC(2024, 0, 1));
  const account = new AccountState(10_000, instrument.symbol);
  const venue = new SimVenue({ instrument, fill: ZERO_COST });
  const audit = new MemoryAuditSink();
  const rules = opts.rules === undefined ? null : compileChainRules(parseRules(opts.rules), { actions: DEFAULT_ACTIONS, fill: venue.sim.config, instrument });
  const gatekeeper = opts.gatekeeper
    ? new GatekeeperLink({ config: parseGatekeeperConfig({}), instrument, agentId: 'a1', audit, venue })
    : null;
  const chain = new DecisionChain({ instrument, account, venue, actionType: 'discrete', actions: DEFAULT_ACTIONS, rules, gatekeeper, agentId: 'a1', audit });
  startEpisode(chain, venue, bars, 0, HOUR_MS);
  return { bars, account, venue, chain, audit, gatekeeper };
}

describe('sizing', () => {
  it('rounds down to whole lots and never leaves one lot behind when closing (the close nudge)', () => {
    expect(lotQty(1.0019, lotOf(0.001))).toBe(1.001);
    expect(lotQty(-1.0019, lotOf(0.001))).toBe(-1.001);
    // 0.3 in lots of 0.1 is 2.9999999999999996 lots in floating point: the nudge keeps all three.
    expect(lotQty(-0.30000000000000004 + 1e-17, lotOf(0.1))).toBe(-0.3);
    expect(lotQty(0.0009, lotOf(0.001))).toBe(0);
    expect(lotQty(Number.NaN, lotOf(0.001))).toBe(0);
  });

  it('sizes a cash-fraction sizing as a quote order and a fixed qty as that qty', () => {
    const out = new OrderSize();
    const account = { positionQty: 0, equity: 1_000, cash: 1_000 };
    sizeAction(out, { name: 'BUY', kind: 'BUY', fraction: 0.5 }, { kind: 'fraction', fraction: 0.5 }, account, 100, lotOf(0.001));
    expect(out).toMatchObject({ qty: 5, quote: 500 });
    sizeAction(out, { name: 'SELL', kind: 'SELL', fraction: 1 }, { kind: 'qty', qty: 2 }, account, 100, lotOf(0.001));
    expect(out).toMatchObject({ qty: -2, quote: 0 });
  });
});

describe('AccountState: day rollover', () => {
  it('counts a fill at 23:00 on its own UTC day: the decision at 00:00 the next day sees no trade today (regression)', () => {
    const account = new AccountState(10_000, 'X');
    const day0 = Date.UTC(2024, 0, 1);
    account.reset(day0 + 22 * HOUR_MS, 100);
    account.startBar();
    account.applyFill(1, 100, 0, day0 + 23 * HOUR_MS);
    expect(account.tradesToday).toBe(1);
    expect(account.barsSinceLastTrade).toBe(0);
    account.mark(100, day0 + 24 * HOUR_MS);
    expect(account.tradesToday).toBe(0);
    expect(account.barsSinceLastTrade).toBe(0);
    account.startBar();
    account.mark(100, day0 + 25 * HOUR_MS);
    expect(account.barsSinceLastTrade).toBe(1);
  });
});

describe('DecisionChain', () => {
  it('submits a sized order that fills at the next open and books it into the account', () => {
    const { chain, venue, bars, account, audit } = setup();
    const d = chain.decideAction(1, bars.time[0] + HOUR_MS); // BUY_SMALL: 5 % of 10,000 at 100 = 5 units
    expect(d.outcome).toBe('SUBMITTED');
    if (d.outcome !== 'SUBMITTED') return;
    expect(d.signedQty).toBe(5);
    expect(venue.openOrders()).toHaveLength(1);
    stepBar(chain, venue, bars, 1, HOUR_MS);
    expect(account.positionQty).toBe(5);
    expect(account.tradesToday).toBe(1);
    expect(venue.fills().map((f) => f.fill.quantity)).toEqual([5]);
    expect(audit.events.map((e) => e.type)).toEqual(['ORDER_SUBMITTED', 'FILL']);
  });

  it('says NO_ORDER for HOLD and for less than one lot', () => {
    const { chain, bars } = setup();
    expect(chain.decideAction(0, bars.time[0])).toMatchObject({ outcome: 'NO_ORDER', reason: 'HOLD' });
    expect(chain.decideAction(5, bars.time[0])).toMatchObject({ outcome: 'NO_ORDER', reason: 'BELOW_ONE_LOT' }); // close while flat
  });

  it('masks with the rule that forbids the action, and sends nothing', () => {
    const { chain, bars, venue } = setup({ rules: { max_position_pct: 0.02 } });
    const d = chain.decideAction(1, bars.time[0]);
    expect(d.outcome).toBe('MASKED');
    expect(decisionReasonCodes(d)).toEqual(['MAX_POSITION_PCT']);
    if (d.outcome === 'MASKED') expect(d.ruleBits).toBe(RULE_BIT.MAX_POSITION_PCT);
    expect(chain.mask[1]).toBe(0);
    expect(venue.openOrders()).toHaveLength(0);
  });

  it('masks every trade after one fill with max_trades_per_day 1, until the next UTC day', () => {
    // Start at 21:00 so that the order decided at 22:00 fills at the 23:00 open.
    const { chain, venue, bars } = setup({ rules: { max_position_pct: 1, max_trades_per_day: 1 }, startMs: Date.UTC(2024, 0, 1, 21) });
    stepBar(chain, venue, bars, 1, HOUR_MS); // decision at 23:00
    expect(chain.decideAction(1, bars.time[1] + HOUR_MS).outcome).toBe('SUBMITTED');
    stepBar(chain, venue, bars, 2, HOUR_MS); // fill at 23:00 open; decision at 00:00
    expect(chain.account.tradesToday).toBe(0);
    expect(chain.mask[1]).toBe(1);
    expect(chain.decideAction(1, bars.time[2] + HOUR_MS).outcome).toBe('SUBMITTED');
    stepBar(chain, venue, bars, 3, HOUR_MS); // fill at 00:00 on the new day: the day's one trade
    const d = chain.decideAction(1, bars.time[3] + HOUR_MS);
    expect(decisionReasonCodes(d)).toEqual(['MAX_TRADES_PER_DAY']);
  });

  it('is denied by the gatekeeper with its reason codes, after a hard kill', async () => {
    const { chain, bars, gatekeeper } = setup({ gatekeeper: true });
    if (gatekeeper === null) throw new Error('gatekeeper expected');
    gatekeeper.update(bars.time[0] + HOUR_MS, 100, chain.account);
    await gatekeeper.operate('hard_kill', 'ops', 'drill');
    const d = chain.decideAction(1, bars.time[0] + HOUR_MS);
    expect(d.outcome).toBe('DENIED');
    expect(decisionReasonCodes(d)).toContain('TRADING_HALTED');
    expect(renderDecision(d)).toMatch(/^DENIED TRADING_HALTED/);
    gatekeeper.dispose();
  });

  it('a hard kill cancels the venue’s real open orders and flattens its position through the venue', async () => {
    const { chain, bars, venue, gatekeeper, account } = setup({ gatekeeper: true });
    if (gatekeeper === null) throw new Error('gatekeeper expected');
    expect(chain.decideAction(2, bars.time[0] + HOUR_MS).outcome).toBe('SUBMITTED');
    stepBar(chain, venue, bars, 1, HOUR_MS);
    expect(account.positionQty).toBe(10);
    // A resting limit order far below the market: open at the venue when the kill comes.
    venue.submit({ clientOrderId: 'resting', symbol: instrument.symbol, side: 'BUY', type: 'LIMIT', limitPrice: 50, quantity: 1, timeInForce: 'GTC', createdAtMs: 0 });
    expect(venue.openOrders()).toHaveLength(1);
    gatekeeper.update(bars.time[1] + HOUR_MS, 100, account);
    await gatekeeper.operate('hard_kill', 'ops', 'drill');
    const open = venue.openOrders();
    expect(open.map((o) => o.order.clientOrderId)).not.toContain('resting');
    expect(open).toHaveLength(1);
    expect(open[0].order).toMatchObject({ side: 'SELL', quantity: 10, reduceOnly: true });
    stepBar(chain, venue, bars, 2, HOUR_MS);
    expect(account.positionQty).toBe(0);
    gatekeeper.dispose();
  });

  it('reports a venue refusal as VENUE_REJECTED with the venue’s own reason', () => {
    const tiny = defineInstrument({ symbol: 'TEST/USD', tickSize: 0.01, lotSize: 0.001 });
    const account = new AccountState(10_000, tiny.symbol);
    const venue = new SimVenue({ instrument: defineInstrument({ symbol: 'OTHER/USD' }), fill: ZERO_COST });
    const chain = new DecisionChain({ instrument: tiny, account, venue, actionType: 'discrete', actions: DEFAULT_ACTIONS });
    startEpisode(chain, venue, flatBars(3, 0), 0, HOUR_MS);
    const d = chain.decideAction(1, HOUR_MS);
    expect(d).toMatchObject({ outcome: 'VENUE_REJECTED', reason: 'UNKNOWN_SYMBOL' });
  });

  it('carries the venue’s refusal message into the decision, its render and its JSON, read after later steps', () => {
    // A cash account refuses a sell from flat: the message is rendered only when read, and must be the venue's text.
    const account = new AccountState(10_000, instrument.symbol);
    const venue = new SimVenue({ instrument, fill: ZERO_COST, account: CASH_ACCOUNT, initialCash: 10_000 });
    const chain = new DecisionChain({ instrument, account, venue, actionType: 'discrete', actions: DEFAULT_ACTIONS });
    const bars = flatBars(3, 0);
    startEpisode(chain, venue, bars, 0, HOUR_MS);
    const sell = DEFAULT_ACTIONS.findIndex((a) => a.kind === 'SELL');
    const d = chain.decideAction(sell, HOUR_MS);
    const text = 'INSUFFICIENT_BALANCE: quantity=5, holdings=0, account=cash (no short sales)';
    stepBar(chain, venue, bars, 1, HOUR_MS);
    expect(d).toMatchObject({ outcome: 'VENUE_REJECTED', reason: 'INSUFFICIENT_BALANCE', message: text });
    expect(renderDecision(d)).toBe(`VENUE_REJECTED ${text}`);
    expect(JSON.parse(JSON.stringify(d))).toMatchObject({ outcome: 'VENUE_REJECTED', reason: 'INSUFFICIENT_BALANCE', message: text, signedQty: -5 });
  });

  it('refuses an action index outside the list, and a rule set compiled for other actions', () => {
    const { chain } = setup();
    expect(() => chain.decideAction(6, 0)).toThrow('action: must be an integer in [0, 6), got 6');
    const venue = new SimVenue({ instrument, fill: ZERO_COST });
    const rules = compileChainRules(parseRules({}), { fill: venue.sim.config, instrument, actions: [DEFAULT_ACTIONS[0], DEFAULT_ACTIONS[1]] });
    expect(
      () => new DecisionChain({ instrument, account: new AccountState(1, 'X'), venue, actionType: 'discrete', actions: DEFAULT_ACTIONS, rules }),
    ).toThrow(/rules: compiled for a different action list/);
  });
});
