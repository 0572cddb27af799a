// The worker entry point: one per plugin, inside the sandbox process. It builds a fresh de-privileged realm
// per invocation (prepared ahead of time), pumps the string-only bridge, and reports realm-level limits.
import { parentPort, workerData } from 'node:worker_threads';
import * as v8 from 'node:v8';
import * as vm from 'node:vm';
import type { RealmConfig } from './realmConfig';

declare const __REALM_PRELUDE__: string;

/** What the sandbox process hands a new worker. */
export interface WorkerBoot {
  plugin: string;
  source: string;
  filename: string;
  realmConfig: RealmConfig;
  /** Largest bridge payload (characters) the worker forwards for one pump. */
  maxPayloadChars: number;
}

/**
 * What a spare worker is started with: the realm limits only. It prepares its first realm at once, then waits
 * for a `{ t: 'boot', boot }` message naming its plugin, so a new plugin worker is ready in a message's time.
 */
export interface SpareBoot {
  spare: true;
  realmConfig: WorkerBoot['realmConfig'];
}

/** sandbox process → a spare worker: become this plugin's worker. */
export interface BootMessage {
  t: 'boot';
  boot: WorkerBoot;
}

/** worker → sandbox process. `payload` is the realm's outbox: a JSON array string, unparsed here. */
export type WorkerPost =
  | { t: 'ready' }
  | { t: 'out'; requestId: number; payload: string; finished: boolean; usage?: RealmUsage }
  | { t: 'limit'; requestId: number; limit: 'memory' | 'output-too-large' | 'protocol-violation'; detail: string };

/** What one invocation used, reported with its last message (for `plugin-runtime run --report`). */
export interface RealmUsage {
  /** V8 heap in use in this worker when the invocation ended (the realm's garbage included). */
  heapUsedBytes: number;
  /** ArrayBuffer/typed-array bytes the invocation allocated (what the realm cap counts). */
  offHeapBytes: number;
}

/** The realm's functions, as returned by the prelude's setup(); all take and return primitives. */
interface Realm {
  context: vm.Context;
  deliver(json: string): void;
  drain(): unknown;
  finished(): unknown;
  memoryExceeded(): unknown;
  offHeapCharged(): unknown;
  memoryExceededBy(): unknown;
  recordLoadError(e: unknown): void;
}

const initial = workerData as WorkerBoot | SpareBoot;
// Set by start(): a spare worker gets its plugin later, by message.
let boot: WorkerBoot;
const port = parentPort!;
const post = (m: WorkerPost): void => port.postMessage(m);

// A plugin's rejected promise that nobody handles must not reach Node's default handler, which would
// inspect the plugin's object with functions of this realm (util.inspect and its custom-inspect hook).
process.on('unhandledRejection', () => {});
// Likewise for an exception: Node's crash handler for workers util.inspect()s the thrown value, handing a
// custom inspector of the plugin's realm this realm's `inspect`. Never look at it; end the worker instead.
process.on('uncaughtException', () => {
  process.exit(70);
});

const preludeScript = new vm.Script(__REALM_PRELUDE__, { filename: 'plugin-runtime:realm-prelude.js' });
// The checkpoint script: running any script in a context with microtaskMode 'afterEvaluate' drains that
// context's own microtask queue, which is how plugin continuations run after the bridge delivers.
const checkpointScript = new vm.Script('0', { filename: 'plugin-runtime:checkpoint.js' });
let pluginScript: vm.Script | undefined;
let compileError: string | undefined;
let realmConfigJson = JSON.stringify(initial.realmConfig);

function prepareRealm(): Realm {
  // A null-prototype contextified object: nothing of this realm is on the new global's lookup path.
  const context = vm.createContext(Object.create(null), {
    name: 'plugin',
    codeGeneration: { strings: false, wasm: false },
    microtaskMode: 'afterEvaluate',
  });
  const setup = preludeScript.runInContext(context) as (config: string) => Record<string, (...a: unknown[]) => unknown>;
  const fns = setup(realmConfigJson);
  // Read once, before any plugin code runs in this context: later tampering cannot swap these.
  const realm: Realm = {
    context,
    deliver: fns['deliver'] as Realm['deliver'],
    drain: fns['drain'] as Realm['drain'],
    finished: fns['finished'] as Realm['finished'],
    memoryExceeded: fns['memoryExceeded'] as Realm['memoryExceeded'],
    offHeapCharged: fns['offHeapCharged'] as Realm['offHeapCharged'],
    memoryExceededBy: fns['memoryExceededBy'] as Realm['memoryExceededBy'],
    recordLoadError: fns['recordLoadError'] as Realm['recordLoadError'],
  };
  return realm;
}

/**
 * Runs the plugin's script in a prepared realm. This is the first plugin code a realm sees, and it runs only
 * when an invocation starts (under the host's timer): preparing ahead covers the context and the prelude,
 * never plugin code, so an idle worker never runs any (a top-level loop would otherwise spin unbounded).
 */
function evaluatePlugin(realm: Realm): void {
  if (pluginScript === undefined) {
    realm.recordLoadError(compileError ?? 'the script could not be compiled');
    return;
  }
  try {
    pluginScript.runInContext(realm.context);
  } catch (e) {
    // `e` belongs to the plugin's realm: it is handed back to that realm's own describer, never read here.
    realm.recordLoadError(e);
  }
}

let next: Realm | undefined;
let current: { realm: Realm; requestId: number } | undefined;

