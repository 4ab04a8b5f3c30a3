/**
 * `bulwark paper --agent CHECKPOINT`: a PPO-Lag policy (discrete or Box) on a live feed, seeing what it saw in
 * training and in a backtest. The features come from a `FeatureStream` with the checkpoint's feature spec, one push
 * per new bar (the same arithmetic in the same order as `computeFeatures` over the whole history, so the rows are
 * bit-identical to a backtest's, at a constant cost per decision however long the session runs); the last
 * `windowSize` rows are kept, the observation is the env's (feature window + account), and the policy holds until
 * its first full window. The layout is checked against the checkpoint on the first
 * bar, so a feed of another interval or feature set is refused before anything trades.
 */
import type { Bars, Ledger, TradingSession } from '../core/index.js';
import { type FeatureMatrix, FeatureStream, computeFeatures, resolveFeatureSpec } from '../data/index.js';
import { writeObservation } from '../env/index.js';
import { type AnyBacktestAgent, BoxPolicyAgent, type PolicyRunner, PolicyAgent } from '../backtests/index.js';
import { type AccountModel, parseAccountConfig } from '../venues/index.js';

export interface LiveCheckpointAgent {
  readonly agent: AnyBacktestAgent;
  readonly obsDim: number;
  /** Writes the observation of bar t from the history so far (the session's `observe`). */
  readonly observe: (t: number, bars: Bars, ledger: Ledger, out: Float32Array) => void;
  /** One line saying what was loaded. */
  readonly note: string;
  /** The account the policy was trained on (its provenance, else its env section), so a session on another can say so. */
  readonly trainedAccount: AccountModel;
  /** The trading day the policy was trained on (its provenance; undefined: UTC days), so a session on another can say so. */
  readonly trainedSession: TradingSession | undefined;
}

/** Loads `path` (a checkpoint file or a run directory) for a feed of `intervalMs` bars. */
export async function loadLiveCheckpointAgent(path: string, intervalMs: number, runner?: PolicyRunner): Promise<LiveCheckpointAgent> {
  // agents/ (and TensorFlow.js behind it) loads only for a checkpoint: rule agents never pay for it.
  const { checkObservationLayout, loadPolicyCheckpoint } = await import('../agents/index.js');
  const loaded = await loadPolicyCheckpoint(path, '--agent');
  const { env } = loaded;
  const source = `--agent ${loaded.path}`;
  const spec = resolveFeatureSpec({ ...env.featureSpec, intervalMs: env.featureSpec.intervalMs ?? intervalMs });
  // The layout a feed of this interval gives (two bars are enough to name the features and size the observation).
  const probe = computeFeatures(
    { length: 2, time: Float64Array.of(0, intervalMs), open: Float64Array.of(1, 1), high: Float64Array.of(1, 1), low: Float64Array.of(1, 1), close: Float64Array.of(1, 1), volume: Float64Array.of(1, 1) },
    spec,
  );
  checkObservationLayout(env, probe, intervalMs, source);
  const warmup = Math.max(spec.returnBars, spec.volatilityBars, spec.slowMaBars - 1, spec.fastMaBars - 1, spec.rsiBars, spec.volumeBars - 1);
  const firstBar = warmup + env.windowSize - 1;
  const label = `${loaded.algorithm} (${loaded.path}, epoch ${loaded.epoch})`;
  // Above tier 0 the policy runs in a sandbox (runner), opened only once the checkpoint fits the feed.
  const policy = runner === undefined ? loaded.policy : await runner.open(loaded);
  const agent: AnyBacktestAgent =
    env.actionType === 'box'
      ? new BoxPolicyAgent(label, policy, env.env.boxRange === 'long-only' ? 0 : -1, firstBar)
      : new PolicyAgent(label, policy, env.actions, env.useMask, firstBar);
  const windowSize = env.windowSize;
  const stream = new FeatureStream(spec);
  const nf = stream.nFeatures;
  const row = new Float32Array(nf);
  // The last `windowSize` feature rows, oldest first (rows before the warm-up are zeros, as in computeFeatures).
  const window: FeatureMatrix = { names: stream.names, nFeatures: nf, length: windowSize, data: new Float32Array(windowSize * nf), warmup: 0 };
  const last = (windowSize - 1) * nf;
  return {
    agent,
    trainedAccount: parseAccountConfig(loaded.provenance?.account ?? env.env.account, `${source}: account`),
    trainedSession: loaded.provenance?.session,
    obsDim: env.obsDim,
    observe: (t, bars, ledger, out) => {
      if (t < stream.length - 1) throw new RangeError(`observe: bar ${t} is before bar ${stream.length - 1}, already seen (the history only grows)`);
      // Each bar is pushed once: one per decision, or the bars a restart replayed without asking the agent.
      while (stream.length <= t) {
        const i = stream.length;
        const defined = stream.push(bars.close[i], bars.volume[i], row, 0);
        window.data.copyWithin(0, nf);
        if (defined) window.data.set(row, last);
        else window.data.fill(0, last);
      }
      if (t < firstBar) {
        out.fill(0);
        return;
      }
      writeObservation(out, 0, window, windowSize - 1, windowSize, ledger);
    },
    note: `policy ${loaded.algorithm} from ${loaded.path} (epoch ${loaded.epoch}, ${env.actionType === 'box' ? `Box ${env.env.boxRange}` : `actions ${env.actions.map((a) => a.name).join('|')}`}); holds for the first ${firstBar} bars (feature warm-up and window)`,
  };
}
