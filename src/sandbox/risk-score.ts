/**
 * Which tier an agent runs in: a risk score from the code's origin, whether it is signed by a trusted key,
 * the permissions it asks for and the mode it trades in gives a floor; `--tier` may raise the tier, never
 * lower it below the floor. Hard rules on top of the score: unsigned third-party code never runs below tier 2,
 * and live trading needs tier 2 or higher for any code not signed by a trusted key.
 */
import { readFileSync } from 'node:fs';
import { type KeyObject, verify } from 'node:crypto';
import type { SandboxTier } from './tiers.js';

/** Where the agent's code comes from, least to most risky. */
export type CodeOrigin = 'builtin' | 'own-checkpoint' | 'local' | 'third-party';
export type TradingMode = 'backtest' | 'paper' | 'live';
/** What an agent may ask for beyond observations and masks. None is granted in tiers 2 and 3 except these reads. */
export type AgentPermission = 'workspace-read' | 'tmp-write' | 'wall-clock';

export const CODE_ORIGINS: readonly CodeOrigin[] = ['builtin', 'own-checkpoint', 'local', 'third-party'];
export const TRADING_MODES: readonly TradingMode[] = ['backtest', 'paper', 'live'];

export interface RiskInputs {
  readonly origin: CodeOrigin;
  readonly signedByTrustedKey: boolean;
  readonly permissions: readonly AgentPermission[];
  readonly mode: TradingMode;
}

export interface TierChoice {
  readonly tier: SandboxTier;
  /** The lowest tier this agent may run in. */
  readonly floor: SandboxTier;
  readonly score: number;
  /** Why the floor is what it is, one line per contribution. */
  readonly reasons: readonly string[];
}

const ORIGIN_POINTS: Readonly<Record<CodeOrigin, number>> = { builtin: 0, 'own-checkpoint': 1, local: 2, 'third-party': 4 };
const MODE_POINTS: Readonly<Record<TradingMode, number>> = { backtest: 0, paper: 1, live: 2 };

function tierForScore(score: number): SandboxTier {
  if (score <= 0) return 0;
  if (score <= 2) return 1;
  if (score <= 4) return 2;
  return 3;
}

export function riskFloor(inputs: RiskInputs): Omit<TierChoice, 'tier'> {
  const reasons: string[] = [];
  let score = ORIGIN_POINTS[inputs.origin];
  reasons.push(`origin ${inputs.origin}: +${ORIGIN_POINTS[inputs.origin]}`);
  if (inputs.signedByTrustedKey && score > 0) {
    score -= 1;
    reasons.push('signed by a trusted key: -1');
  } else if (!inputs.signedByTrustedKey && inputs.origin !== 'builtin') {
    score += 1;
    reasons.push('not signed by a trusted key: +1');
  }
  const perms = new Set(inputs.permissions);
  if (perms.size > 0) {
    score += perms.size;
    reasons.push(`permissions ${[...perms].join(', ')}: +${perms.size}`);
  }
  score += MODE_POINTS[inputs.mode];
  reasons.push(`mode ${inputs.mode}: +${MODE_POINTS[inputs.mode]}`);
  let floor = tierForScore(score);
  const unsigned = !inputs.signedByTrustedKey && inputs.origin !== 'builtin';
  if (unsigned && inputs.origin === 'third-party' && floor < 2) {
    floor = 2;
    reasons.push('unsigned third-party code: at least tier 2');
  }
  if (unsigned && inputs.mode === 'live' && floor < 2) {
    floor = 2;
    reasons.push('live trading with code not signed by a trusted key: at least tier 2');
  }
  return { floor, score, reasons };
}

/** The tier to run in: the floor, or `requested` when it is higher. A request below the floor is an error. */
export function chooseTier(inputs: RiskInputs, requested?: SandboxTier): TierChoice {
  const { floor, score, reasons } = riskFloor(inputs);
  if (requested !== undefined && requested < floor) {
    throw new RangeError(`--tier: ${requested} is below this agent's floor of tier ${floor} (risk score ${score}: ${reasons.join('; ')})`);
  }
  return { tier: requested ?? floor, floor, score, reasons };
}

/**
 * Whether `file` carries a valid Ed25519 signature (base64 in `file.sig`, over the file's bytes) by one of
 * `trustedKeys`. A missing or unreadable signature is simply unsigned.
 */
export function isSignedByTrustedKey(file: string, trustedKeys: readonly KeyObject[]): boolean {
  let signature: Buffer;
  let data: Buffer;
  try {
    signature = Buffer.from(readFileSync(`${file}.sig`, 'utf8').trim(), 'base64');
    data = readFileSync(file);
  } catch {
    return false;
  }
  if (signature.length !== 64) return false;
  return trustedKeys.some((key) => {
    try {
      return verify(null, data, key, signature);
    } catch {
      return false;
    }
  });
}
