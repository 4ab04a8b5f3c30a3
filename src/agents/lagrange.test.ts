import { describe, expect, it } from 'vitest';
import { LagrangeMultiplier, type LagrangeConfig } from './lagrange.js';

const BASE: LagrangeConfig = {
  method: 'adam',
  costLimit: 10,
  lambdaInit: 0.001,
  lambdaLr: 0.035,
  lambdaMax: 100,
  pidKp: 0.1,
  pidKi: 0.01,
  pidKd: 0.01,
  pidDeltaPEmaAlpha: 0.95,
  pidDeltaDEmaAlpha: 0.95,
  pidDDelay: 10,
};

describe('LagrangeMultiplier', () => {
  it('adam_first_update_over_the_limit_then_lambda_rises_by_the_learning_rate', () => {
    const l = new LagrangeMultiplier(BASE);
    // Adam's first step has magnitude lr whatever the gradient's size.
    expect(l.update(15)).toBeCloseTo(0.001 + 0.035, 9);
  });

  it('adam_cost_held_over_the_limit_then_lambda_grows_lr_per_epoch_whatever_the_violation_size', () => {
    // Why short runs leave λ small: Adam normalises the step, so 15 epochs reach λ₀ + 15·lr ≈ 0.526 at most,
    // for a violation of 1 as for one of 1000.
    const small = new LagrangeMultiplier(BASE);
    const large = new LagrangeMultiplier(BASE);
    for (let i = 0; i < 15; i++) {
      small.update(BASE.costLimit + 1);
      large.update(BASE.costLimit + 1000);
    }
    expect(small.lambda).toBeCloseTo(0.001 + 15 * 0.035, 6);
    expect(large.lambda).toBeCloseTo(small.lambda, 6);
    // A shrinking violation takes smaller steps: v remembers the larger errors (β₂ = 0.999).
    const shrinking = new LagrangeMultiplier(BASE);
    for (let i = 0; i < 15; i++) shrinking.update(BASE.costLimit + 20 - i);
    expect(shrinking.lambda).toBeLessThan(small.lambda);
  });

  it('adam_under_the_limit_then_lambda_is_clamped_at_zero', () => {
    const l = new LagrangeMultiplier(BASE);
    expect(l.update(0)).toBe(0);
    expect(l.update(0)).toBe(0);
  });

  it('pid_update_then_matches_hand_computed_terms', () => {
    const l = new LagrangeMultiplier({ ...BASE, method: 'pid', lambdaInit: 0 });
    // error = 20 − 10 = 10. I = max(0, 0 + 10·0.01) = 0.1. P_ema = 0.05·10 = 0.5.
    // cost_D = 0.05·20 = 1; delayed = 0 → D = 1. λ = 0.1·0.5 + 0.1 + 0.01·1 = 0.16.
    expect(l.update(20)).toBeCloseTo(0.16, 12);
    // error = 0: I stays 0.1; P_ema = 0.95·0.5 = 0.475; cost_D = 0.95·1 + 0.05·10 = 1.45; delayed = 1 → D = 0.45.
    // λ = 0.0475 + 0.1 + 0.0045 = 0.152.
    expect(l.update(10)).toBeCloseTo(0.152, 12);
  });

  it('pid_integral_never_goes_negative', () => {
    const l = new LagrangeMultiplier({ ...BASE, method: 'pid', lambdaInit: 0, pidKp: 0, pidKd: 0 });
    for (let i = 0; i < 5; i++) l.update(0);
    expect(l.getState().pidI).toBe(0);
    expect(l.lambda).toBe(0);
  });

  it('none_then_lambda_stays_zero', () => {
    const l = new LagrangeMultiplier({ ...BASE, method: 'none' });
    expect(l.update(1000)).toBe(0);
  });

  it('no_finished_episode_then_lambda_is_unchanged', () => {
    const l = new LagrangeMultiplier(BASE);
    expect(l.update(Number.NaN)).toBe(0.001);
  });

  it('state_roundtrip_then_next_update_is_identical', () => {
    const a = new LagrangeMultiplier({ ...BASE, method: 'pid' });
    [12, 8, 15].forEach((c) => a.update(c));
    const b = new LagrangeMultiplier({ ...BASE, method: 'pid' });
    b.setState(JSON.parse(JSON.stringify(a.getState())));
    expect(b.update(11)).toBe(a.update(11));
  });
});
