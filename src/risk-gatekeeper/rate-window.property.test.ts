/**
 * The rate window grows its ring on demand instead of holding `limit` slots; it must decide exactly as a ring
 * of `limit` slots does (the last `limit` event times), for any limit, window and non-decreasing clock, and
 * must not hold memory for a limit far above the events it sees.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { RateWindow } from './rate-window.js';

/** The reference: every event time kept, the decision read off the last `limit` of them. */
class FullRing {
  private readonly times: number[] = [];
  constructor(
    readonly limit: number,
    readonly windowMs: number,
  ) {}
  allows(nowMs: number): boolean {
    return this.times.length < this.limit || this.times[this.times.length - this.limit] <= nowMs - this.windowMs;
  }
  record(nowMs: number): void {
    this.times.push(nowMs);
  }
  countWithin(nowMs: number): number {
    return this.times.slice(-this.limit).filter((t) => t > nowMs - this.windowMs).length;
  }
}

describe('RateWindow', () => {
  it('decides_as_a_ring_of_limit_slots_for_any_limit_window_and_non_decreasing_clock', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 80 }),
        fc.integer({ min: 1, max: 500 }),
        // Steps between events: bursts (0 ms), gaps inside and beyond the window; true = record, false = only ask.
        fc.array(fc.tuple(fc.integer({ min: 0, max: 700 }), fc.boolean(), fc.boolean()), { maxLength: 600 }),
        (limit, windowMs, steps) => {
          const grown = new RateWindow(limit, windowMs);
          const full = new FullRing(limit, windowMs);
          let now = 0;
          for (const [dt, record, burst] of steps) {
            now += burst ? 0 : dt;
            expect(grown.allows(now)).toBe(full.allows(now));
            expect(grown.countWithin(now)).toBe(full.countWithin(now));
            if (record) {
              grown.record(now);
              full.record(now);
            }
            expect(grown.capacity).toBeLessThanOrEqual(limit);
          }
        },
      ),
      { numRuns: 300 },
    );
  });

  it('holds_memory_for_the_events_inside_one_window_not_for_a_limit_of_a_billion', () => {
    const perMin = new RateWindow(1_000_000_000, 60_000);
    // 10,000 orders a second for five minutes: at most 600,000 inside any minute.
    for (let i = 0; i < 3_000_000; i++) perMin.record(i / 10);
    expect(perMin.capacity).toBeGreaterThanOrEqual(600_000);
    expect(perMin.capacity).toBeLessThanOrEqual(2 * 600_000);
    expect(perMin.countWithin(300_000)).toBe(599_999); // times 240,000.1 … 299,999.9
    expect(perMin.allows(300_000)).toBe(true);
  });

  it('refuses_the_event_over_the_limit_once_the_ring_has_grown_to_it', () => {
    const w = new RateWindow(40, 1_000);
    for (let i = 0; i < 40; i++) {
      expect(w.allows(i)).toBe(true);
      w.record(i);
    }
    expect(w.capacity).toBe(40);
    expect(w.allows(999)).toBe(false);
    expect(w.allows(1_000)).toBe(true);
  });
});
