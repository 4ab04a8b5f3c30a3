/**
 * Training checkpoints: everything a run needs to continue bit-for-bit (network weights, both optimisers'
 * moments, the Rng state, the observation normaliser, the λ state, the history so far) as one JSON document.
 * Float32 weights are stored as base64 of their bytes, so nothing is lost in decimal round trips.
 */
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import type * as tf from '@tensorflow/tfjs';
import type { Rng, RngState } from '../core/index.js';
import { assignF32, readF32, type Adam, type AdamState } from './adam.js';
import type { LagrangeMultiplier, LagrangeState } from './lagrange.js';
import type { EpochStats } from './lagrangian-ppo.js';
import type { Mlp } from './mlp.js';
import type { PpoHyperparams } from './ppo-config.js';
import type { RunningMeanStd, RunningStatsState } from './running-stats.js';
import type { TrainingProvenance } from './provenance.js';
import type { TrainedEnv } from './trained-env.js';
import { decodeF32 } from './dense-actor.js';

export { decodeF32 } from './dense-actor.js';

export const CHECKPOINT_FORMAT = 'bulwark.ppo-lag.checkpoint.v1';

interface SavedAdam {
  step: number;
  m: string[];
  v: string[];
}

export interface PpoLagCheckpoint {
  format: typeof CHECKPOINT_FORMAT;
  /** Epochs completed. */
  epoch: number;
  envSteps: number;
  backend: string;
  /** The update path that wrote it ('fused' or 'tfjs'); absent in older checkpoints (all 'tfjs'). */
  updateKernel?: string;
  hyperparams: PpoHyperparams;
  obsDim: number;
  nActions: number;
  weights: { actor: string[]; criticR: string[]; criticC: string[]; logStd: string };
  optimizers: { actor: SavedAdam; critic: SavedAdam };
  rng: RngState;
  obsStats: RunningStatsState;
  lagrange: LagrangeState;
  history: EpochStats[];
  /** The env the policy was trained on (observation layout, actions, masks); absent in older checkpoints. */
  env?: TrainedEnv;
  /** What it was trained on (rules, data range, fill model); absent in older checkpoints and outside `bulwark train`. */
  provenance?: TrainingProvenance;
}

/** The live training objects a checkpoint is read from and written to. */
export interface TrainingParts {
  actor: Mlp;
  criticR: Mlp;
  criticC: Mlp;
  logStd: tf.Variable;
  adamActor: Adam;
  adamCritic: Adam;
  lagrange: LagrangeMultiplier;
  obsRms: RunningMeanStd;
  rng: Rng;
}

export function snapshotCheckpoint(
  p: TrainingParts,
  meta: { epoch: number; envSteps: number; history: readonly EpochStats[]; hyperparams: PpoHyperparams; backend: string; updateKernel?: string },
): PpoLagCheckpoint {
  return {
    format: CHECKPOINT_FORMAT,
    epoch: meta.epoch,
    envSteps: meta.envSteps,
    backend: meta.backend,
    ...(meta.updateKernel === undefined ? {} : { updateKernel: meta.updateKernel }),
    hyperparams: meta.hyperparams,
    obsDim: p.actor.spec.inputDim,
    nActions: p.actor.spec.outputDim,
    weights: {
      actor: p.actor.variables().map((v) => encodeF32(readF32(v))),
      criticR: p.criticR.variables().map((v) => encodeF32(readF32(v))),
      criticC: p.criticC.variables().map((v) => encodeF32(readF32(v))),
      logStd: encodeF32(readF32(p.logStd)),
    },
    optimizers: { actor: saveAdam(p.adamActor.getState()), critic: saveAdam(p.adamCritic.getState()) },
    rng: p.rng.getState(),
    obsStats: p.obsRms.getState(),
    lagrange: p.lagrange.getState(),
    history: meta.history.map((e) => ({ ...e })),
  };
}

/** Loads a checkpoint into freshly built parts; refuses one made for another env shape or other hyperparameters. */
export function restoreCheckpoint(
  c: PpoLagCheckpoint,
  p: TrainingParts,
  expect: { obsDim: number; nA: number; hyperparams: PpoHyperparams },
): void {
  if (c.format !== CHECKPOINT_FORMAT) throw new RangeError(`checkpoint.format: expected ${CHECKPOINT_FORMAT}, got ${c.format}`);
  if (c.obsDim !== expect.obsDim) throw new RangeError(`checkpoint.obsDim: ${c.obsDim}, the env has ${expect.obsDim}`);
  if (c.nActions !== expect.nA) throw new RangeError(`checkpoint.nActions: ${c.nActions}, the env has ${expect.nA}`);
  const changed = Object.keys(expect.hyperparams).filter((k) => {
    const key = k as keyof PpoHyperparams;
    return k !== 'epochs' && JSON.stringify(c.hyperparams[key]) !== JSON.stringify(expect.hyperparams[key]);
  });
  if (changed.length > 0) {
    throw new RangeError(`checkpoint: hyperparameters differ from the run being resumed (${changed.join(', ')}); only epochs may change`);
  }
  if (c.epoch > expect.hyperparams.epochs) {
    throw new RangeError(`epochs: ${expect.hyperparams.epochs} is fewer than the ${c.epoch} the checkpoint already ran`);
  }
  loadVars(p.actor.variables(), c.weights.actor, 'actor');
  loadVars(p.criticR.variables(), c.weights.criticR, 'criticR');
  loadVars(p.criticC.variables(), c.weights.criticC, 'criticC');
  assignF32(p.logStd, decodeF32(c.weights.logStd));
  p.adamActor.setState(loadAdam(c.optimizers.actor));
  p.adamCritic.setState(loadAdam(c.optimizers.critic));
  p.rng.setState(c.rng);
  p.obsRms.setState(c.obsStats);
  p.lagrange.setState(c.lagrange);
}

/** Writes atomically (temp file + rename), so a crash mid-write never leaves a torn checkpoint. */
export async function writeCheckpointFile(path: string, c: PpoLagCheckpoint): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  const tmp = `${path}.tmp`;
  await writeFile(tmp, JSON.stringify(c));
  await rename(tmp, path);
}

export async function readCheckpointFile(path: string): Promise<PpoLagCheckpoint> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(await readFile(path, 'utf8'));
  } catch (err) {
    if (err instanceof Error && 'code' in err && err.code === 'ENOENT') throw new Error(`${path}: no such checkpoint file`);
    throw new RangeError(`${path}: not a readable JSON checkpoint (${err instanceof Error ? err.message : String(err)})`);
  }
  if (!isCheckpoint(parsed)) throw new RangeError(`${path}: not a ${CHECKPOINT_FORMAT} file`);
  return parsed;
}

function isCheckpoint(x: unknown): x is PpoLagCheckpoint {
  return typeof x === 'object' && x !== null && 'format' in x && x.format === CHECKPOINT_FORMAT;
}

function loadVars(vars: tf.Variable[], saved: string[], name: string): void {
  if (saved.length !== vars.length) throw new RangeError(`checkpoint.weights.${name}: ${saved.length} tensors, the network has ${vars.length}`);
  vars.forEach((v, i) => assignF32(v, decodeF32(saved[i])));
}

function saveAdam(s: AdamState): SavedAdam {
  return { step: s.step, m: s.m.map(encodeF32), v: s.v.map(encodeF32) };
}

function loadAdam(s: SavedAdam): AdamState {
  return { step: s.step, m: s.m.map(decodeF32), v: s.v.map(decodeF32) };
}

export function encodeF32(a: Float32Array): string {
  return Buffer.from(a.buffer, a.byteOffset, a.byteLength).toString('base64');
}

