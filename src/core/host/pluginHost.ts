// PluginHost: the trust boundary. It runs in the extension host, starts the sandbox process, dispatches
// invocations one at a time per plugin, validates every message that comes back, enforces the time and
// output limits, answers plugin API calls after a capability check, and reports every outcome.
import { formatBytes, makeFailure, type PluginFailure } from '../errors';
import { DEFAULT_LIMITS, type Limits } from '../limits';
import type { PluginLogger } from '../logging';
import { sanitizeLogText } from '../logging';
import type { LoadedPlugin } from '../manifest';
import type { PermissionId } from '../permissions';
import { StorageError, type PluginStorage } from '../storage';
import { CapabilityGate, type GrantCheck } from './capabilityGate';
import { hostMaxFrameBytes } from './framing';
import { WorkerToHost, type FromSandbox, type HostToWorker, type SandboxLimits } from './protocol';
import { SandboxProcess, type ReadyInfo, type SandboxExit } from './sandboxProcess';

export type { GrantCheck } from './capabilityGate';

export interface TransformInput {
  text: string;
  languageId: string;
  fileName: string;
}

/** What an invocation used, as the sandbox measured it (absent when the worker did not report). */
export interface InvocationUsage {
  /** V8 heap in use in the plugin's worker when the invocation ended. */
  heapUsedBytes: number;
  /** ArrayBuffer/typed-array bytes allocated by the invocation (what the realm's cap counts). */
  offHeapBytes: number;
  /** UTF-8 bytes of the output. */
  outputBytes?: number;
  /** Log entries the plugin wrote (before rate limiting). */
  logEntries: number;
}

export type InvokeOutcome =
  | { ok: true; output: string; durationMs: number; usage?: InvocationUsage }
  | { ok: false; failure: PluginFailure; durationMs: number; usage?: InvocationUsage };

/** Every invocation's outcome, plus failures that no invocation was waiting for (a stray message). */
export interface OutcomeEvent {
  plugin: string;
  outcome: InvokeOutcome;
}

export interface Disposable {
  dispose(): void;
}

export interface PluginHostOptions {
  /** Absolute path of the sandbox bundle (dist/sandbox.js). */
  sandboxEntry: string;
  /** Tests only: run this worker script instead of the bundled worker (protocol-abuse tests). */
  workerEntry?: string;
  limits?: Limits;
  storage: PluginStorage;
  logger: PluginLogger;
  grants: GrantCheck;
  /** Monotonic clock in ms, for durations. */
  now?: () => number;
}

export interface HostStatus {
  sandbox: (ReadyInfo & { restarts: number }) | undefined;
  loadedWorkers: number;
  /** Invocations dispatched to a worker and not yet settled. */
  running: number;
  /** Invocations waiting (queued) or running. */
  queued: number;
}

const LOAD_TIMEOUT_MS = 15_000;
/**
 * The sandbox's main thread never runs plugin code, so it answers a `terminate` at once. No answer within
 * this long means the process itself is stuck (stopped, or wedged): it is replaced.
 */
const TERMINATE_ACK_TIMEOUT_MS = 5_000;

interface Pending {
  requestId: number;
  plugin: LoadedPlugin;
  input: TransformInput;
  resolve(outcome: InvokeOutcome): void;
  /** When invoke() was called: the caller's latency includes queueing. */
  queuedAt: number;
}

interface Active extends Pending {
  generation: number;
  timer: NodeJS.Timeout;
  callIds: Set<number>;
  /** The permission of the last API call this invocation was denied, if any. */
  denied: PermissionId | 'unknown' | undefined;
  logEntries: number;
  usage: { heapUsedBytes: number; offHeapBytes: number } | undefined;
}

