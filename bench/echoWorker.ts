// The bare worker of the floor: answers each invoke message (a JSON string) with a result message (a JSON
// string), the serialisation the sandbox process and a plugin worker use, with nothing else in between.
import { parentPort } from 'node:worker_threads';

const port = parentPort!;
port.on('message', (data: unknown) => {
  if (typeof data !== 'string') return;
  const msg = JSON.parse(data) as { requestId: number; input: { text: string } };
  port.postMessage(JSON.stringify({ type: 'result', requestId: msg.requestId, output: msg.input.text }));
});
