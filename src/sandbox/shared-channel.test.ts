/**
 * Tier 1 decides through shared memory (shared-channel.ts). These specs try to break what the MessagePort path
 * guaranteed: deadlines and late answers, checks of every answer (also one the agent's thread forges in the
 * slot), the frame cap on `info`, what does not fit a slot, asynchronous `decide`, output limits, and
 * `terminate` of a thread blocked in `Atomics.wait`.
 */
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { type AgentSandbox, type SandboxFault, createAgentSandbox } from './agent-sandbox.js';
import { type SandboxLimitsInput, parseSandboxLimits } from './limits.js';
import { findExecutable } from './sandbox-command.js';
import { DEFAULT_SLOT_TEXT_BYTES, DEFAULT_SLOT_VALUES, SharedDecisionChannel } from './shared-channel.js';

const agentsDir = fileURLToPath(new URL('./test-agents/', import.meta.url));
const open: AgentSandbox[] = [];
afterEach(async () => {
  await Promise.all(open.splice(0).map((s) => s.close()));
});

async function tier1(spec: Record<string, unknown>, limits: SandboxLimitsInput = {}): Promise<{ sandbox: AgentSandbox; faults: SandboxFault[] }> {
  const faults: SandboxFault[] = [];
  const sandbox = createAgentSandbox({ tier: 1, limits: parseSandboxLimits({ decisionTimeoutMs: 5000, ...limits }), onFault: (f) => faults.push(f) });
  open.push(sandbox);
  await sandbox.open({ workspaceDir: agentsDir, moduleFile: 'channel-agent.mjs', spec });
  return { sandbox, faults };
}

const ALL = [1, 1, 1, 1];
const HOLD = { action: 0, late: true };

