/** Time source, injected everywhere so that tests run on fake time. All times are ms since the Unix epoch. */
export interface Clock {
  nowMs(): number;
}

export const systemClock: Clock = { nowMs: () => Date.now() };

/** A clock that moves only when told to. */
export class FakeClock implements Clock {
  constructor(private timeMs = 0) {}
  nowMs(): number {
    return this.timeMs;
  }
  advance(ms: number): void {
    this.timeMs += ms;
  }
  set(timeMs: number): void {
    this.timeMs = timeMs;
  }
}

export const MS_PER_DAY = 86_400_000;

/** Index of the UTC day that contains `timeMs`. */
export function utcDayIndex(timeMs: number): number {
  return Math.floor(timeMs / MS_PER_DAY);
}
