import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { type AgentSandbox, type SandboxFault, createAgentSandbox } from './agent-sandbox.js';
import { parseSandboxLimits } from './limits.js';
import { SANDBOX_TIERS } from './tiers.js';

const agentsDir = fileURLToPath(new URL('./test-agents/', import.meta.url));
const open: AgentSandbox[] = [];
afterEach(async () => {
  await Promise.all(open.splice(0).map((s) => s.close()));
});

describe('agent sandbox', () => {
  for (const tier of SANDBOX_TIERS) {
    it(`tier ${tier}: runs init once and answers decisions over the channel, keeping the agent's state`, async () => {
      const faults: SandboxFault[] = [];
      const sandbox = createAgentSandbox({ tier, limits: parseSandboxLimits({ decisionTimeoutMs: 5000 }), onFault: (f) => faults.push(f) });
      open.push(sandbox);
      await sandbox.open({ workspaceDir: agentsDir, moduleFile: 'echo-agent.mjs', spec: { cap: 2 } });
      const d1 = sandbox.decide([1, 2, 3.5], [1, 1, 0, 1]);
      expect(d1).toEqual({ action: 1, late: false, info: { calls: 1, sum: 6.5 } });
      const d2 = sandbox.decide(new Float32Array([0.5]), new Uint8Array([1, 1, 1, 1]));
      expect(d2).toEqual({ action: 2, late: false, info: { calls: 2, sum: 0.5 } });
      expect(sandbox.decisions).toBe(2);
      expect(sandbox.lateDecisions).toBe(0);
      expect(faults).toEqual([]);
    });
  }

  // Tiers 2 and 3 share one relay thread per process: one agent's crash must not reach another's channel.
  it('tier 2: agents on the shared relay are independent: one crashing or closing leaves the other answering', async () => {
    const limits = parseSandboxLimits({ decisionTimeoutMs: 5000 });
    const faultsA: SandboxFault[] = [];
    const faultsB: SandboxFault[] = [];
    const a = createAgentSandbox({ tier: 2, limits, onFault: (f) => faultsA.push(f) });
    const b = createAgentSandbox({ tier: 2, limits, onFault: (f) => faultsB.push(f) });
    open.push(a, b);
    await Promise.all([
      a.open({ workspaceDir: agentsDir, moduleFile: 'exit-agent.mjs' }),
      b.open({ workspaceDir: agentsDir, moduleFile: 'echo-agent.mjs', spec: { cap: 3 } }),
    ]);
    const all = [1, 1, 1, 1];
    expect(a.decide([1], all)).toEqual({ action: 1, late: false });
    expect(b.decide([2], all)).toEqual({ action: 3, late: false, info: { calls: 1, sum: 2 } });
    expect(a.decide([-1], all)).toEqual({ action: 0, late: true });
    expect(faultsA.map((f) => f.kind)).toEqual(['crash']);
    expect(faultsA[0].detail).toContain('exited with code 3');
    expect(b.decide([3], all)).toEqual({ action: 3, late: false, info: { calls: 2, sum: 3 } });
    await a.close();
    expect(b.decide([4], all)).toEqual({ action: 3, late: false, info: { calls: 3, sum: 4 } });
    expect(a.decide([1], all)).toEqual({ action: 0, late: true });
    await b.close();
    expect(faultsB).toEqual([]);
  });
});
