/**
 * Escape specs: agent code (test-agents/escape-agent.mjs) tries each escape of ESCAPE_ATTEMPTS in each tier.
 * Tiers 2 and 3 must stop every one; tiers 0 and 1 are run too, and the table states what they do not stop.
 * The rendered table must equal the README's (BULWARK_WRITE_ESCAPE_TABLE=1 rewrites the README's copy).
 * The Redis and gateway ports are loopback listeners of this spec's own (stand-ins that count connections),
 * so no real service is touched.
 */
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { type AddressInfo, type Server, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type AgentSandbox, createAgentSandbox } from './agent-sandbox.js';
import {
  ESCAPE_ATTEMPTS,
  ESCAPE_TABLE_END,
  ESCAPE_TABLE_START,
  type EscapeAttemptId,
  type EscapeVerdict,
  NOT_RUN,
  renderEscapeTable,
} from './escape-table.js';
import { parseSandboxLimits } from './limits.js';
import { findExecutable } from './sandbox-command.js';
import type { SandboxTier } from './tiers.js';

const readmePath = fileURLToPath(new URL('../../README.md', import.meta.url));
const root = mkdtempSync(join(tmpdir(), 'bulwark-escape-'));
const workspace = join(root, 'workspace');
const keyFile = join(root, 'home', '.bulwark', 'keys', 'audit-signing.pem');
const outsideFile = join(root, 'outside', 'escaped.txt');
const workspaceFile = join(workspace, 'escaped.txt');
const connections = { redis: 0, gateway: 0 };
const servers: Server[] = [];
const ports = { redis: 0, gateway: 0 };
const results = new Map<SandboxTier, Map<EscapeAttemptId, EscapeVerdict>>();

const limits = parseSandboxLimits({
  decisionTimeoutMs: 3000,
  maxConsecutiveLate: 1,
  memoryMb: 128,
  cpuSec: 30,
  maxOutputBytes: 1 << 20,
  startTimeoutMs: 60_000,
});

function listen(onConnect: () => void): Promise<number> {
  return new Promise((resolve) => {
    const server = createServer((socket) => {
      onConnect();
      socket.destroy();
    });
    servers.push(server);
    server.listen(0, '127.0.0.1', () => resolve((server.address() as AddressInfo).port));
  });
}

beforeAll(async () => {
  mkdirSync(workspace, { recursive: true });
  mkdirSync(join(root, 'home', '.bulwark', 'keys'), { recursive: true });
  mkdirSync(join(root, 'outside'), { recursive: true });
  writeFileSync(keyFile, '-----BEGIN PRIVATE KEY-----\nnot-a-real-key\n-----END PRIVATE KEY-----\n', { mode: 0o600 });
  copyFileSync(fileURLToPath(new URL('./test-agents/escape-agent.mjs', import.meta.url)), join(workspace, 'escape-agent.mjs'));
  ports.redis = await listen(() => connections.redis++);
  ports.gateway = await listen(() => connections.gateway++);
});

afterAll(() => {
  for (const s of servers) s.close();
  rmSync(root, { recursive: true, force: true });
});

type Opened = { readonly sandbox: AgentSandbox; readonly error: string | null };

/** Starts the sandbox of one attempt and loads the agent (in parallel with the others: starts are the slow part). */
async function openAttempt(tier: SandboxTier, attempt: EscapeAttemptId): Promise<Opened> {
  const sandbox = createAgentSandbox({ tier, limits });
  try {
    await sandbox.open({
      workspaceDir: workspace,
      moduleFile: 'escape-agent.mjs',
      spec: { attempt, keyFile, outsideFile, workspaceFile, redisPort: ports.redis, gatewayPort: ports.gateway, supervisorPid: process.pid },
    });
    return { sandbox, error: null };
  } catch (err) {
    return { sandbox, error: err instanceof Error ? err.message : String(err) };
  }
}

/** Runs one attempt in its sandbox and judges it, checking the host side too. */
async function runAttempt(tier: SandboxTier, attempt: EscapeAttemptId, opened: Opened): Promise<EscapeVerdict> {
  const { sandbox } = opened;
  if (opened.error !== null) throw new Error(`tier ${tier} ${attempt}: ${opened.error}`);
  const before = { ...connections };
  const decision = sandbox.decide([], [1]);
  // Tier 0 cannot await an agent: an asynchronous attempt (a connection) completes after decide returns.
  if (tier === 0) await new Promise((r) => setTimeout(r, 300));
  const wrote = [outsideFile, workspaceFile].filter((p) => existsSync(p));
  for (const p of wrote) rmSync(p);
  if (wrote.length > 0) return { kind: 'escaped', detail: 'file written' };
  if (connections.redis > before.redis || connections.gateway > before.gateway) return { kind: 'escaped', detail: 'connected' };
  if (sandbox.fault !== null) return { kind: 'stopped', detail: sandbox.fault.kind };
  if (decision.late) return { kind: 'stopped', detail: 'late, HOLD' };
  const info: unknown = decision.info;
  const outcome: unknown = typeof info === 'object' && info !== null ? Reflect.get(info, 'outcome') : undefined;
  const detail: unknown = typeof info === 'object' && info !== null ? Reflect.get(info, 'detail') : undefined;
  const text = typeof detail === 'string' ? detail : '';
  if (outcome === 'blocked') return { kind: 'blocked', detail: text };
  return { kind: 'escaped', detail: attempt === 'read-keys' || attempt === 'read-shadow' ? 'read' : text.replace(/\d+/g, 'N') };
}

