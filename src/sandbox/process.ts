// The sandbox process: the only process that runs plugin code. It hosts one worker thread per plugin,
// relays framed messages between the extension host (stdin/stdout) and the workers, enforces the output
// size, and watches the process's memory from its main thread, which plugin code never blocks.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Worker } from 'node:worker_threads';
import { encodeFrame, FrameDecoder, sandboxMaxForwardBytes } from '../core/host/framing';
import type { FromSandbox, HostToWorker, SandboxLimits, ToSandbox } from '../core/host/protocol';
import { isPluginName } from '../core/pluginName';
import { maxPayloadCharsFor, realmConfigFor } from './realmConfig';
import type { BootMessage, SpareBoot, WorkerBoot, WorkerPost } from './worker';

// stdout carries frames only: anything that would print there goes to stderr instead.
console.log = console.info = console.debug = (...args: unknown[]) => console.error(...args);

/** The bundled worker; tests may name another (`--worker-entry`) to play a worker that breaks the protocol. */
const INJECTED_WORKER = workerEntryFromArgv() !== undefined;
const WORKER_ENTRY = workerEntryFromArgv() ?? path.join(__dirname, 'worker.js');
let shuttingDown = false;

function workerEntryFromArgv(): string | undefined {
  const i = process.argv.indexOf('--worker-entry');
  return i >= 0 ? process.argv[i + 1] : undefined;
}
const WATCHDOG_INTERVAL_MS = 50;
/**
 * terminate() cannot interrupt a single builtin that never checks for interrupts (`new Array(2**26).fill(x)`
 * keeps allocating until V8 aborts the process, seconds later). A worker still alive this long after
 * terminate() gets the process wall at once: the sandbox kills itself and the host restarts it. Not with
 * process.exit(): that stops and joins every worker thread first, so it would wait for the very builtin that
 * cannot be stopped. The stderr line (written synchronously) tells the host why.
 */
const TERMINATE_GRACE_MS = 1000;
export const UNSTOPPABLE_WORKER_MARK = 'plugin-runtime sandbox: unstoppable worker';
/** Host → sandbox frames carry plugin sources (≤ 5 MB) and selections; bound them anyway. */
const MAX_INBOUND_FRAME_BYTES = 256 * 1024 * 1024;

interface Slot {
  plugin: string;
  generation: number;
  worker: Worker;
  limits: SandboxLimits;
  /** The requestId the worker is running, if any (the host sends one at a time per plugin). */
  busy: number | undefined;
  /** Set when we ended the worker ourselves, so its exit is not reported as a crash. */
  endedBy: 'terminate' | 'memory' | undefined;
  /** Off-heap bytes its recent invocations allocated (decaying): who to suspect when the process is too big. */
  recentOffHeapBytes: number;
}

const slots = new Map<string, Slot>();

function send(message: FromSandbox): void {
  process.stdout.write(encodeFrame(message));
}

function maxForwardBytes(limits: SandboxLimits): number {
  return sandboxMaxForwardBytes(limits.maxOutputBytes);
}

function load(plugin: string, generation: number, source: string, filename: string, limits: SandboxLimits): void {
  const old = slots.get(plugin);
  if (old) end(old, 'terminate');
  const boot: WorkerBoot = {
    plugin,
    source,
    filename,
    realmConfig: realmConfigFor(limits),
    maxPayloadChars: maxPayloadCharsFor(limits),
  };
  const worker = takeSpare(limits, boot) ?? spawnWorker(limits, boot);
  const slot: Slot = { plugin, generation, worker, limits, busy: undefined, endedBy: undefined, recentOffHeapBytes: 0 };
  slots.set(plugin, slot);
  // The next plugin (or this one's replacement after a timeout) takes a worker that is already up.
  setImmediate(() => keepSpare(limits));
  worker.on('message', (m: WorkerPost) => onWorkerMessage(slot, m));
  worker.on('error', (err: Error & { code?: string }) => {
    if (slot.endedBy !== undefined) return;
    const oom = err.code === 'ERR_WORKER_OUT_OF_MEMORY';
    slot.endedBy = oom ? 'memory' : 'terminate';
    send({
      kind: 'worker-exit',
      plugin,
      generation,
      reason: oom ? 'memory' : 'crashed',
      detail: oom ? `the plugin's heap reached its ${limits.maxHeapMb} MB limit` : String(err.message).slice(0, 500),
    });
  });
  worker.on('exit', (code) => {
    if (slots.get(plugin) === slot) slots.delete(plugin);
    if (slot.endedBy === 'terminate' || slot.endedBy === 'memory') {
      if (slot.endedBy === 'terminate') send({ kind: 'worker-exit', plugin, generation, reason: 'terminated', detail: '' });
      return;
    }
    send({ kind: 'worker-exit', plugin, generation, reason: 'crashed', detail: `the worker exited with code ${code}` });
  });
}

