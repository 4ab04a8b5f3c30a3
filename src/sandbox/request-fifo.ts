/**
 * Tiers 2 and 3: the supervisor writes each request frame straight to the agent process's stdin from its own
 * thread, instead of posting it to the relay thread to write (one thread hop less per decision). The stdin is a
 * FIFO the supervisor makes and opens itself: the read end goes to the relay, which hands it to the child as
 * fd 0 and closes its own copy after the spawn; the write end is only the supervisor's, written only here and
 * closed only by `close()`. So a write never lands on a descriptor number the relay closed and the OS reused.
 *
 * The write end is non-blocking: a full pipe (an agent that stopped reading) never blocks the supervisor.
 * What the pipe does not take is kept, in order, and written first by the next `flush`, so no frame is lost or
 * cut into another. The FIFO's name is removed as soon as both ends are open.
 */
import { execFile } from 'node:child_process';
import { closeSync, constants, mkdtempSync, openSync, rmSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { findExecutable } from './sandbox-command.js';

const execFileAsync = promisify(execFile);

function errorCode(err: unknown): unknown {
  return typeof err === 'object' && err !== null ? Reflect.get(err, 'code') : undefined;
}

export class RequestFifo {
  /** Bytes not yet taken by the pipe, oldest first. */
  private pending: Buffer[] = [];
  private fd: number | null;
  /** True once the reading side is gone (EPIPE): the agent's process exited; the relay reports why. */
  private readerGone = false;

  private constructor(fd: number) {
    this.fd = fd;
  }

  /**
   * Makes the FIFO and opens both ends: the read end (for the child's stdin; its owner closes it) and this
   * object, the write end. Null where `mkfifo` is not installed: the relay then writes the requests as before.
   */
  static async open(): Promise<{ fifo: RequestFifo; readFd: number } | null> {
    const mkfifo = findExecutable('mkfifo');
    if (mkfifo === null) return null;
    const dir = mkdtempSync(join(tmpdir(), 'bulwark-requests-'));
    try {
      const path = join(dir, 'requests');
      await execFileAsync(mkfifo, ['-m', '600', path]);
      // Read end first and non-blocking, so neither open waits for the other side; the spawn makes the
      // child's fd 0 blocking again (libuv clears O_NONBLOCK on inherited stdio).
      const readFd = openSync(path, constants.O_RDONLY | constants.O_NONBLOCK);
      try {
        return { fifo: new RequestFifo(openSync(path, constants.O_WRONLY | constants.O_NONBLOCK)), readFd };
      } catch (err) {
        closeSync(readFd);
        throw err;
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }

  /** Bytes written by `write` that the pipe has not taken yet. */
  get pendingBytes(): number {
    let n = 0;
    for (const b of this.pending) n += b.length;
    return n;
  }

  /** Queues a frame behind anything pending and writes what the pipe takes now; never blocks. */
  write(frame: Buffer): void {
    if (this.fd === null || this.readerGone) return;
    this.pending.push(frame);
    this.flush();
  }

  /**
   * Writes pending bytes until the pipe is full or nothing is left; returns whether bytes are still pending.
   * Throws on an error other than a full pipe or a gone reader.
   */
  flush(): boolean {
    const fd = this.fd;
    while (fd !== null && !this.readerGone && this.pending.length > 0) {
      const head = this.pending[0];
      let written: number;
      try {
        written = writeSync(fd, head);
      } catch (err) {
        const code = errorCode(err);
        if (code === 'EAGAIN') return true;
        if (code === 'EPIPE') {
          this.readerGone = true;
          this.pending = [];
          return false;
        }
        throw err;
      }
      if (written >= head.length) this.pending.shift();
      else this.pending[0] = head.subarray(written);
    }
    return this.pending.length > 0;
  }

  /** Closes the write end (the child reads end-of-file); safe to call twice. */
  close(): void {
    if (this.fd === null) return;
    const fd = this.fd;
    this.fd = null;
    this.pending = [];
    closeSync(fd);
  }
}
