import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { type LoadedPolicy, CpuPolicy, type DenseLayer } from '../agents/index.js';
import { Rng } from '../core/index.js';
import { MemoryAuditSink } from '../security/index.js';
import { parseSandboxLimits } from './limits.js';
import { SandboxedPolicy } from './sandboxed-policy.js';

const dir = mkdtempSync(join(tmpdir(), 'bulwark-sandboxed-policy-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const rng = new Rng(7);
const sizes = [6, 5, 4];
const layers: DenseLayer[] = sizes.slice(1).map((out, l) => ({
  inputDim: sizes[l],
  outputDim: out,
  weights: Float32Array.from({ length: sizes[l] * out }, () => rng.normal()),
  bias: Float32Array.from({ length: out }, () => rng.normal() * 0.1),
}));
const obsStats = { mean: Array.from({ length: 6 }, (_, i) => i * 0.1), var: Array.from({ length: 6 }, (_, i) => 1 + i), count: 100 };
const b64 = (a: Float32Array): string => Buffer.from(a.buffer, a.byteOffset, a.byteLength).toString('base64');
/** The fields the sandbox's checkpoint agent reads (a real checkpoint has more; see policy-checkpoint.ts). */
const checkpoint = {
  format: 'bulwark.ppo-lag.checkpoint.v1',
  obsDim: 6,
  nActions: 4,
  hyperparams: { hiddenSizes: [5], normalizeObs: true, seed: 1, algorithm: 'ppo-lag' },
  weights: { actor: layers.flatMap((l) => [b64(l.weights), b64(l.bias)]), logStd: '' },
  obsStats,
};
const discreteEnv = { actionType: 'discrete', actions: [{}, {}, {}, {}], useMask: true, env: {} };

function loaded(file: string, env: object = discreteEnv): Pick<LoadedPolicy, 'path' | 'env' | 'algorithm'> {
  // Only actionType, actions, useMask and env.boxRange are read by SandboxedPolicy.open.
  return { path: file, env: env as LoadedPolicy['env'], algorithm: 'ppo-lag' };
}

describe('a policy checkpoint in a sandbox tier', () => {
  const file = join(dir, 'policy.json');
  writeFileSync(file, JSON.stringify(checkpoint));
  const local = new CpuPolicy(layers, { kind: 'discrete', n: 4 }, obsStats, new Float32Array(0), 1);

  for (const tier of [1, 2, 3] as const) {
    it(`tier ${tier}: reads the checkpoint from its read-only workspace and answers the in-process policy's actions, masks applied`, async () => {
      const policy = await SandboxedPolicy.open(loaded(file), { tier, limits: parseSandboxLimits({ decisionTimeoutMs: 5000 }) });
      try {
        const r = new Rng(3);
        let masked = 0;
        for (let k = 0; k < 200; k++) {
          const obs = Float32Array.from({ length: 6 }, () => r.normal() * 3);
          const mask = Uint8Array.from([1, r.next() < 0.5 ? 1 : 0, 1, r.next() < 0.5 ? 1 : 0]);
          const expected = local.act(obs, mask, { deterministic: true });
          if (expected !== local.act(obs, null, { deterministic: true })) masked++;
          expect(policy.act(obs, mask)).toBe(expected);
        }
        expect(masked).toBeGreaterThan(0);
        expect(policy.takeFault()).toBeNull();
        expect(policy.summary()).toBe(`Sandbox tier ${tier}: 200 decisions, 0 late (HOLD).`);
      } finally {
        await policy.close();
      }
    }, 60_000);
  }

  it('a checkpoint whose tensors do not fit its sizes fails to start inside the sandbox, naming the field', async () => {
    const bad = join(dir, 'bad.json');
    writeFileSync(bad, JSON.stringify({ ...checkpoint, weights: { ...checkpoint.weights, actor: checkpoint.weights.actor.slice(0, 3) } }));
    await expect(SandboxedPolicy.open(loaded(bad), { tier: 2, limits: parseSandboxLimits({}) })).rejects.toThrow(/weights\.actor: 3 tensors, hiddenSizes \[5\] need 4/);
  }, 60_000);

  it('an observation of the wrong width stops the agent: audited once, HOLD from then on', async () => {
    const audit = new MemoryAuditSink();
    const policy = await SandboxedPolicy.open(loaded(file), { tier: 2, limits: parseSandboxLimits({ decisionTimeoutMs: 5000 }), agentId: 'p1' });
    policy.audit = audit;
    try {
      expect(policy.act(new Float32Array(3), Uint8Array.of(1, 1, 1, 1))).toBe(0);
      expect(policy.takeFault()).toMatch(/agent-error: .*obs: expected 6 values, got 3/);
      expect(policy.takeFault()).toBeNull();
      expect(policy.act(new Float32Array(6), Uint8Array.of(1, 1, 1, 1))).toBe(0);
      expect(audit.events.map((e) => e.type)).toEqual(['SANDBOX_AGENT_STOPPED']);
    } finally {
      await policy.close();
    }
  }, 60_000);
});
