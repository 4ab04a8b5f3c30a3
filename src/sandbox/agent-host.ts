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
import { writeSync } from 'node:fs';
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

/** Serves one agent over `send`; returns the handler for messages from the supervisor. */
function serve(send: (m: AgentMessage) => void): (m: SupervisorMessage) => void {
  let agent: AgentModule | null = null;
  let queue: Promise<void> = Promise.resolve();
  const handle = async (m: SupervisorMessage): Promise<void> => {
    if (m.t === 'init') {
      const mod: unknown = await import(m.module);
      const loaded = asAgent(typeof mod === 'object' && mod !== null ? Reflect.get(mod, 'default') : undefined);
      if (typeof loaded === 'string') throw new Error(loaded);
      agent = loaded;
      if (agent.init) await agent.init(m.spec, { workspace: m.workspace });
      send({ t: 'ready' });
      return;
    }
    if (agent === null) throw new Error('decide before init');
    const out: unknown = await agent.decide(m.obs, m.mask);
    if (typeof out === 'number') {
      send({ t: 'decision', id: m.id, action: out });
    } else if (typeof out === 'object' && out !== null) {
      const action: unknown = Reflect.get(out, 'action');
      const target: unknown = Reflect.get(out, 'target');
      send({ t: 'decision', id: m.id, action: typeof action === 'number' ? action : -1, info: Reflect.get(out, 'info'), ...(target === undefined ? {} : { target: typeof target === 'number' ? target : Number.NaN }) });
    } else {
      send({ t: 'decision', id: m.id, action: -1 });
    }
  };
  return (m) => {
    queue = queue.then(() => handle(m)).catch((err: unknown) => send({ t: 'error', message: errorText(err) }));
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

function runAsChild(): void {
  const capArg = process.argv.indexOf('--max-frame-bytes');
  const maxFrameBytes = capArg > 0 ? Number(process.argv[capArg + 1]) : 1 << 20;
  // Frames own fd 1; anything the agent prints through console goes to stderr instead.
  const toStderr = process.stderr.write.bind(process.stderr);
  process.stdout.write = toStderr;
  const onMessage = serve((m) => writeSync(1, encodeFrame(m, maxFrameBytes)));
  const reader = new FrameReader(maxFrameBytes);
  process.stdin.on('data', (chunk: Buffer) => {
    for (const frame of reader.push(chunk)) {
      const checked = checkSupervisorMessage(frame);
      if (typeof checked === 'string') throw new Error(`agent-host: ${checked}`);
      onMessage(checked);
    }
  });
  process.stdin.on('end', () => process.exit(0));
}

if (isMainThread) runAsChild();
else runAsWorker();
