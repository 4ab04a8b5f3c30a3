/**
 * Scoring a trained policy the way OmniSafe and CleanRL users expect: N episodes on the trading env the
 * checkpoint describes (its config, fill model, window), over data the caller chooses (held-out data, ideally),
 * with per-episode return, cost against the limit, and how often the rules stepped in; then mean ± sd.
 *
 * Episodes start where the env's own seeded draw puts them (one seed per episode, derived from `seed`), so the
 * same seed scores the same episodes. Nothing here touches a training Rng: evaluating during training leaves the
 * training run bit-for-bit unchanged.
 */
import { Rng } from '../core/index.js';
import { type ConstraintsOption, type TradingDataset, TradingEnv } from '../env/index.js';
import type { CpuPolicy } from './cpu-policy.js';
import type { TrainedEnv } from './trained-env.js';

export interface EvalOptions {
  /** Episodes to run (≥ 1). */
  episodes: number;
  /** Take the most probable allowed action (Discrete) or the mean target (Box) instead of sampling. */
  deterministic: boolean;
  /** Seed of the episode starts and of the policy's sampling. */
  seed: number;
  /** The Constraint Logic Engine's rules the env enforces (lenient: a refused action becomes HOLD and is counted). */
  constraints?: ConstraintsOption;
  /** The cost limit episodes are judged against (the training run's `costLimit`). */
  costLimit: number;
  /** Bars [startIndex, endIndex) of the dataset episodes are drawn from (earlier bars only warm features up); default all. */
  range?: { startIndex: number; endIndex: number };
}

export interface EpisodeScore {
  /** Sum of the env's rewards (log or simple equity returns, as trained). */
  return: number;
  /** Sum of the env's cost signals over the episode (the quantity `costLimit` bounds). */
  cost: number;
  steps: number;
  /** Steps at which the rules' mask disallowed at least one action (Discrete; 0 for Box). */
  maskedSteps: number;
  /** Proposals the rules refused: replaced by HOLD (Discrete) or projected onto the allowed interval (Box). */
  rejected: number;
  /** Box: targets clipped onto the allowed interval before they were proposed (as in training). */
  clipped: number;
  /** Equity at the episode's end over its start, minus 1. */
  equityReturn: number;
  /** First decision bar's open time (ms), so a reader can see which stretch of the data the episode covered. */
  startTimeMs: number;
}

export interface MeanSd {
  mean: number;
  sd: number;
}

export interface EvalSummary {
  episodes: number;
  deterministic: boolean;
  seed: number;
  costLimit: number;
  return: MeanSd;
  cost: MeanSd;
  steps: MeanSd;
  maskedSteps: MeanSd;
  rejected: MeanSd;
  equityReturn: MeanSd;
  /** Episodes whose cost exceeded the limit. */
  overLimit: number;
  perEpisode: EpisodeScore[];
}

/** Mean and sample standard deviation (n − 1; 0 for a single value). */
export function meanSd(xs: readonly number[]): MeanSd {
  const n = xs.length;
  if (n === 0) return { mean: Number.NaN, sd: Number.NaN };
  const mean = xs.reduce((a, b) => a + b, 0) / n;
  const sd = n > 1 ? Math.sqrt(xs.reduce((a, x) => a + (x - mean) ** 2, 0) / (n - 1)) : 0;
  return { mean, sd };
}

export function evaluatePolicy(policy: CpuPolicy, trained: TrainedEnv, dataset: TradingDataset, opts: EvalOptions): EvalSummary {
  if (!(Number.isInteger(opts.episodes) && opts.episodes >= 1)) throw new RangeError(`episodes: must be a whole number >= 1, got ${opts.episodes}`);
  const env = new TradingEnv({
    dataset,
    // The env the policy was trained on; its split is replaced: the caller chose the data to score on.
    config: { ...trained.env, split: opts.range ?? 'all' },
    ...(opts.constraints === undefined ? {} : { constraints: { ...opts.constraints, mode: 'lenient' as const } }),
  });
  if (env.obsDim !== trained.obsDim) throw new RangeError(`the env builds ${env.obsDim} observation values, the policy takes ${trained.obsDim}`);
  const seeds = new Rng(opts.seed);
  policy.reseed(opts.seed);
  const discrete = trained.actionType === 'discrete';
  const target = new Float32Array(1);
  const perEpisode: EpisodeScore[] = [];
  for (let ep = 0; ep < opts.episodes; ep++) {
    let r = env.reset({ seed: seeds.fork(ep).nextUint32() });
    const startEquity = r.info.equity;
    const startTimeMs = r.info.timeMs;
    const score = { return: 0, cost: 0, steps: 0, maskedSteps: 0, rejected: 0, clipped: 0 };
    for (;;) {
      let action: number | Float32Array;
      if (discrete) {
        const mask = r.info.actionMask;
        if (mask.some((m) => m !== 1)) score.maskedSteps++;
        action = policy.act(r.obs, trained.useMask ? mask : null, { deterministic: opts.deterministic });
      } else {
        const raw = (policy.act(r.obs, null, { deterministic: opts.deterministic }) as Float32Array)[0];
        // As the trainer does: the proposal is clipped onto the interval the env publishes, and the clip counted.
        const [lo, hi] = r.info.targetInterval;
        target[0] = Math.min(hi, Math.max(lo, raw));
        if (target[0] !== raw) score.clipped++;
        action = target;
      }
      const s = env.step(action);
      score.return += s.reward;
      score.cost += s.cost;
      score.steps++;
      r = s;
      if (s.terminated || s.truncated) break;
    }
    score.rejected = r.info.constraintViolations;
    perEpisode.push({ ...score, equityReturn: r.info.equity / startEquity - 1, startTimeMs });
  }
  const pick = (f: (e: EpisodeScore) => number): MeanSd => meanSd(perEpisode.map(f));
  return {
    episodes: opts.episodes,
    deterministic: opts.deterministic,
    seed: opts.seed,
    costLimit: opts.costLimit,
    return: pick((e) => e.return),
    cost: pick((e) => e.cost),
    steps: pick((e) => e.steps),
    maskedSteps: pick((e) => e.maskedSteps),
    rejected: pick((e) => e.rejected),
    equityReturn: pick((e) => e.equityReturn),
    overLimit: perEpisode.filter((e) => e.cost > opts.costLimit).length,
    perEpisode,
  };
}
