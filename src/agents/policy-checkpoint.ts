/**
 * Rebuilding a trained policy from a checkpoint, for backtests and deployment: the actor's weights, the frozen
 * observation normaliser, and the env it was trained on (the checkpoint's `env` section), so the caller can
 * build the same observations. The policy runs on the CPU (cpu-policy.ts); no tfjs backend is needed.
 */
import { readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import { ValidationError, parseWithSchema } from '../core/index.js';
import { CHECKPOINT_FORMAT, decodeF32, type PpoLagCheckpoint } from './checkpoint.js';
import { CpuPolicy } from './cpu-policy.js';
import { actorLayers } from './dense-actor.js';
import type { ActionKindOf } from './policy.js';
import { parseProvenance, type TrainingProvenance } from './provenance.js';
import { parseTrainedEnv, type TrainedEnv } from './trained-env.js';

export interface LoadedPolicy {
  readonly policy: CpuPolicy;
  readonly env: TrainedEnv;
  /** The checkpoint file read (a run directory resolves to its last checkpoint). */
  readonly path: string;
  readonly algorithm: string;
  readonly epoch: number;
  readonly seed: number;
  /** What it was trained on; null for checkpoints written before provenance was recorded. */
  readonly provenance: TrainingProvenance | null;
  /** The training run's cost limit (per episode). */
  readonly costLimit: number;
}

/** The fields of a checkpoint a policy is rebuilt from (the optimiser and critic state are not needed). */
const policyPartsSchema = z.looseObject({
  format: z.literal(CHECKPOINT_FORMAT),
  epoch: z.number().int().min(0),
  obsDim: z.number().int().min(1),
  nActions: z.number().int().min(1),
  hyperparams: z.looseObject({
    seed: z.number().int(),
    algorithm: z.string(),
    hiddenSizes: z.array(z.number().int().min(1)).min(1),
    normalizeObs: z.boolean(),
    costLimit: z.number(),
  }),
  weights: z.looseObject({ actor: z.array(z.string()), logStd: z.string() }),
  obsStats: z.looseObject({ mean: z.array(z.number()), var: z.array(z.number()), count: z.number() }),
  env: z.unknown().optional(),
  provenance: z.unknown().optional(),
});

/**
 * A checkpoint file, or a `bulwark train` run directory (its `checkpoints/last.json`, else the highest
 * `checkpoints/epoch-N.json`), or a `checkpoints` directory itself.
 */
export async function resolveCheckpointPath(path: string, field = 'checkpoint'): Promise<string> {
  const info = await stat(path).catch((err: unknown) => {
    if (err instanceof Error && 'code' in err && err.code === 'ENOENT') throw new Error(`${field}: ${path}: no such file or directory`);
    throw err;
  });
  if (info.isFile()) return path;
  for (const dir of [join(path, 'checkpoints'), path]) {
    const names = await readdir(dir).catch(() => [] as string[]);
    if (names.includes('last.json')) return join(dir, 'last.json');
    const epochs = names.filter((n) => /^epoch-\d+\.json$/.test(n)).sort();
    const last = epochs.at(-1);
    if (last !== undefined) return join(dir, last);
  }
  throw new Error(`${field}: ${path} is a directory without checkpoints (expected a run directory holding checkpoints/last.json)`);
}

/** Reads a checkpoint (file or run directory) and rebuilds its policy and trained-env description. */
export async function loadPolicyCheckpoint(path: string, field = 'checkpoint'): Promise<LoadedPolicy> {
  const file = await resolveCheckpointPath(path, field);
  const text = await readFile(file, 'utf8');
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch {
    throw new Error(`${field}: ${file} is not a checkpoint (not JSON; expected a ${CHECKPOINT_FORMAT} file written by bulwark train)`);
  }
  const format = typeof doc === 'object' && doc !== null && 'format' in doc ? doc.format : undefined;
  if (format !== CHECKPOINT_FORMAT) {
    throw new Error(`${field}: ${file} is not a checkpoint (format ${JSON.stringify(format)}, expected ${CHECKPOINT_FORMAT})`);
  }
  const parts = parseWithSchema(policyPartsSchema, doc, file);
  if (parts.env === undefined) {
    throw new Error(`${field}: ${file} records no env section (observation layout, actions); it predates self-describing checkpoints: train it again`);
  }
  const env = parseTrainedEnv(parts.env, `${file} env`);
  const provenance = parts.provenance === undefined ? null : parseProvenance(parts.provenance, file);
  return { ...rebuild(parts, env, file), env, path: file, provenance, costLimit: parts.hyperparams.costLimit };
}

/** The policy of an in-memory checkpoint (e.g. from trainPpoLag's onCheckpoint) whose `env` section is set. */
export function policyFromCheckpoint(c: PpoLagCheckpoint, source = 'checkpoint'): { policy: CpuPolicy; env: TrainedEnv } {
  if (c.env === undefined) throw new Error(`${source}: records no env section; attach describeTrainedEnv(…) before using it`);
  const env = parseTrainedEnv(c.env, `${source} env`);
  return { policy: rebuild(c, env, source).policy, env };
}

function rebuild(
  c: z.output<typeof policyPartsSchema> | PpoLagCheckpoint,
  env: TrainedEnv,
  source: string,
): { policy: CpuPolicy; algorithm: string; epoch: number; seed: number } {
  const issues: { path: string; message: string }[] = [];
  if (c.obsDim !== env.obsDim) issues.push({ path: 'obsDim', message: `${c.obsDim}, its env section says ${env.obsDim}` });
  const nOut = env.actionType === 'discrete' ? env.actions.length : 1;
  if (c.nActions !== nOut) issues.push({ path: 'nActions', message: `${c.nActions}, its env section has ${nOut} ${env.actionType === 'discrete' ? 'actions' : 'box dimension'}` });
  const h = c.hyperparams;
  if (issues.length > 0) throw new ValidationError(source, issues);
  const layers = actorLayers([c.obsDim, ...h.hiddenSizes, c.nActions], c.weights.actor);
  if (!Array.isArray(layers)) throw new ValidationError(source, [layers]);
  const action: ActionKindOf =
    env.actionType === 'discrete'
      ? { kind: 'discrete', n: c.nActions }
      : { kind: 'box', low: Float32Array.of(env.env.boxRange === 'long-only' ? 0 : -1), high: Float32Array.of(1) };
  const logStd = env.actionType === 'box' ? decodeF32(c.weights.logStd) : new Float32Array(0);
  const stats = h.normalizeObs ? { mean: c.obsStats.mean, var: c.obsStats.var, count: c.obsStats.count } : null;
  const policy = new CpuPolicy(layers, action, stats, logStd, h.seed, h.algorithm);
  return { policy, algorithm: h.algorithm, epoch: c.epoch, seed: h.seed };
}
