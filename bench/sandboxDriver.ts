// Drives the real sandbox bundle (dist/sandbox.js) directly with the host's protocol, without PluginHost:
// to time the phases of a cold start one by one, and to run the sandbox under flags PluginHost never
// passes (the profiler). Only the bench's own trusted plugins go through it; nothing is validated here.
import { spawn, type ChildProcess } from 'node:child_process';
import { encodeFrame, FrameDecoder } from '../src/core/host/framing';
import { DEFAULT_LIMITS } from '../src/core/limits';
import { SANDBOX_ENTRY } from './hosts';

type Frame = { kind: string; plugin?: string; message?: { type?: string; requestId?: number } };

/** The per-plugin limits the sandbox expects in a `load`, from the defaults. */
const LOAD_LIMITS = {
  maxHeapMb: DEFAULT_LIMITS.maxHeapMb,
  maxOffHeapMb: DEFAULT_LIMITS.maxOffHeapMb,
  maxOutputBytes: DEFAULT_LIMITS.maxOutputBytes,
  sandboxOffHeapBudgetMb: DEFAULT_LIMITS.sandboxOffHeapBudgetMb,
  sandboxRssBudgetMb: DEFAULT_LIMITS.sandboxRssBudgetMb,
};

export class SandboxDriver {
  private readonly decoder = new FrameDecoder(256 * 1024 * 1024);
  private readonly waiters = new Map<string, (f: Frame) => void>();
  private readonly exited: Promise<void>;
  private requestId = 0;
  /** The end of the sandbox's stderr (Node's warnings about the permission model land here, unprinted). */
  private stderrTail = '';

  private constructor(private readonly child: ChildProcess) {
    this.exited = new Promise((resolve) => child.once('exit', () => resolve()));
    child.stderr!.on('data', (chunk: Buffer) => {
      this.stderrTail = (this.stderrTail + chunk.toString('utf8')).slice(-4000);
    });
    child.stdout!.on('data', (chunk: Buffer) => {
      for (const f of this.decoder.push(chunk) as Frame[]) {
        const key = f.kind === 'worker' ? `result:${f.plugin}:${f.message?.requestId}` : f.kind === 'loaded' ? `loaded:${f.plugin}` : f.kind;
        const w = this.waiters.get(key);
        this.waiters.delete(key);
        w?.(f);
      }
    });
  }

  /** Spawns the sandbox as SandboxProcess does (process.execPath, `flags`, a minimal environment) and waits for `ready`. */
  static async start(flags: readonly string[]): Promise<SandboxDriver> {
    const child = spawn(process.execPath, [...flags, SANDBOX_ENTRY], { stdio: ['pipe', 'pipe', 'pipe'], env: { ELECTRON_RUN_AS_NODE: '1', NODE_OPTIONS: '' } });
    const driver = new SandboxDriver(child);
    const ready = driver.waitFor('ready');
    await Promise.race([ready, driver.exited.then(() => Promise.reject(new Error(`the sandbox exited before it was ready: ${driver.stderrTail.trim().slice(-500)}`)))]);
    return driver;
  }

  private waitFor(key: string): Promise<Frame> {
    return new Promise((resolve) => this.waiters.set(key, resolve));
  }

  private send(message: unknown): void {
    this.child.stdin!.write(encodeFrame(message));
  }

  /** Starts the plugin's worker; resolves when it reports `loaded`. */
  async load(plugin: string, source: string): Promise<void> {
    const loaded = this.waitFor(`loaded:${plugin}`);
    this.send({ kind: 'load', plugin, generation: 1, source, filename: `plugin:${plugin}/index.js`, limits: LOAD_LIMITS });
    await loaded;
  }

  /** One invocation; resolves with the worker's result message. */
  async invoke(plugin: string, text: string): Promise<void> {
    this.requestId += 1;
    const requestId = this.requestId;
    const done = this.waitFor(`result:${plugin}:${requestId}`);
    this.send({ kind: 'worker', plugin, generation: 1, message: { type: 'invoke', hook: 'transform', input: { text, languageId: 'plaintext', fileName: 'bench.txt' }, requestId } });
    await done;
  }

  /** Asks the sandbox to shut down (it exits, writing any profile) and waits for the exit. */
  async shutdown(): Promise<void> {
    if (this.child.exitCode === null && this.child.signalCode === null) this.send({ kind: 'shutdown' });
    await this.exited;
  }
}
