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
import { MessagePort, isMainThread, parentPort, receiveMessageOnPort, workerData } from 'node:worker_threads';
import { FrameReader, encodeFrame } from './frame-codec.js';
import { type AgentMessage, type SupervisorMessage, checkSupervisorMessage } from './protocol.js';
import { ANSWER_DECISION, ANSWER_ERROR, ANSWER_ON_PORT, ANSWER_TOO_LARGE, REQUEST_ON_PORT, SharedDecisionChannel } from './shared-channel.js';

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
    const out = this.decide(m.obs, m.mask);
    return isThenable(out) ? Promise.resolve(out).then((o) => decisionMessage(m.id, o)) : decisionMessage(m.id, out);
  }

  /** The agent's own answer (a value or a promise of one), unchecked. */
  decide(obs: readonly number[], mask: readonly number[]): unknown {
    if (this.agent === null) throw new Error('decide before init');
    return this.agent.decide(obs, mask);
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
function serve(server: AgentServer, send: (m: AgentMessage) => void): (m: SupervisorMessage) => void {
  let queue: Promise<void> = Promise.resolve();
  return (m) => {
    queue = queue
      .then(() => server.handle(m))
      .then(send)
      .catch((err: unknown) => send({ t: 'error', message: errorText(err) }));
  };
}

/** Error text as sent back: checkAgentMessage keeps 2,000 characters of it, so more is never written. */
function errorAnswerText(err: unknown): string {
  return errorText(err).slice(0, 2000);
}

/** Whether output the agent printed is still buffered in this thread, waiting for the event loop to pass it on. */
function outputPending(): boolean {
  return process.stdout.writableLength > 0 || process.stderr.writableLength > 0;
}

/** The request posted on the port for slot request `id` (older ones left there by a late answer are dropped). */
function takePortRequest(port: MessagePort, id: number): SupervisorMessage | null {
  for (let r = receiveMessageOnPort(port); r !== undefined; r = receiveMessageOnPort(port)) {
    const checked = checkSupervisorMessage(r.message);
    if (typeof checked !== 'string' && checked.t === 'decide' && checked.id === id) return checked;
  }
  return null;
}

/**
 * Tier 1's decision loop over shared memory (shared-channel.ts), from `ready` on: this thread blocks in
 * `Atomics.wait` until a request is written, calls `decide` and writes the answer. It is the agent's own
 * thread, so blocking costs nothing; it returns to the event loop only while an asynchronous `decide` is
 * awaited, and waits with `Atomics.waitAsync` instead while the agent's printed output is still buffered here
 * (the event loop passes it on to the supervisor, which counts it against the output limit).
 */
function serveShared(channel: SharedDecisionChannel, server: AgentServer, port: MessagePort, maxFrameBytes: number, startSeq: number): void {
  let last = startSeq;
  const fail = (id: number, err: unknown): void => channel.writeAnswer(ANSWER_ERROR, id, -1, undefined, errorAnswerText(err));
  const answer = (id: number, out: unknown): void => {
    const m = decisionMessage(id, out);
    if (m.t !== 'decision') return;
    const json: unknown = m.info === undefined ? undefined : JSON.stringify(m.info);
    if (typeof json !== 'string') {
      channel.writeAnswer(ANSWER_DECISION, id, m.action, m.target, null, -1);
      return;
    }
    const bytes = Buffer.byteLength(json, 'utf8');
    if (bytes > maxFrameBytes) channel.writeAnswer(ANSWER_TOO_LARGE, id, m.action, m.target, null, bytes);
    else if (channel.fitsText(bytes)) channel.writeAnswer(ANSWER_DECISION, id, m.action, m.target, json);
    else {
      port.postMessage({ t: 'answer', id, text: json });
      channel.writeAnswer(ANSWER_ON_PORT, id, m.action, m.target, null, bytes);
    }
  };
  const settle = (id: number, out: unknown): void => {
    try {
      answer(id, out);
    } catch (err) {
      fail(id, err); // info that JSON cannot hold (a cycle, a BigInt)
    }
  };
  const next = (): void => {
    for (;;) {
      const request = channel.readRequest(last);
      if (request === null) {
        const seq = channel.requestSeq();
        if (seq !== last && (seq & 1) === 0) continue; // changed while copied: copy again
        const waiting = outputPending() ? channel.waitRequestAsync(seq) : null;
        if (waiting !== null) {
          void waiting.then(next);
          return;
        }
        channel.waitRequest(seq);
        continue;
      }
      last = request.seq;
      let { obs, mask } = request;
      if (request.kind === REQUEST_ON_PORT) {
        const posted = takePortRequest(port, request.id);
        if (posted === null || posted.t !== 'decide') {
          fail(request.id, new Error(`agent-host: request ${request.id} is not on the port`));
          continue;
        }
        obs = [...posted.obs];
        mask = [...posted.mask];
      }
      let out: unknown;
      try {
        out = server.decide(obs, mask);
      } catch (err) {
        fail(request.id, err);
        continue;
      }
      if (isThenable(out)) {
        const id = request.id;
        void Promise.resolve(out)
          .then(
            (o) => settle(id, o),
            (err: unknown) => fail(id, err),
          )
          .then(next);
        return;
      }
      settle(request.id, out);
    }
  };
  next();
}

function runAsWorker(): void {
  const port = parentPort;
  const data: unknown = workerData;
  if (port === null || typeof data !== 'object' || data === null) throw new Error('agent-host: missing worker data');
  const reply: unknown = Reflect.get(data, 'port');
  const flag: unknown = Reflect.get(data, 'flag');
  const channelBuffer: unknown = Reflect.get(data, 'channel');
  const maxFrameBytes: unknown = Reflect.get(data, 'maxFrameBytes');
  if (!(reply instanceof MessagePort) || !(flag instanceof Int32Array)) throw new Error('agent-host: bad worker data');
  const channel =
    channelBuffer instanceof SharedArrayBuffer && typeof maxFrameBytes === 'number' ? new SharedDecisionChannel(channelBuffer) : null;
  const server = new AgentServer();
  let sharedStarted = false;
  const onMessage = serve(server, (m) => {
    // Read before `ready` goes out: the first request may be written before the loop below starts.
    const requestSeq = channel?.requestSeq() ?? 0;
    reply.postMessage({ t: 'agent', message: m });
    Atomics.add(flag, 0, 1);
    Atomics.notify(flag, 0);
    if (m.t === 'ready' && channel !== null && !sharedStarted) {
      sharedStarted = true;
      // From a fresh turn of the event loop, not from inside the init's promise chain.
      setImmediate(() => serveShared(channel, server, reply, Number(maxFrameBytes), requestSeq));
    }
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
