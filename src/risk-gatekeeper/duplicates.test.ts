import { describe, expect, it } from 'vitest';
import { ClientIdMemory } from './duplicates.js';
import { RateWindow } from './rate-window.js';

describe('ClientIdMemory', () => {
  it('remembers_ids_until_their_ttl_and_forgets_the_oldest_first_when_full', () => {
    const m = new ClientIdMemory(16, 1_000);
    expect(m.seenBeforeOrRemember('a', 0)).toBeUndefined();
    expect(m.seenBeforeOrRemember('a', 999)).toBe(0);
    expect(m.seenBeforeOrRemember('a', 1_000)).toBeUndefined(); // expired at exactly the TTL, seen anew
    for (let i = 0; i < 16; i++) m.remember(`id-${i}`, 1_001);
    expect(m.count).toBe(16);
    expect(m.seenAt('a', 1_001)).toBeUndefined(); // the oldest was forgotten to make room
    expect(m.seenAt('id-15', 1_001)).toBe(1_001);
  });
});

describe('RateWindow', () => {
  it('allows_limit_events_per_window_and_one_more_once_the_oldest_leaves', () => {
    const w = new RateWindow(3, 1_000);
    for (const t of [0, 10, 20]) {
      expect(w.allows(t)).toBe(true);
      w.record(t);
    }
    expect(w.allows(999)).toBe(false);
    expect(w.allows(1_000)).toBe(true);
    expect(w.countWithin(1_000)).toBe(2);
    expect(() => new RateWindow(0, 1_000)).toThrow(/limit/);
  });
});
