// Starts and supervises the sandbox process from the extension host: hardening flags (with fallbacks
// where the runtime lacks them), framed stdin/stdout, a bounded stderr tail, and why the process ended.
import { spawn, type ChildProcess } from 'node:child_process';
import * as path from 'node:path';
import { encodeFrame, FrameDecoder } from './framing';
import { FromSandbox, type SandboxLimits, type ToSandbox } from './protocol';

export interface SandboxExit {
  code: number | null;
  signal: NodeJS.Signals | null;
  /** V8 reported a fatal out-of-memory: a plugin's allocation took the whole sandbox process down. */
  outOfMemory: boolean;
  /** The host ended it: dispose, or a stream that could no longer be trusted. */
  intentional: boolean;
  reason: string;
  stderrTail: string;
}

export interface SandboxProcessOptions {
  /** Absolute path of the sandbox bundle (dist/sandbox.js). */
  entry: string;
  /** Tests only: a worker script to run instead of the bundled one (e.g. one that breaks the protocol). */
  workerEntry?: string;
  /** The limits its workers will run with, so it can start the first worker while the handshake happens. */
  limits?: SandboxLimits;
  /** Largest frame accepted from the sandbox; anything larger ends the process. */
  maxFrameBytes: number;
  onMessage(message: FromSandbox): void;
  /** A frame that is not one of the protocol's messages (a compromised or broken sandbox). */
  onViolation(detail: string): void;
  /** The process ended; `process` tells which one, since a replacement may already be running. */
  onExit(exit: SandboxExit, process: SandboxProcess): void;
  /** Deadline for the `ready` handshake. */
  startTimeoutMs?: number;
}

/** Flag sets, most hardened first; the first one this runtime accepts is used. */
function flagSets(entryDir: string, workerEntry: string | undefined): string[][] {
  const hardening = ['--disallow-code-generation-from-strings', '--max-old-space-size=256'];
  const readable = [entryDir, ...(workerEntry ? [path.dirname(workerEntry)] : [])];
  const permission = ['--experimental-permission', `--allow-fs-read=${readable.map((d) => `${d}${path.sep}*`).join(',')}`, '--allow-worker'];
  return [[...hardening, ...permission], hardening, []];
}

const STDERR_TAIL_BYTES = 16 * 1024;

export interface ReadyInfo {
  pid: number;
  permissionModel: boolean;
  node: string;
  flags: string[];
}

/** One running sandbox process. Create with `SandboxProcess.start`. */
export class SandboxProcess {
  private stderrTail = '';
  private ended = false;
  private intentional = false;
  private endReason = '';

  private constructor(
    private readonly child: ChildProcess,
    private readonly options: SandboxProcessOptions,
    readonly info: ReadyInfo,
  ) {}

  /**
   * Spawns the process and waits for its `ready`. Tries the hardened flag sets in order, falling back
   * when this runtime (e.g. Electron running as Node) rejects a flag before the handshake.
   */
  static async start(options: SandboxProcessOptions): Promise<SandboxProcess> {
    const sets = flagSets(path.dirname(options.entry), options.workerEntry);
    let lastError: Error | undefined;
    for (const flags of sets) {
      try {
        return await SandboxProcess.startWith(options, flags);
      } catch (e) {
        lastError = e as Error;
        if (!(e instanceof FlagsRejected)) throw e;
      }
    }
    throw lastError ?? new Error('the sandbox process could not be started');
  }

