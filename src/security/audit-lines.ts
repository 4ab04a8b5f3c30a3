/**
 * Reads a JSONL file line by line, synchronously, in large chunks, without holding the whole file in
 * memory. Splitting on the byte 0x0A is safe for UTF-8 (it never occurs inside a multi-byte character).
 */
import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import { errnoCode } from './errno-code.js';

export interface FileLine {
  /** 1-based line number. */
  readonly lineNo: number;
  /** Byte offset of the line's first byte. */
  readonly offset: number;
  /** The line without its newline. */
  readonly text: string;
  /** False only for a last line that has no newline: a write that was cut off. */
  readonly complete: boolean;
}

const CHUNK_BYTES = 1 << 20;

/** Opens `path` for reading; a missing file or a directory is an error naming the file, not a bare ENOENT/EISDIR. */
function openRegularFile(path: string): number {
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch (err) {
    const code = errnoCode(err);
    throw new Error(`audit log '${path}': cannot be read (${code})`);
  }
  if (!fstatSync(fd).isFile()) {
    closeSync(fd);
    throw new Error(`audit log '${path}': not a regular file`);
  }
  return fd;
}

export function* readFileLines(path: string): Generator<FileLine> {
  const fd = openRegularFile(path);
  try {
    const chunk = Buffer.allocUnsafe(CHUNK_BYTES);
    let carry: Buffer = Buffer.alloc(0);
    let carryOffset = 0;
    let position = 0;
    let lineNo = 0;
    while (true) {
      const n = readSync(fd, chunk, 0, CHUNK_BYTES, position);
      if (n === 0) break;
      const data = carry.length > 0 ? Buffer.concat([carry, chunk.subarray(0, n)]) : chunk.subarray(0, n);
      const dataOffset = carry.length > 0 ? carryOffset : position;
      position += n;
      let start = 0;
      let nl = data.indexOf(0x0a, start);
      while (nl !== -1) {
        lineNo += 1;
        yield { lineNo, offset: dataOffset + start, text: data.toString('utf8', start, nl), complete: true };
        start = nl + 1;
        nl = data.indexOf(0x0a, start);
      }
      // Copy the unfinished tail: `chunk` is reused by the next read.
      carry = Buffer.from(data.subarray(start));
      carryOffset = dataOffset + start;
    }
    if (carry.length > 0) {
      lineNo += 1;
      yield { lineNo, offset: carryOffset, text: carry.toString('utf8'), complete: false };
    }
  } finally {
    closeSync(fd);
  }
}
