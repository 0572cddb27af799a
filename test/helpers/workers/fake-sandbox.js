// A fake sandbox process (it replaces dist/sandbox.js) that breaks the framed stdio protocol on purpose, for
// test/unit/protocol-abuse.test.ts. It handshakes, loads plugins and answers a plugin named "good" properly
// (so a test can show the host restarted it and recovered); for any other plugin it misbehaves in one way,
// chosen by the small entry script that requires this file (fake-sandbox-<mode>.js).
'use strict';

function frame(value) {
  const body = Buffer.from(JSON.stringify(value), 'utf8');
  const head = Buffer.alloc(4);
  head.writeUInt32BE(body.length, 0);
  return Buffer.concat([head, body]);
}

const misbehave = {
  /** A frame header announcing 200 MB: more than the host will ever buffer. */
  'oversize-frame'() {
    const head = Buffer.alloc(4);
    head.writeUInt32BE(200 * 1024 * 1024, 0);
    process.stdout.write(Buffer.concat([head, Buffer.from('{"kind":')]));
  },
  /** A frame of the right length whose body is not JSON. */
  'garbage-frame'() {
    const body = Buffer.from('\u0000\u0001not json at all{{{', 'utf8');
    const head = Buffer.alloc(4);
    head.writeUInt32BE(body.length, 0);
    process.stdout.write(Buffer.concat([head, body]));
  },
  /** Valid JSON that is no message of the protocol. */
  'unknown-message'() {
    process.stdout.write(frame({ kind: 'exec', command: 'rm -rf ~' }));
  },
  /** A result for a plugin the host never loaded. */
  'not-running'(msg) {
    process.stdout.write(frame({ kind: 'worker', plugin: 'ghost', generation: 1, message: { type: 'result', requestId: msg.message.requestId, output: 'boo' } }));
  },
};

module.exports.run = function run(mode) {
  const generations = new Map();
  let buffered = Buffer.alloc(0);
  process.stdin.on('data', (chunk) => {
    buffered = Buffer.concat([buffered, chunk]);
    while (buffered.length >= 4) {
      const size = buffered.readUInt32BE(0);
      if (buffered.length < 4 + size) break;
      const msg = JSON.parse(buffered.subarray(4, 4 + size).toString('utf8'));
      buffered = buffered.subarray(4 + size);
      if (msg.kind === 'load') {
        generations.set(msg.plugin, msg.generation);
        process.stdout.write(frame({ kind: 'loaded', plugin: msg.plugin, generation: msg.generation }));
      } else if (msg.kind === 'worker' && msg.message.type === 'invoke') {
        if (msg.plugin === 'good') {
          const { requestId, input } = msg.message;
          process.stdout.write(frame({ kind: 'worker', plugin: msg.plugin, generation: msg.generation, message: { type: 'result', requestId, output: `ok:${input.text}` } }));
        } else {
          misbehave[mode](msg);
        }
      } else if (msg.kind === 'shutdown') {
        process.exit(0);
      }
    }
  });
  process.stdin.on('end', () => process.exit(0));
  process.stdout.write(frame({ kind: 'ready', pid: process.pid, permissionModel: false, node: process.version }));
};
