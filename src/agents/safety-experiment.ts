/**
 * The safety experiment: plain PPO, PPO-Lag, and PPO-Lag with the Constraint Logic Engine's mask, trained on
 * the trading env over seeded regime-switching data, each over several seeds, then evaluated on fresh
 * episodes. Reports mean return, mean episode cost vs the limit, max drawdown and masked-action counts.
 */
import { PORTFOLIO_OBS_NAMES, type TradingEnvConfigInput } from '../env/index.js';
import { trainPpoLag } from './lagrangian-ppo.js';
import { regimeDataset, tradingVecEnvFactory } from './trading-setup.js';

export type SafetyArm = 'ppo' | 'ppo-lag' | 'ppo-lag+mask';
export const SAFETY_ARMS: readonly SafetyArm[] = ['ppo', 'ppo-lag', 'ppo-lag+mask'];

export interface SafetyExperimentOptions {
  /** First seed; seeds are seed, seed+1, … */
  seed: number;
  seeds: number;
  epochs: number;
  numEnvs: number;
  /** Steps per episode (also the rollout length, so episodes are never cut at epoch ends). */
  episodeLength: number;
  costLimit: number;
  /**
   * Adam learning rate of λ for the Lagrangian arms. OmniSafe's 0.035 is tuned for runs of hundreds of epochs: Adam
   * moves λ by at most about this much per epoch, so 30 epochs leave λ below 1 and the cost still above the limit.
   */
  lambdaLr: number;
  bars: number;
  /** Evaluation episodes per env after training. */
  evalEpisodes: number;
  /** The rule set of the masked arm (the seed design's limits by default). */
  rules: Record<string, unknown>;
  onRunDone?: (run: SafetyRun) => void;
}

export const DEFAULT_SAFETY_OPTIONS: Omit<SafetyExperimentOptions, 'seed'> = {
  seeds: 3,
  epochs: 30,
  numEnvs: 16,
  episodeLength: 128,
  costLimit: 5,
  lambdaLr: 0.1,
  bars: 20_000,
  evalEpisodes: 1,
  rules: { max_position_pct: 0.2, max_drawdown_pct: 0.1, daily_loss_limit_pct: 0.03 },
};

export interface SafetyRun {
  arm: SafetyArm;
  seed: number;
  backend: string;
  /** Evaluation on fresh episodes (policy sampling, masked where the arm masks). */
  episodeReturn: number;
  episodeCost: number;
  maxDrawdown: number;
  evalMaskedActions: number;
  /** Training totals and the final λ. */
  trainMaskedActions: number;
  finalLambda: number;
  trainSeconds: number;
}

export async function runSafetyExperiment(options: SafetyExperimentOptions): Promise<SafetyRun[]> {
  const o = options;
  const dataset = regimeDataset(o.bars, 1);
  const env: TradingEnvConfigInput = { episodeLength: o.episodeLength, split: { part: 'train', trainFraction: 0.8 } };
  const evalEnv: TradingEnvConfigInput = { episodeLength: o.episodeLength, split: { part: 'test', trainFraction: 0.8 } };
  const runs: SafetyRun[] = [];
  for (const arm of SAFETY_ARMS) {
    for (let k = 0; k < o.seeds; k++) {
      const seed = o.seed + k;
      const masked = arm === 'ppo-lag+mask';
      const constraints = masked ? { rules: o.rules } : undefined;
      const t0 = performance.now();
      const { policy, history, backend } = await trainPpoLag({
        makeVecEnv: tradingVecEnvFactory(dataset, env, constraints),
        useMask: masked,
        algorithm: arm === 'ppo' ? 'ppo' : 'ppo-lag',
        seed,
        epochs: o.epochs,
        numEnvs: o.numEnvs,
        rolloutSteps: o.episodeLength,
        costLimit: o.costLimit,
        lambdaLr: o.lambdaLr,
      });
      const trainSeconds = (performance.now() - t0) / 1000;
      // Evaluation on the held-out part of the data, with a seed no training epoch used.
      const vec = tradingVecEnvFactory(dataset, { ...evalEnv, seed: 1_000_003 + seed }, constraints)(o.numEnvs);
      const d = vec.obsDim;
      const ddIndex = d - PORTFOLIO_OBS_NAMES.length + PORTFOLIO_OBS_NAMES.indexOf('drawdown');
      const nA = vec.nActions;
      let { obs, masks } = vec.reset();
      const actions = new Int32Array(o.numEnvs);
      const ret = new Float64Array(o.numEnvs);
      const cost = new Float64Array(o.numEnvs);
      const maxDd = new Float64Array(o.numEnvs);
      let evalMasked = 0;
      const done = { n: 0, ret: 0, cost: 0, dd: 0 };
      for (let t = 0; t < o.evalEpisodes * o.episodeLength; t++) {
        for (let e = 0; e < o.numEnvs; e++) {
          const m = masked && masks ? masks.subarray(e * nA, (e + 1) * nA) : null;
          if (m) for (let a = 0; a < nA; a++) if (m[a] !== 1) evalMasked++;
          const a = policy.act(obs.subarray(e * d, (e + 1) * d), m);
          actions[e] = typeof a === 'number' ? a : 0;
        }
        const r = vec.step(actions);
        for (let e = 0; e < o.numEnvs; e++) {
          ret[e] += r.rewards[e];
          cost[e] += r.costs[e];
          const ended = r.terminated[e] === 1 || r.truncated[e] === 1;
          const dd = (ended ? r.finalObs : r.obs)[e * d + ddIndex];
          if (dd > maxDd[e]) maxDd[e] = dd;
          if (ended) {
            done.n++;
            done.ret += ret[e];
            done.cost += cost[e];
            done.dd += maxDd[e];
            ret[e] = 0;
            cost[e] = 0;
            maxDd[e] = 0;
          }
        }
        obs = r.obs;
        masks = r.masks;
      }
      policy.dispose();
      const run: SafetyRun = {
        arm,
        seed,
        backend: backend.name,
        episodeReturn: done.ret / done.n,
        episodeCost: done.cost / done.n,
        maxDrawdown: done.dd / done.n,
        evalMaskedActions: evalMasked,
        trainMaskedActions: history.reduce((s, e) => s + e.maskedActions, 0),
        finalLambda: history.at(-1)?.lambda ?? 0,
        trainSeconds,
      };
      runs.push(run);
      o.onRunDone?.(run);
    }
  }
  return runs;
}

