/**
 * The supervisor's I/O thread for tiers 2 and 3, one per process, shared by every sandboxed agent of it (a
 * thread of its own per agent cost ~40 % of a Node start on each cold start). Per agent, the supervisor posts
 * `{ t: 'open', … }` with a MessagePort of that agent's own; the relay starts the sandboxed child, writes the
 * requests that arrive on that port to the child's stdin as frames (unless the supervisor writes them itself to
 * a FIFO whose read end it hands over as the child's stdin: `stdinFd`), reads its frames from stdout and reports
 * them on the port (a message plus an `Atomics.notify` on the agent's own counter, so a supervisor blocked on
 * a decision wakes at once). It enforces the byte limits as the bytes arrive: a frame over the cap, a malformed
 * frame or more stderr than the session's output limit kills the child before anything more is read. `kill`
 * on the port kills the child; `{ t: 'closed' }` answers once it is gone (`{ t: 'spawned', pid }` says it started). One agent's fault never touches
 * another's child: each has its own state, and every handler catches its own errors. Imports only node
 * builtins and sandbox host files.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { closeSync, openSync, readlinkSync } from 'node:fs';
import { MessagePort, parentPort, workerData } from 'node:worker_threads';
import { FrameError, FrameReader, encodeFrame } from './frame-codec.js';
import { type AgentMessage, type HostReport, type SandboxFaultKind, checkAgentMessage } from './protocol.js';
import { ANSWER_DECISION, SharedDecisionChannel } from './shared-channel.js';

export interface RelayWorkerData {
  readonly port: MessagePort;
  readonly flag: Int32Array;
  readonly command: string;
  readonly args: readonly string[];
  /** A file opened and handed to the child as fd 3 (bwrap's `--seccomp 3` program); null = none. */
  readonly fd3Path: string | null;
  /**
   * The read end of the supervisor's request FIFO, given to the child as its stdin; the supervisor writes the
   * requests itself and closes this fd once the relay has reported anything (the spawn is then over). Null =
   * the relay makes the stdin pipe and writes the requests that arrive on the port.
   */
  readonly stdinFd: number | null;
  /**
   * The agent's answer slot (shared-channel.ts): checked decisions are written there instead of posted, with
   * the counter bumped as for a report; null = every answer is posted.
   */
  readonly answers: SharedArrayBuffer | null;
  readonly maxFrameBytes: number;
  readonly maxOutputBytes: number;
  /** Wall-clock limit of the whole session; 0 = none. */
  readonly sessionDeadlineMs: number;
}

function readOpenMessage(d: unknown): RelayWorkerData {
  if (typeof d !== 'object' || d === null) throw new Error('relay-worker: missing open data');
  const port: unknown = Reflect.get(d, 'port');
  const flag: unknown = Reflect.get(d, 'flag');
  const command: unknown = Reflect.get(d, 'command');
  const args: unknown = Reflect.get(d, 'args');
  const fd3Path: unknown = Reflect.get(d, 'fd3Path');
  const stdinFd: unknown = Reflect.get(d, 'stdinFd') ?? null;
  const answers: unknown = Reflect.get(d, 'answers') ?? null;
  if (!(port instanceof MessagePort) || !(flag instanceof Int32Array) || typeof command !== 'string') {
    throw new Error('relay-worker: bad open data');
  }
  if (!Array.isArray(args) || !args.every((a) => typeof a === 'string')) throw new Error('relay-worker: bad args');
  if (fd3Path !== null && typeof fd3Path !== 'string') throw new Error('relay-worker: bad fd3Path');
  if (answers !== null && !(answers instanceof SharedArrayBuffer)) throw new Error('relay-worker: bad answers');
  if (stdinFd !== null && !(typeof stdinFd === 'number' && Number.isInteger(stdinFd) && stdinFd > 2)) throw new Error('relay-worker: bad stdinFd');
  const num = (key: string): number => {
    const v: unknown = Reflect.get(d, key);
    if (typeof v !== 'number') throw new Error(`relay-worker: ${key} missing`);
    return v;
  };
  return {
    port,
    flag,
    command,
    args: args.map(String),
    fd3Path,
    stdinFd,
    answers,
    maxFrameBytes: num('maxFrameBytes'),
    maxOutputBytes: num('maxOutputBytes'),
    sessionDeadlineMs: num('sessionDeadlineMs'),
  };
}

