import { describe, expect, it } from 'vitest';
import { generateSynthetic } from '../data/index.js';
import { createDataset } from './dataset.js';
import { TradingEnv } from './trading-env.js';
import { TradingVecEnv } from './trading-vec-env.js';

const dataset = createDataset({ bars: generateSynthetic({ model: 'regime', bars: 2_000, seed: 9 }) });
const config = { episodeLength: 7, windowSize: 4, seed: 42 };

function slice(a: Float32Array, i: number, d: number): number[] {
  return Array.from(a.subarray(i * d, (i + 1) * d));
}

describe('TradingVecEnv', () => {
  it('lays out observations [N × obsDim] and masks [N × nActions] as single typed arrays', () => {
    const vec = new TradingVecEnv({ dataset, numEnvs: 3, config });
    const { obs, masks } = vec.reset();
    expect(obs).toBeInstanceOf(Float32Array);
    expect(obs.length).toBe(3 * vec.obsDim);
    expect(vec.obsDim).toBe(4 * dataset.features.nFeatures + 4);
    expect(masks).toBeInstanceOf(Uint8Array);
    expect(masks?.length).toBe(3 * 6);
    expect(Array.from(masks ?? [])).toEqual(new Array(18).fill(1));
  });

  it('matches a TradingEnv started at the same bar and auto-resets with the final observation kept', () => {
    const vec = new TradingVecEnv({ dataset, numEnvs: 3, config });
    vec.reset();
    const d = vec.obsDim;
    const singles = vec.sims.map((sim) => {
      const e = new TradingEnv({ dataset, config });
      e.reset({ startIndex: sim.startIndex });
      return e;
    });
    const actions = new Int32Array(3);
    for (let step = 1; step <= 7; step++) {
      for (let i = 0; i < 3; i++) actions[i] = (step + i) % 6;
      const r = vec.step(actions);
      for (let i = 0; i < 3; i++) {
        const s = singles[i].step(actions[i]);
        expect(r.rewards[i]).toBe(Math.fround(s.reward));
        expect(r.costs[i]).toBe(Math.fround(s.cost));
        if (step < 7) {
          expect(slice(r.obs, i, d)).toEqual(Array.from(s.obs));
          expect(r.truncated[i]).toBe(0);
        } else {
          // The episode length is 7: the env finished, its last observation went to finalObs and a new episode began.
          expect(r.truncated[i]).toBe(1);
          expect(slice(r.finalObs, i, d)).toEqual(Array.from(s.obs));
          expect(vec.sims[i].steps).toBe(0);
          expect(vec.episodeLength[i]).toBe(7);
        }
      }
    }
  });

  it('replays the same trajectories for the same seed', () => {
    const run = (seed: number): number[] => {
      const vec = new TradingVecEnv({ dataset, numEnvs: 4, config: { ...config, seed } });
      vec.reset();
      const out: number[] = [];
      const actions = new Int32Array(4);
      for (let s = 0; s < 40; s++) {
        for (let i = 0; i < 4; i++) actions[i] = (s * 5 + i * 3) % 6;
        const r = vec.step(actions);
        out.push(...r.rewards, ...r.costs, r.obs[0], r.obs[vec.obsDim * 3 + 1]);
      }
      return out;
    };
    expect(run(1)).toEqual(run(1));
    expect(run(1)).not.toEqual(run(2));
    const a = new TradingVecEnv({ dataset, numEnvs: 2, config });
    const firstStarts = (a.reset({ seed: 5 }), a.sims.map((s) => s.startIndex));
    a.reset();
    expect((a.reset({ seed: 5 }), a.sims.map((s) => s.startIndex))).toEqual(firstStarts);
  });

  it('takes Box actions as a Float32Array of target positions', () => {
    const vec = new TradingVecEnv({ dataset, numEnvs: 2, config: { ...config, actionType: 'box', account: { type: 'margin', leverage: 2 } } });
    expect(vec.reset().masks).toBeNull();
    vec.step(new Float32Array([0.5, -0.5]));
    expect(vec.sims[0].state.positionQty).toBeGreaterThan(0);
    expect(vec.sims[1].state.positionQty).toBeLessThan(0);
  });

  it('rejects an action batch of the wrong length or type', () => {
    const vec = new TradingVecEnv({ dataset, numEnvs: 2, config });
    vec.reset();
    expect(() => vec.step(new Int32Array(3))).toThrow(/actions: must have numEnvs = 2 entries, got 3/);
    expect(() => vec.step(new Float32Array(2))).toThrow(/must be an Int32Array/);
    expect(() => new TradingVecEnv({ dataset, numEnvs: 0 })).toThrow(/numEnvs: must be a whole number >= 1, got 0/);
  });

  it('rejects a batch holding an action outside the space before stepping any env', () => {
    const vec = new TradingVecEnv({ dataset, numEnvs: 3, config });
    vec.reset();
    const before = vec.sims.map((s) => [s.t, s.steps]);
    expect(() => vec.step(Int32Array.of(1, 2, 6))).toThrow(/actions\[2\]: must be an integer in \[0, 6\), got 6/);
    expect(() => vec.step(Int32Array.of(1, -1, 0))).toThrow(/actions\[1\]: must be an integer in \[0, 6\), got -1/);
    expect(vec.sims.map((s) => [s.t, s.steps])).toEqual(before);
    const box = new TradingVecEnv({ dataset, numEnvs: 2, config: { ...config, actionType: 'box' } });
    box.reset();
    expect(() => box.step(Float32Array.of(0.5, Number.NaN))).toThrow(/actions\[1\]: target position must be a number, got NaN/);
    expect(box.sims[0].steps).toBe(0);
  });

  it('returns the same result object and buffers on every step (nothing allocated per step)', () => {
    const vec = new TradingVecEnv({ dataset, numEnvs: 2, config });
    const reset = vec.reset();
    const first = vec.step(new Int32Array(2));
    const second = vec.step(Int32Array.of(1, 3));
    expect(second).toBe(first);
    expect(second.obs).toBe(reset.obs);
    expect(second.masks).toBe(reset.masks);
    expect(second.rewards).toBe(vec.rewards);
  });
});
