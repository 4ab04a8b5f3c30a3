/**
 * A feed over bars held in memory (a replayed file, a generated synthetic market), paced against a clock:
 * `speed=max` hands out the bars in large views at once on bar-close time; `speed=N` hands out one bar at a
 * time when its close comes round on a clock running N× real time from the first bar's close.
 */
import { type Bars, type Clock, sliceBars } from '../core/index.js';
import type { BarFeed, FeedRuntime, FeedTiming } from './feed.js';

/** Bars per view handed out by a `speed=max` feed: large enough that the hand-over costs nothing per bar. */
const MAX_SPEED_CHUNK = 65_536;

/** Feed time running `speed`× the runtime's clock, pinned so that `originFeedMs` is now. */
class ScaledClock implements Clock {
  private originWallMs = Number.NaN;
  private originFeedMs = Number.NaN;
  constructor(
    private readonly wall: Clock,
    private readonly speed: number,
  ) {}
  pin(feedMs: number): void {
    this.originWallMs = this.wall.nowMs();
    this.originFeedMs = feedMs;
  }
  get pinned(): boolean {
    return !Number.isNaN(this.originFeedMs);
  }
  nowMs(): number {
    return this.originFeedMs + (this.wall.nowMs() - this.originWallMs) * this.speed;
  }
  wallDelayMs(feedMs: number): number {
    return (feedMs - this.nowMs()) / this.speed;
  }
}

export interface SeriesFeedOptions {
  readonly spec: string;
  readonly symbol: string;
  readonly bars: Bars;
  readonly intervalMs: number;
  readonly speed: number | 'max';
  readonly runtime: FeedRuntime;
  /** Feed time of the first bar's close at the start, for `speed=N` (default: that bar's close itself). */
  readonly startAtMs?: number;
}

export class SeriesFeed implements BarFeed {
  readonly spec: string;
  readonly symbol: string;
  readonly intervalMs: number;
  readonly timing: FeedTiming;
  readonly clock: Clock;
  private readonly bars: Bars;
  private readonly speed: number | 'max';
  private readonly runtime: FeedRuntime;
  private readonly startAtMs: number | undefined;
  private readonly abort = new AbortController();
  private next_ = 0;

  constructor(options: SeriesFeedOptions) {
    this.spec = options.spec;
    this.symbol = options.symbol;
    this.bars = options.bars;
    this.intervalMs = options.intervalMs;
    this.speed = options.speed;
    this.runtime = options.runtime;
    this.startAtMs = options.startAtMs;
    this.timing = options.speed === 'max' ? 'bar-close' : 'wall';
    this.clock = options.speed === 'max' ? options.runtime.clock : new ScaledClock(options.runtime.clock, options.speed);
  }

  /** Skips every bar whose open time is at or before `timeMs` (a restarted session resumes after its last bar). */
  skipThrough(timeMs: number): void {
    while (this.next_ < this.bars.length && this.bars.time[this.next_] <= timeMs) this.next_++;
  }

  /** Bars not yet handed out. */
  get remaining(): number {
    return this.bars.length - this.next_;
  }

  /** Every bar has been handed out. */
  get ended(): boolean {
    return this.next_ >= this.bars.length;
  }

  async next(): Promise<Bars | null> {
    const bars = this.bars;
    const i = this.next_;
    if (this.abort.signal.aborted || i >= bars.length) return null;
    if (this.speed === 'max') {
      const end = Math.min(bars.length, i + MAX_SPEED_CHUNK);
      this.next_ = end;
      return sliceBars(bars, i, end);
    }
    const clock = this.clock;
    if (!(clock instanceof ScaledClock)) throw new Error('a paced feed runs on its scaled clock');
    const closeMs = bars.time[i] + this.intervalMs;
    if (!clock.pinned) clock.pin(this.startAtMs ?? closeMs);
    const waitMs = clock.wallDelayMs(closeMs);
    if (waitMs > 0 && !(await this.runtime.sleep(waitMs, this.abort.signal))) return null;
    this.next_ = i + 1;
    return sliceBars(bars, i, i + 1);
  }

  close(): void {
    this.abort.abort();
  }
}