  private static startWith(options: SandboxProcessOptions, flags: string[]): Promise<SandboxProcess> {
    return new Promise((resolve, reject) => {
      // A minimal environment: the sandbox needs none of the user's variables (tokens live there).
      const env: NodeJS.ProcessEnv = { ELECTRON_RUN_AS_NODE: '1', NODE_OPTIONS: '' };
      if (process.platform === 'win32' && process.env['SystemRoot']) env['SystemRoot'] = process.env['SystemRoot'];
      const args = [
        ...flags,
        options.entry,
        ...(options.workerEntry ? ['--worker-entry', options.workerEntry] : []),
        ...(options.limits ? ['--limits', JSON.stringify(options.limits)] : []),
      ];
      const child = spawn(process.execPath, args, {
        stdio: ['pipe', 'pipe', 'pipe'],
        env,
        windowsHide: true,
      });
      let stderr = '';
      let settled = false;
      const decoder = new FrameDecoder(options.maxFrameBytes);
      const timer = setTimeout(() => fail(new Error(`the sandbox process did not start within ${options.startTimeoutMs ?? 10_000} ms`)), options.startTimeoutMs ?? 10_000);
      const fail = (e: Error) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        child.kill('SIGKILL');
        reject(e);
      };
      const onStderr = (chunk: Buffer) => {
        stderr = (stderr + chunk.toString('utf8')).slice(-STDERR_TAIL_BYTES);
      };
      const onData = (chunk: Buffer) => {
        let frames: unknown[];
        try {
          frames = decoder.push(chunk);
        } catch (e) {
          fail(new Error(`the sandbox process sent a bad handshake: ${(e as Error).message}`));
          return;
        }
        const first = frames[0];
        if (first === undefined) return;
        const parsed = FromSandbox.safeParse(first);
        if (!parsed.success || parsed.data.kind !== 'ready') {
          fail(new Error('the sandbox process sent something other than its ready message'));
          return;
        }
        settled = true;
        clearTimeout(timer);
        child.stdout!.off('data', onData);
        child.stderr!.off('data', onStderr);
        child.off('exit', onEarlyExit);
        const sp = new SandboxProcess(child, options, { pid: parsed.data.pid, permissionModel: parsed.data.permissionModel, node: parsed.data.node, flags });
        sp.stderrTail = stderr;
        sp.attach(decoder, frames.slice(1));
        resolve(sp);
      };
      const onEarlyExit = (code: number | null) => {
        // Node exits with 9 ("Invalid Argument") on an unknown or unsupported flag.
        if (code === 9 || /bad option|not allowed|unknown option|unrecognized/i.test(stderr)) fail(new FlagsRejected(stderr));
        else fail(new Error(`the sandbox process exited during start-up (code ${code}): ${stderr.trim().slice(-500)}`));
      };
      child.stdout!.on('data', onData);
      child.stderr!.on('data', onStderr);
      child.on('exit', onEarlyExit);
      child.on('error', (e) => fail(e));
      child.stdin!.on('error', () => {});
    });
  }

  private attach(decoder: FrameDecoder, pending: unknown[]): void {
    const child = this.child;
    const handle = (frame: unknown) => {
      if (this.ended) return;
      const parsed = FromSandbox.safeParse(frame);
      if (!parsed.success) {
        this.options.onViolation(`malformed message from the sandbox: ${parsed.error.issues[0]?.message ?? 'unknown'}`);
        return;
      }
      this.options.onMessage(parsed.data);
    };
    child.stdout!.on('data', (chunk: Buffer) => {
      if (this.ended) return;
      let frames: unknown[];
      try {
        frames = decoder.push(chunk);
      } catch (e) {
        // The stream can no longer be trusted (oversize or unparsable frame): report it, end the process.
        const detail = `a bad frame from the sandbox (${(e as Error).message})`;
        this.options.onViolation(detail);
        this.kill(detail, false);
        return;
      }
      for (const f of frames) handle(f);
    });
    child.stderr!.on('data', (chunk: Buffer) => {
      this.stderrTail = (this.stderrTail + chunk.toString('utf8')).slice(-STDERR_TAIL_BYTES);
    });
    child.on('exit', (code, signal) => {
      this.ended = true;
      const tail = this.stderrTail;
      this.options.onExit({
        code,
        signal,
        outOfMemory: /heap out of memory|Reached heap limit|Fatal process out of memory|Allocation failed|Invalid (array|typed array|string) length/i.test(tail) && !this.intentional,
        intentional: this.intentional,
        reason:
          this.endReason ||
          // The mark is the sandbox's own line (src/sandbox/process.ts) before it kills itself.
          (tail.includes('plugin-runtime sandbox: unstoppable worker') ? 'a plugin could not be stopped, so the process was restarted' : signal ? `killed by ${signal}` : `exited with code ${code}`),
        stderrTail: tail,
      }, this);
    });
    for (const f of pending) handle(f);
  }

  get pid(): number {
    return this.info.pid;
  }

  get alive(): boolean {
    return !this.ended;
  }

  send(message: ToSandbox): void {
    if (this.ended) return;
    this.child.stdin!.write(encodeFrame(message));
  }

  /** Ends the process. `intentional` marks a dispose (not the sandbox's fault). */
  kill(reason: string, intentional = true): void {
    if (this.ended) return;
    this.intentional = intentional;
    this.endReason = reason;
    this.child.kill('SIGKILL');
  }
}

class FlagsRejected extends Error {
  constructor(stderr: string) {
    super(`runtime rejected a sandbox flag: ${stderr.trim().slice(-300)}`);
  }
}