interface Slot {
  name: string;
  generation: number;
  /** unloaded: no worker; loading: `load` sent, waiting for `loaded`; ready: takes invocations. */
  state: 'unloaded' | 'loading' | 'ready';
  loadedFingerprint: string | undefined;
  /** The plugin this slot last loaded, so a stopped worker can be replaced before the next call. */
  lastLoaded: LoadedPlugin | undefined;
  loadTimer: NodeJS.Timeout | undefined;
  idleTimer: NodeJS.Timeout | undefined;
  queue: Pending[];
  current: Active | undefined;
}

export class PluginHost {
  private readonly limits: Limits;
  private readonly gate: CapabilityGate;
  private readonly now: () => number;
  private readonly slots = new Map<string, Slot>();
  /** Terminates the sandbox has not confirmed yet, by `plugin:generation`. */
  private readonly pendingTerminates = new Map<string, NodeJS.Timeout>();
  private readonly outcomeListeners = new Set<(e: OutcomeEvent) => void>();
  private sandbox: SandboxProcess | undefined;
  private starting: Promise<void> | undefined;
  private restarts = 0;
  private nextRequestId = 0;
  private disposed = false;

  constructor(private readonly options: PluginHostOptions) {
    this.limits = options.limits ?? DEFAULT_LIMITS;
    this.gate = new CapabilityGate(options.grants);
    this.now = options.now ?? (() => performance.now());
  }

  /** Runs `hook` of `plugin` on `input` in the sandbox. Never rejects: failures are outcomes. */
  invoke(plugin: LoadedPlugin, hook: 'transform', input: TransformInput): Promise<InvokeOutcome> {
    if (hook !== 'transform') throw new TypeError(`unknown hook ${String(hook)}`);
    if (typeof input?.text !== 'string' || typeof input.languageId !== 'string' || typeof input.fileName !== 'string') {
      throw new TypeError('invoke: input must be { text, languageId, fileName } strings');
    }
    if (this.disposed) return Promise.resolve({ ok: false, failure: makeFailure('worker-crashed', 'The plugin host was shut down.'), durationMs: 0 });
    // Refused here, before the sandbox would have to hold it: a whole large document is not the plugin's fault.
    const inputBytes = Buffer.byteLength(input.text, 'utf8');
    if (inputBytes > this.limits.maxInputBytes) {
      const outcome: InvokeOutcome = { ok: false, failure: makeFailure('input-too-large', `It is ${formatBytes(inputBytes)}.`, this.limits), durationMs: 0 };
      this.emit(plugin.manifest.name, outcome);
      return Promise.resolve(outcome);
    }
    const slot = this.slotFor(plugin.manifest.name);
    return new Promise<InvokeOutcome>((resolve) => {
      this.nextRequestId += 1;
      slot.queue.push({ requestId: this.nextRequestId, plugin, input: { text: input.text, languageId: input.languageId, fileName: input.fileName }, resolve, queuedAt: this.now() });
      if (slot.idleTimer) {
        clearTimeout(slot.idleTimer);
        slot.idleTimer = undefined;
      }
      this.drive(slot);
    });
  }

  onOutcome(listener: (e: OutcomeEvent) => void): Disposable {
    this.outcomeListeners.add(listener);
    return { dispose: () => this.outcomeListeners.delete(listener) };
  }

  /** Terminates the plugin's worker (e.g. it was disabled); queued invocations still run afterwards. */
  async unload(pluginName: string): Promise<void> {
    const slot = this.slots.get(pluginName);
    if (!slot) return;
    if (slot.current) this.settle(slot, slot.current, { ok: false, failure: makeFailure('worker-crashed', 'The plugin was unloaded while it ran.') });
    this.endWorker(slot, 'unloaded');
  }

  status(): HostStatus {
    let loaded = 0;
    let queued = 0;
    let running = 0;
    for (const s of this.slots.values()) {
      if (s.state !== 'unloaded') loaded += 1;
      if (s.current) running += 1;
      queued += s.queue.length + (s.current ? 1 : 0);
    }
    return { sandbox: this.sandbox?.alive ? { ...this.sandbox.info, restarts: this.restarts } : undefined, loadedWorkers: loaded, running, queued };
  }

