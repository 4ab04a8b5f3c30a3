/**
 * Steps N independent `Env`s as one `VectorEnv` (auto-reset, buffers written in place), so the trainer has
 * one code path whether it is handed single envs or a native vectorised env.
 */
import { Discrete, type Box, type Env, type Space, type VectorEnv, type VectorResetResult, type VectorStepResult } from '../env/index.js';

export class EnvBatch implements VectorEnv {
  readonly numEnvs: number;
  readonly observationSpace: Box;
  readonly actionSpace: Space;
  readonly obsDim: number;
  readonly nActions: number;
  private readonly actionDim: number;
  private readonly obs: Float32Array;
  private readonly finalObs: Float32Array;
  private readonly rewards: Float32Array;
  private readonly costs: Float32Array;
  private readonly terminated: Uint8Array;
  private readonly truncated: Uint8Array;
  private readonly masks: Uint8Array | null;

  /** `hasMask`: the envs report `info.actionMask` (Discrete only); when false, masks are null. */
  constructor(
    readonly envs: readonly Env[],
    hasMask: boolean,
  ) {
    if (envs.length < 1) throw new RangeError('envs: need at least one env');
    const first = envs[0];
    this.numEnvs = envs.length;
    this.observationSpace = first.observationSpace;
    this.actionSpace = first.actionSpace;
    this.obsDim = first.observationSpace.size;
    this.nActions = first.actionSpace instanceof Discrete ? first.actionSpace.n : 0;
    this.actionDim = first.actionSpace instanceof Discrete ? 1 : first.actionSpace.size;
    envs.forEach((env, i) => {
      if (env.observationSpace.size !== this.obsDim) {
        throw new RangeError(`envs[${i}]: observation size ${env.observationSpace.size}, envs[0] has ${this.obsDim}`);
      }
    });
    const n = this.numEnvs;
    this.obs = new Float32Array(n * this.obsDim);
    this.finalObs = new Float32Array(n * this.obsDim);
    this.rewards = new Float32Array(n);
    this.costs = new Float32Array(n);
    this.terminated = new Uint8Array(n);
    this.truncated = new Uint8Array(n);
    this.masks = hasMask && this.nActions > 0 ? new Uint8Array(n * this.nActions).fill(1) : null;
  }

  /** Env i is reset with `seed + i` when a seed is given. */
  reset(options?: { seed?: number }): VectorResetResult {
    this.envs.forEach((env, i) => {
      const r = env.reset(options?.seed === undefined ? undefined : { seed: options.seed + i });
      this.writeObs(i, r.obs, r.info.actionMask);
    });
    return { obs: this.obs, masks: this.masks };
  }

  step(actions: Int32Array | Float32Array): VectorStepResult {
    const d = this.obsDim;
    for (let i = 0; i < this.numEnvs; i++) {
      const env = this.envs[i];
      const action = this.nActions > 0 ? actions[i] : actions.slice(i * this.actionDim, (i + 1) * this.actionDim);
      const r = env.step(action instanceof Float32Array ? action : Number(action));
      this.rewards[i] = r.reward;
      this.costs[i] = r.cost;
      this.terminated[i] = r.terminated ? 1 : 0;
      this.truncated[i] = r.truncated ? 1 : 0;
      if (r.terminated || r.truncated) {
        this.finalObs.set(r.obs.subarray(0, d), i * d);
        const next = env.reset();
        this.writeObs(i, next.obs, next.info.actionMask);
      } else {
        this.writeObs(i, r.obs, r.info.actionMask);
      }
    }
    return {
      obs: this.obs,
      rewards: this.rewards,
      costs: this.costs,
      terminated: this.terminated,
      truncated: this.truncated,
      masks: this.masks,
      finalObs: this.finalObs,
    };
  }

  private writeObs(i: number, obs: Float32Array, mask: Uint8Array | undefined): void {
    if (obs.length !== this.obsDim) throw new RangeError(`envs[${i}]: observation has ${obs.length} values, expected ${this.obsDim}`);
    this.obs.set(obs, i * this.obsDim);
    if (this.masks) {
      if (!mask) throw new RangeError(`envs[${i}]: info.actionMask missing while masking is on`);
      this.masks.set(mask.subarray(0, this.nActions), i * this.nActions);
    }
  }
}
