import { describe, expect, it } from 'vitest';
import { runDemo } from './demo.js';

describe('bulwark demo', () => {
  it('runs a whole seeded episode and reports a summary that adds up', () => {
    const s = runDemo(7);
    expect(s.steps).toBeGreaterThan(1_000);
    expect(s.final_equity).toBeCloseTo(s.initial_equity * (1 + s.total_return), 6);
    expect(s.trades).toBeGreaterThan(0);
    expect(s.fees).toBeGreaterThan(0);
    expect(s.max_drawdown).toBeGreaterThanOrEqual(0);
    expect(s.max_drawdown).toBeLessThan(1);
    expect(s.total_cost).toBeGreaterThanOrEqual(s.cost_steps.position);
  });

  it('gives the same result for the same seed', () => {
    expect(runDemo(3)).toEqual(runDemo(3));
  });
});
