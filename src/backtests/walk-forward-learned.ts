/**
 * Learned agents in a walk-forward: in each window a fresh PPO or PPO-Lag policy is trained on the train bars
 * only (the env's episodes are drawn from that range; features are causal, so one feature matrix over the whole
 * series leaks nothing), then rebuilt from its checkpoint and backtested, unchanged, on the test bars through the
 * same chain as every other backtest. Each window trains from its own seed, derived from the run's seed and
 * the window index, so windows are independent and the whole walk-forward is reproducible.
 *
 * Spec: `ppo-lag[:epochs=3,envs=4,steps=128,hidden=64,window=16,episode=128,cost=5,mask=1]` or `ppo[:…]`.
 */
import { z } from 'zod';
import { type ActionSpec, Rng, parseWithSchema, targetLevelActions } from '../core/index.js';
import type { Rules } from '../constraints/index.js';
import { type TradingDataset, TradingVecEnv } from '../env/index.js';
import type { DataIdentity, PpoLagCheckpoint } from '../agents/index.js';
import { type AccountModel, type SimFillConfigInput, accountConfigOf, parseSimFillConfig } from '../venues/index.js';
import { PolicyAgent, envObservation } from './policy-agent.js';
import type { BacktestAgent } from './rule-agents.js';
import { parseAgentParams } from './rule-agents.js';
import type { BacktestOptions } from './runner.js';
import type { WalkForwardWindow } from './walk-forward-windows.js';

export const LEARNED_AGENT_NAMES = ['ppo', 'ppo-lag'] as const;

/** Target position levels (shares of equity) after HOLD: the demo's action set. */
export const LEARNED_TARGET_LEVELS: readonly number[] = [0, 0.1, 0.2, 0.5];

const learnedSchema = z.strictObject({
  /** Training epochs per window (numEnvs × rolloutSteps env steps each). */
  epochs: z.number().int().min(1).max(10_000).default(3),
  envs: z.number().int().min(1).max(256).default(4),
  /** Rollout steps per env per epoch. */
  steps: z.number().int().min(4).max(100_000).default(128),
  /** Width of each of the two hidden layers. */
  hidden: z.number().int().min(1).max(1024).default(64),
  /** Bars of features per observation. */
  window: z.number().int().min(1).max(256).default(16),
  /** Training episode length, bars. */
  episode: z.number().int().min(2).default(128),
  /** PPO-Lag's expected cost limit per episode (bars breaching a limit). */
  cost: z.number().min(0).default(5),
  /** 1: train and act with the Constraint Logic Engine's mask (default for ppo-lag); 0: without (default for ppo). */
  mask: z.union([z.literal(0), z.literal(1)]).optional(),
});

export interface LearnedAgentSpec {
  readonly algorithm: (typeof LEARNED_AGENT_NAMES)[number];
  readonly epochs: number;
  readonly numEnvs: number;
  readonly rolloutSteps: number;
  readonly hiddenSizes: readonly number[];
  readonly windowSize: number;
  readonly episodeLength: number;
  readonly costLimit: number;
  readonly useMask: boolean;
}

export function isLearnedAgentSpec(spec: string): boolean {
  const name = spec.split(':')[0].trim();
  return (LEARNED_AGENT_NAMES as readonly string[]).includes(name);
}

export function parseLearnedAgentSpec(spec: string): LearnedAgentSpec {
  const { name, params } = parseAgentParams(spec);
  const algorithm = LEARNED_AGENT_NAMES.find((n) => n === name);
  if (algorithm === undefined) throw new RangeError(`agent ${spec}: not a learned agent (${LEARNED_AGENT_NAMES.join(', ')})`);
  const p = parseWithSchema(learnedSchema, params, `agent ${spec}`);
  return {
    algorithm,
    epochs: p.epochs,
    numEnvs: p.envs,
    rolloutSteps: p.steps,
    hiddenSizes: [p.hidden, p.hidden],
    windowSize: p.window,
    episodeLength: p.episode,
    costLimit: p.cost,
    useMask: (p.mask ?? (algorithm === 'ppo-lag' ? 1 : 0)) === 1,
  };
}

/** The seed of window `index`: independent streams of one run seed. */
export function windowSeed(seed: number, index: number): number {
  return new Rng(seed).fork(index).nextUint32() & 0x7fffffff;
}