  /** Fails whatever is pending and ends the sandbox process. */
  async dispose(): Promise<void> {
    if (this.disposed) return;
    this.disposed = true;
    for (const slot of this.slots.values()) {
      const shutdown = { ok: false as const, failure: makeFailure('worker-crashed', 'The plugin host was shut down.') };
      if (slot.current) this.settle(slot, slot.current, shutdown);
      for (const p of slot.queue.splice(0)) p.resolve({ ...shutdown, durationMs: this.now() - p.queuedAt });
      this.clearSlotTimers(slot);
    }
    this.sandbox?.send({ kind: 'shutdown' });
    this.sandbox?.kill('the plugin host was disposed');
    this.sandbox = undefined;
    this.clearPendingTerminates();
    this.outcomeListeners.clear();
  }

  // ---- dispatch --------------------------------------------------------------------------------------

  private slotFor(name: string): Slot {
    let slot = this.slots.get(name);
    if (!slot) {
      slot = { name, generation: 0, state: 'unloaded', loadedFingerprint: undefined, lastLoaded: undefined, loadTimer: undefined, idleTimer: undefined, queue: [], current: undefined };
      this.slots.set(name, slot);
    }
    return slot;
  }

  private drive(slot: Slot): void {
    if (this.disposed || slot.current || slot.queue.length === 0) return;
    if (!this.sandbox?.alive) {
      void this.startSandbox();
      return;
    }
    const head = slot.queue[0]!;
    // What runs is what the caller loaded: a changed plugin gets a new worker with its new source.
    if (slot.state !== 'unloaded' && slot.loadedFingerprint !== head.plugin.fingerprint) this.endWorker(slot, 'the plugin changed');
    if (slot.state === 'unloaded') {
      this.load(slot, head.plugin);
      return;
    }
    if (slot.state === 'loading') return;
    const pending = slot.queue.shift()!;
    const active: Active = {
      ...pending,
      generation: slot.generation,
      callIds: new Set(),
      denied: undefined,
      logEntries: 0,
      usage: undefined,
      timer: setTimeout(() => this.onTimeout(slot, active), this.limits.timeoutMs),
    };
    slot.current = active;
    this.toWorker(slot, { type: 'invoke', hook: 'transform', input: pending.input, requestId: pending.requestId });
  }

  private load(slot: Slot, plugin: LoadedPlugin): void {
    slot.generation += 1;
    slot.state = 'loading';
    slot.loadedFingerprint = plugin.fingerprint;
    slot.lastLoaded = plugin;
    const generation = slot.generation;
    this.sandbox!.send({
      kind: 'load',
      plugin: slot.name,
      generation,
      source: plugin.source,
      filename: `plugin:${slot.name}/${plugin.manifest.main}`,
      limits: this.sandboxLimits(),
    });
    slot.loadTimer = setTimeout(() => {
      if (slot.generation !== generation || slot.state !== 'loading') return;
      this.endWorker(slot, 'it did not start in time');
      this.failQueue(slot, makeFailure('worker-crashed', `The plugin's worker did not start within ${LOAD_TIMEOUT_MS / 1000} s.`));
    }, LOAD_TIMEOUT_MS);
  }

  private sandboxLimits(): SandboxLimits {
    const l = this.limits;
    return {
      maxHeapMb: l.maxHeapMb,
      maxOffHeapMb: l.maxOffHeapMb,
      maxOutputBytes: l.maxOutputBytes,
      sandboxOffHeapBudgetMb: l.sandboxOffHeapBudgetMb,
      sandboxRssBudgetMb: l.sandboxRssBudgetMb,
    };
  }

  private toWorker(slot: Slot, message: HostToWorker): void {
    this.sandbox?.send({ kind: 'worker', plugin: slot.name, generation: slot.generation, message });
  }

