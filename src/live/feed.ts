/**
 * A market feed: closed bars, oldest first, as the same typed-array `Bars` that `data/` loads. Replays, synthetic
 * markets and exchanges all sit behind this one interface, so the trading node never knows which it runs on.
 */
import type { Bars, Clock } from '../core/index.js';

/**
 * How a session tells time on this feed:
 * - `bar-close`: a fake clock set to each bar's close (a `speed=max` replay: as fast as possible, and the
 *   decisions are those of a backtest on the same file);
 * - `wall`: the feed's clock (the system clock, or a test's fake one), which keeps moving between bars, so a
 *   feed that stops delivering goes stale.
 */
export type FeedTiming = 'bar-close' | 'wall';

export interface BarFeed {
  /** The spec the feed was opened from, e.g. `replay:btc.csv,speed=max`. */
  readonly spec: string;
  /** The instrument the bars price, e.g. `BTC/USDT` (replays and synthetic markets use a generic one). */
  readonly symbol: string;
  /** Bar interval, ms. A bar with open time t closes (and is delivered) at t + intervalMs. */
  readonly intervalMs: number;
  readonly timing: FeedTiming;
  /** The clock a `wall` feed runs on (unused for `bar-close`). */
  readonly clock: Clock;
  /**
   * The next closed bars (at least one), oldest first, each newer than every bar delivered before; null when
   * the feed has ended or was closed. The returned `Bars` may be a view that the next call replaces.
   */
  next(): Promise<Bars | null>;
  /**
   * A finite feed (a replay) that has handed out its last bar: nothing decided at that bar could ever fill, so a
   * session takes no decision there (as a backtest takes none at its last bar). Absent for feeds that go on.
   */
  readonly ended?: boolean;
  /** Stops the feed: a pending `next()` resolves to null soon after, and every later one at once. */
  close(): void;
}

/** What a feed needs from its surroundings; tests inject a fake clock whose sleep moves it. */
export interface FeedRuntime {
  readonly clock: Clock;
  /** Resolves after `ms` of the clock's time, or early (false) once `signal` aborts. */
  sleep(ms: number, signal: AbortSignal): Promise<boolean>;
}

/** The real clock and timers. */
export const systemFeedRuntime: FeedRuntime = {
  clock: { nowMs: () => Date.now() },
  sleep: (ms, signal) =>
    new Promise<boolean>((resolve) => {
      if (signal.aborted) {
        resolve(false);
        return;
      }
      const timer = setTimeout(() => {
        signal.removeEventListener('abort', onAbort);
        resolve(true);
      }, Math.max(0, ms));
      const onAbort = (): void => {
        clearTimeout(timer);
        resolve(false);
      };
      signal.addEventListener('abort', onAbort, { once: true });
    }),
};

/** A feed spec or a feed's source that cannot be used; the message names the field at fault. */
export class FeedError extends Error {
  constructor(
    /** The part of the spec at fault, e.g. `speed`, `FILE`, `EXCHANGE`, `interval`. */
    readonly field: string,
    message: string,
  ) {
    super(message);
    this.name = 'FeedError';
  }
}
