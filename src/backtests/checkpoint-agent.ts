/**
 * `--agent CHECKPOINT`: a policy written by `bulwark train` (or the demo), backtested on the observations
 * its checkpoint describes. Features are computed over the whole loaded series with the checkpoint's feature
 * spec (they are causal, so bars before --from only warm them up), the layout is checked against what the
 * policy was trained on, and the policy holds until its first full window. A discrete policy chooses from its
 * action list; a Box policy names a target position (box-targets.ts judges and sizes it).
 */
import { basename, dirname } from 'node:path';
import { UTC_SESSION, barIntervalMs } from '../core/index.js';
import { computeFeatures, resolveFeatureSpec } from '../data/index.js';
import type { Agent, LoadedPolicy } from '../agents/index.js';
import { parseSimFillConfig } from '../venues/index.js';
import { type JobAgent, type PreparedJob, dataIdentityOf } from './backtest-job.js';
import { BoxPolicyAgent, PolicyAgent, envObservation } from './policy-agent.js';

/**
 * Runs a loaded checkpoint's policy somewhere other than this process (a sandbox tier); it is opened only
 * once the checkpoint and the data have been checked, and must give the same deterministic decisions.
 */
export interface PolicyRunner {
  open(loaded: LoadedPolicy): Promise<Agent>;
}

export async function loadCheckpointAgent(spec: string, prepared: PreparedJob, runner?: PolicyRunner): Promise<JobAgent> {
  // agents/ (and TensorFlow.js behind it) loads only when a checkpoint is backtested: rule agents never pay for it.
  const { checkObservationLayout, loadPolicyCheckpoint, provenanceWarnings } = await import('../agents/index.js');
  const loaded = await loadPolicyCheckpoint(spec, '--agent');
  const { env, path } = loaded;
  const source = `--agent ${path}`;
  const all = prepared.history.bars;
  const features = computeFeatures(all, resolveFeatureSpec(env.featureSpec));
  checkObservationLayout(env, features, barIntervalMs(all), source);
  const { obsDim, firstBar, observe } = envObservation(features, prepared.history.offset, env.windowSize);
  if (firstBar >= prepared.bars.length - 1) {
    throw new RangeError(
      `${source}: the data leaves no decision after the feature warm-up (${features.warmup} bars) and the window (${env.windowSize} bars); give more bars or a later --from`,
    );
  }
  const run = basename(dirname(dirname(path)));
  const label = `${loaded.algorithm} (${run}, epoch ${loaded.epoch})`;
  const layout = `${env.windowSize} bars × [${env.featureNames.join(', ')}] + [${env.portfolioNames.join(', ')}]`;
  const head = `Policy ${loaded.algorithm} from ${path} (epoch ${loaded.epoch}, seed ${loaded.seed}): ${layout}, `;
  const policy = runner === undefined ? loaded.policy : await runner.open(loaded);
  let agent: JobAgent['agent'];
  const notes: string[] = [];
  if (env.actionType === 'box') {
    const long = env.env.boxRange === 'long-only';
    agent = new BoxPolicyAgent(label, policy, long ? 0 : -1, firstBar);
    // The trainer clips a Box sample to whatever interval its env publishes, whatever useMask says: the engine's
    // with rules, else the Box range. So the backtest clips onto the engine's interval whenever --rules are given.
    const clip =
      prepared.rules === null
        ? 'no --rules, so targets are bounded by the Box range only'
        : "each target is clipped onto the Constraint Logic Engine's allowed interval, as a Box env with these rules clips it, and every clip is recorded (clipped_targets)";
    notes.push(`${head}target position in [${long ? 0 : -1}, 1] of equity (Box, ${env.env.boxRange}); ${clip}.`);
  } else {
    agent = new PolicyAgent(label, policy, env.actions, env.useMask, firstBar);
    notes.push(
      `${head}actions [${env.actions.map((a) => a.name).join(', ')}], ${env.useMask ? 'sees the Constraint Logic Engine mask' : 'ignores masks (trained without them)'}.`,
    );
  }
  if (firstBar > 0) notes.push(`The policy holds for the first ${firstBar} bar(s): its feature window is still warming up.`);
  if (prepared.heldOutNote !== undefined) notes.push(prepared.heldOutNote);
  // Provenance: say where this backtest's rules, fill model or data differ from the policy's training.
  if (loaded.provenance === null) {
    notes.push(`Warning: ${path} records no provenance (rules, data range, fill model): differences from training cannot be checked.`);
  } else {
    const fill = parseSimFillConfig(prepared.fill, 'fill');
    notes.push(...provenanceWarnings(loaded.provenance, { rules: prepared.rules, fill, data: await dataIdentityOf(prepared.source), bars: prepared.bars, account: prepared.account, session: prepared.instrument.session ?? UTC_SESSION }));
  }
  return { agent, observe, obsDim, notes };
}
