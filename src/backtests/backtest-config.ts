/**
 * The backtest config file (YAML or JSON): costs, cash and scheduled operator actions. Scheduled actions
 * make the kill-switch part of what a quant can test:
 *
 * ```yaml
 * cash: 10000
 * fill: { takerFeeBps: 5, spreadBps: 2 }
 * session: { timezone: America/New_York, dayStartsAt: "17:00" }   # trading day; default UTC days
 * schedule:
 *   - { at: 2021-05-12T14:00, action: soft_kill, reason: "vol spike drill" }
 *   - { at: 2021-05-13T09:00, action: hard_kill }
 *   - { at: 2021-05-14T09:00, action: resume }
 * ```
 * Times without a zone are UTC.
 */
import { readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { type TradingSession, ValidationError, isUtcSession, parseTradingSession, parseWithSchema } from '../core/index.js';
import { parseUtcTime } from '../data/index.js';
import { type AccountConfigInput, type SimFillConfigInput, accountConfigSchema, simFillConfigSchema } from '../venues/index.js';

export type OperatorActionKind = 'soft_kill' | 'hard_kill' | 'resume';

export interface ScheduledAction {
  /** ms since the epoch: applied at the first decision whose bar closes at or after it. */
  readonly atMs: number;
  readonly action: OperatorActionKind;
  readonly reason: string;
  readonly operator: string;
}

export { parseUtcTime };

const timeSchema = z.union([z.string(), z.number(), z.date()]).transform((v, ctx) => {
  const ms = parseUtcTime(v);
  if (Number.isNaN(ms)) {
    ctx.addIssue({ code: 'custom', message: 'must be an ISO-8601 time such as 2021-05-12T14:00 (UTC)' });
    return z.NEVER;
  }
  return ms;
});

const scheduledActionSchema = z
  .object({
    at: timeSchema,
    action: z.enum(['soft_kill', 'hard_kill', 'resume']),
    reason: z.string().min(1).default('scheduled in the backtest config'),
    operator: z.string().min(1).default('backtest-schedule'),
  })
  .strict();

export const backtestConfigSchema = z
  .object({
    /** Starting cash in quote currency. */
    cash: z.number().gt(0).optional(),
    /** Fill-model settings (venues' SimFillConfig); CLI flags override them. */
    fill: simFillConfigSchema.partial().optional(),
    /** The venue's account: `{ type: cash }` (default) or `{ type: margin, leverage, maintenanceMargin }`; CLI flags override it. */
    account: accountConfigSchema.optional(),
    /**
     * The instrument's trading day (where the daily-loss limit and trades per day roll): `dayStartsAt` HH:MM local
     * time in the IANA `timezone`, DST followed. Default UTC days; `--day-start`/`--timezone` replace it.
     */
    session: z.strictObject({ timezone: z.string().optional(), dayStartsAt: z.string().optional() }).optional(),
    schedule: z.array(scheduledActionSchema).default([]),
  })
  .strict();

export interface BacktestConfig {
  readonly cash?: number;
  readonly fill: SimFillConfigInput;
  readonly account?: AccountConfigInput;
  /** Absent for plain UTC days. */
  readonly session?: TradingSession;
  readonly schedule: readonly ScheduledAction[];
}

export function parseBacktestConfig(input: unknown, source = 'backtest config'): BacktestConfig {
  const parsed = parseWithSchema(backtestConfigSchema, input ?? {}, source);
  const schedule = parsed.schedule
    .map((s) => ({ atMs: s.at, action: s.action, reason: s.reason, operator: s.operator }))
    .sort((a, b) => a.atMs - b.atMs);
  const session = parsed.session === undefined ? undefined : parseTradingSession(parsed.session, source, 'session.');
  return {
    ...(parsed.cash === undefined ? {} : { cash: parsed.cash }),
    fill: parsed.fill ?? {},
    ...(parsed.account === undefined ? {} : { account: parsed.account }),
    ...(session === undefined || isUtcSession(session) ? {} : { session }),
    schedule,
  };
}

export function loadBacktestConfig(path: string): BacktestConfig {
  let doc: unknown;
  try {
    doc = parseYaml(readFileSync(path, 'utf8'));
  } catch (err) {
    if (err instanceof Error && 'code' in err && err.code === 'ENOENT') throw new Error(`${path}: file not found`);
    throw new ValidationError(path, [{ path: '', message: `not valid YAML/JSON: ${err instanceof Error ? err.message : String(err)}` }]);
  }
  return parseBacktestConfig(doc, path);
}
