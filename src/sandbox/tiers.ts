/** The isolation tiers of ARCHITECTURE.md: what each one is and what it guarantees. */

export type SandboxTier = 0 | 1 | 2 | 3;

export const SANDBOX_TIERS: readonly SandboxTier[] = [0, 1, 2, 3];

export const TIER_DESCRIPTIONS: Readonly<Record<SandboxTier, string>> = {
  0: 'in-process call: no isolation at all (trusted code at training speed)',
  1: 'worker thread with resourceLimits: heap cap and crash containment; NOT a security boundary (same process, same files, same network)',
  2: 'child process under bwrap (namespaces, read-only root with only /usr, private /tmp, read-only workspace, no network, no child processes) with rlimits and deadlines',
  3: "tier 2's filesystem and namespaces with the agent under gVisor (runsc --rootless --network=none run), a user-space kernel",
};

export function parseTier(text: string, flag = '--tier'): SandboxTier {
  const n = Number(text);
  if (n === 0 || n === 1 || n === 2 || n === 3) return n;
  throw new RangeError(`${flag}: must be 0, 1, 2 or 3, got '${text}'`);
}