/** Starts one agent's child and relays its port until `kill`. */
function relay(data: RelayWorkerData): void {
  const report = (r: HostReport | { t: 'closed' } | { t: 'spawned'; pid: number }): void => {
    data.port.postMessage(r);
    Atomics.add(data.flag, 0, 1);
    Atomics.notify(data.flag, 0);
  };
  const answers = data.answers === null ? null : new SharedDecisionChannel(data.answers);
  /** Writes a checked decision into the answer slot; false when it does not fit (it is posted instead). */
  const answerInSlot = (m: AgentMessage): boolean => {
    if (answers === null || m.t !== 'decision') return false;
    const json = m.info === undefined ? undefined : JSON.stringify(m.info);
    if (json === undefined) answers.writeAnswer(ANSWER_DECISION, m.id, m.action, m.target, null, -1);
    else if (answers.fitsText(Buffer.byteLength(json, 'utf8'))) answers.writeAnswer(ANSWER_DECISION, m.id, m.action, m.target, json);
    else return false;
    Atomics.add(data.flag, 0, 1);
    Atomics.notify(data.flag, 0);
    return true;
  };
  let stopped = false;
  let exited = false;
  let killed = false;
  let child: ChildProcess | null = null;
  let deadlineTimer: NodeJS.Timeout | null = null;
  const finish = (): void => {
    if (deadlineTimer !== null) clearTimeout(deadlineTimer);
    report({ t: 'closed' });
    data.port.close();
  };
  const stop = (kind: SandboxFaultKind | null, detail: string): void => {
    if (stopped) return;
    stopped = true;
    if (!exited) child?.kill('SIGKILL');
    if (kind !== null) report({ t: 'fault', kind, detail });
  };
  data.port.on('message', (m: unknown) => {
    if (typeof m === 'object' && m !== null && Reflect.get(m, 't') === 'kill') {
      if (killed) return;
      killed = true;
      stop(null, 'stopped by the supervisor');
      if (exited || child === null) finish();
      return;
    }
    if (stopped) return;
    try {
      child?.stdin?.write(encodeFrame(m, data.maxFrameBytes));
    } catch (err) {
      stop('frame-too-large', err instanceof Error ? err.message : String(err));
    }
  });

  const fd3 = data.fd3Path === null ? null : openSync(data.fd3Path, 'r');
  try {
    child = spawn(data.command, [...data.args], { stdio: [data.stdinFd ?? 'pipe', 'pipe', 'pipe', ...(fd3 === null ? [] : [fd3])] });
  } catch (err) {
    stop('start-failed', err instanceof Error ? err.message : String(err));
    return;
  } finally {
    if (fd3 !== null) closeSync(fd3);
  }
  if (child.pid !== undefined) report({ t: 'spawned', pid: child.pid });
  const reader = new FrameReader(data.maxFrameBytes);
  child.stdout?.on('data', (chunk: Buffer) => {
    if (stopped) return;
    try {
      for (const frame of reader.push(chunk)) {
        const message = checkAgentMessage(frame);
        if (typeof message === 'string') {
          stop('malformed-frame', message);
          return;
        }
        if (!answerInSlot(message)) report({ t: 'agent', message });
      }
    } catch (err) {
      stop(err instanceof FrameError ? err.kind : 'malformed-frame', err instanceof Error ? err.message : String(err));
    }
  });
  let outputBytes = 0;
  let stderrTail = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    if (stopped) return;
    outputBytes += chunk.length;
    stderrTail = (stderrTail + chunk.toString('utf8')).slice(-1000);
    if (outputBytes > data.maxOutputBytes) stop('output-limit', `agent wrote over ${data.maxOutputBytes} bytes of output`);
  });
  child.stdin?.on('error', () => undefined); // a dead child's EPIPE is reported by 'exit'
  child.on('error', (err) => {
    stop('start-failed', err.message);
    // A child that never started has no 'exit' to wait for.
    if (child?.pid === undefined && !exited) {
      exited = true;
      if (killed) finish();
    }
  });
  child.on('exit', (code, signal) => {
    exited = true;
    const tail = stderrTail.trim().split('\n').slice(-3).join(' | ');
    const why = signal !== null ? `killed by ${signal}` : `exited with code ${String(code)}`;
    stop(signal !== null || code !== 0 ? 'crash' : 'exit', `agent process ${why}${tail ? `: ${tail}` : ''}`);
    if (killed) finish();
  });
  if (data.sessionDeadlineMs > 0) {
    deadlineTimer = setTimeout(() => stop('session-deadline', `session ran past ${data.sessionDeadlineMs} ms`), data.sessionDeadlineMs);
  }
}

/** Publishes this thread's OS thread id, so the supervisor can see synchronously whether the relay still runs. */
function publishThreadId(): void {
  const shared: unknown = typeof workerData === 'object' && workerData !== null ? Reflect.get(workerData, 'threadId') : undefined;
  if (!(shared instanceof Int32Array)) return;
  try {
    const tid = Number(readlinkSync('/proc/thread-self').split('/').pop());
    if (Number.isInteger(tid) && tid > 0) Atomics.store(shared, 0, tid);
  } catch {
    // No /proc here: the supervisor learns of the relay's end from the Worker's 'exit' event alone.
  }
}

function main(): void {
  const control = parentPort;
  if (control === null) throw new Error('relay-worker: must run as a worker thread');
  publishThreadId();
  control.on('message', (m: unknown) => {
    let data: RelayWorkerData;
    try {
      data = readOpenMessage(m);
    } catch {
      return; // the supervisor only sends well-formed opens; a bad one has no port to answer on
    }
    try {
      relay(data);
    } catch (err) {
      // Fail closed for this agent alone: report and let its supervisor stop it.
      data.port.postMessage({ t: 'fault', kind: 'start-failed', detail: err instanceof Error ? err.message : String(err) });
      Atomics.add(data.flag, 0, 1);
      Atomics.notify(data.flag, 0);
    }
  });
}

main();
