// The bare child process of the floor: 4-byte length-prefixed JSON frames over stdin/stdout with the
// sandbox's own framing code, answering each enveloped invoke with an enveloped result. With `--via-worker`
// it relays each message to a bare worker as the sandbox process does (the composed floor of the path).
import * as path from 'node:path';
import { Worker } from 'node:worker_threads';
import { encodeFrame, FrameDecoder } from '../src/core/host/framing';

interface Envelope {
  kind: 'worker';
  plugin: string;
  generation: number;
  message: { type: string; requestId: number; input: { text: string } };
}

const viaWorker = process.argv.includes('--via-worker');
const send = (value: unknown): void => {
  process.stdout.write(encodeFrame(value));
};

const worker = viaWorker ? new Worker(path.join(__dirname, 'echoWorker.js')) : undefined;
/** The envelope each relayed request came in, by requestId, so the answer goes back in the same one. */
const envelopes = new Map<number, { plugin: string; generation: number }>();
worker?.on('message', (data: string) => {
  const message = JSON.parse(data) as { requestId: number };
  const env = envelopes.get(message.requestId);
  envelopes.delete(message.requestId);
  if (env) send({ kind: 'worker', plugin: env.plugin, generation: env.generation, message });
});

const decoder = new FrameDecoder(256 * 1024 * 1024);
process.stdin.on('data', (chunk: Buffer) => {
  for (const frame of decoder.push(chunk) as Envelope[]) {
    const { plugin, generation, message } = frame;
    if (worker) {
      envelopes.set(message.requestId, { plugin, generation });
      worker.postMessage(JSON.stringify(message));
    } else {
      send({ kind: 'worker', plugin, generation, message: { type: 'result', requestId: message.requestId, output: message.input.text } });
    }
  }
});
process.stdin.on('end', () => process.exit(0));
send({ kind: 'ready', pid: process.pid });
