// The floors: what the same call costs with no wall at all. A direct in-process call of the transform; a
// bare worker_threads round trip of JSON strings; a bare child-process round trip of the sandbox's framed
// JSON over stdio. Their serialisation is the sandbox's own, so the difference to PluginHost.invoke is the
// price of the walls (validation, realms, limits), not of the physics.
import { spawn, type ChildProcess } from 'node:child_process';
import * as path from 'node:path';
import { Worker } from 'node:worker_threads';
import { encodeFrame, FrameDecoder } from '../src/core/host/framing';
import type { TransformInput } from '../src/core/host/pluginHost';

type Waiter = { resolve(): void; reject(e: Error): void; length: number };

/** Settles each request by its requestId and checks the echoed text came back whole. */
class Correlator {
  private nextId = 0;
  private readonly waiting = new Map<number, Waiter>();

  issue(length: number): { requestId: number; done: Promise<void> } {
    this.nextId += 1;
    const requestId = this.nextId;
    const done = new Promise<void>((resolve, reject) => this.waiting.set(requestId, { resolve, reject, length }));
    return { requestId, done };
  }

  answer(message: { requestId: number; output: unknown }): void {
    const w = this.waiting.get(message.requestId);
    if (!w) return;
    this.waiting.delete(message.requestId);
    if (typeof message.output === 'string' && message.output.length === w.length) w.resolve();
    else w.reject(new Error(`floor: request ${message.requestId} came back wrong`));
  }

  failAll(e: Error): void {
    for (const w of this.waiting.values()) w.reject(e);
    this.waiting.clear();
  }
}

const invokeMessage = (requestId: number, input: TransformInput) => ({ type: 'invoke', hook: 'transform', input, requestId });

/** (b) A bare worker thread: postMessage of a JSON string there, one back. */
export class BareWorker {
  private readonly worker: Worker;
  private readonly requests = new Correlator();

  constructor() {
    this.worker = new Worker(path.join(__dirname, 'echoWorker.js'));
    this.worker.on('message', (data: string) => this.requests.answer(JSON.parse(data)));
    this.worker.on('error', (e) => this.requests.failAll(e));
  }

  roundTrip(input: TransformInput): Promise<void> {
    const { requestId, done } = this.requests.issue(input.text.length);
    this.worker.postMessage(JSON.stringify(invokeMessage(requestId, input)));
    return done;
  }

  async dispose(): Promise<void> {
    await this.worker.terminate();
  }
}

/**
 * (c) A bare child process (Node, started like the sandbox with process.execPath) speaking the sandbox's
 * framing over stdio. With `viaWorker` the child relays to a bare worker: the whole path with no walls.
 */
export class BareChild {
  private readonly requests = new Correlator();
  private readonly decoder = new FrameDecoder(256 * 1024 * 1024);

  private constructor(private readonly child: ChildProcess) {}

  static start(viaWorker = false): Promise<BareChild> {
    const child = spawn(process.execPath, [path.join(__dirname, 'echoChild.js'), ...(viaWorker ? ['--via-worker'] : [])], {
      stdio: ['pipe', 'pipe', 'inherit'],
      env: { NODE_OPTIONS: '' },
    });
    const bare = new BareChild(child);
    return new Promise((resolve, reject) => {
      let ready = false;
      child.on('error', reject);
      child.on('exit', (code) => {
        const e = new Error(`floor: the echo child exited (code ${code})`);
        bare.requests.failAll(e);
        if (!ready) reject(e);
      });
      child.stdout!.on('data', (chunk: Buffer) => {
        for (const frame of bare.decoder.push(chunk) as { kind: string; message: { requestId: number; output: unknown } }[]) {
          if (frame.kind === 'ready') {
            ready = true;
            resolve(bare);
          } else {
            bare.requests.answer(frame.message);
          }
        }
      });
    });
  }

  roundTrip(input: TransformInput): Promise<void> {
    const { requestId, done } = this.requests.issue(input.text.length);
    this.child.stdin!.write(encodeFrame({ kind: 'worker', plugin: 'floor', generation: 1, message: invokeMessage(requestId, input) }));
    return done;
  }

  dispose(): Promise<void> {
    return new Promise((resolve) => {
      if (this.child.exitCode !== null || this.child.signalCode !== null) {
        resolve();
        return;
      }
      this.child.once('exit', () => resolve());
      this.child.stdin!.end();
    });
  }
}

/** (a) The transform itself, evaluated in this process as a plain CommonJS-style script. */
export function directTransform(source: string): (input: TransformInput) => Promise<void> {
  const module = { exports: {} as { transform?: (input: TransformInput, api: unknown) => unknown } };
  // The bench's own plugin source, trusted here: this is the floor, not the sandbox.
  new Function('module', 'exports', source)(module, module.exports);
  const transform = module.exports.transform;
  if (typeof transform !== 'function') throw new Error('floor: the plugin has no transform');
  const api = Object.freeze({ log() {}, storage: {} });
  return async (input) => {
    const out = await transform(input, api);
    if (typeof out !== 'string' || out.length !== input.text.length) throw new Error('floor: the direct call came back wrong');
  };
}