function spawnWorker(limits: SandboxLimits, data: WorkerBoot | SpareBoot): Worker {
  const worker = new Worker(WORKER_ENTRY, {
    workerData: data,
    resourceLimits: { maxOldGenerationSizeMb: limits.maxHeapMb, stackSizeMb: 4 },
    env: {},
    argv: [],
    execArgv: [],
    stdout: true,
    stderr: true,
    trackUnmanagedFds: true,
  });
  worker.stdout.resume();
  worker.stderr.resume();
  return worker;
}

/**
 * One spare worker, started ahead of need with the current limits and its first realm prepared: starting a
 * worker costs tens of milliseconds, handing a spare its plugin one message. Not used with an injected
 * worker script (tests), whose workers expect their plugin at start.
 */
let spare: { worker: Worker; heapMb: number; alive: boolean } | undefined;

function keepSpare(limits: SandboxLimits): void {
  if (INJECTED_WORKER || shuttingDown || (spare?.alive && spare.heapMb === limits.maxHeapMb)) return;
  if (spare) void spare.worker.terminate();
  const entry = { worker: spawnWorker(limits, { spare: true, realmConfig: realmConfigFor(limits) }), heapMb: limits.maxHeapMb, alive: true };
  entry.worker.on('error', () => {
    entry.alive = false;
  });
  entry.worker.on('exit', () => {
    entry.alive = false;
    if (spare === entry) spare = undefined;
  });
  spare = entry;
}

function takeSpare(limits: SandboxLimits, boot: WorkerBoot): Worker | undefined {
  const s = spare;
  if (!s || !s.alive || s.heapMb !== limits.maxHeapMb) return undefined;
  spare = undefined;
  s.worker.removeAllListeners('error');
  s.worker.removeAllListeners('exit');
  const message: BootMessage = { t: 'boot', boot };
  s.worker.postMessage(message);
  return s.worker;
}

function end(slot: Slot, why: 'terminate' | 'memory'): void {
  if (slot.endedBy === undefined) slot.endedBy = why;
  if (slots.get(slot.plugin) === slot) slots.delete(slot.plugin);
  let exited = false;
  slot.worker.once('exit', () => {
    exited = true;
  });
  void slot.worker.terminate();
  setTimeout(() => {
    if (exited) return;
    fs.writeSync(2, `${UNSTOPPABLE_WORKER_MARK}: the worker of ${slot.plugin} did not stop within ${TERMINATE_GRACE_MS} ms of terminate(); restarting the sandbox process\n`);
    process.kill(process.pid, 'SIGKILL');
  }, TERMINATE_GRACE_MS).unref();
}

