// Profiles the real sandbox process (dist/sandbox.js) under `node --cpu-prof`. PluginHost starts it with a
// fixed, minimal environment and flags, so no profiler flag can reach it that way: this drives the bundle
// directly with the host's protocol (load, then invokes one at a time per plugin, as PluginHost does) and
// summarises the profile of its main thread. Its workers are started with `execArgv: []`, so they are not
// profiled: the realm micro-benchmark (bench/realmWorker.ts, profiled with the bench) covers them.
// Node's permission model would keep the profiler from writing its file, so it runs without those flags.
//   node out/bench/profileSandbox.js [--seconds S] [--bytes N] [--plugins P] [--out DIR]
import * as fs from 'node:fs';
import * as path from 'node:path';
import { REPO_ROOT, assertBuilt } from './hosts';
import { ECHO_SOURCE, textOfSize } from './plugins';
import { renderProfileSummary, summarizeProfile } from './profileSummary';
import { SandboxDriver } from './sandboxDriver';

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

async function main(): Promise<void> {
  assertBuilt();
  const o = parseArgs(process.argv.slice(2));
  const dir = path.join(o.outDir, `sandbox-${Date.now()}`);
  fs.mkdirSync(dir, { recursive: true });
  const driver = await SandboxDriver.start(['--cpu-prof', `--cpu-prof-dir=${dir}`, '--disallow-code-generation-from-strings', '--max-old-space-size=256']);
  const names = Array.from({ length: o.plugins }, (_, i) => `profile-${i + 1}`);
  for (const plugin of names) await driver.load(plugin, ECHO_SOURCE);
  const text = textOfSize(o.bytes);
  let calls = 0;
  const end = performance.now() + o.seconds * 1000;
  const lane = async (plugin: string) => {
    while (performance.now() < end) {
      await driver.invoke(plugin, text);
      calls += 1;
    }
  };
  const t0 = performance.now();
  await Promise.all(names.map(lane));
  const elapsed = performance.now() - t0;
  await driver.shutdown();
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
