/**
 * The agent's side of the channel. Runs in a worker thread (tier 1) or as the sandboxed child process
 * (tiers 2 and 3): loads the agent module, calls `init(spec)` once and `decide(observation, mask)` per request,
 * and answers each. It holds nothing worth stealing: no tokens, no keys, no venue. Imports only node builtins
 * and the frame codec, because inside tiers 2 and 3 nothing else of the project is mounted.
 *
 * As a child it reads frames on stdin and writes frames on fd 1; the agent's own console output is moved to
 * stderr, which the supervisor counts against the session's output limit. An agent that writes to fd 1 itself
 * corrupts its channel, and the supervisor stops it.
 */
import { readSync, writeSync } from 'node:fs';
import { MessagePort, isMainThread, parentPort, workerData } from 'node:worker_threads';
import { FrameReader, encodeFrame } from './frame-codec.js';
import { type AgentMessage, type SupervisorMessage, checkSupervisorMessage } from './protocol.js';

interface AgentModule {
  init?: (spec: unknown, context: { workspace: string }) => unknown;
  decide: (observation: unknown, mask: unknown) => unknown;
}

function asAgent(value: unknown): AgentModule | string {
  if (typeof value !== 'object' || value === null) return 'the module has no default export object';
  const decide: unknown = Reflect.get(value, 'decide');
  const init: unknown = Reflect.get(value, 'init');
  if (typeof decide !== 'function') return 'the default export has no decide(observation, mask) function';
  if (init !== undefined && typeof init !== 'function') return 'init: must be a function when given';
  return {
    decide: (o, m) => Reflect.apply(decide, value, [o, m]),
    ...(typeof init === 'function' ? { init: (s: unknown, c: { workspace: string }) => Reflect.apply(init, value, [s, c]) } : {}),
  };
}

function errorText(err: unknown): string {
  return err instanceof Error ? `${err.name}: ${err.message}` : String(err);
}

function isThenable(value: unknown): value is PromiseLike<unknown> {
  return typeof value === 'object' && value !== null && typeof Reflect.get(value, 'then') === 'function';
}

/** The `decision` message for what the agent's `decide` returned. */
function decisionMessage(id: number, out: unknown): AgentMessage {
  if (typeof out === 'number') return { t: 'decision', id, action: out };
  if (typeof out === 'object' && out !== null) {
    const action: unknown = Reflect.get(out, 'action');
    const target: unknown = Reflect.get(out, 'target');
    return {
      t: 'decision',
      id,
      action: typeof action === 'number' ? action : -1,
      info: Reflect.get(out, 'info'),
      ...(target === undefined ? {} : { target: typeof target === 'number' ? target : Number.NaN }),
    };
  }
  return { t: 'decision', id, action: -1 };
}

/**
 * One agent and its requests. `handle` answers a request synchronously when it can (a `decide` that returns a
 * value: the hot path allocates no promise) and with a promise otherwise (`init`, an asynchronous `decide`).
 */
class AgentServer {
  private agent: AgentModule | null = null;

  handle(m: SupervisorMessage): AgentMessage | Promise<AgentMessage> {
    if (m.t === 'init') return this.init(m.module, m.spec, m.workspace);
    if (this.agent === null) throw new Error('decide before init');
    const out: unknown = this.agent.decide(m.obs, m.mask);
    return isThenable(out) ? Promise.resolve(out).then((o) => decisionMessage(m.id, o)) : decisionMessage(m.id, out);
  }

  private async init(module: string, spec: unknown, workspace: string): Promise<AgentMessage> {
    const mod: unknown = await import(module);
    const loaded = asAgent(typeof mod === 'object' && mod !== null ? Reflect.get(mod, 'default') : undefined);
    if (typeof loaded === 'string') throw new Error(loaded);
    this.agent = loaded;
    if (loaded.init) await loaded.init(spec, { workspace });
    return { t: 'ready' };
  }
}

