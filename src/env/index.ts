export { Discrete, Box, type Space } from './spaces.js';
export type { Env, EnvInfo, ResetResult, StepResult, VectorEnv, VectorResetResult, VectorStepResult } from './types.js';