  /** Ends the slot's worker; anything it still sends carries an old generation and is dropped. */
  private endWorker(slot: Slot, reason: string): void {
    if (slot.state !== 'unloaded' && this.sandbox?.alive) {
      this.sandbox.send({ kind: 'terminate', plugin: slot.name, generation: slot.generation, reason });
      this.expectTerminateAck(slot.name, slot.generation);
    }
    slot.generation += 1;
    slot.state = 'unloaded';
    slot.loadedFingerprint = undefined;
    this.clearSlotTimers(slot);
  }

  private expectTerminateAck(plugin: string, generation: number): void {
    const key = `${plugin}:${generation}`;
    const sandbox = this.sandbox;
    const timer = setTimeout(() => {
      this.pendingTerminates.delete(key);
      if (sandbox !== this.sandbox || !sandbox) return;
      this.detachSandbox(makeFailure('worker-crashed', `The sandbox process stopped responding (it did not confirm ending a worker within ${TERMINATE_ACK_TIMEOUT_MS / 1000} s) and was replaced.`));
      sandbox.kill('unresponsive', false);
    }, TERMINATE_ACK_TIMEOUT_MS);
    timer.unref();
    this.pendingTerminates.set(key, timer);
  }

  private clearPendingTerminates(): void {
    for (const t of this.pendingTerminates.values()) clearTimeout(t);
    this.pendingTerminates.clear();
  }

  private clearSlotTimers(slot: Slot): void {
    if (slot.loadTimer) clearTimeout(slot.loadTimer);
    if (slot.idleTimer) clearTimeout(slot.idleTimer);
    slot.loadTimer = undefined;
    slot.idleTimer = undefined;
  }

  private failQueue(slot: Slot, failure: PluginFailure): void {
    for (const p of slot.queue.splice(0)) {
      const outcome: InvokeOutcome = { ok: false, failure, durationMs: this.now() - p.queuedAt };
      p.resolve(outcome);
      this.emit(slot.name, outcome);
    }
  }

  private settle(slot: Slot, active: Active, result: { ok: true; output: string } | { ok: false; failure: PluginFailure }): void {
    if (slot.current !== active) return;
    clearTimeout(active.timer);
    slot.current = undefined;
    const durationMs = this.now() - active.queuedAt;
    const usage: InvocationUsage | undefined = active.usage && {
      ...active.usage,
      logEntries: active.logEntries,
      ...(result.ok ? { outputBytes: Buffer.byteLength(result.output, 'utf8') } : {}),
    };
    const base = usage ? { durationMs, usage } : { durationMs };
    const outcome: InvokeOutcome = result.ok ? { ok: true, output: result.output, ...base } : { ok: false, failure: result.failure, ...base };
    if (!outcome.ok) {
      const f = outcome.failure;
      this.options.logger.runtime(slot.name, 'error', `failed (${f.kind}): ${f.message}${f.detail ? ` ${f.detail}` : ''}`);
    }
    active.resolve(outcome);
    this.emit(slot.name, outcome);
    if (slot.queue.length > 0) this.drive(slot);
    else this.scheduleReap(slot);
  }

  private emit(plugin: string, outcome: InvokeOutcome): void {
    for (const l of this.outcomeListeners) {
      try {
        l({ plugin, outcome });
      } catch {
        // An observer's bug must not break the host.
      }
    }
  }

  private scheduleReap(slot: Slot): void {
    if (slot.state === 'unloaded' || this.disposed) return;
    if (slot.idleTimer) clearTimeout(slot.idleTimer);
    slot.idleTimer = setTimeout(() => {
      slot.idleTimer = undefined;
      if (slot.current || slot.queue.length > 0) return;
      this.endWorker(slot, 'idle');
      // Reaped plugins cost nothing: with no worker left, the sandbox process goes too.
      if ([...this.slots.values()].every((s) => s.state === 'unloaded') && this.sandbox) {
        this.sandbox.send({ kind: 'shutdown' });
        this.sandbox.kill('idle');
        this.sandbox = undefined;
      }
    }, this.limits.idleReapMs);
    slot.idleTimer.unref();
  }

