// Profiles the real plugin worker (dist/worker.js): the sandbox starts its workers with `execArgv: []`, so
// they are never profiled there. This runs the same bundle in a worker of a child process started with
// `--cpu-prof` (workers inherit it), with the sandbox's boot data and resource limits, drives it with the
// sandbox's messages (invoke JSON strings, one at a time), and summarises the worker thread's profile.
//   node out/bench/profileWorker.js [--seconds S] [--bytes N] [--out DIR]
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Worker } from 'node:worker_threads';
import { DEFAULT_LIMITS } from '../src/core/limits';
import type { WorkerBoot } from '../src/sandbox/worker';
import { maxPayloadCharsFor, realmConfigFor } from '../src/sandbox/realmConfig';
import { REPO_ROOT, assertBuilt } from './hosts';
import { ECHO_SOURCE, textOfSize } from './plugins';
import { renderProfileSummary, summarizeProfile } from './profileSummary';

const HARNESS_FLAG = '--harness';

function option(name: string, fallback: string): string {
  const i = process.argv.indexOf(name);
  return i >= 0 && process.argv[i + 1] !== undefined ? process.argv[i + 1]! : fallback;
}

/** In the profiled child: one worker of dist/worker.js, booted as src/sandbox/process.ts boots it. */
async function harness(): Promise<void> {
  const seconds = Number(option('--seconds', '5'));
  const text = textOfSize(Number(option('--bytes', '100')));
  const boot: WorkerBoot = {
    plugin: 'profile',
    source: ECHO_SOURCE,
    filename: 'plugin:profile/index.js',
    realmConfig: realmConfigFor(DEFAULT_LIMITS),
    maxPayloadChars: maxPayloadCharsFor(DEFAULT_LIMITS),
  };
  const worker = new Worker(path.join(REPO_ROOT, 'dist', 'worker.js'), {
    workerData: boot,
    resourceLimits: { maxOldGenerationSizeMb: DEFAULT_LIMITS.maxHeapMb, stackSizeMb: 4 },
    env: {},
    argv: [],
    stdout: true,
    stderr: true,
  });
  worker.stdout.resume();
  worker.stderr.resume();
  let waiting: ((m: { t: string; requestId?: number; finished?: boolean }) => void) | undefined;
  worker.on('message', (m: { t: string; requestId?: number; finished?: boolean }) => waiting?.(m));
  const next = (pred: (m: { t: string; requestId?: number; finished?: boolean }) => boolean) =>
    new Promise<void>((resolve) => {
      waiting = (m) => {
        if (pred(m)) resolve();
      };
    });
  await next((m) => m.t === 'ready');
  let requestId = 0;
  const end = performance.now() + seconds * 1000;
  const t0 = performance.now();
  while (performance.now() < end) {
    requestId += 1;
    const id = requestId;
    const done = next((m) => m.t === 'out' && m.requestId === id && m.finished === true);
    worker.postMessage(JSON.stringify({ type: 'invoke', hook: 'transform', input: { text, languageId: 'plaintext', fileName: 'bench.txt' }, requestId: id }));
    await done;
  }
  const elapsed = performance.now() - t0;
  await worker.terminate();
  process.stdout.write(`${requestId} calls in ${Math.round(elapsed)} ms (${Math.round((requestId * 1000) / elapsed)} calls/s) through dist/worker.js alone, ${text.length} B input\n\n`);
}

function main(): void {
  assertBuilt();
  const outDir = path.resolve(option('--out', path.join(REPO_ROOT, 'bench', 'results', 'profiles')));
  const dir = path.join(outDir, `worker-${Date.now()}`);
  fs.mkdirSync(dir, { recursive: true });
  const args = ['--cpu-prof', `--cpu-prof-dir=${dir}`, __filename, HARNESS_FLAG, '--seconds', option('--seconds', '5'), '--bytes', option('--bytes', '100')];
  const run = spawnSync(process.execPath, args, { stdio: ['ignore', 'inherit', 'inherit'], env: { ...process.env, NODE_OPTIONS: '' } });
  if (run.status !== 0) throw new Error(`the profiled harness failed (${run.status ?? run.signal})`);
  // The worker's profile is the one whose thread id (the part after the pid) is not 0.
  for (const f of fs.readdirSync(dir).filter((x) => /\.cpuprofile$/.test(x) && !/\.\d+\.0\.\d+\.cpuprofile$/.test(x))) {
    process.stdout.write(`${renderProfileSummary(summarizeProfile(path.join(dir, f), 25))}\n\n`);
  }
  process.stdout.write(`profiles in ${path.relative(process.cwd(), dir)}\n`);
}

if (process.argv.includes(HARNESS_FLAG)) {
  harness().catch((e: unknown) => {
    process.stderr.write(`harness failed: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
    process.exitCode = 1;
  });
} else {
  main();
}
