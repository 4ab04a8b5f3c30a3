/**
 * The specification of a synthetic market: which model, how many bars, which seed, and the model's parameters.
 * Drifts and volatilities are annualised (fractions per year, e.g. 0.6 = 60 %/yr) and scaled to the bar interval,
 * so the same spec means the same market at any bar size.
 */
import { z } from 'zod';
import { parseWithSchema, ValidationError } from '../core/index.js';

export type SyntheticModel = 'gbm' | 'regime' | 'jump';
export const SYNTHETIC_MODELS: readonly SyntheticModel[] = ['gbm', 'regime', 'jump'];

/** Fields every model shares. */
interface CommonSpec {
  bars: number;
  seed: number;
  /** Open time of the first bar, ms since the epoch. Default 2020-01-01T00:00Z. */
  startTimeMs?: number;
  /** Bar interval in ms. Default 3,600,000 (1 h). */
  intervalMs?: number;
  /** Open price of the first bar. Default 100. */
  startPrice?: number;
  /** Median volume per bar. Default 1000. */
  baseVolume?: number;
  /** Dispersion of log volume around its median (log units). Default 0.5. */
  volumeVolatility?: number;
}

/** Geometric Brownian motion. */
export interface GbmSpec extends CommonSpec {
  model: 'gbm';
  /** Expected arithmetic return per year. Default 0.05. */
  drift?: number;
  /** Volatility of log returns per year. Default 0.6. */
  volatility?: number;
}

/** Markov regime switching between bull, bear and crash markets, each a GBM with its own drift and volatility. */
export interface RegimeSpec extends CommonSpec {
  model: 'regime';
  /** Added to every regime's drift (a market-wide trend). Default 0. */
  drift?: number;
  /** Default 0.8. */
  bullDrift?: number;
  /** Default 0.5. */
  bullVolatility?: number;
  /** Default -0.3. */
  bearDrift?: number;
  /** Default 0.8. */
  bearVolatility?: number;
  /** Default -20 (a crash loses a large fraction within days). */
  crashDrift?: number;
  /** Default 1.5. */
  crashVolatility?: number;
  /** Mean stay in each regime, in bars; sets the diagonal of the transition matrix. Defaults 2000, 1000, 48. */
  bullMeanBars?: number;
  bearMeanBars?: number;
  crashMeanBars?: number;
  /**
   * Full per-bar transition matrix [from][to] over (bull, bear, crash), rows summing to 1. When given it
   * replaces the matrix derived from the mean stays.
   */
  transitions?: readonly (readonly number[])[];
}

/** Merton jump diffusion: GBM plus Poisson jumps with normally distributed log sizes. */
export interface JumpSpec extends CommonSpec {
  model: 'jump';
  /** Expected arithmetic return per year, jumps included. Default 0.05. */
  drift?: number;
  /** Volatility of the diffusion part per year. Default 0.5. */
  volatility?: number;
  /** Mean number of jumps per year. Default 12. */
  jumpsPerYear?: number;
  /** Mean log size of a jump. Default -0.03. */
  jumpMean?: number;
  /** Standard deviation of the log size of a jump. Default 0.06. */
  jumpStd?: number;
}

export type SyntheticSpec = GbmSpec | RegimeSpec | JumpSpec;

export const DEFAULT_START_TIME_MS = Date.UTC(2020, 0, 1);
/** Upper bound on bars per spec: 50 M bars is 2.4 GB of columns; more is a typo, not a market. */
export const MAX_SYNTHETIC_BARS = 50_000_000;

const finite = z.number().refine(Number.isFinite, 'must be a finite number');
const positive = finite.refine((v) => v > 0, 'must be > 0');
const nonNegative = finite.refine((v) => v >= 0, 'must be >= 0');
const meanBars = finite.refine((v) => v >= 1, 'must be >= 1 bar');

const common = {
  bars: z.number().int('must be a whole number').min(1).max(MAX_SYNTHETIC_BARS),
  // zod's int() also refuses integers past 2^53, where "whole" stops meaning anything for a double.
  seed: z.number().int('must be a whole number between -2^53 and 2^53'),
  startTimeMs: z.number().int('must be a whole number of ms').default(DEFAULT_START_TIME_MS),
  intervalMs: z.number().int('must be a whole number of ms').min(1).default(3_600_000),
  startPrice: positive.default(100),
  baseVolume: positive.default(1000),
  volumeVolatility: nonNegative.default(0.5),
};

const gbmSchema = z.strictObject({
  model: z.literal('gbm'),
  ...common,
  drift: finite.default(0.05),
  volatility: nonNegative.default(0.6),
});

const transitionRow = z
  .array(nonNegative)
  .length(3)
  .refine((row) => Math.abs(row.reduce((a, b) => a + b, 0) - 1) < 1e-9, 'each row must sum to 1');

const regimeSchema = z.strictObject({
  model: z.literal('regime'),
  ...common,
  drift: finite.default(0),
  bullDrift: finite.default(0.8),
  bullVolatility: nonNegative.default(0.5),
  bearDrift: finite.default(-0.3),
  bearVolatility: nonNegative.default(0.8),
  crashDrift: finite.default(-20),
  crashVolatility: nonNegative.default(1.5),
  bullMeanBars: meanBars.default(2000),
  bearMeanBars: meanBars.default(1000),
  crashMeanBars: meanBars.default(48),
  transitions: z.array(transitionRow).length(3).optional(),
});