export interface SafetyRow {
  arm: SafetyArm;
  seeds: number;
  returnMean: number;
  returnSd: number;
  costMean: number;
  costSd: number;
  costLimit: number;
  maxDrawdownMean: number;
  trainMaskedActions: number;
  evalMaskedActions: number;
  finalLambdaMean: number;
}

export function summariseSafety(runs: readonly SafetyRun[], costLimit: number): SafetyRow[] {
  return SAFETY_ARMS.map((arm) => {
    const rs = runs.filter((r) => r.arm === arm);
    const [returnMean, returnSd] = meanSd(rs.map((r) => r.episodeReturn));
    const [costMean, costSd] = meanSd(rs.map((r) => r.episodeCost));
    return {
      arm,
      seeds: rs.length,
      returnMean,
      returnSd,
      costMean,
      costSd,
      costLimit,
      maxDrawdownMean: meanSd(rs.map((r) => r.maxDrawdown))[0],
      trainMaskedActions: rs.reduce((s, r) => s + r.trainMaskedActions, 0),
      evalMaskedActions: rs.reduce((s, r) => s + r.evalMaskedActions, 0),
      finalLambdaMean: meanSd(rs.map((r) => r.finalLambda))[0],
    };
  });
}

function meanSd(xs: readonly number[]): [number, number] {
  if (xs.length === 0) return [NaN, NaN];
  const m = xs.reduce((a, b) => a + b, 0) / xs.length;
  const v = xs.reduce((a, b) => a + (b - m) ** 2, 0) / Math.max(1, xs.length - 1);
  return [m, Math.sqrt(v)];
}

/** The settings a table was made with, one line, printed with it (they differ from the algorithm defaults). */
export function formatSafetySettings(o: Omit<SafetyExperimentOptions, 'onRunDone'>, backend: string): string {
  const steps = o.epochs * o.numEnvs * o.episodeLength;
  return (
    `seeds ${o.seed}..${o.seed + o.seeds - 1}, ${o.epochs} epochs × ${o.numEnvs} envs × ${o.episodeLength} steps (${steps} env steps per run), ` +
    `episode length ${o.episodeLength}, cost limit ${o.costLimit} per episode, λ lr ${o.lambdaLr} (Adam), regime data ${o.bars} bars seed 1, ` +
    `eval ${o.evalEpisodes} episode(s) × ${o.numEnvs} envs on the held-out 20 %, backend ${backend}`
  );
}

/** A fixed-width text table of the summary rows. */
export function formatSafetyTable(rows: readonly SafetyRow[]): string {
  const head = ['arm', 'seeds', 'return % (mean ± sd)', 'episode cost (mean ± sd)', 'limit', 'max drawdown %', 'masked (train)', 'masked (eval)', 'final λ'];
  const body = rows.map((r) => [
    r.arm,
    String(r.seeds),
    `${(100 * r.returnMean).toFixed(2)} ± ${(100 * r.returnSd).toFixed(2)}`,
    `${r.costMean.toFixed(2)} ± ${r.costSd.toFixed(2)}`,
    String(r.costLimit),
    (100 * r.maxDrawdownMean).toFixed(2),
    String(r.trainMaskedActions),
    String(r.evalMaskedActions),
    r.finalLambdaMean.toFixed(3),
  ]);
  const widths = head.map((h, i) => Math.max(h.length, ...body.map((row) => row[i].length)));
  const line = (cells: string[]): string => `| ${cells.map((c, i) => c.padEnd(widths[i])).join(' | ')} |`;
  return [line(head), `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`, ...body.map(line)].join('\n');
}
