/**
 * `SyncVectorEnv`: any list of `Env`s behind the `VectorEnv` interface, stepped one after another with
 * auto-reset. Generic and therefore slower than `TradingVecEnv` (it copies each env's observation and, for Box
 * actions, slices the action batch); use it for envs that have no batched implementation.
 */
import { Box, Discrete } from './spaces.js';
import type { Env, EnvInfo, VectorEnv, VectorResetResult, VectorStepResult } from './types.js';

export class SyncVectorEnv implements VectorEnv {
  readonly numEnvs: number;
  readonly observationSpace: Box;
  readonly actionSpace: Discrete | Box;
  readonly obsDim: number;
  readonly nActions: number;
  private readonly envs: readonly Env[];
  private readonly actionDim: number;
  private readonly result: VectorStepResult;
  private readonly resetResult: VectorResetResult;

  constructor(envs: readonly Env[]) {
    if (envs.length < 1) throw new RangeError('envs: need at least one env');
    const first = envs[0];
    this.obsDim = first.observationSpace.size;
    envs.forEach((e, i) => {
      if (e.observationSpace.size !== this.obsDim) {
        throw new RangeError(`envs[${i}].observationSpace: size must be ${this.obsDim} like envs[0], got ${e.observationSpace.size}`);
      }
      if (e.actionSpace.kind !== first.actionSpace.kind || sizeOf(e.actionSpace) !== sizeOf(first.actionSpace)) {
        throw new RangeError(`envs[${i}].actionSpace: must match envs[0]`);
      }
    });
    this.envs = envs;
    this.numEnvs = envs.length;
    this.observationSpace = first.observationSpace;
    this.actionSpace = first.actionSpace;
    this.nActions = first.actionSpace instanceof Discrete ? first.actionSpace.n : 0;
    this.actionDim = first.actionSpace instanceof Box ? first.actionSpace.size : 1;
    const n = this.numEnvs;
    this.result = {
      obs: new Float32Array(n * this.obsDim),
      rewards: new Float32Array(n),
      costs: new Float32Array(n),
      terminated: new Uint8Array(n),
      truncated: new Uint8Array(n),
      masks: this.nActions > 0 ? new Uint8Array(n * this.nActions) : null,
      finalObs: new Float32Array(n * this.obsDim),
    };
    this.resetResult = { obs: this.result.obs, masks: this.result.masks };
  }

  /** Resets every env; with a seed, env i is reset with seed + i (as Gymnasium does). */
  reset(options?: { seed?: number }): VectorResetResult {
    this.envs.forEach((env, i) => {
      const r = env.reset(options?.seed === undefined ? undefined : { seed: options.seed + i });
      this.publish(i, r.obs, r.info);
    });
    this.result.terminated.fill(0);
    this.result.truncated.fill(0);
    return this.resetResult;
  }

  step(actions: Int32Array | Float32Array): VectorStepResult {
    const n = this.numEnvs;
    const expected = this.nActions > 0 ? n : n * this.actionDim;
    if (actions.length !== expected) throw new RangeError(`actions: must have ${expected} entries, got ${actions.length}`);
    const out = this.result;
    for (let i = 0; i < n; i++) {
      const env = this.envs[i];
      const a = this.nActions > 0 ? actions[i] : Float32Array.from(actions.subarray(i * this.actionDim, (i + 1) * this.actionDim));
      const r = env.step(a);
      out.rewards[i] = r.reward;
      out.costs[i] = r.cost;
      out.terminated[i] = r.terminated ? 1 : 0;
      out.truncated[i] = r.truncated ? 1 : 0;
      if (r.terminated || r.truncated) {
        out.finalObs.set(r.obs, i * this.obsDim);
        const next = env.reset();
        this.publish(i, next.obs, next.info);
      } else {
        this.publish(i, r.obs, r.info);
      }
    }
    return out;
  }

  private publish(i: number, obs: Float32Array, info: EnvInfo): void {
    this.result.obs.set(obs, i * this.obsDim);
    const masks = this.result.masks;
    if (masks === null) return;
    const off = i * this.nActions;
    const m = info.actionMask;
    if (m !== undefined && m.length === this.nActions) masks.set(m, off);
    else masks.fill(1, off, off + this.nActions); // an env without a mask allows every action
  }
}

function sizeOf(space: Discrete | Box): number {
  return space instanceof Discrete ? space.n : space.size;
}