const jumpSchema = z.strictObject({
  model: z.literal('jump'),
  ...common,
  drift: finite.default(0.05),
  volatility: nonNegative.default(0.5),
  jumpsPerYear: nonNegative.default(12),
  jumpMean: finite.default(-0.03),
  jumpStd: nonNegative.default(0.06),
});

const specSchema = z.discriminatedUnion('model', [gbmSchema, regimeSchema, jumpSchema]);

/** A spec with every default filled in. */
export type ResolvedSyntheticSpec = z.output<typeof specSchema>;
export type ResolvedRegimeSpec = z.output<typeof regimeSchema>;

/** Validates a spec and fills in defaults; throws a ValidationError naming every bad field. */
export function resolveSynthSpec(spec: SyntheticSpec, source = 'synthetic spec'): ResolvedSyntheticSpec {
  return resolveUnknownSpec(spec, source);
}

function resolveUnknownSpec(input: unknown, source: string): ResolvedSyntheticSpec {
  const model = typeof input === 'object' && input !== null && 'model' in input ? input.model : undefined;
  if (typeof model !== 'string' || !isModel(model)) {
    throw new ValidationError(source, [
      { path: 'model', message: `unknown model '${String(model)}'; choose one of ${SYNTHETIC_MODELS.join(', ')}` },
    ]);
  }
  return parseWithSchema(specSchema, input, source);
}

/** The parameter names a model accepts (besides `model`), for help texts and error messages. */
export function synthParamNames(model: SyntheticModel): readonly string[] {
  const shape = model === 'gbm' ? gbmSchema.shape : model === 'regime' ? regimeSchema.shape : jumpSchema.shape;
  return Object.keys(shape).filter((k) => k !== 'model' && k !== 'transitions');
}

/** Defaults used by `parseSynthSpec` when the text names neither. */
export const DEFAULT_SYNTH_BARS = 10_000;
export const DEFAULT_SYNTH_SEED = 1;

/**
 * Parses `model[:key=value,key=value…]`, e.g. `regime` or `regime:bars=5000,seed=3,drift=0.1`.
 * Returns the spec with every default filled in. Values are numbers (`1e6`, `-0.2`; `startTimeMs` also takes an ISO date). Unknown keys, repeated keys and bad
 * values are errors naming the key.
 */
export function parseSynthSpec(text: string): ResolvedSyntheticSpec {
  const source = `synthetic spec '${text}'`;
  const trimmed = text.trim();
  const colon = trimmed.indexOf(':');
  const model = (colon < 0 ? trimmed : trimmed.slice(0, colon)).trim().toLowerCase();
  if (!isModel(model)) {
    throw new ValidationError(source, [
      { path: 'model', message: `unknown model '${model}'; choose one of ${SYNTHETIC_MODELS.join(', ')}` },
    ]);
  }
  const params = colon < 0 ? '' : trimmed.slice(colon + 1);
  const raw = parseParamList(params, model, source);
  return resolveUnknownSpec({ model, bars: DEFAULT_SYNTH_BARS, seed: DEFAULT_SYNTH_SEED, ...raw }, source);
}

function isModel(text: string): text is SyntheticModel {
  return SYNTHETIC_MODELS.some((m) => m === text);
}

/** Parses `key=value,…` into numbers, checking keys against the model's parameters. */
export function parseParamList(text: string, model: SyntheticModel, source: string): Record<string, number> {
  const allowed = synthParamNames(model);
  const out: Record<string, number> = {};
  const issues: { path: string; message: string }[] = [];
  for (const part of text.split(',')) {
    const item = part.trim();
    if (item === '') continue;
    const eq = item.indexOf('=');
    if (eq <= 0) {
      issues.push({ path: item, message: `expected key=value` });
      continue;
    }
    const key = item.slice(0, eq).trim();
    const valueText = item.slice(eq + 1).trim();
    if (!allowed.includes(key)) {
      issues.push({ path: key, message: `unknown parameter for model '${model}'; accepted: ${allowed.join(', ')}` });
      continue;
    }
    if (key in out) {
      issues.push({ path: key, message: 'given more than once' });
      continue;
    }
    const value = parseParamValue(key, valueText);
    if (value === null) {
      issues.push({ path: key, message: `expected a number, got '${valueText}'` });
      continue;
    }
    out[key] = value;
  }
  if (issues.length > 0) throw new ValidationError(source, issues);
  return out;
}

function parseParamValue(key: string, text: string): number | null {
  if (text === '') return null;
  const n = Number(text.replace(/_/g, ''));
  if (Number.isFinite(n)) return n;
  if (key === 'startTimeMs') {
    const ms = Date.parse(/[zZ]|[+-]\d\d:?\d\d$/.test(text) ? text : `${text}${text.includes('T') ? 'Z' : 'T00:00:00Z'}`);
    if (Number.isFinite(ms)) return ms;
  }
  return null;
}
