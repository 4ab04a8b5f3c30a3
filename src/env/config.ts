/**
 * The trading env's configuration: one typed field per knob with its default and unit, validated at the
 * boundary with every problem reported at once. The market data itself (bars, features) is passed apart, as a
 * `TradingDataset`, because it is shared between envs and is not a config value.
 */
import { z } from 'zod';
import {
  type ActionSpec,
  DEFAULT_ACTIONS,
  ValidationError,
  parseWithSchema,
  targetLevelActions,
  validateActionSet,
} from '../core/index.js';
import { type AccountModel, SIM_FILL_DEFAULTS, accountConfigSchema, parseAccountConfig, simFillConfigSchema } from '../venues/index.js';

const fraction01 = z.number().gt(0).max(1);

const actionSpecSchema = z.strictObject({
  name: z.string().min(1),
  kind: z.enum(['HOLD', 'BUY', 'SELL', 'CLOSE_POSITION', 'TARGET']),
  fraction: z.number().min(-10).max(10),
});

const splitSchema = z.union([
  z.literal('all'),
  z.strictObject({
    /** Which side of the train/test boundary the episodes come from. */
    part: z.enum(['train', 'test']),
    /** Share of the bars (from the start) that belong to the train part. */
    trainFraction: z.number().gt(0).lt(1).default(0.8),
  }),
  z.strictObject({
    /** First bar index of the range (inclusive). */
    startIndex: z.number().int().min(0),
    /** End bar index of the range (exclusive). */
    endIndex: z.number().int().min(1),
  }),
]);

export const tradingEnvConfigSchema = z.strictObject({
  /** Starting cash, in quote currency. */
  initialCash: z.number().gt(0).max(1e15).default(10_000),
  /** Fill model (spread, slippage, impact, fees, participation cap). */
  fill: simFillConfigSchema.default(SIM_FILL_DEFAULTS),
  /**
   * The account the env's venue keeps, as in a backtest: `cash` (spot, the default: no shorts, no borrowing) or
   * `margin` with `leverage` and `maintenanceMargin`. A long-short action set needs `{ type: margin }` to short.
   */
  account: accountConfigSchema.default({ type: 'cash' }),
  /**
   * `discrete`: one of `actions` per step. `box`: a Float32Array [1] holding the target position as a share of
   * equity, clipped to [−1, 1] (`long-short`) or [0, 1] (`long-only`).
   */
  actionType: z.enum(['discrete', 'box']).default('discrete'),
  boxRange: z.enum(['long-short', 'long-only']).default('long-short'),
  /** Discrete actions: a list (HOLD first), or target-position levels (shares of equity) after a HOLD. */
  actions: z
    .union([z.array(actionSpecSchema).min(2), z.strictObject({ targetLevels: z.array(z.number().min(-10).max(10)).min(1) })])
    .optional(),
  /** Bars of features in each observation (the latest last). */
  windowSize: z.number().int().min(1).max(1024).default(16),
  /** `log`: change in log equity; `simple`: equity return of the step. Both after fees. */
  reward: z.enum(['log', 'simple']).default('log'),
  costs: z
    .strictObject({
      /** Drawdown from the peak beyond which the drawdown signal fires, as a fraction (0.1 = 10 %). */
      maxDrawdown: fraction01.default(0.1),
      /** |position value| / equity beyond which the position signal fires. */
      maxPositionFraction: z.number().gt(0).max(100).default(0.2),
      /** Loss since the start of the UTC day, as a fraction of that day's starting equity. */
      maxDailyLoss: fraction01.default(0.03),
      /** `indicator`: 1 while violated; `excess`: by how much the limit is exceeded (same unit as the limit). */
      mode: z.enum(['indicator', 'excess']).default('indicator'),
      weights: z
        .strictObject({
          drawdown: z.number().min(0).default(1),
          position: z.number().min(0).default(1),
          dailyLoss: z.number().min(0).default(1),
        })
        .default({ drawdown: 1, position: 1, dailyLoss: 1 }),
    })
    .default({
      maxDrawdown: 0.1,
      maxPositionFraction: 0.2,
      maxDailyLoss: 0.03,
      mode: 'indicator',
      weights: { drawdown: 1, position: 1, dailyLoss: 1 },
    }),
  /** Steps after which an episode is truncated. */
  episodeLength: z.number().int().min(1).default(1_000),
  /** The bars episodes are drawn from. */
  split: splitSchema.default('all'),
  /** An episode terminates when equity falls below this share of the initial cash. */
  ruinFraction: z.number().min(0).lt(1).default(0.5),
  /** Seed of the episode-start draws (same seed, same episodes). */
  seed: z.number().int().default(0),
});

export type TradingEnvConfigInput = z.input<typeof tradingEnvConfigSchema>;
export type TradingEnvConfig = z.output<typeof tradingEnvConfigSchema> & {
  readonly actionList: readonly ActionSpec[];
  /** `account` with its defaults resolved. */
  readonly accountModel: AccountModel;
};

export function parseTradingEnvConfig(input: unknown = {}, source = 'trading env config'): TradingEnvConfig {
  const parsed = parseWithSchema(tradingEnvConfigSchema, input, source);
  const actionList: readonly ActionSpec[] =
    parsed.actions === undefined
      ? DEFAULT_ACTIONS
      : Array.isArray(parsed.actions)
        ? parsed.actions
        : targetLevelActions(parsed.actions.targetLevels);
  try {
    validateActionSet(actionList);
  } catch (err) {
    // core reports `actions[i].field: problem`; keep the path so the error names the field like zod's do.
    const message = err instanceof Error ? err.message : String(err);
    const colon = message.indexOf(': ');
    const path = colon > 0 ? message.slice(0, colon) : 'actions';
    throw new ValidationError(source, [{ path, message: colon > 0 ? message.slice(colon + 2) : message }]);
  }
  return { ...parsed, actionList, accountModel: parseAccountConfig(parsed.account, `${source}: account`) };
}
