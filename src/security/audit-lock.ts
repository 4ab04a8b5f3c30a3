/**
 * One writer per audit file. Two writers appending to the same file would interleave two hash chains and
 * make the log unverifiable, so `AuditLog.open` takes `<path>.lock` (created exclusively, holding the pid)
 * and refuses while a live process holds it. A lock left by a dead process (a crash) is taken over.
 */
import { closeSync, openSync, readFileSync, unlinkSync, writeSync } from 'node:fs';
import { errnoCode } from './errno-code.js';

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    // EPERM: the process exists but belongs to someone else.
    return errnoCode(err) === 'EPERM';
  }
}

export function acquireWriterLock(logPath: string): string {
  const lockPath = `${logPath}.lock`;
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const fd = openSync(lockPath, 'wx', 0o600);
      try {
        writeSync(fd, `${process.pid}\n`);
      } finally {
        closeSync(fd);
      }
      return lockPath;
    } catch (err) {
      if (errnoCode(err) !== 'EEXIST') throw new Error(`audit log '${logPath}': cannot create lock file (${errnoCode(err)})`);
    }
    let holder = NaN;
    try {
      holder = Number.parseInt(readFileSync(lockPath, 'utf8'), 10);
    } catch {
      // Vanished between our open and read: try again.
    }
    if (Number.isSafeInteger(holder) && holder > 0 && processAlive(holder)) {
      throw new Error(`audit log '${logPath}': already open for writing by process ${holder} (lock ${lockPath})`);
    }
    try {
      unlinkSync(lockPath);
    } catch {
      // Someone else removed it first; the retry decides.
    }
  }
  throw new Error(`audit log '${logPath}': could not take the writer lock ${lockPath}`);
}

export function releaseWriterLock(lockPath: string): void {
  try {
    unlinkSync(lockPath);
  } catch {
    // Already gone: nothing to release.
  }
}
