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
});
