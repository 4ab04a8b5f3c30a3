/**
 * "At most `limit` events in any `windowMs`", as a ring of the most recent event times: an event is within
 * the limit when fewer than `limit` are remembered or the oldest of the last `limit` has left the window.
 * O(1) amortised.
 *
 * The ring grows on demand (doubling, up to `limit`) instead of holding `limit` slots from the start: a limit
 * set far above any real rate (1e9 orders per minute: "no limit") would otherwise reserve 8 GB per window per
 * agent at its first order. When the ring is full below `limit`, an oldest time that has left the window is
 * overwritten (it can no longer count against the limit); one still inside it makes the ring grow. So memory
 * follows the most events ever inside one window, never the configured limit.
 */
const INITIAL_CAPACITY = 16;

export class RateWindow {
  private timesMs: Float64Array;
  /** Next write; once `count` equals the capacity, also the oldest. */
  private head = 0;
  private count = 0;

  constructor(
    readonly limit: number,
    readonly windowMs: number,
  ) {
    if (!(Number.isInteger(limit) && limit > 0)) throw new RangeError(`limit: must be an integer > 0, got ${limit}`);
    if (!(windowMs > 0)) throw new RangeError(`windowMs: must be > 0, got ${windowMs}`);
    this.timesMs = new Float64Array(Math.min(limit, INITIAL_CAPACITY));
  }

  /** Slots held now (grows with the busiest window seen, at most `limit`). */
  get capacity(): number {
    return this.timesMs.length;
  }

  /** Whether one more event at `nowMs` stays within the limit. */
  allows(nowMs: number): boolean {
    return this.count < this.limit || this.timesMs[this.head] <= nowMs - this.windowMs;
  }

  /** Records an event at `nowMs` (the oldest of a full ring is overwritten when it no longer counts). */
  record(nowMs: number): void {
    const capacity = this.timesMs.length;
    if (this.count === capacity && capacity < this.limit && this.timesMs[this.head] > nowMs - this.windowMs) this.grow();
    this.timesMs[this.head] = nowMs;
    this.head = this.head + 1 === this.timesMs.length ? 0 : this.head + 1;
    if (this.count < this.timesMs.length) this.count += 1;
  }

  /** Events within the window ending at `nowMs` (at most `limit`). */
  countWithin(nowMs: number): number {
    let n = 0;
    for (let i = 0; i < this.count; i++) if (this.timesMs[i] > nowMs - this.windowMs) n += 1;
    return n;
  }

  /** Doubles the ring (at most `limit`), oldest first, so the next write goes after the newest. */
  private grow(): void {
    const old = this.timesMs;
    const next = new Float64Array(Math.min(this.limit, old.length * 2));
    next.set(old.subarray(this.head), 0);
    next.set(old.subarray(0, this.head), old.length - this.head);
    this.timesMs = next;
    this.head = old.length;
  }
}
