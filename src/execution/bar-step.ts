/**
 * The bar step every bar loop takes (the training env's `step`, the backtest's loop, a replayed paper
 * session): orders decided at the close of bar t−1 meet bar t at the venue, the fills are booked, the account
 * is marked at bar t's close (the decision time: open time + interval), and the chain prepares the next mask.
 */
import type { BarRecord, Bars } from '../core/index.js';
import type { SimVenue } from '../venues/index.js';
import type { DecisionChain } from './chain.js';

/** A reusable bar record pointing at one row of a `Bars` (so a step allocates nothing). */
export class BarCursor implements BarRecord {
  time = 0;
  open = 0;
  high = 0;
  low = 0;
  close = 0;
  volume = 0;

  load(bars: Bars, t: number): this {
    this.time = bars.time[t];
    this.open = bars.open[t];
    this.high = bars.high[t];
    this.low = bars.low[t];
    this.close = bars.close[t];
    this.volume = bars.volume[t];
    return this;
  }
}

const cursor = new BarCursor();

/** Starts an episode at the close of bar `t0`: a flat venue, a fresh account marked there, the first mask. */
export function startEpisode(chain: DecisionChain, venue: SimVenue, bars: Bars, t0: number, intervalMs: number): void {
  venue.reset(0, venue.startingCash, bars.close[t0]);
  chain.resetSeq();
  chain.account.reset(bars.time[t0] + intervalMs, bars.close[t0]);
  chain.barIndex = t0;
  chain.lastFees = 0;
  chain.prepare();
}

/** Advances to bar `t`: fills at its open, mark at its close, the next mask. */
export function stepBar(chain: DecisionChain, venue: SimVenue, bars: Bars, t: number, intervalMs: number): void {
  const account = chain.account;
  account.startBar();
  chain.barIndex = t;
  const events = venue.onBar(cursor.load(bars, t));
  if (events.length > 0) chain.onVenueEvents(events);
  else chain.lastFees = 0;
  account.mark(bars.close[t], bars.time[t] + intervalMs);
  chain.prepare();
}