/**
 * A full collection of this worker's heap. ICU objects behind Intl keep memory V8 neither counts nor sees, so
 * it does not collect them in time: a plugin that leaves such garbage on every call, each time under its cap,
 * would grow the process until the watchdog stops whoever is busy. After a call that charged this much, the
 * worker collects before preparing the next realm (off the caller's path). `gc` is taken for this realm only:
 * the flag is on for one context's creation, and the prelude deletes `gc` from every plugin realm regardless.
 */
const COLLECT_AFTER_CHARGED_BYTES = 8 * 1024 * 1024;
const collectGarbage: (() => void) | undefined = (() => {
  try {
    v8.setFlagsFromString('--expose-gc');
    const gc = vm.runInNewContext('gc') as unknown;
    return typeof gc === 'function' ? (gc as () => void) : undefined;
  } catch {
    return undefined;
  } finally {
    v8.setFlagsFromString('--no-expose-gc');
  }
})();

function retire(charged = 0): void {
  current = undefined;
  // Prepare the next fresh realm now, off the caller's critical path.
  setImmediate(() => {
    if (charged > COLLECT_AFTER_CHARGED_BYTES && collectGarbage) collectGarbage();
    if (next === undefined) next = prepareRealm();
  });
}

function pump(): void {
  if (current === undefined) return;
  const { realm, requestId } = current;
  checkpointScript.runInContext(realm.context);
  const payload = realm.drain();
  const exceeded = realm.memoryExceeded();
  const finished = realm.finished();
  if (exceeded === true) {
    // Fails as `memory` even when the plugin caught the allocation error and answered.
    const detail = realm.memoryExceededBy() === 'string'
      ? `a string longer than its ${boot.realmConfig.maxStringChars / 1048576} MB heap`
      : `more than ${boot.realmConfig.maxOffHeapBytes} bytes of memory outside the heap (ArrayBuffers, typed arrays, Intl objects)`;
    post({ t: 'limit', requestId, limit: 'memory', detail });
    retire(Number(realm.offHeapCharged()));
    return;
  }
  if (typeof payload !== 'string' || typeof finished !== 'boolean') {
    post({ t: 'limit', requestId, limit: 'protocol-violation', detail: 'the realm bridge returned a non-string' });
    retire();
    return;
  }
  if (payload.length > boot.maxPayloadChars) {
    post({ t: 'limit', requestId, limit: 'output-too-large', detail: `the plugin sent ${payload.length} characters at once` });
    retire();
    return;
  }
  if (finished) {
    const charged = realm.offHeapCharged();
    const heap = v8.getHeapStatistics();
    // V8 checks the heap limit when it collects, not on each allocation: one large allocation (a flattened
    // string of hundreds of MB) can overshoot it and the plugin may answer before the next collection.
    // Over V8's own limit at the end of an invocation is a memory failure, whatever the plugin answered.
    if (heap.used_heap_size > heap.heap_size_limit) {
      post({ t: 'limit', requestId, limit: 'memory', detail: `the plugin's heap reached ${Math.round(heap.used_heap_size / 1048576)} MB, over its limit` });
      current = undefined;
      // This isolate is over its limit: the sandbox ends the worker; no next realm is prepared here.
      return;
    }
    const usage: RealmUsage = { heapUsedBytes: heap.used_heap_size, offHeapBytes: typeof charged === 'number' ? charged : 0 };
    post({ t: 'out', requestId, payload, finished, usage });
  } else if (payload !== '[]') {
    post({ t: 'out', requestId, payload, finished });
  }
  if (finished) retire(Number(realm.offHeapCharged()));
}

/** Takes on a plugin: compiles its script once (every fresh realm runs the same compiled script). */
function start(b: WorkerBoot): void {
  boot = b;
  try {
    pluginScript = new vm.Script(boot.source, { filename: boot.filename });
  } catch (e) {
    compileError = `${(e as Error).name}: ${(e as Error).message}`;
  }
  const config = JSON.stringify(boot.realmConfig);
  if (config !== realmConfigJson) {
    // A spare prepared its realm for other limits: prepare again for these.
    realmConfigJson = config;
    next = undefined;
  }
  post({ t: 'ready' });
  if (next === undefined) next = prepareRealm();
}

port.on('message', (data: unknown) => {
  if (typeof data !== 'string') {
    const m = data as Partial<BootMessage> | null;
    if (boot === undefined && m !== null && typeof m === 'object' && m.t === 'boot' && m.boot) start(m.boot);
    return;
  }
  if (boot === undefined) return;
  let type: unknown;
  let requestId: unknown;
  try {
    const parsed = JSON.parse(data) as { type?: unknown; requestId?: unknown };
    type = parsed.type;
    requestId = parsed.requestId;
  } catch {
    return;
  }
  if (typeof requestId !== 'number') return;
  if (type === 'invoke') {
    if (current !== undefined) return; // one invocation at a time; the host queues
    const realm = next ?? prepareRealm();
    next = undefined;
    current = { realm, requestId };
  } else if (current === undefined || current.requestId !== requestId) {
    return; // an answer for an invocation that already ended: its realm is gone
  }
  const { realm } = current;
  try {
    if (type === 'invoke') evaluatePlugin(realm);
    realm.deliver(data);
    pump();
  } catch {
    // Realm functions take and return primitives and catch what the plugin throws; getting here means the
    // realm was subverted. The thrown value belongs to the plugin's realm: it is dropped unread.
    post({ t: 'limit', requestId, limit: 'protocol-violation', detail: 'the realm bridge threw' });
    retire();
  }
});

if ('spare' in initial) {
  // A spare: the realm is ready before any plugin is; the sandbox sends the plugin when it needs a worker.
  next = prepareRealm();
} else {
  start(initial);
}
