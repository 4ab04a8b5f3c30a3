/**
 * "At most `limit` events in any `windowMs`", as a ring of the last `limit` event times: an event is
 * within the limit when the ring is not full or its oldest time has left the window. O(1), no allocation.
 */
export class RateWindow {
  private readonly timesMs: Float64Array;
  private head = 0;
  private count = 0;

  constructor(
    readonly limit: number,
    readonly windowMs: number,
  ) {
    if (!(Number.isInteger(limit) && limit > 0)) throw new RangeError(`limit: must be an integer > 0, got ${limit}`);
    if (!(windowMs > 0)) throw new RangeError(`windowMs: must be > 0, got ${windowMs}`);
    this.timesMs = new Float64Array(limit);
  }

  /** Whether one more event at `nowMs` stays within the limit. */
  allows(nowMs: number): boolean {
    return this.count < this.limit || this.timesMs[this.head] <= nowMs - this.windowMs;
  }

  /** Records an event at `nowMs` (the oldest of a full ring is overwritten). */
  record(nowMs: number): void {
    this.timesMs[this.head] = nowMs;
    this.head = this.head + 1 === this.limit ? 0 : this.head + 1;
    if (this.count < this.limit) this.count += 1;
  }

  /** Events within the window ending at `nowMs` (at most `limit`). */
  countWithin(nowMs: number): number {
    let n = 0;
    for (let i = 0; i < this.count; i++) if (this.timesMs[i] > nowMs - this.windowMs) n += 1;
    return n;
  }
}