  // ---- the sandbox process -----------------------------------------------------------------------------

  private startSandbox(): Promise<void> {
    if (this.starting) return this.starting;
    this.starting = (async () => {
      try {
        this.sandbox = await SandboxProcess.start({
          entry: this.options.sandboxEntry,
          ...(this.options.workerEntry ? { workerEntry: this.options.workerEntry } : {}),
          limits: this.sandboxLimits(),
          maxFrameBytes: hostMaxFrameBytes(this.limits.maxOutputBytes),
          onMessage: (m) => this.onSandboxMessage(m),
          onViolation: (detail) => this.onSandboxViolation(detail),
          onExit: (exit, process) => this.onSandboxExit(exit, process),
        });
        if (this.disposed) {
          this.sandbox.kill('disposed during start');
          return;
        }
      } catch (e) {
        const failure = makeFailure('worker-crashed', `The sandbox process could not be started: ${(e as Error).message}`);
        for (const slot of this.slots.values()) this.failQueue(slot, failure);
        return;
      } finally {
        this.starting = undefined;
      }
      for (const slot of this.slots.values()) this.drive(slot);
    })();
    return this.starting;
  }

  private onSandboxExit(exit: SandboxExit, process: SandboxProcess): void {
    // An exit of a process we already let go of (killed after a violation, reaped) changes nothing now.
    if (process !== this.sandbox) return;
    if (exit.intentional) {
      this.sandbox = undefined;
      return;
    }
    const kind = exit.outOfMemory ? 'memory' : 'worker-crashed';
    this.detachSandbox(
      makeFailure(kind, exit.outOfMemory ? 'A plugin ran the sandbox process out of memory; the process was restarted.' : `The sandbox process ended (${exit.reason}) and was restarted.`),
    );
  }

  private onSandboxViolation(detail: string): void {
    // The sandbox process itself misbehaved: nothing it says can be attributed safely. Let go of it now,
    // so that no new call is sent to it while it dies, and end it.
    const dying = this.sandbox;
    if (!dying) return;
    this.detachSandbox(makeFailure('protocol-violation', detail));
    dying.kill(detail, false);
  }

  /** Forgets the current sandbox process: every worker is gone, and what was running fails with `failure`. */
  private detachSandbox(failure: PluginFailure): void {
    this.sandbox = undefined;
    this.clearPendingTerminates();
    this.restarts += 1;
    for (const slot of this.slots.values()) {
      const active = slot.current;
      slot.generation += 1;
      slot.state = 'unloaded';
      slot.loadedFingerprint = undefined;
      this.clearSlotTimers(slot);
      // The plugins that were running when it went are the ones charged with it.
      if (active) this.settle(slot, active, { ok: false, failure });
    }
    // Calls still queued (a worker was loading for them) were not running: they go to the next process.
    for (const slot of this.slots.values()) this.drive(slot);
  }

