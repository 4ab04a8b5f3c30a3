/**
 * Tiers 2 and 3 write requests straight to the child's stdin FIFO (request-fifo.ts). These specs try to make
 * that block the supervisor, lose or interleave a frame, or throw when the agent's process is gone.
 */
import { closeSync, readSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { type AgentSandbox, type SandboxFault, createAgentSandbox } from './agent-sandbox.js';
import { parseSandboxLimits } from './limits.js';
import { RequestFifo } from './request-fifo.js';
import { findExecutable } from './sandbox-command.js';

const agentsDir = fileURLToPath(new URL('./test-agents/', import.meta.url));
const open: AgentSandbox[] = [];
afterEach(async () => {
  await Promise.all(open.splice(0).map((s) => s.close()));
});

/** Reads what is in the pipe now (the read end is non-blocking). */
function drain(fd: number, into: Buffer[]): void {
  const chunk = Buffer.alloc(16 * 1024);
  for (;;) {
    let n: number;
    try {
      n = readSync(fd, chunk, 0, chunk.length, null);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'EAGAIN') return;
      throw err;
    }
    if (n === 0) return;
    into.push(Buffer.from(chunk.subarray(0, n)));
  }
}

describe('request FIFO', () => {
  it('a full pipe does not block the writer; the rest arrives later, whole and in order', async () => {
    const opened = await RequestFifo.open();
    expect(opened).not.toBeNull(); // mkfifo is part of coreutils, installed wherever the specs run
    if (opened === null) return;
    const { fifo, readFd } = opened;
    const frames = [Buffer.alloc(100_000, 1), Buffer.alloc(3, 2), Buffer.alloc(70_000, 3)];
    for (const f of frames) fifo.write(f); // a pipe holds 64 KiB: most of this cannot be taken yet
    expect(fifo.pendingBytes).toBeGreaterThan(0);
    const read: Buffer[] = [];
    for (let i = 0; i < 1000 && (fifo.pendingBytes > 0 || i === 0); i++) {
      drain(readFd, read);
      fifo.flush();
    }
    drain(readFd, read);
    expect(fifo.pendingBytes).toBe(0);
    expect(Buffer.concat(read).equals(Buffer.concat(frames))).toBe(true);
    // The reader gone (the agent's process exited): writes are dropped, nothing throws.
    closeSync(readFd);
    fifo.write(Buffer.alloc(10, 4));
    expect(fifo.flush()).toBe(false);
    expect(fifo.pendingBytes).toBe(0);
    fifo.close();
    fifo.close();
  });

  const tier2 = findExecutable('bwrap') !== null && findExecutable('prlimit') !== null;
  it.skipIf(!tier2)('tier 2: an agent that stops reading never blocks decide; requests larger than the pipe arrive whole', async () => {
    const faults: SandboxFault[] = [];
    const gateAgent = createAgentSandbox({
      tier: 2,
      limits: parseSandboxLimits({ decisionTimeoutMs: 5000, maxConsecutiveLate: 100 }),
      onFault: (f) => faults.push(f),
    });
    open.push(gateAgent);
    await gateAgent.open({ workspaceDir: agentsDir, moduleFile: 'echo-agent.mjs', spec: { cap: 3 } });
    // ~500 KB of JSON per request: several pipes' worth, written in pieces as the child reads.
    const big = Array.from({ length: 60_000 }, (_, i) => (i % 7) + 0.25);
    const sum = big.reduce((s, x) => s + x, 0);
    expect(gateAgent.decide(big, [1, 1, 1, 1])).toEqual({ action: 3, late: false, info: { calls: 1, sum } });
    expect(gateAgent.decide([2], [1, 1, 1, 1])).toEqual({ action: 3, late: false, info: { calls: 2, sum: 2 } });
    expect(faults).toEqual([]);

    const spinning = createAgentSandbox({
      tier: 2,
      limits: parseSandboxLimits({ decisionTimeoutMs: 50, maxConsecutiveLate: 8 }),
      onFault: (f) => faults.push(f),
    });
    open.push(spinning);
    await spinning.open({ workspaceDir: agentsDir, moduleFile: 'channel-agent.mjs', spec: { mode: 'spin' } });
    // It spins in its first decide and reads nothing more: the pipe fills, and each decide still returns.
    for (let i = 0; i < 8; i++) expect(spinning.decide(big, [1, 1, 1, 1])).toEqual({ action: 0, late: true });
    expect(spinning.lateDecisions).toBe(8);
    expect(faults.map((f) => f.kind)).toEqual(['deadline']);
  });
});
