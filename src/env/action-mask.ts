/**
 * The one place where the envs compute which discrete actions are allowed. Until the Constraint Logic Engine
 * is wired in (a `constraints` option on the envs), every action is allowed: the mask is all ones.
 */
import type { TradingEnvState } from './env-state.js';

/** Writes the mask of `nActions` actions for `state` into `mask[offset … offset + nActions)`. Allocates nothing. */
export function writeActionMask(mask: Uint8Array, offset: number, nActions: number, _state: TradingEnvState): void {
  mask.fill(1, offset, offset + nActions);
}
