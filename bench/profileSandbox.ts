// Profiles the real sandbox process (dist/sandbox.js) under `node --cpu-prof`. PluginHost starts it with a
// fixed, minimal environment and flags, so no profiler flag can reach it that way: this drives the bundle
// directly with the host's protocol (load, then invokes one at a time per plugin, as PluginHost does) and
// summarises the profile of its main thread. Its workers are started with `execArgv: []`, so they are not
// profiled: the realm micro-benchmark (bench/realmWorker.ts, profiled with the bench) covers them.
// Node's permission model would keep the profiler from writing its file, so it runs without those flags.
//   node out/bench/profileSandbox.js [--seconds S] [--bytes N] [--plugins P] [--out DIR]
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { encodeFrame, FrameDecoder } from '../src/core/host/framing';
import { DEFAULT_LIMITS } from '../src/core/limits';
import { REPO_ROOT, SANDBOX_ENTRY, assertBuilt } from './hosts';
import { ECHO_SOURCE, textOfSize } from './plugins';
import { renderProfileSummary, summarizeProfile } from './profileSummary';

interface Options {
  seconds: number;
  bytes: number;
  plugins: number;
  outDir: string;
}

function parseArgs(argv: string[]): Options {
  const o: Options = { seconds: 5, bytes: 100, plugins: 1, outDir: path.join(REPO_ROOT, 'bench', 'results', 'profiles') };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const v = argv[i + 1];
    if (a === '--seconds') o.seconds = Number(v);
    else if (a === '--bytes') o.bytes = Number(v);
    else if (a === '--plugins') o.plugins = Number(v);
    else if (a === '--out') o.outDir = path.resolve(v ?? '.');
    else throw new Error(`unknown argument ${a}`);
    i++;
  }
  return o;
}

type Frame = { kind: string; plugin?: string; message?: { type?: string; requestId?: number } };

async function main(): Promise<void> {
  assertBuilt();
  const o = parseArgs(process.argv.slice(2));
  const dir = path.join(o.outDir, `sandbox-${Date.now()}`);
  fs.mkdirSync(dir, { recursive: true });
  const child = spawn(process.execPath, ['--cpu-prof', `--cpu-prof-dir=${dir}`, '--disallow-code-generation-from-strings', '--max-old-space-size=256', SANDBOX_ENTRY], {
    stdio: ['pipe', 'pipe', 'inherit'],
    env: { NODE_OPTIONS: '' },
  });
  const decoder = new FrameDecoder(256 * 1024 * 1024);
  const waiters = new Map<string, (f: Frame) => void>();
  const waitFor = (key: string) => new Promise<Frame>((resolve) => waiters.set(key, resolve));
  child.stdout!.on('data', (chunk: Buffer) => {
    for (const f of decoder.push(chunk) as Frame[]) {
      const key = f.kind === 'worker' ? `result:${f.plugin}:${f.message?.requestId}` : f.kind === 'loaded' ? `loaded:${f.plugin}` : f.kind;
      const w = waiters.get(key);
      waiters.delete(key);
      w?.(f);
    }
  });
  const send = (m: unknown) => child.stdin!.write(encodeFrame(m));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  await waitFor('ready');
  const names = Array.from({ length: o.plugins }, (_, i) => `profile-${i + 1}`);
  const limits = {
    maxHeapMb: DEFAULT_LIMITS.maxHeapMb,
    maxOffHeapMb: DEFAULT_LIMITS.maxOffHeapMb,
    maxOutputBytes: DEFAULT_LIMITS.maxOutputBytes,
    sandboxOffHeapBudgetMb: DEFAULT_LIMITS.sandboxOffHeapBudgetMb,
    sandboxRssBudgetMb: DEFAULT_LIMITS.sandboxRssBudgetMb,
  };
  for (const plugin of names) {
    const loaded = waitFor(`loaded:${plugin}`);
    send({ kind: 'load', plugin, generation: 1, source: ECHO_SOURCE, filename: `plugin:${plugin}/index.js`, limits });
    await loaded;
  }
  const input = { text: textOfSize(o.bytes), languageId: 'plaintext', fileName: 'bench.txt' };
  let requestId = 0;
  let calls = 0;
  const end = performance.now() + o.seconds * 1000;
  const lane = async (plugin: string) => {
    while (performance.now() < end) {
      requestId += 1;
      const done = waitFor(`result:${plugin}:${requestId}`);
      send({ kind: 'worker', plugin, generation: 1, message: { type: 'invoke', hook: 'transform', input, requestId } });
      await done;
      calls += 1;
    }
  };
  const t0 = performance.now();
  await Promise.all(names.map(lane));
  const elapsed = performance.now() - t0;
  send({ kind: 'shutdown' });
  await exited;
  process.stdout.write(`${calls} calls in ${Math.round(elapsed)} ms (${Math.round((calls * 1000) / elapsed)} calls/s), ${o.plugins} plugin(s), ${o.bytes} B input\n\n`);
  for (const f of fs.readdirSync(dir).filter((x) => x.endsWith('.cpuprofile'))) {
    process.stdout.write(`${renderProfileSummary(summarizeProfile(path.join(dir, f)))}\n\n`);
  }
  process.stdout.write(`profiles in ${path.relative(process.cwd(), dir)}\n`);
}

main().catch((e: unknown) => {
  process.stderr.write(`profileSandbox failed: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
  process.exitCode = 1;
});
