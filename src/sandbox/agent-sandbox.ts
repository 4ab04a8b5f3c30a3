/**
 * One sandboxed agent, seen from the supervisor: `launch` starts the sandbox (ahead of time, for the warm
 * pool), `open` loads the agent and calls its `init`, `decide` asks for one decision and returns it
 * synchronously, so the backtest's bar loop and a paper session call it as they call any agent.
 *
 * How the synchronous call works: the agent (tier 1) runs in a worker thread of its own; the relay to the
 * agent's process (tiers 2 and 3) runs in one worker thread shared by all of this process's agents. Tier 1
 * decides through shared memory (shared-channel.ts): the supervisor writes the request into a slot and blocks in
 * `Atomics.wait` on the answer slot with the decision's deadline as timeout, while the agent's thread, blocked
 * in `Atomics.wait` on the request slot, wakes, decides and writes the answer. Tiers 2 and 3 write the request
 * frame to the child's stdin FIFO from this thread (request-fifo.ts; without `mkfifo`, post it to the relay to
 * write) and block on a shared counter; the relay reads and checks the answer frame, writes the decision into
 * the agent's answer slot (or, too long for it, posts it on a MessagePort) and bumps the counter. A late answer is HOLD and counted; enough of them
 * in a row, a crash, a bad frame or a broken limit stop the agent, and `onFault` tells the supervisor (which
 * audits it and moves the session to REDUCING). A stopped agent's every later decision is HOLD.
 */
