import { describe, expect, it } from 'vitest';
import { targetOrderQty } from './actions.js';

describe('targetOrderQty (Box actions, as the env and the backtest size them)', () => {
  it('target_inside_the_box_then_orders_target_times_equity_over_price_minus_position', () => {
    // Equity 10,000 at price 100 holding 5: a 30 % target is 30 units, so buy 25; a −20 % target sells 25.
    expect(targetOrderQty(0.3, -1, 5, 10_000, 100)).toBeCloseTo(25, 12);
    expect(targetOrderQty(-0.2, -1, 5, 10_000, 100)).toBeCloseTo(-25, 12);
    expect(targetOrderQty(0, -1, 5, 10_000, 100)).toBe(-5);
  });

  it('target_outside_the_box_then_clipped_to_its_range_first', () => {
    expect(targetOrderQty(1.5, -1, 0, 10_000, 100)).toBe(100);
    expect(targetOrderQty(-3, -1, 0, 10_000, 100)).toBe(-100);
    expect(targetOrderQty(-0.5, 0, 5, 10_000, 100)).toBe(-5); // long-only: at most flat
  });

  it('equity_not_positive_then_closes_the_position', () => {
    expect(targetOrderQty(0.5, -1, 3, 0, 100)).toBe(-3);
    expect(targetOrderQty(0.5, -1, -2, -50, 100)).toBe(2);
  });
});
