// The realm micro-benchmark, run in a worker thread with the plugin worker's resource limits: where a
// fresh-realm invocation spends the worker's time. Each step mirrors src/sandbox/worker.ts (prepareRealm
// and the invoke path) with the same prelude, context options and bridge calls.
import * as vm from 'node:vm';
import { parentPort, workerData } from 'node:worker_threads';

export interface RealmBenchInput {
  prelude: string;
  pluginSource: string;
  realmConfigJson: string;
  iterations: number;
  text: string;
}

/** Per-iteration durations in ms of each step. */
export interface RealmBenchOutput {
  createContext: number[];
  prelude: number[];
  pluginScript: number[];
  invoke: number[];
  total: number[];
}

const data = workerData as RealmBenchInput;
const preludeScript = new vm.Script(data.prelude, { filename: 'plugin-runtime:realm-prelude.js' });
const checkpointScript = new vm.Script('0', { filename: 'plugin-runtime:checkpoint.js' });
const pluginScript = new vm.Script(data.pluginSource, { filename: 'plugin:bench/index.js' });
const out: RealmBenchOutput = { createContext: [], prelude: [], pluginScript: [], invoke: [], total: [] };

async function main(): Promise<void> {
  for (let i = 0; i < data.iterations; i++) {
    // Yield between calls, as the real worker does (it prepares each realm in a setImmediate): V8 and
    // Node finish a dead context's teardown from the event loop, and a tight loop would let them pile up.
    await new Promise<void>((resolve) => setImmediate(resolve));
    const t0 = performance.now();
    const context = vm.createContext(Object.create(null), {
      name: 'plugin:bench',
      codeGeneration: { strings: false, wasm: false },
      microtaskMode: 'afterEvaluate',
    });
    const t1 = performance.now();
    const setup = preludeScript.runInContext(context) as (config: string) => Record<string, (...a: unknown[]) => unknown>;
    const fns = setup(data.realmConfigJson);
    const t2 = performance.now();
    pluginScript.runInContext(context);
    const t3 = performance.now();
    fns['deliver']!(JSON.stringify({ type: 'invoke', hook: 'transform', input: { text: data.text, languageId: 'plaintext', fileName: 'bench.txt' }, requestId: i + 1 }));
    checkpointScript.runInContext(context);
    const payload = fns['drain']!();
    const finished = fns['finished']!();
    fns['memoryExceeded']!();
    const t4 = performance.now();
    if (typeof payload !== 'string' || finished !== true) throw new Error('realm bench: the invocation did not finish in one pump');
    out.createContext.push(t1 - t0);
    out.prelude.push(t2 - t1);
    out.pluginScript.push(t3 - t2);
    out.invoke.push(t4 - t3);
    out.total.push(t4 - t0);
  }
  parentPort!.postMessage(out);
}

void main();
