// The realm micro-benchmark's driver: compiles the realm prelude exactly as esbuild.js does, runs
// realmWorker.js in a worker with the plugin worker's resource limits, and summarises each step.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Worker } from 'node:worker_threads';
import { transform } from 'esbuild';
import { DEFAULT_LIMITS } from '../src/core/limits';
import { realmConfigFor } from '../src/sandbox/realmConfig';
import type { BenchConfig } from './config';
import { REPO_ROOT } from './hosts';
import { ECHO_SOURCE, textOfSize } from './plugins';
import type { RealmBenchInput, RealmBenchOutput } from './realmWorker';
import { round, summarizeRounds, type Summary } from './stats';

export interface RealmResults {
  /** vm.createContext with the worker's options (the per-context bootstrap Node runs for each). */
  createContext: Summary;
  /** Running the prelude and its setup() in the new context: caps, bridge, frozen API. */
  prelude: Summary;
  /** Running the plugin's compiled script in it (module.exports). */
  pluginScript: Summary;
  /** The invocation itself in a prepared realm: deliver, microtask checkpoint, drain. */
  invoke: Summary;
  /** All four: the worker CPU one fresh-realm call costs. */
  total: Summary;
  /** Mean of all totals, GC pauses included: what sustained load pays per call. */
  totalMeanMs: number;
  /** 1000 ÷ mean total: the most calls per second one plugin's worker can make with a fresh realm per call. */
  workerBoundCallsPerSecond: number;
}

async function compilePrelude(): Promise<string> {
  const file = path.join(REPO_ROOT, 'src', 'sandbox', 'realm-prelude.ts');
  const source = fs.readFileSync(file, 'utf8');
  const result = await transform(source, { loader: 'ts', target: 'es2022', sourcefile: 'realm-prelude.ts' });
  return result.code;
}

function runWorker(data: RealmBenchInput): Promise<RealmBenchOutput> {
  return new Promise((resolve, reject) => {
    const worker = new Worker(path.join(__dirname, 'realmWorker.js'), {
      workerData: data,
      resourceLimits: { maxOldGenerationSizeMb: 64, stackSizeMb: 4 },
    });
    let result: RealmBenchOutput | undefined;
    worker.once('message', (m: RealmBenchOutput) => (result = m));
    worker.once('error', reject);
    worker.once('exit', (code) => (result ? resolve(result) : reject(new Error(`realm bench worker exited with code ${code}`))));
  });
}

export async function measureRealm(config: BenchConfig, log: (line: string) => void): Promise<RealmResults> {
  const prelude = await compilePrelude();
  const warmUp = Math.min(50, Math.floor(config.realmIterations / 2));
  const steps = { createContext: [] as number[][], prelude: [] as number[][], pluginScript: [] as number[][], invoke: [] as number[][], total: [] as number[][] };
  for (let r = 0; r < config.realmRounds; r++) {
    const out = await runWorker({
      prelude,
      pluginSource: ECHO_SOURCE,
      realmConfigJson: JSON.stringify(realmConfigFor(DEFAULT_LIMITS)),
      iterations: config.realmIterations + warmUp,
      text: textOfSize(100),
    });
    for (const key of Object.keys(steps) as (keyof typeof steps)[]) steps[key].push(out[key].slice(warmUp));
    log(`  realm micro-benchmark: round ${r + 1}/${config.realmRounds} done`);
  }
  const total = summarizeRounds(steps.total, 'ms');
  const all = steps.total.flat();
  const mean = all.reduce((a, b) => a + b, 0) / all.length;
  return {
    createContext: summarizeRounds(steps.createContext, 'ms'),
    prelude: summarizeRounds(steps.prelude, 'ms'),
    pluginScript: summarizeRounds(steps.pluginScript, 'ms'),
    invoke: summarizeRounds(steps.invoke, 'ms'),
    total,
    totalMeanMs: round(mean),
    workerBoundCallsPerSecond: round(1000 / mean, 0),
  };
}
