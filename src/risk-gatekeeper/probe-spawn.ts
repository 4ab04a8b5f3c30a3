/**
 * Starts `killswitch-probe` as a separate Node process and waits for its messages. From the built
 * package it runs the compiled .js; from the TypeScript sources (specs) it runs the .ts through the
 * transpile-only loader in test-helpers, so specs never depend on a stale dist/. Transpiling its import graph
 * takes seconds (18 s seen on a loaded 2-core machine), hence the generous ready timeout.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { siblingModuleArgs } from '../core/index.js';
import type { ProbeMessage, ProbeVerdict } from './killswitch-probe.js';

export interface ProbeHandle {
  readonly pid: number;
  /**
   * Resolves with the first message received so far or later that satisfies `accept` (messages are kept,
   * so one that arrived before the call is not missed); rejects after `timeoutMs`.
   */
  next(accept: (m: ProbeMessage) => boolean, timeoutMs: number): Promise<ProbeMessage>;
  check(timeoutMs?: number): Promise<ProbeVerdict>;
  stop(): Promise<void>;
}

export async function spawnProbe(redisUrl: string, keyPrefix: string, readyTimeoutMs = 45_000): Promise<ProbeHandle> {
  const child: ChildProcess = spawn(process.execPath, [...siblingModuleArgs(import.meta.url, 'killswitch-probe'), redisUrl, keyPrefix], {
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const received: ProbeMessage[] = [];
  let checkSeq = 0;
  const waiters = new Set<{ accept: (m: ProbeMessage) => boolean; resolve: (m: ProbeMessage) => void }>();
  let exited: string | undefined;
  const failAll = (why: string) => {
    exited = why;
    for (const w of waiters) w.resolve({ type: 'error', message: why });
    waiters.clear();
  };
  child.on('message', (m: ProbeMessage) => {
    received.push(m);
    for (const w of waiters) {
      if (m.type === 'error' || w.accept(m)) {
        waiters.delete(w);
        w.resolve(m);
      }
    }
  });
  child.on('exit', (code, signal) => failAll(`probe exited (code ${String(code)}, signal ${String(signal)})`));
  child.on('error', (err) => failAll(`probe could not start: ${err.message}`));

  const next = (accept: (m: ProbeMessage) => boolean, timeoutMs: number): Promise<ProbeMessage> =>
    new Promise((resolve, reject) => {
      const earlier = received.find(accept);
      if (earlier !== undefined) {
        resolve(earlier);
        return;
      }
      if (exited !== undefined) {
        reject(new Error(exited));
        return;
      }
      const timer = setTimeout(() => {
        waiters.delete(waiter);
        reject(new Error(`probe: no matching message within ${timeoutMs} ms`));
      }, timeoutMs);
      const waiter = {
        accept,
        resolve: (m: ProbeMessage) => {
          clearTimeout(timer);
          if (m.type === 'error') reject(new Error(`probe: ${m.message}`));
          else resolve(m);
        },
      };
      waiters.add(waiter);
    });

  const handle: ProbeHandle = {
    pid: child.pid ?? -1,
    next,
    async check(timeoutMs = 5_000) {
      checkSeq += 1;
      const requestId = checkSeq;
      const reply = next((m) => m.type === 'verdict' && m.requestId === requestId, timeoutMs);
      child.send({ type: 'check', requestId });
      const m = await reply;
      if (m.type !== 'verdict') throw new Error(`probe: expected a verdict, got ${m.type}`);
      return m;
    },
    stop() {
      if (exited !== undefined) return Promise.resolve();
      return new Promise<void>((resolve) => {
        const timer = setTimeout(() => {
          child.kill('SIGKILL');
          resolve();
        }, 3_000);
        child.once('exit', () => {
          clearTimeout(timer);
          resolve();
        });
        child.send({ type: 'stop' });
      });
    },
  };
  try {
    await next((m) => m.type === 'ready', readyTimeoutMs);
  } catch (err) {
    child.kill('SIGKILL');
    throw err;
  }
  return handle;
}