export interface FittedWindow {
  readonly seed: number;
  /** Mean training episode return and cost of the last epoch. */
  readonly trainReturn: number;
  readonly trainCost: number;
  /**
   * The window's trained policy as `bulwark train` writes one: weights, the env it was trained on and, when the
   * data's identity is known, its provenance (rules, the train bars' range, fill model, account), so a later
   * `backtest --agent window-N/checkpoint.json` rebuilds it and warns where it differs from training.
   */
  readonly checkpoint: PpoLagCheckpoint;
  /** A backtest agent and observation over bars [start, …) of the dataset. */
  readonly agentFor: (start: number) => Pick<BacktestOptions, 'observe' | 'obsDim'> & { agent: BacktestAgent };
}

/** Trains one window's policy on bars [trainStart, trainEnd) of `dataset`. */
export async function fitLearnedWindow(
  spec: LearnedAgentSpec,
  label: string,
  dataset: TradingDataset,
  w: WalkForwardWindow,
  o: {
    readonly seed: number;
    readonly rules: Rules | null;
    readonly fill: SimFillConfigInput;
    /** The venue's account in training as in the test runs (default cash). */
    readonly account?: AccountModel;
    readonly initialCash?: number;
    /** Where the bars come from, for the checkpoint's provenance (left out when unknown). */
    readonly data?: DataIdentity;
  },
): Promise<FittedWindow> {
  // Loaded here, not at the top: rule-agent walk-forwards never load TensorFlow.js.
  const { describeTrainedEnv, policyFromCheckpoint, recordProvenance, trainPpoLag } = await import('../agents/index.js');
  const seed = windowSeed(o.seed, w.index);
  const actions: ActionSpec[] = targetLevelActions(LEARNED_TARGET_LEVELS);
  const env = {
    actions: { targetLevels: [...LEARNED_TARGET_LEVELS] },
    windowSize: spec.windowSize,
    episodeLength: spec.episodeLength,
    fill: o.fill,
    ...(o.initialCash === undefined ? {} : { initialCash: o.initialCash }),
    ...(o.account === undefined ? {} : { account: accountConfigOf(o.account) }),
    split: { startIndex: w.trainStart, endIndex: w.trainEnd },
  };
  const constraints = spec.useMask && o.rules !== null ? { rules: o.rules, mode: 'lenient' as const } : undefined;
  const last: { c: PpoLagCheckpoint | null } = { c: null };
  const result = await trainPpoLag({
    makeVecEnv: (numEnvs) => new TradingVecEnv({ dataset, numEnvs, config: env, constraints }),
    numEnvs: spec.numEnvs,
    rolloutSteps: spec.rolloutSteps,
    epochs: spec.epochs,
    hiddenSizes: [...spec.hiddenSizes],
    seed,
    algorithm: spec.algorithm,
    useMask: spec.useMask,
    costLimit: spec.costLimit,
    // With rollouts shorter than episodes, λ follows the cost per step × episode length instead of freezing.
    episodeLength: spec.episodeLength,
    onCheckpoint: (c) => {
      last.c = c;
    },
  });
  result.policy.dispose();
  if (last.c === null) throw new Error(`${label} window ${w.index + 1}: training wrote no checkpoint`);
  const trainedEnv = describeTrainedEnv(dataset, env, { useMask: spec.useMask });
  const provenance =
    o.data === undefined
      ? undefined
      : recordProvenance({
          rules: constraints?.rules ?? null,
          data: o.data,
          bars: dataset.bars,
          range: { start: w.trainStart, end: w.trainEnd },
          fill: parseSimFillConfig(o.fill, 'fill'),
          initialCash: trainedEnv.env.initialCash,
          constraintMode: 'lenient',
          account: o.account,
        });
  const checkpoint: PpoLagCheckpoint = { ...last.c, env: trainedEnv, ...(provenance === undefined ? {} : { provenance }) };
  const { policy, env: trained } = policyFromCheckpoint(checkpoint);
  const stats = result.history.at(-1);
  return {
    seed,
    trainReturn: stats?.episodeReturn ?? Number.NaN,
    trainCost: stats?.episodeCost ?? Number.NaN,
    checkpoint,
    agentFor: (start) => {
      const { obsDim, observe, firstBar } = envObservation(dataset.features, start, trained.windowSize);
      return { agent: new PolicyAgent(`${label} (seed ${seed})`, policy, actions, spec.useMask, firstBar), observe, obsDim };
    },
  };
}
