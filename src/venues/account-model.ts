/**
 * The account a venue keeps, as a real exchange does: what an order may spend and when a position is closed
 * for the account. One config for every path (backtest, paper, the training env), validated at the boundary.
 *
 * - `cash` (the default): a spot account. A buy spends cash it has (fees included), a sell sells holdings it
 *   has; nothing is borrowed, so no short and no leverage. An order beyond the balance is refused.
 * - `margin`: positions on margin, long or short. Opening or growing a position needs initial margin:
 *   |position value| ≤ `leverage` × equity. When equity falls below the maintenance requirement
 *   (`maintenanceMargin` × |position value|, checked at each bar's close) the venue liquidates: it cancels every
 *   working order and closes the whole position at the next bar's open.
 */
import { z } from 'zod';
import { parseWithSchema } from '../core/index.js';

export const ACCOUNT_TYPES = ['cash', 'margin'] as const;
export type AccountType = (typeof ACCOUNT_TYPES)[number];

export const accountConfigSchema = z
  .strictObject({
    /** `cash` (spot, the default) or `margin`. */
    type: z.enum(ACCOUNT_TYPES, { error: 'must be cash or margin' }).default('cash'),
    /** Margin only: largest |position value| / equity an order may open (initial margin = 1 / leverage). Default 1. */
    leverage: z.number({ error: 'must be a number' }).gt(0, 'must be > 0').max(125, 'must be <= 125').optional(),
    /**
     * Margin only: maintenance requirement as a share of |position value|; below it the venue liquidates.
     * Default: half the initial margin (0.5 / leverage).
     */
    maintenanceMargin: z.number({ error: 'must be a number' }).gt(0, 'must be > 0').lt(1, 'must be < 1').optional(),
  })
  .superRefine((a, ctx) => {
    if (a.type === 'cash') {
      for (const key of ['leverage', 'maintenanceMargin'] as const) {
        if (a[key] !== undefined) ctx.addIssue({ code: 'custom', path: [key], message: 'applies to a margin account only (type: margin)' });
      }
      return;
    }
    const leverage = a.leverage ?? 1;
    if (a.maintenanceMargin !== undefined && a.maintenanceMargin >= 1 / leverage) {
      ctx.addIssue({
        code: 'custom',
        path: ['maintenanceMargin'],
        message: `must be below the initial margin 1/leverage = ${1 / leverage}, got ${a.maintenanceMargin} (a position at full leverage would be liquidated as it opens)`,
      });
    }
  });

export type AccountConfigInput = z.input<typeof accountConfigSchema>;

/** The account with its defaults resolved. */
export interface AccountModel {
  readonly type: AccountType;
  /** 1 for a cash account (nothing borrowed). */
  readonly leverage: number;
  /** 0 for a cash account (it never liquidates). */
  readonly maintenanceMargin: number;
}

export const CASH_ACCOUNT: AccountModel = Object.freeze({ type: 'cash', leverage: 1, maintenanceMargin: 0 });

export function parseAccountConfig(input: unknown = {}, source = 'account'): AccountModel {
  const a = parseWithSchema(accountConfigSchema, input ?? {}, source);
  return resolveAccount(a);
}

function resolveAccount(a: z.output<typeof accountConfigSchema>): AccountModel {
  if (a.type === 'cash') return CASH_ACCOUNT;
  const leverage = a.leverage ?? 1;
  return Object.freeze({ type: 'margin', leverage, maintenanceMargin: a.maintenanceMargin ?? 0.5 / leverage });
}

/** The account as a config record (what run records and checkpoints keep). */
export function accountConfigOf(model: AccountModel): { type: AccountType; leverage?: number; maintenanceMargin?: number } {
  return model.type === 'cash' ? { type: 'cash' } : { type: 'margin', leverage: model.leverage, maintenanceMargin: model.maintenanceMargin };
}

/** One line for terminal tables and reports: `cash` or `margin 3x, maintenance 16.7 %`. */
export function describeAccount(model: AccountModel): string {
  if (model.type === 'cash') return 'cash (spot: no borrowing, no shorts)';
  return `margin ${model.leverage}x, maintenance ${+(model.maintenanceMargin * 100).toFixed(3)} % of position value`;
}

/**
 * A config's account with command-line overrides applied key by key (a flag wins). Switching the type drops the
 * config's margin terms (`--account cash` over a margin config is a cash account, not an error about leverage);
 * terms given as flags stay, so `--account cash --leverage 3` is still refused by name.
 */
export function accountWithOverrides(
  base: AccountConfigInput | undefined,
  o: { readonly account?: AccountType; readonly leverage?: number; readonly maintenanceMargin?: number },
): AccountConfigInput {
  const start: AccountConfigInput = o.account !== undefined && o.account !== (base?.type ?? 'cash') ? { type: o.account } : { ...base };
  return {
    ...start,
    ...(o.account === undefined ? {} : { type: o.account }),
    ...(o.leverage === undefined ? {} : { leverage: o.leverage }),
    ...(o.maintenanceMargin === undefined ? {} : { maintenanceMargin: o.maintenanceMargin }),
  };
}
