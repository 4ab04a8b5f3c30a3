/**
 * `bulwark bench sandbox --json`: per tier, the cold start (start the sandbox, load the agent, answer init;
 * median) and the warm decision round trip (supervisor → agent → supervisor for one observation row of 10
 * values and a 4-action mask; p99 after a warm-up), plus the session start from the warm pool.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createAgentSandbox } from './agent-sandbox.js';
import { parseSandboxLimits } from './limits.js';
import { SandboxPool } from './pool.js';
import { findExecutable } from './sandbox-command.js';
import { SANDBOX_TIERS, type SandboxTier } from './tiers.js';

const AGENT = 'export default { init() {}, decide(obs, mask) { return mask[1] === 1 && obs[5] > obs[2] ? 1 : 0; } };\n';

function quantile(sorted: readonly number[], q: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
}

function median(values: readonly number[]): number {
  return quantile([...values].sort((a, b) => a - b), 0.5);
}

function available(tier: SandboxTier): boolean {
  if (tier < 2) return true;
  return findExecutable('bwrap') !== null && findExecutable('prlimit') !== null && (tier === 2 || findExecutable('runsc') !== null);
}

export async function benchSandbox(options: { scale: number }): Promise<Record<string, unknown>> {
  const workspace = mkdtempSync(join(tmpdir(), 'bulwark-bench-sandbox-'));
  writeFileSync(join(workspace, 'agent.mjs'), AGENT);
  const limits = parseSandboxLimits({ decisionTimeoutMs: 10_000 });
  const starts = Math.max(3, Math.round(5 * options.scale));
  const decisions = Math.max(200, Math.round(5000 * options.scale));
  const tiers: Record<string, unknown> = {};
  const obs = new Float64Array([1, 0, 100, 101, 99, 100.5, 10, 0, 10_000, 10_000]);
  const mask = new Uint8Array([1, 1, 1, 1]);
  try {
    for (const tier of SANDBOX_TIERS) {
      if (!available(tier)) {
        tiers[`tier${tier}`] = { skipped: 'bwrap, prlimit or runsc is not installed' };
        continue;
      }
      const cold: number[] = [];
      for (let i = 0; i < starts; i++) {
        const t0 = performance.now();
        const s = createAgentSandbox({ tier, limits });
        await s.open({ workspaceDir: workspace, moduleFile: 'agent.mjs' });
        s.decide(obs, mask);
        cold.push(performance.now() - t0);
        await s.close();
      }
      const s = createAgentSandbox({ tier, limits });
      await s.open({ workspaceDir: workspace, moduleFile: 'agent.mjs' });
      for (let i = 0; i < Math.min(1000, decisions); i++) s.decide(obs, mask);
      const rtt = new Float64Array(decisions);
      for (let i = 0; i < decisions; i++) {
        const t0 = performance.now();
        s.decide(obs, mask);
        rtt[i] = (performance.now() - t0) * 1000;
      }
      const late = s.lateDecisions;
      await s.close();
      const sorted = Array.from(rtt).sort((a, b) => a - b);
      const pool = new SandboxPool({ tier, limits, workspaceDir: workspace, size: 1 });
      const warmStarts: number[] = [];
      for (let i = 0; i < starts; i++) {
        const sandbox = await pool.acquire();
        // Let the replacement finish starting so each session is served warm, as a pool sized for its load is.
        await new Promise((r) => setTimeout(r, tier === 3 ? 2500 : tier === 2 ? 600 : 100));
        const t0 = performance.now();
        await sandbox.open({ workspaceDir: workspace, moduleFile: 'agent.mjs' });
        sandbox.decide(obs, mask);
        warmStarts.push(performance.now() - t0);
        await sandbox.close();
      }
      await pool.close();
      tiers[`tier${tier}`] = {
        cold_start_ms: Math.round(median(cold) * 10) / 10,
        pool_session_start_ms: Math.round(median(warmStarts) * 10) / 10,
        decision_roundtrip_p50_us: Math.round(quantile(sorted, 0.5)),
        decision_roundtrip_p99_us: Math.round(quantile(sorted, 0.99)),
        decisions,
        late_decisions: late,
      };
    }
  } finally {
    rmSync(workspace, { recursive: true, force: true });
  }
  return { benchmark: 'sandbox', cold_starts: starts, ...tiers };
}
