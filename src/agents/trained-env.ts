/**
 * What a checkpoint remembers about the trading env it was trained on, so a backtest or a deployment can
 * rebuild exactly the observations the network learned from and map its outputs to the same actions: the
 * feature spec and column names, the window, the portfolio entries, the bar interval (features are annualised
 * with it), the action list, whether the policy was trained on masks, and the env config as parsed.
 */
import { z } from 'zod';
import { type ActionSpec, ValidationError, parseWithSchema } from '../core/index.js';
import { type FeatureMatrix, type FeatureSpec, type ResolvedFeatureSpec, featureNames, resolveFeatureSpec } from '../data/index.js';
import {
  PORTFOLIO_OBS_NAMES,
  parseTradingEnvConfig,
  tradingEnvConfigSchema,
  type TradingDataset,
  type TradingEnvConfigInput,
} from '../env/index.js';

const actionSpecSchema = z.strictObject({
  name: z.string().min(1),
  kind: z.enum(['HOLD', 'BUY', 'SELL', 'CLOSE_POSITION', 'TARGET']),
  fraction: z.number(),
});

export const trainedEnvSchema = z.strictObject({
  /** Values per observation: windowSize × featureNames.length + portfolioNames.length. */
  obsDim: z.number().int().min(1),
  /** Bars of features in each observation, the latest last. */
  windowSize: z.number().int().min(1),
  /** The feature spec the columns were computed with (data/features.ts), defaults filled in. */
  featureSpec: z.record(z.string(), z.number()),
  featureNames: z.array(z.string()).min(1),
  /** Entries after the feature window (env PORTFOLIO_OBS_NAMES at training time). */
  portfolioNames: z.array(z.string()),
  /** Median bar interval of the training data, ms. */
  barIntervalMs: z.number().positive(),
  actionType: z.enum(['discrete', 'box']),
  /** Discrete actions, in the order of the network's outputs. */
  actions: z.array(actionSpecSchema),
  /** Trained with the env's action masks (masked logits → −∞), so it should see masks when it acts. */
  useMask: z.boolean(),
  /** The env config as parsed (costs, fill, episode length …), for the record. */
  env: tradingEnvConfigSchema,
});

export type TrainedEnv = z.output<typeof trainedEnvSchema>;

/**
 * Describes the env a policy trains on. `featureSpec` must be the spec the dataset's features were computed
 * with (createDataset's default: `{}`); the column names are checked against it.
 */
export function describeTrainedEnv(
  dataset: TradingDataset,
  envInput: TradingEnvConfigInput,
  options: { useMask: boolean; featureSpec?: FeatureSpec },
): TrainedEnv {
  const config = parseTradingEnvConfig(envInput);
  const spec: ResolvedFeatureSpec = resolveFeatureSpec(options.featureSpec ?? {});
  const names = featureNames(spec);
  if (names.join(',') !== dataset.features.names.join(',')) {
    throw new RangeError(`featureSpec: gives columns [${names.join(', ')}], the dataset has [${dataset.features.names.join(', ')}]`);
  }
  const { actionList, accountModel: _account, ...env } = config;
  return {
    obsDim: config.windowSize * names.length + PORTFOLIO_OBS_NAMES.length,
    windowSize: config.windowSize,
    featureSpec: Object.fromEntries(Object.entries(spec).filter((e): e is [string, number] => typeof e[1] === 'number')),
    featureNames: [...names],
    portfolioNames: [...PORTFOLIO_OBS_NAMES],
    barIntervalMs: dataset.intervalMs,
    actionType: config.actionType,
    actions: config.actionType === 'discrete' ? actionList.map((a: ActionSpec) => ({ ...a })) : [],
    useMask: options.useMask,
    env,
  };
}

/** Validates a checkpoint's `env` section; every problem is named by its path under `source`. */
export function parseTrainedEnv(input: unknown, source: string): TrainedEnv {
  const env = parseWithSchema(trainedEnvSchema, input, source);
  try {
    resolveFeatureSpec(env.featureSpec);
  } catch (err) {
    throw new ValidationError(source, [{ path: 'featureSpec', message: err instanceof Error ? err.message : String(err) }]);
  }
  const expected = env.windowSize * env.featureNames.length + env.portfolioNames.length;
  if (env.obsDim !== expected) {
    throw new ValidationError(source, [{ path: 'obsDim', message: `${env.obsDim}, but windowSize × features + portfolio entries = ${expected}` }]);
  }
  return env;
}

/**
 * Checks that observations built from `features` (of bars with median interval `barIntervalMs`) by this
 * version of the env have the layout the policy was trained on. Throws a ValidationError naming each field
 * that differs.
 */
export function checkObservationLayout(env: TrainedEnv, features: FeatureMatrix, barIntervalMs: number, source: string): void {
  const issues: { path: string; message: string }[] = [];
  const same = (a: readonly string[], b: readonly string[]): boolean => a.length === b.length && a.every((x, i) => x === b[i]);
  if (!same(env.featureNames, features.names)) {
    issues.push({ path: 'featureNames', message: `the policy was trained on [${env.featureNames.join(', ')}], the data gives [${features.names.join(', ')}]` });
  }
  if (!same(env.portfolioNames, PORTFOLIO_OBS_NAMES)) {
    issues.push({ path: 'portfolioNames', message: `the policy was trained on [${env.portfolioNames.join(', ')}], this env writes [${PORTFOLIO_OBS_NAMES.join(', ')}]` });
  }
  const obsDim = env.windowSize * features.nFeatures + PORTFOLIO_OBS_NAMES.length;
  if (obsDim !== env.obsDim) issues.push({ path: 'obsDim', message: `the policy takes ${env.obsDim} values, the data gives ${obsDim}` });
  // Volatility features are annualised with the bar interval: another interval rescales them.
  if (Math.abs(barIntervalMs - env.barIntervalMs) > 1e-9 * env.barIntervalMs) {
    issues.push({ path: 'barIntervalMs', message: `the policy was trained on ${env.barIntervalMs} ms bars, the data has ${barIntervalMs} ms bars` });
  }
  if (issues.length > 0) throw new ValidationError(source, issues);
}