describe('tier 1 shared-memory channel', () => {
  it('answers each decision with its own observation, many in a row', async () => {
    const { sandbox, faults } = await tier1({ mode: 'echo' });
    for (let i = 0; i < 500; i++) {
      expect(sandbox.decide([i, 2, 3], new Uint8Array([1, 0, 1]))).toEqual({ action: 2, late: false, info: { first: i, n: 3, maskSum: 2 } });
    }
    // Values cross as float64: no rounding.
    expect(sandbox.decide([0.1 + 0.2, 1e-310], ALL).info).toEqual({ first: 0.1 + 0.2, n: 2, maskSum: 4 });
    expect(faults).toEqual([]);
  });

  it('an asynchronous decide is awaited in the agent thread and answered', async () => {
    const { sandbox, faults } = await tier1({ mode: 'async' });
    expect(sandbox.decide([7], ALL)).toEqual({ action: 1, late: false, info: { awaited: 7 } });
    expect(sandbox.decide([8], ALL)).toEqual({ action: 1, late: false, info: { awaited: 8 } });
    expect(faults).toEqual([]);
  });

  it('a late answer is HOLD and counted, and is never taken for the next decision', async () => {
    const gate = new Int32Array(new SharedArrayBuffer(4));
    const { sandbox, faults } = await tier1({ mode: 'gated', gate: gate.buffer }, { decisionTimeoutMs: 1000, maxConsecutiveLate: 3 });
    expect(sandbox.decide([1], ALL)).toEqual(HOLD);
    expect(sandbox.lateDecisions).toBe(1);
    Atomics.store(gate, 0, 1);
    Atomics.notify(gate, 0);
    // The first decision's answer comes now; the second must get its own (first: 2), not that one.
    expect(sandbox.decide([2], ALL)).toEqual({ action: 1, late: false, info: { first: 2 } });
    expect(sandbox.decide([3], ALL)).toEqual({ action: 1, late: false, info: { first: 3 } });
    expect(faults).toEqual([]);
  });

  it('N late decisions in a row stop the agent; close() ends a thread blocked in Atomics.wait', async () => {
    const gate = new Int32Array(new SharedArrayBuffer(4)); // never opened
    const { sandbox, faults } = await tier1({ mode: 'gated', gate: gate.buffer }, { decisionTimeoutMs: 100, maxConsecutiveLate: 2 });
    expect(sandbox.decide([1], ALL)).toEqual(HOLD);
    expect(faults).toEqual([]);
    expect(sandbox.decide([2], ALL)).toEqual(HOLD);
    expect(faults.map((f) => f.kind)).toEqual(['deadline']);
    expect(sandbox.decide([3], ALL)).toEqual(HOLD);
    expect(sandbox.lateDecisions).toBe(2);
    await sandbox.close(); // resolves only once the worker thread has exited
  });

  it('close() ends an idle agent thread (blocked in Atomics.wait for the next request)', async () => {
    const { sandbox } = await tier1({ mode: 'echo' });
    expect(sandbox.decide([1], ALL).late).toBe(false);
    await new Promise((r) => setTimeout(r, 20)); // the agent thread is now waiting for a request
    await sandbox.close();
    expect(sandbox.decide([1], ALL)).toEqual(HOLD);
  });

  for (const [mode, kind, detail] of [
    ['fraction', 'malformed-frame', /decision\.action: must be a whole number >= 0, got 1\.5/],
    ['out-of-range', 'agent-error', /action 7 is not an index below 4/],
    ['bad-target', 'malformed-frame', /decision\.target: must be a finite number/],
    ['throws', 'agent-error', /decide failed on purpose/],
    ['forge-not-json', 'malformed-frame', /not JSON/],
    ['forge-huge-length', 'frame-too-large', /1073741824 bytes is over the frame cap/],
    ['forge-kind', 'malformed-frame', /answer\.kind: must be 1-4, got 9/],
  ] as const) {
    it(`an answer that fails its checks (${mode}) stops the agent: ${kind}, HOLD from then on`, async () => {
      const { sandbox, faults } = await tier1({ mode });
      expect(sandbox.decide([1], ALL)).toEqual(HOLD);
      expect(faults).toHaveLength(1);
      expect(faults[0]).toMatchObject({ kind, tier: 1 });
      expect(faults[0].detail).toMatch(detail);
      expect(sandbox.decide([2], ALL)).toEqual(HOLD);
      expect(faults).toHaveLength(1);
    });
  }

  it('info over the frame cap stops the agent (frame-too-large)', async () => {
    const { sandbox, faults } = await tier1({ mode: 'big-info', infoChars: 5000 }, { maxFrameBytes: 4096 });
    expect(sandbox.decide([1], ALL)).toEqual(HOLD);
    expect(faults.map((f) => f.kind)).toEqual(['frame-too-large']);
    expect(faults[0].detail).toMatch(/over the frame cap of 4096/);
  });

  it('info longer than the slot but under the frame cap arrives whole (through the port)', async () => {
    const infoChars = DEFAULT_SLOT_TEXT_BYTES * 2;
    const { sandbox, faults } = await tier1({ mode: 'big-info', infoChars });
    for (const first of [1, 2]) {
      const d = sandbox.decide([first], ALL);
      expect(d.late).toBe(false);
      expect(d.info).toEqual({ first, text: 'x'.repeat(infoChars) });
    }
    expect(faults).toEqual([]);
  });

  it('an observation longer than the slot arrives whole (through the port), and the slot serves the next', async () => {
    const { sandbox, faults } = await tier1({ mode: 'echo' });
    const long = Array.from({ length: DEFAULT_SLOT_VALUES + 10 }, (_, i) => i + 0.5);
    expect(sandbox.decide(long, ALL)).toEqual({ action: 3, late: false, info: { first: 0.5, n: long.length, maskSum: 4 } });
    expect(sandbox.decide([9], ALL)).toEqual({ action: 3, late: false, info: { first: 9, n: 1, maskSum: 4 } });
    expect(faults).toEqual([]);
  });

  it("the agent's printed output still reaches the supervisor and its limit stops the agent", async () => {
    const { sandbox, faults } = await tier1({ mode: 'print', lineChars: 4000 }, { maxOutputBytes: 64 * 1024 });
    // The supervisor counts output on its event loop, as a paper session's loop lets it run between bars.
    for (let i = 0; i < 200 && faults.length === 0; i++) {
      sandbox.decide([i], ALL);
      await new Promise((r) => setTimeout(r, 2));
    }
    expect(faults.map((f) => f.kind)).toEqual(['output-limit']);
    expect(sandbox.decide([1], ALL)).toEqual(HOLD);
  });
});

