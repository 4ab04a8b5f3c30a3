/**
 * Generalised advantage estimation (Schulman et al. 2016) over a rollout stored time-major
 * ([steps × envs]), used for the reward and for the cost signal alike.
 */
export interface GaeInput {
  readonly steps: number;
  readonly numEnvs: number;
  /** [steps × envs] signal at each step (reward or cost), truncation bootstrap already folded in. */
  readonly signal: Float32Array;
  /** [steps × envs] critic's estimate at each step's observation. */
  readonly values: Float32Array;
  /** [steps × envs] 1 where the episode ended at this step (the next observation belongs to a new episode). */
  readonly dones: Uint8Array;
  /** [envs] critic's estimate for the observation after the last step. */
  readonly lastValues: Float32Array;
  readonly gamma: number;
  readonly gaeLambda: number;
}

/** Writes advantages and returns (advantage + value) into the given [steps × envs] buffers. */
export function computeGae(input: GaeInput, advantages: Float32Array, returns: Float32Array): void {
  const { steps, numEnvs: n, signal, values, dones, lastValues, gamma, gaeLambda } = input;
  const size = steps * n;
  for (const [name, arr] of [
    ['signal', signal],
    ['values', values],
    ['dones', dones],
    ['advantages', advantages],
    ['returns', returns],
  ] as const) {
    if (arr.length < size) throw new RangeError(`${name}: need ${size} entries, got ${arr.length}`);
  }
  for (let e = 0; e < n; e++) {
    let lastGae = 0;
    for (let t = steps - 1; t >= 0; t--) {
      const i = t * n + e;
      const notDone = dones[i] ? 0 : 1;
      const nextValue = t === steps - 1 ? lastValues[e] : values[i + n];
      const delta = signal[i] + gamma * nextValue * notDone - values[i];
      lastGae = delta + gamma * gaeLambda * notDone * lastGae;
      advantages[i] = lastGae;
      returns[i] = lastGae + values[i];
    }
  }
}
