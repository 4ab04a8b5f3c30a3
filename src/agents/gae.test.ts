import { describe, expect, it } from 'vitest';
import { computeGae } from './gae.js';

describe('computeGae', () => {
  it('two_steps_one_env_without_done_then_matches_hand_computed_values', () => {
    // γ = 0.9, λ = 0.5; r = [1, 2]; V = [0.5, 1]; V(after) = 2.
    // δ1 = 2 + 0.9·2 − 1 = 2.8;  A1 = 2.8
    // δ0 = 1 + 0.9·1 − 0.5 = 1.4; A0 = 1.4 + 0.9·0.5·2.8 = 2.66
    const adv = new Float32Array(2);
    const ret = new Float32Array(2);
    computeGae(
      { steps: 2, numEnvs: 1, signal: Float32Array.of(1, 2), values: Float32Array.of(0.5, 1), dones: Uint8Array.of(0, 0), lastValues: Float32Array.of(2), gamma: 0.9, gaeLambda: 0.5 },
      adv,
      ret,
    );
    expect(adv[1]).toBeCloseTo(2.8, 6);
    expect(adv[0]).toBeCloseTo(2.66, 6);
    expect(ret[0]).toBeCloseTo(3.16, 6);
    expect(ret[1]).toBeCloseTo(3.8, 6);
  });

  it('done_at_step_0_then_no_value_or_advantage_flows_back_across_the_episode_boundary', () => {
    // Two envs, time-major: index = t·2 + e. Env 0 ends at t = 0; env 1 runs on.
    const adv = new Float32Array(4);
    const ret = new Float32Array(4);
    computeGae(
      {
        steps: 2,
        numEnvs: 2,
        signal: Float32Array.of(1, 0, 5, 1),
        values: Float32Array.of(0, 0, 3, 0),
        dones: Uint8Array.of(1, 0, 0, 0),
        lastValues: Float32Array.of(10, 0),
        gamma: 1,
        gaeLambda: 1,
      },
      adv,
      ret,
    );
    expect(adv[0]).toBeCloseTo(1, 6); // r0 − V0 only: the done cuts V(next) and A(next).
    expect(adv[2]).toBeCloseTo(5 + 10 - 3, 6);
    expect(adv[1]).toBeCloseTo(0 + 1, 6); // env 1: δ0 = 0 + V1(0) − 0, plus A1 = 1.
    expect(adv[3]).toBeCloseTo(1, 6);
  });

  it('short_buffers_then_throws_naming_the_buffer', () => {
    expect(() =>
      computeGae(
        { steps: 2, numEnvs: 1, signal: new Float32Array(1), values: new Float32Array(2), dones: new Uint8Array(2), lastValues: new Float32Array(1), gamma: 1, gaeLambda: 1 },
        new Float32Array(2),
        new Float32Array(2),
      ),
    ).toThrow(/signal/);
  });
});