function onWorkerMessage(slot: Slot, m: WorkerPost): void {
  if (slot.endedBy !== undefined || slots.get(slot.plugin) !== slot) return;
  const { plugin, generation } = slot;
  if (m.t === 'ready') {
    send({ kind: 'loaded', plugin, generation });
    return;
  }
  if (m.t === 'limit') {
    slot.busy = undefined;
    send({ kind: 'limit', plugin, generation, requestId: m.requestId, limit: m.limit, detail: m.detail.slice(0, 1000) });
    if (m.limit === 'memory') end(slot, 'memory');
    return;
  }
  // The payload is the realm's outbox. It is parsed here, in a realm the plugin cannot reach, and each
  // message is forwarded in its envelope; the host validates every one of them.
  let messages: unknown;
  try {
    messages = JSON.parse(m.payload);
  } catch {
    messages = undefined;
  }
  if (!Array.isArray(messages)) {
    send({ kind: 'limit', plugin, generation, requestId: m.requestId, limit: 'protocol-violation', detail: 'the realm sent something that is not a message list' });
    end(slot, 'terminate');
    return;
  }
  // Usage goes first, so the host has it when the result settles the invocation.
  if (m.finished && m.usage) slot.recentOffHeapBytes += m.usage.offHeapBytes;
  if (m.finished && m.usage) send({ kind: 'usage', plugin, generation, requestId: m.requestId, heapUsedBytes: m.usage.heapUsedBytes, offHeapBytes: m.usage.offHeapBytes });
  for (const message of messages) {
    if (isResultTooLarge(message, slot.limits.maxOutputBytes)) {
      send({ kind: 'limit', plugin, generation, requestId: m.requestId, limit: 'output-too-large', detail: 'the output exceeds the limit' });
      continue;
    }
    const frame = encodeFrame({ kind: 'worker', plugin, generation, message });
    if (frame.length > maxForwardBytes(slot.limits)) {
      send({ kind: 'limit', plugin, generation, requestId: m.requestId, limit: 'protocol-violation', detail: `a message of ${frame.length} bytes, over the ${maxForwardBytes(slot.limits)}-byte limit` });
      end(slot, 'terminate');
      return;
    }
    process.stdout.write(frame);
  }
  if (m.finished) slot.busy = undefined;
}

/** Oversized results are refused here, so they never cross to the extension host. */
function isResultTooLarge(message: unknown, maxOutputBytes: number): boolean {
  if (message === null || typeof message !== 'object') return false;
  const { type, output } = message as { type?: unknown; output?: unknown };
  return type === 'result' && typeof output === 'string' && Buffer.byteLength(output, 'utf8') > maxOutputBytes;
}

/**
 * The host is the trusted side of this channel (it validates everything coming the other way with zod); here a
 * structural check keeps a host bug from reaching a worker, without loading zod into every sandbox start.
 */
function toSandbox(raw: unknown): ToSandbox | string {
  if (raw === null || typeof raw !== 'object') return 'not an object';
  const m = raw as Record<string, unknown>;
  const named = isPluginName(m['plugin']) && Number.isSafeInteger(m['generation']);
  switch (m['kind']) {
    case 'shutdown':
      return { kind: 'shutdown' };
    case 'terminate':
      return named && typeof m['reason'] === 'string' ? (m as ToSandbox) : 'bad terminate';
    case 'load':
      return named && typeof m['source'] === 'string' && typeof m['filename'] === 'string' && isLimits(m['limits']) ? (m as ToSandbox) : 'bad load';
    case 'worker': {
      const w = m['message'] as Partial<HostToWorker> | null;
      const ok = named && w !== null && typeof w === 'object' && ['invoke', 'api_response', 'api_denied'].includes(String(w.type)) && Number.isSafeInteger(w.requestId);
      return ok ? (m as ToSandbox) : 'bad worker message';
    }
    default:
      return 'unknown kind';
  }
}

function isLimits(x: unknown): x is SandboxLimits {
  if (x === null || typeof x !== 'object') return false;
  const l = x as Record<string, unknown>;
  return ['maxHeapMb', 'maxOffHeapMb', 'maxOutputBytes', 'sandboxOffHeapBudgetMb', 'sandboxRssBudgetMb'].every((k) => Number.isSafeInteger(l[k]) && (l[k] as number) > 0);
}

/** Limits given on the command line (`--limits <json>`), so the first plugin's worker can start before it is asked for. */
function limitsFromArgv(): SandboxLimits | undefined {
  const i = process.argv.indexOf('--limits');
  if (i < 0) return undefined;
  try {
    const parsed: unknown = JSON.parse(process.argv[i + 1] ?? '');
    return isLimits(parsed) ? parsed : undefined;
  } catch {
    return undefined;
  }
}

function onHostMessage(raw: unknown): void {
  const msg = toSandbox(raw);
  if (typeof msg === 'string') {
    console.error(`plugin-runtime sandbox: ignoring a malformed message from the host: ${msg}`);
    return;
  }
  switch (msg.kind) {
    case 'load':
      load(msg.plugin, msg.generation, msg.source, msg.filename, msg.limits);
      return;
    case 'worker': {
      const slot = slots.get(msg.plugin);
      if (!slot || slot.generation !== msg.generation) return;
      if (msg.message.type === 'invoke') slot.busy = msg.message.requestId;
      slot.worker.postMessage(JSON.stringify(msg.message));
      return;
    }
    case 'terminate': {
      const slot = slots.get(msg.plugin);
      if (slot && slot.generation === msg.generation && slot.endedBy === undefined) {
        end(slot, 'terminate'); // acknowledged by the worker's exit
      } else {
        // Already gone (we ended it ourselves, or it crashed): acknowledge now; the host waits for every ack.
        send({ kind: 'worker-exit', plugin: msg.plugin, generation: msg.generation, reason: 'terminated', detail: '' });
      }
      return;
    }
    case 'shutdown':
      shutdown(0);
      return;
  }
}

