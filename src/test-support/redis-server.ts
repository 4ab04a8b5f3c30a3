/**
 * Private Redis servers for tests. No test talks to a Redis it did not start (a user's server on the default port 6379 may
 * hold live kill-switch state): the suite shares one server started by `global-setup.ts`, and a test that
 * wipes, restarts or kills Redis starts its own with `startRedisServer()`.
 * `BULWARK_TEST_REDIS_URL` names an existing server instead of the suite's own (opt-in, never a default).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inject } from 'vitest';

declare module 'vitest' {
  export interface ProvidedContext {
    redisUrl: string;
  }
}

export interface RedisServerHandle {
  readonly url: string;
  readonly port: number;
  /** Stops the server and removes its directory. */
  stop(): Promise<void>;
  /** Stops and starts the server on the same port: all data is lost, as in a restart without persistence. */
  restart(): Promise<void>;
  /** Stops the server (SIGKILL) without restarting it: the port refuses connections until `start()`. */
  kill(): Promise<void>;
  /** Starts a stopped or killed server on the same port (empty). */
  start(): Promise<void>;
}

/** The suite-wide private Redis (started by the vitest global setup). */
export function testRedisUrl(): string {
  const url = inject('redisUrl');
  if (!url) throw new Error('test Redis: the vitest global setup provided no redisUrl (see src/test-support/global-setup.ts)');
  return url;
}

/** A free TCP port on 127.0.0.1, as the kernel hands it out. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr !== null ? addr.port : 0;
      srv.close(() => (port > 0 ? resolve(port) : reject(new Error('no free port'))));
    });
  });
}

function pingOnce(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const sock = new Socket();
    let buf = '';
    const done = (ok: boolean): void => {
      sock.destroy();
      resolve(ok);
    };
    sock.setTimeout(500, () => done(false));
    sock.on('error', () => done(false));
    sock.on('data', (d) => {
      buf += d.toString('utf8');
      if (buf.includes('\r\n')) done(buf.startsWith('+PONG'));
    });
    sock.connect(port, '127.0.0.1', () => sock.write('PING\r\n'));
  });
}

async function waitForPing(port: number, child: ChildProcess, log: () => string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`redis-server exited with code ${child.exitCode}: ${log()}`);
    if (await pingOnce(port)) return;
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error(`redis-server did not answer PING on port ${port} within ${timeoutMs} ms: ${log()}`);
}

function stopChild(child: ChildProcess | undefined, signal: NodeJS.Signals): Promise<void> {
  if (!child || child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    child.once('exit', () => resolve());
    child.kill(signal);
  });
}

/** Starts a redis-server of the caller's own on a free loopback port, in a temporary directory, with no persistence. */
export async function startRedisServer(): Promise<RedisServerHandle> {
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'bulwark-redis-'));
  let child: ChildProcess | undefined;
  let output = '';

  const start = async (): Promise<void> => {
    output = '';
    const proc = spawn(
      'redis-server',
      ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir, '--protected-mode', 'yes'],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    proc.stdout?.on('data', (d: Buffer) => (output = (output + d.toString('utf8')).slice(-2_000)));
    proc.stderr?.on('data', (d: Buffer) => (output = (output + d.toString('utf8')).slice(-2_000)));
    const spawned = new Promise<void>((resolve, reject) => {
      proc.once('spawn', () => resolve());
      proc.once('error', (e: NodeJS.ErrnoException) =>
        reject(
          e.code === 'ENOENT'
            ? new Error('redis-server is not installed (apt-get install redis-server); `npm test` installs it when it can')
            : e,
        ),
      );
    });
    await spawned;
    child = proc;
    await waitForPing(port, proc, () => output.trim());
  };

  await start();
  return {
    url: `redis://127.0.0.1:${port}`,
    port,
    start,
    kill: () => stopChild(child, 'SIGKILL'),
    restart: async () => {
      await stopChild(child, 'SIGKILL');
      await start();
    },
    stop: async () => {
      await stopChild(child, 'SIGTERM');
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
