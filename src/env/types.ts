import type { Box, Space } from './spaces.js';

/** What `reset` and `step` report besides the observation. */
export interface EnvInfo {
  /** 1 = allowed, one entry per discrete action; present where the env has a mask. */
  actionMask?: Uint8Array;
  /** Per-signal cost breakdown; their sum is the step's `cost`. */
  costs?: Record<string, number>;
  [key: string]: unknown;
}

export interface ResetResult {
  obs: Float32Array;
  info: EnvInfo;
}

export interface StepResult {
  obs: Float32Array;
  reward: number;
  /** Constraint cost of this step, 0 when nothing is violated (as in Safety-Gymnasium). */
  cost: number;
  /** The episode ended inside the task (e.g. ruin). */
  terminated: boolean;
  /** The episode was cut off from outside (e.g. length limit). */
  truncated: boolean;
  info: EnvInfo;
}

/**
 * The Gym-style interface agents code against. Actions: an integer for Discrete, a Float32Array for Box.
 * An env may return the same result, observation and info objects on every call, rewritten in place (the
 * trading env does, to allocate nothing per step): copy what you keep past the next call.
 */
export interface Env {
  readonly observationSpace: Box;
  readonly actionSpace: Space;
  reset(options?: { seed?: number }): ResetResult;
  step(action: number | Float32Array): StepResult;
}

/**
 * N environments stepped together, with auto-reset. Every buffer is owned by the VecEnv and rewritten in
 * place on each call: copy what you keep.
 */
export interface VectorEnv {
  readonly numEnvs: number;
  readonly observationSpace: Box;
  readonly actionSpace: Space;
  readonly obsDim: number;
  /** Number of discrete actions (0 for a Box action space). */
  readonly nActions: number;
  reset(options?: { seed?: number }): VectorResetResult;
  /** `actions`: Int32Array[N] for Discrete, Float32Array[N × actionDim] for Box. */
  step(actions: Int32Array | Float32Array): VectorStepResult;
}

export interface VectorResetResult {
  /** [N × obsDim] */
  obs: Float32Array;
  /** [N × nActions], or null where the env has no mask. */
  masks: Uint8Array | null;
}

export interface VectorStepResult {
  /** [N × obsDim]; for an env that just finished, this is already the first observation of its next episode. */
  obs: Float32Array;
  rewards: Float32Array;
  costs: Float32Array;
  terminated: Uint8Array;
  truncated: Uint8Array;
  masks: Uint8Array | null;
  /** [N × obsDim]: the last observation of the episode that ended at this step (valid where terminated|truncated). */
  finalObs: Float32Array;
}
