import { describe, expect, it } from 'vitest';
import { Rng } from '../core/index.js';
import { maskedProbabilities, sampleMaskedCategorical } from './distributions.js';

describe('sampleMaskedCategorical', () => {
  const logits = Float32Array.of(0.2, 3, -1, 1.5);

  it('masked_actions_then_never_sampled_over_many_draws', () => {
    const mask = Uint8Array.of(1, 0, 1, 0);
    const rng = new Rng(7);
    const counts = [0, 0, 0, 0];
    for (let i = 0; i < 5000; i++) counts[sampleMaskedCategorical(logits, 0, 4, mask, 0, rng, false).action]++;
    expect(counts[1]).toBe(0);
    expect(counts[3]).toBe(0);
    const p0 = Math.exp(0.2) / (Math.exp(0.2) + Math.exp(-1));
    expect(counts[0] / 5000).toBeCloseTo(p0, 1);
  });

  it('log_prob_then_is_that_of_the_masked_distribution', () => {
    const mask = Uint8Array.of(1, 0, 1, 1);
    const s = sampleMaskedCategorical(logits, 0, 4, mask, 0, new Rng(1), false);
    const p = maskedProbabilities(logits, mask);
    expect(s.logProb).toBeCloseTo(Math.log(p[s.action]), 6);
    expect(p[1]).toBe(0);
  });

  it('deterministic_then_takes_the_most_probable_allowed_action', () => {
    expect(sampleMaskedCategorical(logits, 0, 4, Uint8Array.of(1, 0, 1, 1), 0, null, true).action).toBe(3);
  });

  it('all_masked_then_fails_closed', () => {
    expect(() => sampleMaskedCategorical(logits, 0, 4, new Uint8Array(4), 0, new Rng(1), false)).toThrow(/no action is allowed/);
  });
});
