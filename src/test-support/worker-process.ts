/**
 * A real `bulwark worker` process for tests, run from the TypeScript sources (transpile-only loader): it takes
 * seconds to start on a loaded machine. The caller kills what is left in its afterAll (stopWorkerProcesses).
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export interface WorkerProcess {
  readonly child: ChildProcess;
  /** stdout so far (one line per job event). */
  out(): string;
  /** stderr so far. */
  err(): string;
  waitFor(pattern: RegExp, timeoutMs: number): Promise<void>;
  exited(): Promise<number | null>;
}

export interface WorkerProcessOptions {
  readonly redisUrl: string;
  readonly queues: string;
  /** A directory of the test's own: the worker's home (its signing key) and work dir go in it. */
  readonly dir: string;
  readonly prefix?: string;
  readonly lockMs: number;
  readonly extra?: readonly string[];
}

const started: ChildProcess[] = [];

export function startWorkerProcess(o: WorkerProcessOptions): Promise<WorkerProcess> {
  const loader = new URL('../risk-gatekeeper/test-helpers/register-ts.mjs', import.meta.url).href;
  const main = fileURLToPath(new URL('../cli/main.ts', import.meta.url));
  const child = spawn(
    process.execPath,
    [
      '--import',
      loader,
      main,
      'worker',
      '--queues',
      o.queues,
      '--redis',
      o.redisUrl,
      '--lock-duration-ms',
      String(o.lockMs),
      '--stalled-interval-ms',
      '500',
      '--work-dir',
      join(o.dir, 'work'),
      ...(o.prefix === undefined ? [] : ['--prefix', o.prefix]),
      ...(o.extra ?? []),
    ],
    { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, BULWARK_HOME: join(o.dir, 'home') } },
  );
  started.push(child);
  let out = '';
  let err = '';
  child.stdout?.on('data', (d: Buffer) => (out += d.toString('utf8')));
  child.stderr?.on('data', (d: Buffer) => (err += d.toString('utf8')));
  const exit = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const waitFor = async (pattern: RegExp, timeoutMs: number): Promise<void> => {
    const deadline = Date.now() + timeoutMs;
    while (!pattern.test(out + err)) {
      if (child.exitCode !== null) throw new Error(`worker exited ${child.exitCode}: ${err}`);
      if (Date.now() > deadline) throw new Error(`worker: no ${pattern} within ${timeoutMs} ms; stderr: ${err}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  };
  const handle: WorkerProcess = { child, out: () => out, err: () => err, waitFor, exited: () => exit };
  return handle.waitFor(/serving/, 180_000).then(() => handle);
}

/** SIGKILLs every worker process this module started that is still running. */
export function stopWorkerProcesses(): void {
  for (const c of started) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
}
