/**
 * The account flags, defined once: `backtest`, `sweep`, `walk-forward`, `paper`, `train` and `eval` take
 * `--account cash|margin`, `--leverage N` and `--maintenance-margin F`. They override a config file's account key
 * by key (venues' `accountWithOverrides`); the venue validates the result (e.g. leverage on a cash account).
 */
import type { Command } from 'commander';
import { parseNumberFlag } from './flags.js';

export interface AccountFlags {
  account?: string;
  leverage?: string;
  maintenanceMargin?: string;
}

/** The flags parsed: each error names its flag. Unset flags are left out. */
export interface AccountOverrides {
  account?: 'cash' | 'margin';
  leverage?: number;
  maintenanceMargin?: number;
}

/** Adds `--account`, `--leverage` and `--maintenance-margin` to a command. */
export function addAccountOptions(cmd: Command, what = 'the venue account'): Command {
  return cmd
    .option('--account <type>', `${what}: cash (spot: no shorts, no borrowing; default) or margin`)
    .option('--leverage <n>', 'margin account: largest |position value| / equity an order may open (default 1)')
    .option('--maintenance-margin <f>', 'margin account: maintenance requirement as a share of position value; below it the venue liquidates (default 0.5 / leverage)');
}

/** `--account cash|margin`, `--leverage N`, `--maintenance-margin F` (validated with the config file's account). */
export function accountFromFlags(f: AccountFlags): AccountOverrides {
  if (f.account !== undefined && f.account !== 'cash' && f.account !== 'margin') {
    throw new RangeError(`--account: must be cash or margin, got '${f.account}'`);
  }
  return {
    ...(f.account === undefined ? {} : { account: f.account }),
    ...(f.leverage === undefined ? {} : { leverage: parseNumberFlag(f.leverage, '--leverage', { above: 0 }) }),
    ...(f.maintenanceMargin === undefined ? {} : { maintenanceMargin: parseNumberFlag(f.maintenanceMargin, '--maintenance-margin', { above: 0 }) }),
  };
}
