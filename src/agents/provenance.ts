/**
 * What a checkpoint was trained on, so a later backtest or evaluation can say when it runs the policy under
 * other conditions: the rules (their content and a hash), the training data (its source, a hash of a CSV file's
 * bytes or the resolved synthetic spec, and the first and last bar the episodes were drawn from) and the
 * fill/cost model. `provenanceWarnings` compares a run against it; `heldOutRange` picks the bars training did
 * not see.
 */
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { z } from 'zod';
import { type Bars, type TradingSession, isUtcSession, parseTradingSession, parseWithSchema, trainingDayWarning } from '../core/index.js';
import type { Rules } from '../constraints/index.js';
import { parseSynthSpec } from '../data/index.js';
import { type AccountModel, CASH_ACCOUNT, accountConfigOf, accountConfigSchema, describeAccount, parseAccountConfig, type SimFillConfig } from '../venues/index.js';

export const provenanceSchema = z.strictObject({
  rules: z.strictObject({
    /** The rules as validated (null: trained without rules). */
    content: z.record(z.string(), z.unknown()).nullable(),
    /** sha256 of the rules' canonical JSON (keys sorted); null without rules. */
    sha256: z.string().nullable(),
  }),
  data: z.strictObject({
    kind: z.enum(['csv', 'synthetic']),
    /** The CSV path (absolute) or the synthetic spec text. */
    source: z.string(),
    /** CSV: sha256 of the file's bytes. Synthetic: the spec with defaults filled in, as JSON (the same spec, the same bars). */
    identity: z.string(),
    bars: z.number().int().min(0),
    /** Open times of the first and last bar episodes were drawn from (the env's split), ms and ISO. */
    firstTimeMs: z.number(),
    lastTimeMs: z.number(),
    first: z.string(),
    last: z.string(),
  }),
  /** The env's fill/cost model as parsed (spread, slippage, impact, fees, participation). */
  fill: z.record(z.string(), z.unknown()),
  initialCash: z.number(),
  constraintMode: z.enum(['strict', 'lenient']),
  /** The venue's account in training (cash or margin with its leverage); absent in checkpoints from before it was recorded. */
  account: accountConfigSchema.optional(),
  /** The training instrument's trading day; absent for plain UTC days (and in checkpoints from before it was recorded, which had UTC days). */
  session: z.strictObject({ timezone: z.string().min(1), dayStartsAt: z.string().min(1) }).optional(),
});

export type TrainingProvenance = z.output<typeof provenanceSchema>;

/** Where a run's bars come from, in the terms provenance compares. */
export type DataIdentity = { kind: 'csv'; path: string; sha256: string } | { kind: 'synthetic'; spec: string; resolved: string };