async function runTier(tier: SandboxTier): Promise<Map<EscapeAttemptId, EscapeVerdict>> {
  const verdicts = new Map<EscapeAttemptId, EscapeVerdict>();
  const toRun = ESCAPE_ATTEMPTS.map((a) => a.id).filter((id) => NOT_RUN[tier]?.[id] === undefined);
  const opened = new Map<EscapeAttemptId, Opened>();
  try {
    // Tier 0 shares one module instance between sessions (no isolation at all), so its sessions run one at a time.
    const batchSize = 4;
    for (let i = 0; i < toRun.length && tier !== 0; i += batchSize) {
      const batch = toRun.slice(i, i + 4);
      const started = await Promise.all(batch.map((id) => openAttempt(tier, id)));
      batch.forEach((id, k) => opened.set(id, started[k]));
    }
    for (const a of ESCAPE_ATTEMPTS) {
      const notRun = NOT_RUN[tier]?.[a.id];
      const o = tier === 0 && notRun === undefined ? await openAttempt(tier, a.id) : opened.get(a.id);
      if (tier === 0 && o !== undefined) opened.set(a.id, o);
      if (notRun !== undefined || o === undefined) verdicts.set(a.id, { kind: 'not-run', detail: notRun ?? 'not run' });
      else verdicts.set(a.id, await runAttempt(tier, a.id, o));
    }
  } finally {
    await Promise.all([...opened.values()].map((o) => o.sandbox.close()));
  }
  return verdicts;
}

function tierAvailable(tier: SandboxTier): string | null {
  if (tier < 2) return null;
  if (findExecutable('bwrap') === null) return 'bwrap (bubblewrap) is not installed';
  if (findExecutable('prlimit') === null) return 'prlimit (util-linux) is not installed';
  if (tier === 3 && findExecutable('runsc') === null) return 'runsc (gVisor) is not installed';
  return null;
}

describe('sandbox escape attempts', () => {
  for (const tier of [0, 1, 2, 3] as const) {
    const missing = tierAvailable(tier);
    it.skipIf(missing !== null)(`tier ${tier}: every attempt is run and judged${tier >= 2 ? '; none escapes' : ''}`, async () => {
      const verdicts = await runTier(tier);
      results.set(tier, verdicts);
      const escaped = [...verdicts].filter(([, v]) => v.kind === 'escaped').map(([id]) => id);
      if (tier >= 2) expect(escaped).toEqual([]);
      // Tiers 0 and 1 are not security boundaries: the attempts really do get out (the spec is not vacuous).
      else expect(escaped).toEqual(expect.arrayContaining(['read-keys', 'write-outside', 'connect-gateway', 'spawn-child', 'signal-parent']));
      if (tier === 1) expect(verdicts.get('exhaust-memory')?.kind).toBe('stopped');
      if (tier >= 1) expect(verdicts.get('spin-forever')?.kind).toBe('stopped');
    }, 240_000);
  }

  it.skipIf([2, 3].some((t) => tierAvailable(t as SandboxTier) !== null))('the README holds the table these specs produce', () => {
    expect([...results.keys()].sort()).toEqual([0, 1, 2, 3]);
    const table = renderEscapeTable(results);
    const readme = readFileSync(readmePath, 'utf8');
    const start = readme.indexOf(ESCAPE_TABLE_START);
    const end = readme.indexOf(ESCAPE_TABLE_END);
    if (process.env.BULWARK_WRITE_ESCAPE_TABLE === '1' && start >= 0 && end > start) {
      writeFileSync(readmePath, `${readme.slice(0, start + ESCAPE_TABLE_START.length)}\n${table}${readme.slice(end)}`);
      return;
    }
    expect(start, `README.md has no ${ESCAPE_TABLE_START}`).toBeGreaterThanOrEqual(0);
    expect(readme.slice(start + ESCAPE_TABLE_START.length, end)).toBe(`\n${table}`);
  });
});
