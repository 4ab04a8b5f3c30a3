/**
 * `bulwark gateway` as a separate process for end-to-end specs, run from the TypeScript sources through the
 * transpile-only loader (never a possibly stale dist/). Transpiling the CLI's import graph takes seconds on a
 * loaded machine, hence the generous start timeout.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export interface SpawnedGateway {
  readonly url: string;
  readonly pid: number;
  readonly auditPath: string;
  /** Everything the process wrote to stdout and stderr so far (for failure messages). */
  output(): string;
  /** SIGTERM and wait for the exit (a clean stop seals the audit log). */
  stop(): Promise<void>;
  /** SIGKILL and wait for the exit: a crash, nothing flushed or sealed by the process. */
  crash(): Promise<void>;
}

const LOADER = new URL('../../risk-gatekeeper/test-helpers/register-ts.mjs', import.meta.url).href;
const CLI = fileURLToPath(new URL('../../cli/main.ts', import.meta.url));

export async function spawnGateway(home: string, args: readonly string[], startTimeoutMs = 90_000): Promise<SpawnedGateway> {
  const child: ChildProcess = spawn(process.execPath, ['--import', LOADER, CLI, 'gateway', '--home', home, '--port', '0', ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, BULWARK_HOME: home },
  });
  let out = '';
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`gateway did not start within ${startTimeoutMs} ms:\n${out}`)), startTimeoutMs);
    const onData = (chunk: Buffer): void => {
      out += chunk.toString();
      const m = /"url":"(http:\/\/[^"]+)"/.exec(out);
      if (m !== null) {
        clearTimeout(timer);
        resolve(m[1]);
      }
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', (chunk: Buffer) => (out += chunk.toString()));
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      reject(new Error(`gateway exited before listening (code ${String(code)}, signal ${String(signal)}):\n${out}`));
    });
  });
  const signal = async (sig: NodeJS.Signals): Promise<void> => {
    if (child.exitCode === null && child.signalCode === null) child.kill(sig);
    await exited;
  };
  return {
    url,
    pid: child.pid ?? -1,
    auditPath: join(home, 'audit', 'gateway.jsonl'),
    output: () => out,
    stop: () => signal('SIGTERM'),
    crash: () => signal('SIGKILL'),
  };
}
