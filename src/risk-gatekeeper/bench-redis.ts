/**
 * A redis-server of the benchmark's own: `bench killswitch` and `bench queue` never touch a user's Redis (whose
 * default port may hold live kill-switch state or queues) unless given `--redis URL`. Loopback, a free port, no persistence, a temporary
 * directory; `restart()` kills it and starts it again empty on the same port.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface BenchRedis {
  readonly url: string;
  /** SIGKILL, then start again on the same port (all data lost); resolves once it answers PING. */
  restart(): Promise<void>;
  /** Resolves when the server is down (SIGKILL sent and the process gone). */
  kill(): Promise<void>;
  start(): Promise<void>;
  stop(): Promise<void>;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr !== null ? addr.port : 0;
      srv.close(() => (port > 0 ? resolve(port) : reject(new Error('bench redis: no free port'))));
    });
  });
}

function ping(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const sock = new Socket();
    const done = (ok: boolean): void => {
      sock.destroy();
      resolve(ok);
    };
    sock.setTimeout(500, () => done(false));
    sock.on('error', () => done(false));
    sock.on('data', (d) => done(d.toString('utf8').startsWith('+PONG')));
    sock.connect(port, '127.0.0.1', () => sock.write('PING\r\n'));
  });
}

/** `label` names the benchmark in errors (`bench killswitch`, `bench queue`). */
export async function startBenchRedis(label = 'bench killswitch'): Promise<BenchRedis> {
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'bulwark-bench-redis-'));
  let child: ChildProcess | undefined;
  const start = async (): Promise<void> => {
    const proc = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir], {
      stdio: 'ignore',
    });
    await new Promise<void>((resolve, reject) => {
      proc.once('spawn', () => resolve());
      proc.once('error', (e: NodeJS.ErrnoException) =>
        reject(e.code === 'ENOENT' ? new Error(`${label}: redis-server is not installed; install it or pass --redis URL`) : e),
      );
    });
    child = proc;
    const deadline = Date.now() + 10_000;
    while (!(await ping(port))) {
      if (proc.exitCode !== null) throw new Error(`${label}: redis-server exited with code ${proc.exitCode}`);
      if (Date.now() > deadline) throw new Error(`${label}: redis-server did not answer on port ${port}`);
      await new Promise((r) => setTimeout(r, 10));
    }
  };
  const kill = (): Promise<void> =>
    new Promise((resolve) => {
      const c = child;
      child = undefined;
      if (c === undefined || c.exitCode !== null) {
        resolve();
        return;
      }
      c.once('exit', () => resolve());
      c.kill('SIGKILL');
    });
  await start();
  return {
    url: `redis://127.0.0.1:${port}`,
    start,
    kill,
    restart: async () => {
      await kill();
      await start();
    },
    stop: async () => {
      await kill();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
