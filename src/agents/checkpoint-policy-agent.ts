/**
 * A policy checkpoint as a sandboxed agent module (`export default { init(spec, context), decide(observation,
 * mask) }`): inside the sandbox it reads the checkpoint from its read-only workspace, rebuilds the actor with
 * the forward pass the supervisor's CpuPolicy uses (dense-actor.ts) and answers with the deterministic action:
 * the first best allowed logit (Discrete) or the Gaussian mean clipped to the Box (a target position). The
 * supervisor has already validated the checkpoint; this code checks again what it relies on, because the file
 * is untrusted data and the sandbox is where a bad one should fail. Imports only node builtins and
 * dense-actor.ts: nothing else of the project is mounted in tiers 2 and 3, and no TensorFlow.js is needed.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { DenseActor, actorLayers, maskedArgmax } from './dense-actor.js';

/** What the supervisor passes to `init`. */
export interface CheckpointAgentSpec {
  /** The checkpoint file, relative to the workspace. */
  readonly checkpoint: string;
  /** Discrete: pass the Constraint Logic Engine's mask to the argmax (the policy was trained with masks). */
  readonly useMask: boolean;
  /** Box: the lower end of the target range (-1 long-short, 0 long-only); absent for a Discrete policy. */
  readonly boxLow?: number;
}

function field(value: unknown, path: string): unknown {
  let v = value;
  for (const key of path.split('.')) v = typeof v === 'object' && v !== null ? Reflect.get(v, key) : undefined;
  return v;
}

function wholeNumbers(value: unknown, path: string): number[] {
  if (!Array.isArray(value) || !value.every((n) => Number.isInteger(n) && n > 0)) throw new Error(`checkpoint ${path}: must be whole numbers > 0`);
  return value.map(Number);
}

function finiteNumbers(value: unknown, path: string): number[] {
  if (!Array.isArray(value) || !value.every((n) => typeof n === 'number' && Number.isFinite(n))) throw new Error(`checkpoint ${path}: must be finite numbers`);
  return value.map(Number);
}

let actor: DenseActor | null = null;
let useMask = false;
let boxLow: number | null = null;

function init(spec: unknown, context: unknown): void {
  const file = field(spec, 'checkpoint');
  const workspace = field(context, 'workspace');
  if (typeof file !== 'string' || file.includes('..') || file.startsWith('/')) throw new Error('spec.checkpoint: must be a file name inside the workspace');
  if (typeof workspace !== 'string') throw new Error('context.workspace: missing');
  const doc: unknown = JSON.parse(readFileSync(join(workspace, file), 'utf8'));
  const [obsDim] = wholeNumbers([field(doc, 'obsDim')], 'obsDim');
  const [nActions] = wholeNumbers([field(doc, 'nActions')], 'nActions');
  const hidden = wholeNumbers(field(doc, 'hyperparams.hiddenSizes'), 'hyperparams.hiddenSizes');
  const tensors = field(doc, 'weights.actor');
  if (!Array.isArray(tensors) || !tensors.every((t) => typeof t === 'string')) throw new Error('checkpoint weights.actor: must be base64 strings');
  const layers = actorLayers([obsDim, ...hidden, nActions], tensors.map(String));
  if (!Array.isArray(layers)) throw new Error(`checkpoint ${layers.path}: ${layers.message}`);
  const normalize = field(doc, 'hyperparams.normalizeObs') === true;
  const stats = normalize ? { mean: finiteNumbers(field(doc, 'obsStats.mean'), 'obsStats.mean'), var: finiteNumbers(field(doc, 'obsStats.var'), 'obsStats.var') } : null;
  actor = new DenseActor(layers, stats);
  useMask = field(spec, 'useMask') === true;
  const low = field(spec, 'boxLow');
  boxLow = typeof low === 'number' ? low : null;
  if (boxLow !== null && nActions !== 1) throw new Error(`checkpoint nActions: a Box policy has 1 output, this one has ${nActions}`);
}

function decide(observation: readonly number[], mask: readonly number[]): number | { action: number; target: number } {
  if (actor === null) throw new Error('decide before init');
  const out = actor.outputs(observation);
  if (boxLow !== null) return { action: 0, target: Math.min(1, Math.max(boxLow, out[0])) };
  const action = maskedArgmax(out, 0, out.length, useMask ? mask : null, 0);
  if (action < 0) throw new Error('mask: no action is allowed (HOLD must always be allowed)');
  return action;
}

export default { init, decide };
