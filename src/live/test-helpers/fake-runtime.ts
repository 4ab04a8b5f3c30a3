/** A feed runtime on a fake clock: every sleep moves the clock at once (a test never waits in real time). */
import { FakeClock } from '../../core/index.js';
import type { FeedRuntime } from '../feed.js';

export class FakeRuntime implements FeedRuntime {
  readonly clock: FakeClock;
  /** Every sleep asked for, ms, in order. */
  readonly sleeps: number[] = [];
  constructor(startMs: number) {
    this.clock = new FakeClock(startMs);
  }
  sleep(ms: number, signal: AbortSignal): Promise<boolean> {
    this.sleeps.push(ms);
    if (signal.aborted) return Promise.resolve(false);
    this.clock.advance(Math.max(0, ms));
    return Promise.resolve(true);
  }
}
