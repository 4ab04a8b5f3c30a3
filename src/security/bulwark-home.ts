/**
 * The one home directory for state that must outlive a command and must not depend on where it was run:
 * token issuer keys, the kill-switch log, keyrings. `--home DIR` wins, then `BULWARK_HOME`, then a
 * per-user directory (`~/.bulwark`). Never the current directory: the same command run from two places must
 * find the same keys.
 */
import { homedir } from 'node:os';
import { isAbsolute, join, resolve } from 'node:path';

export const BULWARK_HOME_ENV = 'BULWARK_HOME';

/** Resolves the home directory; a relative `--home` or `BULWARK_HOME` is made absolute once, here. */
export function resolveBulwarkHome(flag?: string, env: NodeJS.ProcessEnv = process.env): string {
  const chosen = flag ?? env[BULWARK_HOME_ENV];
  if (chosen !== undefined) {
    if (chosen.trim() === '') throw new RangeError(`home: ${flag !== undefined ? '--home' : BULWARK_HOME_ENV} must not be empty`);
    return isAbsolute(chosen) ? chosen : resolve(chosen);
  }
  return join(homedir(), '.bulwark');
}
