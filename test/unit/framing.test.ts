// Length-prefixed frames: split and joined chunks, and a refused oversize frame before it is buffered.
import assert from 'node:assert/strict';
import { encodeFrame, FrameDecoder, FrameTooLargeError } from '../../src/core/host/framing';

describe('framing', () => {
  it('round-trips values across arbitrary chunk boundaries', () => {
    const values = [{ a: 1 }, 'ü', [1, 2, { b: null }], { text: 'x'.repeat(10_000) }];
    const bytes = Buffer.concat(values.map(encodeFrame));
    for (const size of [1, 3, 7, 64, bytes.length]) {
      const d = new FrameDecoder(1 << 20);
      const out: unknown[] = [];
      for (let i = 0; i < bytes.length; i += size) out.push(...d.push(bytes.subarray(i, i + size)));
      assert.deepEqual(out, values);
    }
  });

  it('refuses a frame whose header announces more than the limit, before its body arrives', () => {
    const d = new FrameDecoder(1024);
    const header = Buffer.alloc(4);
    header.writeUInt32BE(2048);
    assert.throws(() => d.push(header), FrameTooLargeError);
  });

  it('throws on a frame that is not JSON', () => {
    const body = Buffer.from('{nope', 'utf8');
    const header = Buffer.alloc(4);
    header.writeUInt32BE(body.length);
    assert.throws(() => new FrameDecoder(1024).push(Buffer.concat([header, body])), SyntaxError);
  });
});
