/**
 * `execution/`: the one decision chain every path calls — training envs, backtests, paper and live sessions,
 * the gateway and sandboxed agents. There is no second copy of mask → size → gatekeeper → venue → record.
 *
 * Building blocks:
 * - `AccountState` — the one account record (wraps the `Ledger`; equity, peak, day start, trades today, bars
 *   since the last trade, day rollover on the instrument's trading day: UTC unless its session says otherwise). It *is* the Constraint Logic Engine's `ConstraintState`, and the
 *   env's cost signals and the gatekeeper read it too. `reset(timeMs, price)`, `startBar()`,
 *   `applyFill(signedQty, price, fee, fillTimeMs)`, `mark(price, decisionTimeMs)`.
 * - `ExecutionVenue` (re-exported from `venues/`) — the venue port: `submit`, `cancel`, `cancelAll`,
 *   `openOrders`, `positions`, `fills`. `SimVenue` implements it; paper and ccxt venues implement the same port.
 *   It is a superset of the kill-switch's port: `killSwitchVenueOf(venue, agentId)` adapts it.
 * - `sizeAction` / `sizeTarget` — the one sizing function (lot rounding with the close nudge; quote-sized
 *   orders for `Sizing` `fraction`).
 * - `GatekeeperLink` — the real `RiskGatekeeper` + `KillSwitch` on a fake clock (or a given clock and store),
 *   enforcing halts through the chain's venue (real open orders are cancelled, the venue's position flattened).
 * - `DecisionChain` — bound to one account and one venue:
 *     `prepare()`                 after each mark: locks, then `mask`/`reasonBits` (discrete) or `interval`/
 *                                 `intervalBits`/`currentTarget` (Box)
 *     `decide(proposal, nowMs)`   → `Decision` (also `decideAction(i, nowMs)`, `decideTarget(x, nowMs)`)
 *     `onVenueEvents(events)`     fills booked into the account; refusals reported to the listener
 * - `Decision` — closed union: `NO_ORDER` | `MASKED` | `DENIED` | `SUBMITTED` | `VENUE_REJECTED`, each with its
 *   reason codes (`decisionReasonCodes`, `renderDecision`). A returned decision is rewritten by the next one.
 * - `stepBar(chain, venue, bars, t, intervalMs)` — the bar step every bar loop takes: new bar, the venue
 *   matches what was decided at t−1 at bar t's open, fills are booked, the account is marked at t's close
 *   (decision time = open time + interval), and the chain prepares the next mask.
 *
 * A bar loop (env step or backtest):
 *
 * ```ts
 * const account = new AccountState(10_000, instrument.symbol, instrument.session);
 * const venue = new SimVenue({ instrument, fill });
 * const chain = new DecisionChain({ instrument, account, venue, actionType: 'discrete', actions,
 *   rules: compileChainRules(rules, { actions, fill: venue.sim.config, instrument }) });
 * startEpisode(chain, venue, bars, t0, intervalMs);
 * for (let t = t0; t < end - 1; t++) {
 *   const decision = chain.decideAction(agent.act(chain.mask), bars.time[t] + intervalMs);
 *   stepBar(chain, venue, bars, t + 1, intervalMs);
 * }
 * ```
 */
export { AccountState, NO_TRADE_YET } from './account-state.js';
export {
  type Decision,
  type DecisionOutcome,
  type NoOrderReason,
  DECISION_OUTCOMES,
  decisionReasonCodes,
  renderDecision,
} from './decision.js';
export { type Lot, type Sizing, type SizingAccount, ACTION_SIZING, CLOSE_NUDGE, OrderSize, lotOf, lotQty, sizeAction, sizeTarget } from './sizing.js';
export {
  type GatekeeperAccount,
  type GatekeeperLinkOptions,
  type OperatorAction,
  GatekeeperLink,
  killSwitchVenueOf,
} from './gatekeeper-link.js';
export {
  type ChainListener,
  type DecisionChainOptions,
  type Proposal,
  type OrderProposal,
  DecisionChain,
  compileChainRules,
} from './chain.js';
export { BarCursor, startEpisode, stepBar } from './bar-step.js';
export {
  type ExecutionVenue,
  type SubmitResult,
  type VenueEvent,
  type VenueRejectReason,
  type VenueCancelReason,
  type OpenOrder,
  type VenuePositionRecord,
  type SequencedFill,
  SimVenue,
} from '../venues/index.js';
