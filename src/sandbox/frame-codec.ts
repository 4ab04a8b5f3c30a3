/**
 * The sandbox channel's wire format: each frame is a 4-byte big-endian length, then that many bytes of UTF-8
 * JSON. The reader refuses a frame whose announced length is over its cap before buffering any of it, so an
 * agent cannot make the supervisor hold a 1 GB frame. Imports only node builtins: it also runs inside the
 * sandbox (agent-host.ts), where none of the project is mounted.
 */

export const FRAME_HEADER_BYTES = 4;

/** Why a byte stream stopped being a valid channel. */
export type FrameFaultKind = 'frame-too-large' | 'malformed-frame';

export class FrameError extends Error {
  constructor(
    readonly kind: FrameFaultKind,
    message: string,
  ) {
    super(message);
    this.name = 'FrameError';
  }
}

export function encodeFrame(message: unknown, maxFrameBytes: number): Buffer {
  const body = Buffer.from(JSON.stringify(message), 'utf8');
  if (body.length > maxFrameBytes) {
    throw new FrameError('frame-too-large', `frame of ${body.length} bytes is over the cap of ${maxFrameBytes}`);
  }
  const frame = Buffer.allocUnsafe(FRAME_HEADER_BYTES + body.length);
  frame.writeUInt32BE(body.length, 0);
  body.copy(frame, FRAME_HEADER_BYTES);
  return frame;
}

/** Cuts a byte stream into frames; throws `FrameError` on an oversized or unparseable frame. */
export class FrameReader {
  private buffered: Buffer = Buffer.alloc(0);

  constructor(private readonly maxFrameBytes: number) {}

  /** Bytes held waiting for the rest of a frame. */
  get pendingBytes(): number {
    return this.buffered.length;
  }

  push(chunk: Buffer): unknown[] {
    this.buffered = this.buffered.length === 0 ? chunk : Buffer.concat([this.buffered, chunk]);
    const frames: unknown[] = [];
    while (this.buffered.length >= FRAME_HEADER_BYTES) {
      const length = this.buffered.readUInt32BE(0);
      if (length > this.maxFrameBytes) {
        throw new FrameError('frame-too-large', `frame announces ${length} bytes, over the cap of ${this.maxFrameBytes}`);
      }
      if (this.buffered.length < FRAME_HEADER_BYTES + length) break;
      const body = this.buffered.subarray(FRAME_HEADER_BYTES, FRAME_HEADER_BYTES + length);
      this.buffered = this.buffered.subarray(FRAME_HEADER_BYTES + length);
      try {
        frames.push(JSON.parse(body.toString('utf8')));
      } catch {
        throw new FrameError('malformed-frame', `frame of ${length} bytes is not JSON`);
      }
    }
    return frames;
  }
}
