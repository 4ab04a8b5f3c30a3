/**
 * A warm pool: sandboxes of one tier and workspace started ahead, so a session costs loading the agent and a
 * channel round trip, not a process (or gVisor) start. Each sandbox serves one session and is then closed:
 * a process that ran untrusted code is never handed to the next session. `acquire` starts a replacement in
 * the background.
 */
import { type AgentSandbox, type SandboxOptions, createAgentSandbox } from './agent-sandbox.js';

export interface PoolOptions extends SandboxOptions {
  readonly workspaceDir: string;
  /** Sandboxes kept started ahead (default 2). */
  readonly size?: number;
}

export class SandboxPool {
  private readonly ready: Promise<AgentSandbox>[] = [];
  private closed = false;

  constructor(private readonly options: PoolOptions) {
    const size = options.size ?? 2;
    if (!Number.isInteger(size) || size < 1) throw new RangeError(`size: must be a whole number >= 1, got ${size}`);
    for (let i = 0; i < size; i++) this.ready.push(this.launch());
  }

  private async launch(): Promise<AgentSandbox> {
    const sandbox = createAgentSandbox(this.options);
    await sandbox.launch(this.options.workspaceDir);
    return sandbox;
  }

  /** A started sandbox for one session (the caller opens the agent in it and closes it after). */
  async acquire(): Promise<AgentSandbox> {
    if (this.closed) throw new Error('sandbox pool: closed');
    const next = this.ready.shift() ?? this.launch();
    this.ready.push(this.launch());
    return next;
  }

  /** Number of sandboxes started ahead or starting. */
  get warm(): number {
    return this.ready.length;
  }

  async close(): Promise<void> {
    this.closed = true;
    const pending = this.ready.splice(0);
    await Promise.all(pending.map((p) => p.then((s) => s.close(), () => undefined)));
  }
}
