// Length-prefixed JSON frames over a byte stream: the sandbox process's stdin/stdout. Unlike Node's IPC
// channel, the reader knows a frame's size before buffering it, so a hostile peer cannot make it hold more.

export const FRAME_HEADER_BYTES = 4;

/**
 * The largest frame the host accepts from the sandbox: a result at the output limit, JSON-escaped (≤ 6 bytes per
 * byte), plus the log allowance. Anything larger ends the sandbox process.
 */
export function hostMaxFrameBytes(maxOutputBytes: number): number {
  return maxOutputBytes * 6 + 8 * 1024 * 1024;
}

/**
 * The largest message the sandbox forwards for one plugin: below what the host accepts, so an oversize message
 * is refused in the sandbox, where it is charged to the plugin that sent it, not to the whole process.
 */
export function sandboxMaxForwardBytes(maxOutputBytes: number): number {
  return hostMaxFrameBytes(maxOutputBytes) - 4 * 1024 * 1024;
}

export function encodeFrame(value: unknown): Buffer {
  const body = Buffer.from(JSON.stringify(value), 'utf8');
  const frame = Buffer.allocUnsafe(FRAME_HEADER_BYTES + body.length);
  frame.writeUInt32BE(body.length, 0);
  body.copy(frame, FRAME_HEADER_BYTES);
  return frame;
}

export class FrameTooLargeError extends Error {
  constructor(readonly size: number, readonly max: number) {
    super(`frame of ${size} bytes exceeds the ${max}-byte limit`);
  }
}

/** Splits a byte stream into frames; `push` returns parsed JSON values (as unknown) or throws on abuse. */
export class FrameDecoder {
  private chunks: Buffer[] = [];
  private buffered = 0;

  constructor(private readonly maxFrameBytes: number) {}

  push(chunk: Buffer): unknown[] {
    this.chunks.push(chunk);
    this.buffered += chunk.length;
    const out: unknown[] = [];
    for (;;) {
      if (this.buffered < FRAME_HEADER_BYTES) break;
      const head = this.peek(FRAME_HEADER_BYTES);
      const size = head.readUInt32BE(0);
      if (size > this.maxFrameBytes) throw new FrameTooLargeError(size, this.maxFrameBytes);
      if (this.buffered < FRAME_HEADER_BYTES + size) break;
      const frame = this.take(FRAME_HEADER_BYTES + size).subarray(FRAME_HEADER_BYTES);
      // JSON.parse of a bounded frame: the result is data only (no prototypes beyond plain objects/arrays).
      out.push(JSON.parse(frame.toString('utf8')));
    }
    return out;
  }

  private peek(n: number): Buffer {
    if (this.chunks[0]!.length >= n) return this.chunks[0]!.subarray(0, n);
    return Buffer.concat(this.chunks).subarray(0, n);
  }

  private take(n: number): Buffer {
    const all = this.chunks.length === 1 ? this.chunks[0]! : Buffer.concat(this.chunks);
    const head = all.subarray(0, n);
    const rest = all.subarray(n);
    this.chunks = rest.length > 0 ? [rest] : [];
    this.buffered = rest.length;
    return head;
  }
}
