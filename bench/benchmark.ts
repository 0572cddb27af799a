// The benchmark as a function: runs the sections of a mode, owns every host, process and worker it starts
// (all ended before it returns, even on failure), and returns the results with the targets judged.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { CONFIGS, SECTIONS, type BenchMode, type Section } from './config';
import { measureCpu } from './cpu';
import { HostPool, REPO_ROOT, assertBuilt } from './hosts';
import { measureFirstInvocation, measureTimeout } from './lifecycle';
import { measureLatency, measureThroughput } from './latency';
import { measureAttacks, measureMemory } from './memory';
import { BenchPlugins } from './plugins';
import { measureRealm } from './realm';
import { describeMachine, judgeTargets, type BenchResults, type Figures, type VscodeFigures } from './results';
import { round } from './stats';

export const DEFAULT_VSCODE_FILE = path.join(REPO_ROOT, 'bench', 'results', 'vscode.json');

export interface BenchOptions {
  mode: BenchMode;
  /** Run only these sections (all when absent). */
  only?: readonly Section[];
  /** Where the integration suite's figures are looked for. */
  vscodeFile?: string;
  log?: (line: string) => void;
}

export async function runBenchmark(options: BenchOptions): Promise<BenchResults> {
  assertBuilt();
  const config = CONFIGS[options.mode];
  const log = options.log ?? (() => {});
  const wanted = new Set<Section>(options.only ?? SECTIONS);
  const loadavgStart = os.loadavg();
  const started = performance.now();
  const pool = new HostPool();
  const plugins = new BenchPlugins();
  const load: BenchResults['load'] = [];
  const figures: Figures = { vscode: readVscode(options.vscodeFile ?? DEFAULT_VSCODE_FILE) };
  const section = async <T>(name: Section, run: () => Promise<T>): Promise<T | undefined> => {
    if (!wanted.has(name)) return undefined;
    log(`${name}…`);
    const value = await run();
    load.push({ section: name, loadavg1: round(os.loadavg()[0]!, 2) });
    return value;
  };
  try {
    figures.realm = await section('realm', () => measureRealm(config, log));
    figures.latency = await section('latency', () => measureLatency(config, pool, plugins, log));
    figures.throughput = await section('throughput', () => measureThroughput(config, pool, plugins, log));
    figures.cpu = await section('cpu', () => measureCpu(config, pool, plugins, log));
    figures.firstInvocation = await section('first', () => measureFirstInvocation(config, pool, plugins, log));
    figures.timeout = await section('timeout', () => measureTimeout(config, pool, plugins, log));
    figures.memory = await section('memory', () => measureMemory(config, pool, plugins, log));
    figures.attacks = await section('attacks', () => measureAttacks(config, pool, plugins, log));
  } finally {
    await pool.disposeAll();
    plugins.dispose();
  }
  return {
    schema: 1,
    mode: options.mode,
    date: new Date().toISOString(),
    durationS: round((performance.now() - started) / 1000, 1),
    reproduce: options.mode === 'full' ? 'npm run bench' : `npm run bench -- --${options.mode}`,
    machine: describeMachine(loadavgStart),
    load,
    figures,
    targets: judgeTargets(figures),
  };
}

/** The integration suite's figures, if it left them (PLUGIN_RUNTIME_BENCH_OUT), else why not. */
export function readVscode(file: string): VscodeFigures {
  if (!fs.existsSync(file)) return { measured: false, note: 'not measured in this run' };
  try {
    return { measured: true, file: path.relative(REPO_ROOT, file), data: JSON.parse(fs.readFileSync(file, 'utf8')) as unknown };
  } catch (e) {
    return { measured: false, note: `not measured in this run (${path.relative(REPO_ROOT, file)} is unreadable: ${(e as Error).message})` };
  }
}