  private onSandboxMessage(m: FromSandbox): void {
    if (m.kind === 'ready') return;
    const slot = this.slots.get(m.plugin);
    // The host never loaded this plugin, or never issued this generation: the sandbox is making things up.
    if (!slot || m.generation > slot.generation) {
      this.onSandboxViolation(`a message for ${slot ? 'a worker generation the host never started' : 'a plugin the host never loaded'} (${m.plugin})`);
      return;
    }
    if (m.kind === 'worker-exit' && m.reason === 'terminated') {
      const key = `${m.plugin}:${m.generation}`;
      clearTimeout(this.pendingTerminates.get(key));
      this.pendingTerminates.delete(key);
      return;
    }
    // An older generation is a worker we already replaced; what it still had in flight is dropped silently.
    if (m.generation !== slot.generation) return;
    switch (m.kind) {
      case 'loaded':
        if (slot.state === 'loading') {
          slot.state = 'ready';
          if (slot.loadTimer) clearTimeout(slot.loadTimer);
          slot.loadTimer = undefined;
          this.drive(slot);
        }
        return;
      case 'worker':
        this.onWorkerMessage(slot, m.message);
        return;
      case 'usage':
        if (slot.current && slot.current.requestId === m.requestId) slot.current.usage = { heapUsedBytes: m.heapUsedBytes, offHeapBytes: m.offHeapBytes };
        return;
      case 'limit': {
        const active = slot.current;
        if (!active || active.requestId !== m.requestId) {
          this.violation(slot, `a limit report for a request that is not running (${m.limit})`);
          return;
        }
        if (m.limit !== 'output-too-large') this.endWorker(slot, m.limit);
        this.settle(slot, active, { ok: false, failure: makeFailure(m.limit, m.detail, this.limits) });
        this.replaceWorker(slot, true);
        return;
      }
      case 'worker-exit': {
        const active = slot.current;
        this.endWorker(slot, m.reason);
        if (active) this.settle(slot, active, { ok: false, failure: makeFailure(m.reason === 'memory' ? 'memory' : 'worker-crashed', m.detail) });
        this.replaceWorker(slot, active !== undefined);
        return;
      }
    }
  }

  private onWorkerMessage(slot: Slot, raw: unknown): void {
    const parsed = WorkerToHost.safeParse(raw);
    if (!parsed.success) {
      this.violation(slot, `a malformed message: ${parsed.error.issues[0]?.message ?? 'unknown'}`);
      return;
    }
    const msg = parsed.data;
    const active = slot.current;
    if (!active || active.requestId !== msg.requestId) {
      this.violation(slot, `a message for request ${msg.requestId}, which is not running`);
      return;
    }
    switch (msg.type) {
      case 'result': {
        const out = msg.output;
        if (typeof out === 'object' && 'invalid' in out) {
          this.settle(slot, active, { ok: false, failure: makeFailure('invalid-output', `It ${out.invalid}.`) });
        } else if (typeof out === 'object' && 'tooLarge' in out) {
          this.settle(slot, active, { ok: false, failure: makeFailure('output-too-large', undefined, this.limits) });
        } else {
          const text = typeof out === 'string' ? out : out.text;
          if (Buffer.byteLength(text, 'utf8') > this.limits.maxOutputBytes) {
            this.settle(slot, active, { ok: false, failure: makeFailure('output-too-large', undefined, this.limits) });
          } else {
            this.settle(slot, active, { ok: true, output: text });
          }
        }
        return;
      }
      case 'error': {
        // The plugin's own words: shown to people, so sanitised and redacted like a log line.
        const said = sanitizeLogText(msg.message, 1000);
        // A plugin that fails after a denial it did not handle failed for want of a grant, not by crashing.
        const failure = active.denied
          ? makeFailure('permission-denied', `It needs "${active.denied}", which was not granted, and did not handle the denial (${said}).`)
          : makeFailure('plugin-error', said);
        this.settle(slot, active, { ok: false, failure });
        return;
      }
      case 'api':
        if (active.callIds.has(msg.callId)) {
          this.violation(slot, `API call ${msg.callId} twice`);
          return;
        }
        active.callIds.add(msg.callId);
        void this.answerApi(slot, active, msg.callId, msg.method, msg.args);
        return;
    }
  }

  /** A protocol violation: the invocation (if any) fails, the worker is replaced, and it counts. */
  private violation(slot: Slot, detail: string): void {
    const failure = makeFailure('protocol-violation', `The sandbox sent ${detail}.`);
    const active = slot.current;
    this.endWorker(slot, 'protocol violation');
    if (active) {
      this.settle(slot, active, { ok: false, failure });
    } else {
      this.options.logger.runtime(slot.name, 'error', `failed (protocol-violation): ${failure.message} ${failure.detail}`);
      this.emit(slot.name, { ok: false, failure, durationMs: 0 });
    }
    this.replaceWorker(slot, active !== undefined);
  }