/** Serves one agent over `send`, one request at a time in arrival order; returns the handler for requests. */
function serve(send: (m: AgentMessage) => void): (m: SupervisorMessage) => void {
  const server = new AgentServer();
  let queue: Promise<void> = Promise.resolve();
  return (m) => {
    queue = queue
      .then(() => server.handle(m))
      .then(send)
      .catch((err: unknown) => send({ t: 'error', message: errorText(err) }));
  };
}

function runAsWorker(): void {
  const port = parentPort;
  const data: unknown = workerData;
  if (port === null || typeof data !== 'object' || data === null) throw new Error('agent-host: missing worker data');
  const reply: unknown = Reflect.get(data, 'port');
  const flag: unknown = Reflect.get(data, 'flag');
  if (!(reply instanceof MessagePort) || !(flag instanceof Int32Array)) throw new Error('agent-host: bad worker data');
  const onMessage = serve((m) => {
    reply.postMessage({ t: 'agent', message: m });
    Atomics.add(flag, 0, 1);
    Atomics.notify(flag, 0);
  });
  port.on('message', (m: unknown) => {
    const checked = checkSupervisorMessage(m);
    if (typeof checked !== 'string') onMessage(checked);
  });
}

function errorCode(err: unknown): unknown {
  return typeof err === 'object' && err !== null ? Reflect.get(err, 'code') : undefined;
}

/**
 * The child's loop: a blocking read of the next request on fd 0, the agent's answer, one write of the answer's
 * frame on fd 1. Between decisions the process sleeps in `read`, not in the event loop: a decision costs two
 * system calls here (each one a trap into gVisor's kernel in tier 3) instead of an event-loop turn's four. The
 * event loop still runs while an `init` or an asynchronous `decide` is awaited, so agent code runs only inside
 * those calls. Should fd 0 ever be non-blocking, the loop hands over to the stream reader it replaces.
 */
async function runAsChild(): Promise<void> {
  const capArg = process.argv.indexOf('--max-frame-bytes');
  const maxFrameBytes = capArg > 0 ? Number(process.argv[capArg + 1]) : 1 << 20;
  // Frames own fd 1; anything the agent prints through console goes to stderr instead.
  const toStderr = process.stderr.write.bind(process.stderr);
  process.stdout.write = toStderr;
  const server = new AgentServer();
  const reader = new FrameReader(maxFrameBytes);
  const send = (m: AgentMessage): void => {
    writeSync(1, encodeFrame(m, maxFrameBytes));
  };
  const answer = async (frame: unknown): Promise<void> => {
    const checked = checkSupervisorMessage(frame);
    if (typeof checked === 'string') throw new Error(`agent-host: ${checked}`);
    try {
      const reply = server.handle(checked);
      send(isThenable(reply) ? await reply : reply);
    } catch (err) {
      send({ t: 'error', message: errorText(err) });
    }
  };
  const chunk = Buffer.allocUnsafe(64 * 1024);
  for (;;) {
    let n: number;
    try {
      n = readSync(0, chunk, 0, chunk.length, null);
    } catch (err) {
      if (errorCode(err) === 'EAGAIN') return serveStdinStream(reader, answer);
      throw err;
    }
    if (n === 0) process.exit(0);
    // A copy: the reader may keep a partial frame, and `chunk` is overwritten by the next read.
    for (const frame of reader.push(Buffer.from(chunk.subarray(0, n)))) await answer(frame);
  }
}

/** The event-driven reader, for a non-blocking fd 0: requests are answered one at a time, in order. */
function serveStdinStream(reader: FrameReader, answer: (frame: unknown) => Promise<void>): void {
  let queue: Promise<void> = Promise.resolve();
  process.stdin.on('data', (chunk: Buffer) => {
    for (const frame of reader.push(chunk)) {
      queue = queue.then(() => answer(frame));
    }
  });
  process.stdin.on('end', () => {
    void queue.then(() => process.exit(0));
  });
}

if (isMainThread) await runAsChild();
else runAsWorker();
