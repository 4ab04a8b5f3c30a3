import { describe, expect, it } from 'vitest';
import { DEFAULT_ACTIONS, targetLevelActions } from '../core/index.js';
import { BuyAndHoldAgent, MovingAverageCrossoverAgent, RandomAgent, actionTowards } from './baselines.js';

const positionFirst = { positionOf: (obs: Float32Array) => obs[0], priceOf: (obs: Float32Array) => obs[1] };

describe('baselines', () => {
  it('buy_and_hold_when_flat_then_buys_large_and_when_at_target_then_holds', () => {
    const agent = new BuyAndHoldAgent(DEFAULT_ACTIONS, positionFirst, 0.3);
    expect(agent.act(Float32Array.of(0, 100))).toBe(2); // BUY_LARGE
    expect(agent.act(Float32Array.of(0.3, 100))).toBe(0); // HOLD
  });

  it('buy_and_hold_when_buys_are_masked_then_holds', () => {
    const agent = new BuyAndHoldAgent(DEFAULT_ACTIONS, positionFirst, 1);
    expect(agent.act(Float32Array.of(0, 100), Uint8Array.of(1, 0, 0, 1, 1, 1))).toBe(0);
  });

  it('action_towards_with_target_levels_then_picks_the_nearest_level', () => {
    expect(actionTowards(targetLevelActions([-1, 0, 0.5, 1]), 0, 0.6, null)).toBe(3);
  });

  it('random_agent_when_masked_then_only_allowed_actions_and_seeded', () => {
    const a = new RandomAgent(6, 9);
    const b = new RandomAgent(6, 9);
    const mask = Uint8Array.of(1, 0, 1, 0, 1, 0);
    const drawsA = Array.from({ length: 300 }, () => a.act(new Float32Array(1), mask));
    const drawsB = Array.from({ length: 300 }, () => b.act(new Float32Array(1), mask));
    expect(drawsA).toEqual(drawsB);
    expect(new Set(drawsA)).toEqual(new Set([0, 2, 4]));
  });

  it('sma_crossover_when_prices_rise_then_goes_long_and_when_they_fall_then_closes', () => {
    const agent = new MovingAverageCrossoverAgent(DEFAULT_ACTIONS, positionFirst, 2, 4, 0.1);
    const acts = [100, 101, 102].map((p) => agent.act(Float32Array.of(0, p)));
    expect(acts).toEqual([0, 0, 0]); // warming up: fewer than slowBars prices
    expect(agent.act(Float32Array.of(0, 103))).toBe(2); // fast 102.5 > slow 101.5: buy 0.1
    for (const p of [90, 80]) agent.act(Float32Array.of(0.1, p));
    expect(agent.act(Float32Array.of(0.1, 70))).toBe(5); // fast below slow: CLOSE_POSITION
  });
});