/**
 * The memory watchdog. Worker resourceLimits bound each V8 heap and the realm caps its own off-heap
 * allocations; this is the backstop for anything else, measured process-wide (the RSS is the only figure
 * that includes every worker). Over budget: the workers that are running an invocation are ended as
 * `memory`; if the process stays over budget, it exits, and the host restarts it.
 */
let overBudgetTicks = 0;
/** Recent off-heap allocation that makes a worker the suspect, ahead of whoever happens to be busy. */
const SUSPECT_OFF_HEAP_BYTES = 16 * 1024 * 1024;
/** Per tick (50 ms): a half-life of about 1.7 s. */
const RECENT_DECAY = 0.98;

function watchdog(): void {
  for (const s of slots.values()) s.recentOffHeapBytes *= RECENT_DECAY;
  const rssMb = process.memoryUsage.rss() / (1024 * 1024);
  const budgets = [...slots.values()].map((s) => s.limits.sandboxRssBudgetMb);
  if (budgets.length === 0) {
    overBudgetTicks = 0;
    return;
  }
  const budget = Math.min(...budgets);
  if (rssMb <= budget) {
    overBudgetTicks = 0;
    return;
  }
  overBudgetTicks += 1;
  const over = `the sandbox process used ${Math.round(rssMb)} MB, over its ${budget} MB budget`;
  // Memory outside the V8 heap (ICU behind Intl, for one) may stay in the process after the call that made it
  // ended, so whoever is busy now is not necessarily who grew it: the worker that recently allocated the most
  // outside the heap goes first, busy or idle; only when nobody did are the busy workers ended.
  const suspect = [...slots.values()].reduce<Slot | undefined>((a, s) => (a === undefined || s.recentOffHeapBytes > a.recentOffHeapBytes ? s : a), undefined);
  const victims = suspect && suspect.recentOffHeapBytes >= SUSPECT_OFF_HEAP_BYTES ? [suspect] : [...slots.values()].filter((s) => s.busy !== undefined);
  for (const slot of victims) {
    const detail = victims.length === 1 && slot === suspect && slot.recentOffHeapBytes >= SUSPECT_OFF_HEAP_BYTES ? `${over}; this plugin recently allocated the most memory outside the heap` : over;
    send({ kind: 'worker-exit', plugin: slot.plugin, generation: slot.generation, reason: 'memory', detail });
    end(slot, 'memory');
  }
  // Terminated workers free their memory within a few ticks; if not, give up on this process.
  if (overBudgetTicks > 20) shutdown(70);
}

function shutdown(code: number): void {
  shuttingDown = true;
  if (spare) void spare.worker.terminate();
  for (const slot of slots.values()) end(slot, 'terminate');
  process.exit(code);
}

function main(): void {
  const decoder = new FrameDecoder(MAX_INBOUND_FRAME_BYTES);
  process.stdin.on('data', (chunk: Buffer) => {
    let frames: unknown[];
    try {
      frames = decoder.push(chunk);
    } catch (e) {
      console.error(`plugin-runtime sandbox: bad frame from the host (${(e as Error).message}); exiting`);
      shutdown(65);
      return;
    }
    for (const f of frames) onHostMessage(f);
  });
  // The host went away: no plugin code may outlive it.
  process.stdin.on('end', () => shutdown(0));
  process.stdin.on('error', () => shutdown(0));
  setInterval(watchdog, WATCHDOG_INTERVAL_MS);
  const limits = limitsFromArgv();
  if (limits) keepSpare(limits);
  const permission = (process as unknown as { permission?: { has?: unknown } }).permission;
  send({ kind: 'ready', pid: process.pid, permissionModel: typeof permission?.has === 'function', node: process.version });
}

main();