/** JSON with object keys sorted, so equal content hashes equally whatever order a file listed it in. */
function canonicalJson(x: unknown): string {
  if (Array.isArray(x)) return `[${x.map(canonicalJson).join(',')}]`;
  if (x !== null && typeof x === 'object') {
    const entries = Object.entries(x as Record<string, unknown>).filter(([, v]) => v !== undefined);
    return `{${entries.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(x) ?? 'null';
}

export function rulesHash(rules: Rules | null | undefined): string | null {
  return rules === null || rules === undefined ? null : createHash('sha256').update(canonicalJson(rules)).digest('hex');
}

export async function fileSha256(path: string): Promise<string> {
  return createHash('sha256').update(await readFile(path)).digest('hex');
}

/** The identity of a synthetic spec: its parsed form with defaults, so `regime:seed=3` and `regime:seed=3,bars=…default` agree. */
export function synthIdentity(spec: string): DataIdentity {
  return { kind: 'synthetic', spec, resolved: canonicalJson(parseSynthSpec(spec)) };
}

export async function csvIdentity(path: string): Promise<DataIdentity> {
  return { kind: 'csv', path, sha256: await fileSha256(path) };
}

export function recordProvenance(input: {
  rules: Rules | null | undefined;
  data: DataIdentity;
  bars: Bars;
  /** The bar range [start, end) episodes were drawn from. */
  range: { start: number; end: number };
  fill: SimFillConfig;
  initialCash: number;
  constraintMode: 'strict' | 'lenient';
  /** The account the envs kept (default cash). */
  account?: AccountModel;
  /** The instrument's trading day (default UTC days). */
  session?: TradingSession;
}): TrainingProvenance {
  const { bars, range, data } = input;
  const firstTimeMs = bars.time[range.start];
  const lastTimeMs = bars.time[range.end - 1];
  return {
    rules: { content: input.rules ? { ...input.rules } : null, sha256: rulesHash(input.rules) },
    data: {
      kind: data.kind,
      source: data.kind === 'csv' ? data.path : data.spec,
      identity: data.kind === 'csv' ? data.sha256 : data.resolved,
      bars: range.end - range.start,
      firstTimeMs,
      lastTimeMs,
      first: new Date(firstTimeMs).toISOString(),
      last: new Date(lastTimeMs).toISOString(),
    },
    fill: { ...input.fill },
    initialCash: input.initialCash,
    constraintMode: input.constraintMode,
    account: accountConfigOf(input.account ?? CASH_ACCOUNT),
    ...(isUtcSession(input.session) ? {} : { session: { ...(input.session as TradingSession) } }),
  };
}

/** The trading day a checkpoint was trained on (undefined: UTC days). */
export function trainedSession(p: TrainingProvenance, source = 'provenance'): TradingSession | undefined {
  return p.session === undefined ? undefined : parseTradingSession(p.session, source, 'session.');
}



export function parseProvenance(input: unknown, source: string): TrainingProvenance {
  return parseWithSchema(provenanceSchema, input, `${source} provenance`);
}

const sameData = (p: TrainingProvenance, d: DataIdentity): boolean =>
  p.data.kind === d.kind && p.data.identity === (d.kind === 'csv' ? d.sha256 : d.resolved);

const iso = (ms: number): string => new Date(ms).toISOString().replace(':00.000Z', 'Z').replace('T00:00Z', '');

/** `key: trained a, now b` for every top-level field that differs between two records. */
function fieldDiff(trained: Record<string, unknown>, now: Record<string, unknown>): string[] {
  const keys = [...new Set([...Object.keys(trained), ...Object.keys(now)])].sort();
  return keys
    .filter((k) => canonicalJson(trained[k]) !== canonicalJson(now[k]))
    .map((k) => `${k}: trained ${canonicalJson(trained[k] ?? null)}, now ${canonicalJson(now[k] ?? null)}`);
}

/**
 * Warnings (one line each) for a backtest or evaluation of a checkpoint: rules, fill model or data other than
 * training's, and bars training already saw. Empty when the run matches training on held-out bars.
 */
export function provenanceWarnings(
  p: TrainingProvenance,
  run: {
    rules: Rules | null;
    fill: SimFillConfig | null;
    data: DataIdentity;
    bars: Bars;
    account?: AccountModel | null;
    /** The run's trading day (UTC_SESSION for plain UTC days); not compared when absent. */
    session?: TradingSession;
  },
): string[] {
  const out: string[] = [];
  // The trading day decides when the daily-loss lock and the trades-per-day count reset.
  if (run.session !== undefined) {
    const w = trainingDayWarning(trainedSession(p), run.session);
    if (w !== null) out.push(w);
  }
  // The account decides what the policy may do at all (a cash account refuses shorts a margin account allows).
  if (run.account != null && p.account !== undefined) {
    const trained = parseAccountConfig(p.account, 'provenance.account');
    if (canonicalJson(accountConfigOf(trained)) !== canonicalJson(accountConfigOf(run.account))) {
      out.push(`Warning: account differs from training: trained on ${describeAccount(trained)}, this run uses ${describeAccount(run.account)}.`);
    }
  }
  const nowHash = rulesHash(run.rules);
  if (nowHash !== p.rules.sha256) {
    const trained = p.rules.content === null ? 'no rules' : `rules sha256 ${(p.rules.sha256 ?? '').slice(0, 12)}`;
    const now = run.rules === null ? 'no rules' : `rules sha256 ${(nowHash ?? '').slice(0, 12)}`;
    const diff = p.rules.content !== null && run.rules !== null ? ` (${fieldDiff(p.rules.content, { ...run.rules }).join('; ')})` : '';
    out.push(`Warning: rules differ from training: trained under ${trained}, this run uses ${now}${diff}.`);
  }
  if (run.fill !== null) {
    const diff = fieldDiff(p.fill, { ...run.fill });
    if (diff.length > 0) out.push(`Warning: fill/cost model differs from training: ${diff.join('; ')}.`);
  }
  const n = run.bars.length;
  const first = run.bars.time[0];
  const last = run.bars.time[n - 1];
  const trainedRange = `${iso(p.data.firstTimeMs)} to ${iso(p.data.lastTimeMs)} of ${p.data.source}`;
  const seen = seenBars(p, run.data, run.bars);
  if (seen === null) {
    out.push(`Warning: data differs from training (trained on ${trainedRange}; this run uses ${describeIdentity(run.data)}, ${iso(first)} to ${iso(last)}).`);
  } else if (seen.count > 0) {
    const same = sameData(p, run.data) ? 'the same data' : 'another file over the same dates';
    out.push(
      `Warning: ${seen.count} of ${n} bars (${iso(run.bars.time[seen.start])} to ${iso(run.bars.time[seen.end - 1])}) overlap the training data (${trainedRange}; ${same}): ` +
        'results there are in-sample; --held-out keeps only the bars training did not see.',
    );
  }
  return out;
}

function describeIdentity(d: DataIdentity): string {
  return d.kind === 'csv' ? `${d.path} (sha256 ${d.sha256.slice(0, 12)})` : `synthetic ${d.spec}`;
}

/**
 * The bars of `bars` training may have seen: those inside its time range, when the data is the same (or a CSV
 * file of the same dates: likely the same market, so counted). Null when the data is another synthetic market or
 * another kind, which training cannot have seen.
 */
function seenBars(p: TrainingProvenance, data: DataIdentity, bars: Bars): { start: number; end: number; count: number } | null {
  if (!sameData(p, data) && !(data.kind === 'csv' && p.data.kind === 'csv')) return null;
  let start = 0;
  while (start < bars.length && bars.time[start] < p.data.firstTimeMs) start++;
  let end = start;
  while (end < bars.length && bars.time[end] <= p.data.lastTimeMs) end++;
  return { start, end, count: end - start };
}

/**
 * The bars [start, end) of `bars` training did not see: those after its last bar (out of sample, forward in
 * time), else those before its first. Throws naming `field` when every bar was seen.
 */
export function heldOutRange(p: TrainingProvenance, data: DataIdentity, bars: Bars, field = '--held-out'): { start: number; end: number; note: string } {
  const seen = seenBars(p, data, bars);
  const n = bars.length;
  if (seen === null || seen.count === 0) return { start: 0, end: n, note: `${field}: training saw none of these ${n} bars; all are used` };
  if (n - seen.end >= 2) {
    return { start: seen.end, end: n, note: `${field}: the ${n - seen.end} bars after training's last (${iso(p.data.lastTimeMs)})` };
  }
  if (seen.start >= 2) {
    return { start: 0, end: seen.start, note: `${field}: the ${seen.start} bars before training's first (${iso(p.data.firstTimeMs)})` };
  }
  throw new RangeError(
    `${field}: the data (${iso(bars.time[0])} to ${iso(bars.time[n - 1])}) lies within the training data (${iso(p.data.firstTimeMs)} to ${iso(p.data.lastTimeMs)} of ${p.data.source}); nothing is held out. Give data from outside that range.`,
  );
}