  /**
   * A worker stopped during an invocation is replaced at once, so the plugin's next call does not wait for
   * a new one. One that misbehaved while idle is not: a worker that breaks the protocol on its own would
   * otherwise be restarted in a loop. Queued invocations always get a worker.
   */
  private replaceWorker(slot: Slot, stoppedWhileRunning: boolean): void {
    if (this.disposed || slot.state !== 'unloaded' || !this.sandbox?.alive) return;
    if (slot.queue.length > 0) {
      this.drive(slot);
      return;
    }
    if (!stoppedWhileRunning) return;
    if (slot.lastLoaded) {
      this.load(slot, slot.lastLoaded);
      this.scheduleReap(slot);
    }
  }

  private onTimeout(slot: Slot, active: Active): void {
    if (slot.current !== active) return;
    this.endWorker(slot, 'timeout');
    this.settle(slot, active, { ok: false, failure: makeFailure('timeout', undefined, this.limits) });
    this.replaceWorker(slot, true);
  }

  // ---- the plugin API ------------------------------------------------------------------------------------

  private async answerApi(slot: Slot, active: Active, callId: number, method: string, args: unknown[]): Promise<void> {
    const name = slot.name;
    const decision = this.gate.check(name, method);
    if (!decision.allowed) {
      this.options.logger.runtime(name, 'warn', `denied ${method}: ${decision.reason}`);
      active.denied = decision.permission ?? 'unknown';
      this.reply(slot, active, { type: 'api_denied', requestId: active.requestId, callId, permission: decision.permission ?? 'unknown' });
      return;
    }
    const storage = this.options.storage;
    try {
      switch (method) {
        case 'log':
          active.logEntries += 1;
          this.options.logger.plugin(name, args[0]);
          return; // fire-and-forget: api.log returns nothing to the plugin
        case 'log.dropped': {
          const n = typeof args[0] === 'number' && Number.isSafeInteger(args[0]) && args[0] > 0 ? args[0] : 0;
          active.logEntries += n;
          if (n > 0) this.options.logger.runtime(name, 'warn', `${n} more log entries from one invocation were dropped in the sandbox (at most 200 per invocation reach the log limiter)`);
          return;
        }
        case 'storage.get':
          this.replyValue(slot, active, callId, storage.get(name, args[0]));
          return;
        case 'storage.keys':
          this.replyValue(slot, active, callId, storage.keys(name));
          return;
        case 'storage.set':
          await storage.set(name, args[0], args[1]);
          this.replyValue(slot, active, callId, null);
          return;
        case 'storage.delete':
          this.replyValue(slot, active, callId, await storage.delete(name, args[0]));
          return;
        default:
          // The gate knows every method this switch does; reaching here is a gap, so deny.
          this.reply(slot, active, { type: 'api_denied', requestId: active.requestId, callId, permission: 'unknown' });
      }
    } catch (e) {
      const message = e instanceof StorageError ? e.message : 'storage failed';
      this.reply(slot, active, { type: 'api_response', requestId: active.requestId, callId, error: message });
    }
  }

  private replyValue(slot: Slot, active: Active, callId: number, value: unknown): void {
    const message: HostToWorker = value === undefined
      ? { type: 'api_response', requestId: active.requestId, callId }
      : { type: 'api_response', requestId: active.requestId, callId, result: value as never };
    this.reply(slot, active, message);
  }

  /** Answers only the invocation that asked, in the worker that asked; anything later is dropped. */
  private reply(slot: Slot, active: Active, message: HostToWorker): void {
    if (slot.current !== active || slot.generation !== active.generation) return;
    this.toWorker(slot, message);
  }
}