import { closeSync, existsSync, rmSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { MessageChannel, type MessagePort, Worker, receiveMessageOnPort } from 'node:worker_threads';
import { join } from 'node:path';
import { hostFilesDir } from './host-files.js';
import type { SandboxLimits } from './limits.js';
import { FrameError, encodeFrame } from './frame-codec.js';
import { type AgentMessage, type SandboxFaultKind, checkAgentMessage, isFaultKind } from './protocol.js';
import { RequestFifo } from './request-fifo.js';
import { SANDBOX_HOST_DIR, SANDBOX_WORKSPACE_DIR, tier2Command, tier3Command } from './sandbox-command.js';
import { ANSWER_DECISION, ANSWER_ERROR, ANSWER_ON_PORT, ANSWER_TOO_LARGE, SharedDecisionChannel, type SlotAnswer, pollWhileEqual } from './shared-channel.js';
import type { SandboxTier } from './tiers.js';

/**
 * The agent to load: a JavaScript module file inside `workspaceDir` (or one of the sandbox's own host modules,
 * such as the checkpoint agent), and what its `init(spec, { workspace })` receives.
 */
export interface AgentModuleSpec {
  /** Directory the sandbox sees read-only (tiers 2 and 3: the only files of the user's it sees). */
  readonly workspaceDir: string;
  /** Module file, relative to `workspaceDir`. */
  readonly moduleFile: string;
  /** Load this module of the host directory instead (e.g. CHECKPOINT_AGENT_MODULE); the workspace holds its data. */
  readonly hostModule?: string;
  readonly spec?: unknown;
}

export interface SandboxFault {
  readonly kind: SandboxFaultKind;
  readonly detail: string;
  readonly tier: SandboxTier;
}

export interface Decision {
  readonly action: number;
  /** True when the answer did not arrive in time (or the agent is stopped) and HOLD was used instead. */
  readonly late: boolean;
  /** Whatever small JSON the agent attached (`{ action, info }`), or undefined. */
  readonly info?: unknown;
  /** A target-position agent's answer (`{ action, target }`, a finite number), or undefined. */
  readonly target?: number;
}

export interface SandboxOptions {
  readonly tier: SandboxTier;
  readonly limits: SandboxLimits;
  /** The action used when the agent is late or stopped (HOLD; default 0). */
  readonly holdAction?: number;
  /** Called once when the agent is stopped, with why. */
  readonly onFault?: (fault: SandboxFault) => void;
}

export interface AgentSandbox {
  readonly tier: SandboxTier;
  /** Why the agent was stopped, or null while it runs. */
  readonly fault: SandboxFault | null;
  readonly lateDecisions: number;
  readonly decisions: number;
  /** The process id of the agent's sandbox (tiers 2 and 3: the bwrap process) once started; null in tiers 0 and 1. */
  readonly agentPid: number | null;
  /** Starts the sandbox; the agent is not loaded yet. */
  launch(workspaceDir: string): Promise<void>;
  /** Loads the agent and waits for its `init`; throws if it fails or takes longer than the start timeout. */
  open(agent: AgentModuleSpec): Promise<void>;
  decide(observation: ArrayLike<number>, mask: ArrayLike<number>): Decision;
  /** Stops the agent and frees the sandbox; safe to call twice. */
  close(): Promise<void>;
}

/** Tier 0: the agent's module is imported into this process and called directly. No limit is enforced. */
class InProcessSandbox implements AgentSandbox {
  readonly tier = 0;
  readonly agentPid = null;
  fault: SandboxFault | null = null;
  lateDecisions = 0;
  decisions = 0;
  private agent: { decide: (o: unknown, m: unknown) => unknown } | null = null;

  constructor(private readonly options: SandboxOptions) {}

  async launch(): Promise<void> {
    // Nothing to start: tier 0 is a plain call.
  }

  async open(spec: AgentModuleSpec): Promise<void> {
    const file = spec.hostModule === undefined ? join(spec.workspaceDir, spec.moduleFile) : join(await hostFilesDir(), spec.hostModule);
    const mod: unknown = await import(pathToFileURL(file).href);
    const exported: unknown = typeof mod === 'object' && mod !== null ? Reflect.get(mod, 'default') : undefined;
    const decide: unknown = typeof exported === 'object' && exported !== null ? Reflect.get(exported, 'decide') : undefined;
    if (typeof exported !== 'object' || exported === null || typeof decide !== 'function') {
      throw new Error(`agent ${spec.moduleFile}: the default export has no decide(observation, mask) function`);
    }
    const init: unknown = Reflect.get(exported, 'init');
    if (typeof init === 'function') await Reflect.apply(init, exported, [spec.spec, { workspace: spec.workspaceDir }]);
    this.agent = { decide: (o, m) => Reflect.apply(decide, exported, [o, m]) };
  }

  decide(observation: ArrayLike<number>, mask: ArrayLike<number>): Decision {
    const hold = this.options.holdAction ?? 0;
    if (this.agent === null || this.fault !== null) return { action: hold, late: true };
    this.decisions++;
    try {
      const out: unknown = this.agent.decide(Array.from(observation), Array.from(mask));
      const action = typeof out === 'number' ? out : typeof out === 'object' && out !== null ? Reflect.get(out, 'action') : undefined;
      const info: unknown = typeof out === 'object' && out !== null ? Reflect.get(out, 'info') : undefined;
      const target: unknown = typeof out === 'object' && out !== null ? Reflect.get(out, 'target') : undefined;
      if (target !== undefined && (typeof target !== 'number' || !Number.isFinite(target))) {
        this.stop('agent-error', `decide returned target ${JSON.stringify(target) ?? String(target)}, not a finite number`);
      } else if (typeof action === 'number' && Number.isInteger(action) && action >= 0 && action < mask.length) {
        return target === undefined ? { action, late: false, info } : { action, late: false, info, target };
      } else {
        this.stop('agent-error', `decide returned ${JSON.stringify(out) ?? String(out)}, not an action index below ${mask.length}`);
      }
    } catch (err) {
      this.stop('agent-error', err instanceof Error ? err.message : String(err));
    }
    return { action: hold, late: true };
  }

  private stop(kind: SandboxFaultKind, detail: string): void {
    if (this.fault !== null) return;
    this.fault = { kind, detail, tier: 0 };
    this.options.onFault?.(this.fault);
  }

  async close(): Promise<void> {
    this.agent = null;
  }
}

/**
 * The relay thread of tiers 2 and 3, started on first use and shared: each agent gets its own port and
 * counter on it. Unref'd, so an idle relay does not keep the process alive; if it dies, every agent on it
 * is stopped (crash) and the next launch starts a new one.
 *
 * Its death is seen two ways. The Worker's 'exit' event arrives through this thread's event loop, which a
 * supervisor deciding bar after bar may not reach for a long time; so the relay also writes its OS thread id
 * into shared memory when it starts, and a supervisor waiting for an answer checks that the thread is still in
 * /proc/self/task every RELAY_CHECK_MS. A dead relay then stops its agents within that time, not at the
 * deadline of each of their decisions, and never by a late count.
 */
interface SharedRelay {
  readonly worker: Worker;
  readonly users: Set<(detail: string) => void>;
  /** [0]: the relay's OS thread id once it runs (0 before, or where /proc/thread-self does not exist). */
  readonly threadId: Int32Array;
  /** Stops every agent on this relay and forgets it (the next launch starts a new one); idempotent. */
  readonly lose: (detail: string) => void;
}
let sharedRelay: SharedRelay | null = null;

/** Answer text (info JSON) the relay writes into the shared slot; a longer one is posted. */
const RELAY_SLOT_TEXT_BYTES = 16 * 1024;

/**
 * How long a tier-2 supervisor polls for the answer before it sleeps in `Atomics.wait`. On this project's idle
 * 2-core VM a sleeping thread is woken by an interprocessor interrupt: 20,000 warm decisions, 2 alternated
 * runs, idle: p50 88-93 us without the poll, 33-35 us with it, p99 no worse (194-229 against 262-350 us), and
 * less CPU per decision (46-50 against 52-56 us), since the wake-up itself costs CPU. Tier 3 does not poll:
 * its round trip through gVisor is longer than the poll, which then doubled the supervisor's CPU per decision
 * (113 against 56 us) with p99 unchanged.
 */
const TIER2_POLL_MS = 0.1;

/** How often a supervisor waiting for an answer checks that the relay thread is alive. */
const RELAY_CHECK_MS = 50;

/** Whether the relay's thread still exists; true when that cannot be known here (no /proc). */
function relayAlive(relay: SharedRelay): boolean {
  const tid = Atomics.load(relay.threadId, 0);
  return tid === 0 || existsSync(`/proc/self/task/${tid}`);
}

function relayThread(hostDir: string): SharedRelay {
  if (sharedRelay !== null && !relayAlive(sharedRelay)) sharedRelay.lose('sandbox relay thread exited (its thread is gone)');
  if (sharedRelay !== null) return sharedRelay;
  const threadId = new Int32Array(new SharedArrayBuffer(4));
  const worker = new Worker(join(hostDir, 'sandbox', 'relay-worker.js'), { workerData: { threadId } });
  worker.unref();
  const users = new Set<(detail: string) => void>();
  const relay: SharedRelay = {
    worker,
    users,
    threadId,
    lose: (detail) => {
      // The lost relay's sandbox processes are left as zombies until this process exits, by necessity. bwrap
      // (--die-with-parent: PR_SET_PDEATHSIG, which fires when the *thread* that forked it ends) is SIGKILLed
      // as the relay thread ends, so nothing keeps running. But only the spawning event loop waits for its
      // children: libuv calls waitpid per pid for the process handles of its own loop, the dead relay's loop
      // closed those handles without waiting, and Node offers no waitpid for a pid another loop spawned (a new
      // relay's loop, or this one, cannot reap them). Ignoring SIGCHLD (not settable from Node) would auto-reap
      // but break every loop's exit reporting. An intermediate process that stays to reap bwrap either outlives
      // the relay and keeps the sandbox running without it (fail open) or dies with it and is the zombie
      // itself. A zombie holds only a pid and its exit status (memory, fds and namespaces are freed at exit),
      // at most one per agent per relay loss, and the pid it keeps reserved means a stale agentPid never names
      // an unrelated process. init reaps them when this process exits.
      if (sharedRelay === relay) sharedRelay = null;
      for (const user of [...users]) user(detail);
      users.clear();
    },
  };
  worker.on('error', (err) => relay.lose(`sandbox relay thread failed: ${err.message}`));
  worker.on('exit', (code) => relay.lose(`sandbox relay thread exited with code ${code}`));
  sharedRelay = relay;
  return relay;
}

/**
 * The shared relay thread while one runs, else null: for fault drills (the relay-death specs terminate it to
 * check that every agent on it is stopped and that the next sandbox starts a new relay).
 */
export function currentRelayThread(): Worker | null {
  return sharedRelay?.worker ?? null;
}

/** Tiers 1-3: the agent (tier 1) in a worker thread, or its process (tiers 2, 3) through the shared relay. */
class ThreadBridgeSandbox implements AgentSandbox {
  fault: SandboxFault | null = null;
  lateDecisions = 0;
  decisions = 0;
  agentPid: number | null = null;
  private consecutiveLate = 0;
  private worker: Worker | null = null;
  private relay: SharedRelay | null = null;
  private readonly onRelayLost = (detail: string): void => this.stop('crash', detail);
  private port: MessagePort | null = null;
  private readonly flag = new Int32Array(new SharedArrayBuffer(4));
  /** Tier 1's decisions, in shared memory (shared-channel.ts); null in tiers 2 and 3. */
  private channel: SharedDecisionChannel | null = null;
  /** Tiers 2 and 3: the slot the relay writes decisions into (the rest comes on the port); null in tier 1. */
  private answers: SharedDecisionChannel | null = null;
  /** The answer slot's sequence word as last read. */
  private answerSeq = 0;
  private nextId = 0;
  private outputBytes = 0;
  private closed = false;
  private ready = false;
  private childGone = false;
  private tempDir: string | null = null;
  /** Tiers 2 and 3: the write end of the child's stdin, written from this thread (request-fifo.ts); null = via the relay. */
  private fifo: RequestFifo | null = null;
  /** The FIFO's read end, lent to the relay for the child's spawn; closed here at the relay's first report. */
  private fifoReadFd: number | null = null;

  constructor(
    readonly tier: 1 | 2 | 3,
    private readonly options: SandboxOptions,
  ) {}

  async launch(workspaceDir: string): Promise<void> {
    if (this.worker !== null || this.relay !== null) throw new Error('sandbox: already launched');
    const hostDir = await hostFilesDir();
    const { port1, port2 } = new MessageChannel();
    this.port = port1;
    const limits = this.options.limits;
    if (this.tier === 1) {
      this.channel = SharedDecisionChannel.create();
      this.worker = new Worker(join(hostDir, 'sandbox', 'agent-host.js'), {
        workerData: { port: port2, flag: this.flag, channel: this.channel.buffer, maxFrameBytes: limits.maxFrameBytes },
        transferList: [port2],
        resourceLimits: { maxOldGenerationSizeMb: limits.memoryMb, maxYoungGenerationSizeMb: Math.max(8, limits.memoryMb >> 3) },
        stdout: true,
        stderr: true,
        env: {},
      });
      const count = (chunk: Buffer): void => {
        this.outputBytes += chunk.length;
        if (this.outputBytes > limits.maxOutputBytes) this.stop('output-limit', `agent wrote over ${limits.maxOutputBytes} bytes of output`);
      };
      this.worker.stdout.on('data', count);
      this.worker.stderr.on('data', count);
    } else {
      const cmd = this.tier === 2 ? tier2Command(hostDir, workspaceDir, limits) : tier3Command(hostDir, workspaceDir, limits);
      this.tempDir = cmd.tempDir ?? null;
      const opened = await RequestFifo.open();
      this.fifo = opened?.fifo ?? null;
      this.fifoReadFd = opened?.readFd ?? null;
      this.answers = SharedDecisionChannel.create(0, RELAY_SLOT_TEXT_BYTES);
      const relay = relayThread(hostDir);
      this.relay = relay;
      relay.users.add(this.onRelayLost);
      relay.worker.postMessage(
        {
          port: port2,
          flag: this.flag,
          command: cmd.command,
          args: cmd.args,
          fd3Path: cmd.fd3Path,
          stdinFd: opened?.readFd ?? null,
          answers: this.answers.buffer,
          maxFrameBytes: limits.maxFrameBytes,
          maxOutputBytes: limits.maxOutputBytes,
          sessionDeadlineMs: limits.sessionDeadlineMs,
        },
        [port2],
      );
      return;
    }
    this.worker.on('error', (err) => this.stop('crash', `sandbox thread failed: ${err.message}`));
    this.worker.on('exit', (code) => {
      if (!this.closed) this.stop('crash', `sandbox thread exited with code ${code}`);
    });
  }

  async open(agent: AgentModuleSpec): Promise<void> {
    if (this.worker === null && this.relay === null) await this.launch(agent.workspaceDir);
    // Paths as the agent sees them: tier 1 shares this process's filesystem; tiers 2 and 3 see the mounts.
    const inside = this.tier === 1;
    const workspace = inside ? agent.workspaceDir : SANDBOX_WORKSPACE_DIR;
    const file =
      agent.hostModule === undefined ? join(workspace, agent.moduleFile) : join(inside ? await hostFilesDir() : SANDBOX_HOST_DIR, agent.hostModule);
    this.send({ t: 'init', module: pathToFileURL(file).href, spec: agent.spec ?? null, workspace });
    const deadline = Date.now() + this.options.limits.startTimeoutMs;
    for (;;) {
      const message = this.take();
      if (message?.t === 'ready') {
        this.ready = true;
        return;
      }
      if (this.fault === null && this.relay !== null && !relayAlive(this.relay)) this.relay.lose('sandbox relay thread exited (its thread is gone)');
      if (this.fault !== null) throw new Error(`agent did not start (tier ${this.tier}): ${this.fault.kind}: ${this.fault.detail}`);
      const left = deadline - Date.now();
      if (left <= 0) {
        this.stop('start-failed', `no answer to init within ${this.options.limits.startTimeoutMs} ms`);
        throw new Error(`agent did not start (tier ${this.tier}): no answer to init within ${this.options.limits.startTimeoutMs} ms`);
      }
      if (message === null) {
        this.flushRequests();
        // Start-up is not a hot path: poll each millisecond and keep this thread's event loop free.
        await new Promise((r) => setTimeout(r, 1));
      }
    }
  }

  /** Drains one report; a fault stops the agent. Returns an agent message, or null when none is queued. */
  private take(): AgentMessage | null {
    const port = this.port;
    if (port === null) return null;
    for (;;) {
      const received = receiveMessageOnPort(port);
      if (received === undefined) return null;
      // The relay reports only once its spawn call has returned: the child has its own copy of the read end.
      this.closeFifoReadEnd();
      const report: unknown = received.message;
      const t: unknown = typeof report === 'object' && report !== null ? Reflect.get(report, 't') : undefined;
      if (t === 'closed') {
        this.childGone = true; // the relay's answer to a kill: the agent's process is gone
        continue;
      }
      if (t === 'spawned') {
        const pid: unknown = Reflect.get(Object(report), 'pid');
        if (typeof pid === 'number') this.agentPid = pid;
        continue;
      }
      if (t === 'fault') {
        const kind: unknown = Reflect.get(Object(report), 'kind');
        const detail: unknown = Reflect.get(Object(report), 'detail');
        this.stop(isFaultKind(kind) ? kind : 'crash', typeof detail === 'string' ? detail : 'sandbox fault');
        continue;
      }
      // Tier 1 answers without frames: check its messages here as the relay checks frames.
      const checked = checkAgentMessage(t === 'agent' ? Reflect.get(Object(report), 'message') : report);
      if (typeof checked === 'string') {
        this.stop('malformed-frame', checked);
        continue;
      }
      if (checked.t === 'error') {
        this.stop('agent-error', checked.message);
        continue;
      }
      return checked;
    }
  }

  decide(observation: ArrayLike<number>, mask: ArrayLike<number>): Decision {
    const hold = this.options.holdAction ?? 0;
    if (!this.ready || this.fault !== null || this.closed) return { action: hold, late: true };
    const id = ++this.nextId;
    this.decisions++;
    if (this.channel !== null) return this.decideShared(this.channel, id, observation, mask, hold);
    this.send({ t: 'decide', id, obs: Array.from(observation), mask: Array.from(mask) });
    const deadline = performance.now() + this.options.limits.decisionTimeoutMs;
    let polled = false;
    for (;;) {
      const seen = Atomics.load(this.flag, 0);
      const slot = this.answers?.readAnswer(this.answerSeq) ?? null;
      if (slot !== null) {
        this.answerSeq = slot.seq;
        if (slot.id === id) return this.slotDecision(slot, mask.length) ?? { action: hold, late: true };
        continue; // an earlier decision's late answer: already counted
      }
      const message = this.take();
      if (this.fault !== null) return { action: hold, late: true };
      if (message !== null) {
        if (message.t === 'decision' && message.id === id) {
          if (message.action >= mask.length) {
            this.stop('agent-error', `action ${message.action} is not an index below ${mask.length}`);
            return { action: hold, late: true };
          }
          this.consecutiveLate = 0;
          const { action, info, target } = message;
          return target === undefined ? { action, late: false, info } : { action, late: false, info, target };
        }
        continue; // an earlier decision's late answer: already counted
      }
      const left = deadline - performance.now();
      if (left <= 0) break;
      // Request bytes the pipe did not take yet: offer them again each millisecond until it does.
      const wait = this.flushRequests() ? Math.min(left, 1) : Math.min(left, RELAY_CHECK_MS);
      if (!polled && this.tier === 2) {
        // Tier 2 answers in ~25-35 us when nothing sleeps: poll that long before sleeping (see TIER2_POLL_MS).
        polled = true;
        if (pollWhileEqual(this.flag, 0, seen, Math.min(left, TIER2_POLL_MS))) continue;
      }
      if (this.relay === null) {
        Atomics.wait(this.flag, 0, seen, left);
      } else if (Atomics.wait(this.flag, 0, seen, wait) === 'timed-out' && !relayAlive(this.relay)) {
        this.relay.lose('sandbox relay thread exited (its thread is gone)');
        return { action: hold, late: true };
      }
    }
    return this.late(hold);
  }

  /** Tier 1: the request and its answer through shared memory; what does not fit a slot goes on the port. */
  private decideShared(channel: SharedDecisionChannel, id: number, observation: ArrayLike<number>, mask: ArrayLike<number>, hold: number): Decision {
    if (observation.length + mask.length > channel.valueCapacity) {
      this.port?.postMessage({ t: 'decide', id, obs: Array.from(observation), mask: Array.from(mask) });
    }
    channel.writeRequest(id, observation, mask);
    const deadline = performance.now() + this.options.limits.decisionTimeoutMs;
    for (;;) {
      const seq = channel.answerSeq();
      const answer = channel.readAnswer(this.answerSeq);
      if (answer !== null) {
        this.answerSeq = answer.seq;
        if (answer.id === id) return this.slotDecision(answer, mask.length) ?? { action: hold, late: true };
        // Else an earlier decision's late answer, already counted. The deadline is still checked below, so an
        // agent thread rewriting the slot without end cannot hold this loop past it.
      }
      if (this.fault !== null) return { action: hold, late: true };
      const left = deadline - performance.now();
      if (left <= 0) break;
      // An even word not yet read was changed while copied: copy it again rather than wait.
      if (seq === this.answerSeq || (seq & 1) === 1) channel.waitAnswer(seq, left);
    }
    return this.late(hold);
  }

  /** Checks an answer read from the slot as the relay checks a frame; null (and the agent stopped) if it fails. */
  private slotDecision(answer: SlotAnswer, maskLength: number): Decision | null {
    const cap = this.options.limits.maxFrameBytes;
    if (answer.kind === ANSWER_ERROR) {
      this.stop('agent-error', (answer.text ?? 'agent error').slice(0, 2000));
      return null;
    }
    if (answer.textBytes > cap || answer.kind === ANSWER_TOO_LARGE) {
      // The host says so before sending it; an answer claiming it with a length under the cap is itself malformed.
      if (answer.textBytes <= cap) {
        this.stop('malformed-frame', `answer: too large at ${answer.textBytes} bytes, under the frame cap of ${cap}`);
        return null;
      }
      this.stop('frame-too-large', `decision info of ${answer.textBytes} bytes is over the frame cap of ${cap}`);
      return null;
    }
    let text: string | null = null;
    if (answer.kind === ANSWER_ON_PORT) {
      text = this.takeAnswerText(answer.id);
      if (text === null || Buffer.byteLength(text, 'utf8') > cap) {
        this.stop(text === null ? 'malformed-frame' : 'frame-too-large', text === null ? `answer ${answer.id}: its info is not on the port` : `decision info over the frame cap of ${cap}`);
        return null;
      }
    } else if (answer.kind !== ANSWER_DECISION) {
      this.stop('malformed-frame', `answer.kind: must be 1-4, got ${answer.kind}`);
      return null;
    } else if (answer.textBytes !== -1) {
      if (answer.text === null) {
        this.stop('malformed-frame', `answer.textBytes: ${answer.textBytes} is not a length within the slot`);
        return null;
      }
      text = answer.text;
    }
    let info: unknown;
    if (text !== null) {
      try {
        info = JSON.parse(text);
      } catch {
        this.stop('malformed-frame', `decision info of ${answer.textBytes} bytes is not JSON`);
        return null;
      }
    }
    const checked = checkAgentMessage({ t: 'decision', id: answer.id, action: answer.action, info, ...(answer.target === undefined ? {} : { target: answer.target }) });
    if (typeof checked === 'string') {
      this.stop('malformed-frame', checked);
      return null;
    }
    if (checked.t !== 'decision') return null;
    if (checked.action >= maskLength) {
      this.stop('agent-error', `action ${checked.action} is not an index below ${maskLength}`);
      return null;
    }
    this.consecutiveLate = 0;
    const { action, target } = checked;
    return target === undefined ? { action, late: false, info } : { action, late: false, info, target };
  }

  /** The text of an answer too long for the slot, from the port; older ones (late answers) are dropped. */
  private takeAnswerText(id: number): string | null {
    const port = this.port;
    if (port === null) return null;
    for (let r = receiveMessageOnPort(port); r !== undefined; r = receiveMessageOnPort(port)) {
      const m: unknown = r.message;
      if (typeof m !== 'object' || m === null || Reflect.get(m, 't') !== 'answer' || Reflect.get(m, 'id') !== id) continue;
      const text: unknown = Reflect.get(m, 'text');
      return typeof text === 'string' ? text : null;
    }
    return null;
  }

  /** A decision that got no answer in time: HOLD, counted; enough in a row stop the agent. */
  private late(hold: number): Decision {
    this.lateDecisions++;
    this.consecutiveLate++;
    if (this.consecutiveLate >= this.options.limits.maxConsecutiveLate) {
      this.stop('deadline', `${this.consecutiveLate} decisions in a row later than ${this.options.limits.decisionTimeoutMs} ms`);
    }
    return { action: hold, late: true };
  }

  private stop(kind: SandboxFaultKind, detail: string): void {
    if (this.fault !== null || this.closed) return;
    this.fault = { kind, detail, tier: this.tier };
    this.kill();
    this.options.onFault?.(this.fault);
  }

  /**
   * To the agent: tier 1's worker reads its parent port; tiers 2 and 3 read the FIFO this thread writes, or
   * (no FIFO) the relay writes what arrives on this agent's port.
   */
  private send(message: unknown): void {
    if (this.tier === 1) this.worker?.postMessage(message);
    else if (this.fifo === null) this.port?.postMessage(message);
    else {
      try {
        this.fifo.write(encodeFrame(message, this.options.limits.maxFrameBytes));
      } catch (err) {
        const detail = err instanceof Error ? err.message : String(err);
        this.stop(err instanceof FrameError ? err.kind : 'crash', err instanceof FrameError ? detail : `request pipe: ${detail}`);
      }
    }
  }

  private closeFifoReadEnd(): void {
    if (this.fifoReadFd === null) return;
    closeSync(this.fifoReadFd);
    this.fifoReadFd = null;
  }

  /** Writes request bytes the FIFO did not take yet; returns whether some are still pending. */
  private flushRequests(): boolean {
    if (this.fifo === null) return false;
    try {
      return this.fifo.flush();
    } catch (err) {
      this.stop('crash', `request pipe: ${err instanceof Error ? err.message : String(err)}`);
      return false;
    }
  }

  private kill(): void {
    if (this.tier === 1) void this.worker?.terminate();
    else this.port?.postMessage({ t: 'kill' });
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    const port = this.port;
    if (this.relay !== null && port !== null) {
      // The relay kills the agent's process and answers `closed` once it is gone; stop waiting after 1 s.
      port.postMessage({ t: 'kill' });
      const deadline = Date.now() + 1000;
      let gone = this.childGone;
      while (!gone && Date.now() < deadline && sharedRelay === this.relay) {
        for (let r = receiveMessageOnPort(port); r !== undefined; r = receiveMessageOnPort(port)) {
          this.closeFifoReadEnd(); // a report: the relay's spawn call is over
          const t: unknown = typeof r.message === 'object' && r.message !== null ? Reflect.get(r.message, 't') : undefined;
          if (t === 'closed') gone = true;
        }
        if (!gone) await new Promise((r) => setTimeout(r, 1));
      }
      this.relay.users.delete(this.onRelayLost);
      // A relay that is gone starts nothing more. One that runs but never answered may still spawn with the
      // read end's number: leave that fd open rather than let the number be reused under it.
      if (sharedRelay !== this.relay) this.closeFifoReadEnd();
    }
    await this.worker?.terminate();
    this.fifo?.close();
    port?.close();
    if (this.tempDir !== null) rmSync(this.tempDir, { recursive: true, force: true });
  }
}

export function createAgentSandbox(options: SandboxOptions): AgentSandbox {
  return options.tier === 0 ? new InProcessSandbox(options) : new ThreadBridgeSandbox(options.tier, options);
}