// Tiers 2 and 3: the relay writes checked decisions into the agent's answer slot; what does not fit is posted.
describe.skipIf(findExecutable('bwrap') === null || findExecutable('prlimit') === null)('tier 2 answer slot', () => {
  async function tier2(spec: Record<string, unknown>, limits: SandboxLimitsInput = {}): Promise<{ sandbox: AgentSandbox; faults: SandboxFault[] }> {
    const faults: SandboxFault[] = [];
    const sandbox = createAgentSandbox({ tier: 2, limits: parseSandboxLimits({ decisionTimeoutMs: 5000, ...limits }), onFault: (f) => faults.push(f) });
    open.push(sandbox);
    await sandbox.open({ workspaceDir: agentsDir, moduleFile: 'channel-agent.mjs', spec });
    return { sandbox, faults };
  }

  it('info longer than the slot arrives whole (posted), and the slot serves the next answer', async () => {
    const { sandbox, faults } = await tier2({ mode: 'big-info', infoChars: 40_000 });
    expect(sandbox.decide([1], ALL)).toEqual({ action: 1, late: false, info: { first: 1, text: 'x'.repeat(40_000) } });
    const { sandbox: small } = await tier2({ mode: 'echo' });
    expect(small.decide([2], ALL)).toEqual({ action: 3, late: false, info: { first: 2, n: 1, maskSum: 4 } });
    expect(sandbox.decide([3], ALL)).toEqual({ action: 1, late: false, info: { first: 3, text: 'x'.repeat(40_000) } });
    expect(faults).toEqual([]);
  });

  it('a late answer in the slot is HOLD and counted, and is never taken for the next decision', async () => {
    const { sandbox, faults } = await tier2({ mode: 'slow-first', slowMs: 1200, thenMs: 400 }, { decisionTimeoutMs: 1000 });
    expect(sandbox.decide([1], ALL)).toEqual(HOLD);
    expect(sandbox.decide([2], ALL)).toEqual({ action: 1, late: false, info: { first: 2 } });
    expect(sandbox.decide([3], ALL)).toEqual({ action: 1, late: false, info: { first: 3 } });
    expect(sandbox.lateDecisions).toBe(1);
    expect(faults).toEqual([]);
  });

  it('an out-of-range action written to the slot still stops the agent', async () => {
    const { sandbox, faults } = await tier2({ mode: 'out-of-range' });
    expect(sandbox.decide([1], ALL)).toEqual(HOLD);
    expect(faults.map((f) => f.kind)).toEqual(['agent-error']);
    expect(faults[0].detail).toMatch(/action 7 is not an index below 4/);
  });
});

describe('SharedDecisionChannel', () => {
  it('does not return a request or an answer it has already returned, nor one being written', () => {
    const channel = SharedDecisionChannel.create(16, 64);
    expect(channel.readRequest(channel.requestSeq())).toBeNull();
    channel.writeRequest(1, [1, 2], [1, 0]);
    const request = channel.readRequest(0);
    expect(request).toMatchObject({ id: 1, obs: [1, 2], mask: [1, 0] });
    expect(channel.readRequest(request?.seq ?? -1)).toBeNull();
    // Odd sequence word: a write is under way, nothing is read.
    Atomics.add(channel.control, 1, 1);
    expect(channel.readAnswer(0)).toBeNull();
    Atomics.add(channel.control, 1, 1);
    channel.writeAnswer(1, 1, 2, undefined, '{"a":1}');
    expect(channel.readAnswer(2)).toMatchObject({ id: 1, action: 2, textBytes: 7, text: '{"a":1}' });
  });

  it('reports a text length outside the slot as such (text null), not as bytes past the slot', () => {
    const channel = SharedDecisionChannel.create(16, 64);
    channel.writeAnswer(1, 1, 0, undefined, null, channel.textCapacity + 1);
    expect(channel.readAnswer(0)).toMatchObject({ textBytes: channel.textCapacity + 1, text: null });
    channel.writeAnswer(1, 1, 0, undefined, null, -5);
    expect(channel.readAnswer(2)).toMatchObject({ textBytes: -5, text: null });
  });
});
