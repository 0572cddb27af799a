// Memory: the sandbox process's resident set idle, per additional warm plugin and after idle reaping (read
// from /proc/<pid>/status, the pid from host.status()), and the host's own RSS across the memory attacks.
import * as v8 from 'node:v8';
import * as vm from 'node:vm';
import type { PluginHost } from '../src/core/host/pluginHost';
import type { LoadedPlugin } from '../src/core/manifest';
import type { BenchConfig } from './config';
import { inputOf, invokeOk, processExists, rssMbOf, type HostPool } from './hosts';
import { ATTACK_SOURCES, ECHO_SOURCE, textOfSize, type AttackName, type BenchPlugins } from './plugins';
import { round, sleep, summarizeRounds, summarizeValues, type Summary } from './stats';

/** One sample per round: the spread is then the range of the samples. */
const perSample = (values: number[]): Summary => summarizeRounds(values.map((v) => [v]), 'ms');

export interface MemoryResults {
  /** Whether RSS could be read at all (Linux /proc). */
  available: boolean;
  /** Sandbox process RSS with one warm, idle plugin. */
  idleOnePlugin: Summary;
  /** Least-squares slope of sandbox RSS over 1..N warm idle plugins. */
  perAdditionalPlugin: Summary;
  /** RSS by number of warm plugins, median over rounds. */
  byPluginCount: { plugins: number; rssMb: number }[];
  reaping: {
    idleReapMs: number;
    /** RSS with one plugin kept busy, before the others were warmed. */
    onePluginMb: Summary;
    /** RSS with four warm plugins. */
    fourPluginsMb: Summary;
    /** RSS after three of the four were reaped for idleness (the fourth kept busy). */
    afterPartialReapMb: Summary;
    /** afterPartialReap − onePlugin: what reaped plugins still cost. */
    partialReapResidueMb: Summary;
    /** With every plugin reaped the host ends the sandbox process: did it, and how long after the last call. */
    processEndedAfterFullReap: boolean;
    fullReapAfterMs: Summary;
  };
}

export interface AttackResults {
  /** Host (this process) RSS after a GC, before the counted rounds and after each. */
  hostRssMb: number[];
  /** Last reading − first: must stay flat. */
  hostGrowthMb: number;
  /** Host heap used after a GC, first and last. */
  hostHeapUsedMb: [number, number];
  /** How each attack was stopped (failure kinds seen) and the time to its failure. */
  attacks: Record<AttackName, { kinds: string[]; failure: Summary }>;
  /** The next call of a well-behaved plugin after each attack: recovery, including any process restart. */
  recovery: Summary;
  sandboxRestarts: number;
  /**
   * The heap bomb under the real 200 ms limit, then a well-behaved plugin called every 50 ms: does the
   * stopped bomb keep hurting others? (The time limit rejects it, but terminate() may not end its worker.)
   */
  underRealLimit: CollateralProbe[] | null;
}

export interface CollateralProbe {
  /** How the heap bomb's own invocation ended, and when. */
  bombFailedAs: string;
  bombMs: number;
  /** The well-behaved plugin's calls until the sandbox process was replaced (or the probe gave up). */
  goodCalls: number;
  goodFailures: Record<string, number>;
  /** When the sandbox process was replaced, counted from the bomb's rejection; null if not within the probe. */
  sandboxReplacedAfterMs: number | null;
  probeMs: number;
}

/** A GC on demand, without starting Node with --expose-gc. */
function gcFunction(): () => void {
  v8.setFlagsFromString('--expose-gc');
  const gc = vm.runInNewContext('gc') as () => void;
  return gc;
}

function sandboxPid(host: PluginHost): number {
  const pid = host.status().sandbox?.pid;
  if (pid === undefined) throw new Error('bench: the sandbox process is not running');
  return pid;
}

/** Waits for a condition without blocking the host's event loop; false when the deadline passed. */
async function until(cond: () => boolean, deadlineMs: number): Promise<boolean> {
  const end = performance.now() + deadlineMs;
  while (!cond()) {
    if (performance.now() > end) return false;
    await sleep(20);
  }
  return true;
}

/** Lets the worker prepare its next realm and settle before the RSS is read. */
const SETTLE_MS = 400;

export async function measureMemory(config: BenchConfig, pool: HostPool, plugins: BenchPlugins, log: (line: string) => void): Promise<MemoryResults> {
  const input = inputOf(textOfSize(100));
  const warmPlugins = Array.from({ length: config.memoryPlugins }, (_, i) => plugins.write(`bench-mem-${i + 1}`, ECHO_SOURCE));
  const reapPlugins = [1, 2, 3, 4].map((i) => plugins.write(`bench-reap-${i}`, ECHO_SOURCE));
  const byCount: number[][] = warmPlugins.map(() => []);
  const slopes: number[] = [];
  const reap = { one: [] as number[], four: [] as number[], partial: [] as number[], residue: [] as number[], fullReapAfter: [] as number[] };
  let processEnded = true;
  let available = true;

  for (let r = 0; r < config.memoryRounds; r++) {
    // Per-plugin cost: warm 1..N plugins on one host, reading the RSS after each has gone idle.
    const host = pool.create();
    try {
      const readings: number[] = [];
      for (const p of warmPlugins) {
        await invokeOk(host, p, input);
        await sleep(SETTLE_MS);
        const rss = rssMbOf(sandboxPid(host));
        if (rss === undefined) available = false;
        readings.push(rss ?? Number.NaN);
      }
      readings.forEach((mb, i) => byCount[i]!.push(mb));
      slopes.push(slope(readings));
    } finally {
      await pool.dispose(host);
    }

    // Reaping: four warm plugins, one kept busy; the other three are reaped, then the last one too.
    const idleReapMs = 1000;
    const reapHost = pool.create({ idleReapMs });
    try {
      const [busy, ...others] = reapPlugins as [LoadedPlugin, ...LoadedPlugin[]];
      let keepBusy = true;
      await invokeOk(reapHost, busy, input);
      const keeper = (async () => {
        while (keepBusy) {
          await invokeOk(reapHost, busy, input);
          await sleep(150);
        }
      })();
      await sleep(SETTLE_MS);
      const pid = sandboxPid(reapHost);
      reap.one.push(rssMbOf(pid) ?? Number.NaN);
      for (const p of others) await invokeOk(reapHost, p, input);
      await sleep(SETTLE_MS);
      reap.four.push(rssMbOf(pid) ?? Number.NaN);
      const reaped = await until(() => reapHost.status().loadedWorkers === 1, idleReapMs * 5);
      if (!reaped) throw new Error('bench: idle plugins were not reaped');
      await sleep(SETTLE_MS);
      const partial = rssMbOf(pid) ?? Number.NaN;
      reap.partial.push(partial);
      reap.residue.push(partial - reap.one[reap.one.length - 1]!);
      keepBusy = false;
      await keeper;
      const lastCall = performance.now();
      const ended = await until(() => reapHost.status().sandbox === undefined && !processExists(pid), idleReapMs * 5);
      if (!ended) processEnded = false;
      reap.fullReapAfter.push(performance.now() - lastCall);
    } finally {
      await pool.dispose(reapHost);
    }
    log(`  memory: round ${r + 1}/${config.memoryRounds} done`);
  }

  const mb = (values: number[]) => summarizeValues(values, 'MB');
  return {
    available,
    idleOnePlugin: mb(byCount[0]!),
    perAdditionalPlugin: mb(slopes),
    byPluginCount: byCount.map((values, i) => ({ plugins: i + 1, rssMb: summarizeValues(values, 'MB').median })),
    reaping: {
      idleReapMs: 1000,
      onePluginMb: mb(reap.one),
      fourPluginsMb: mb(reap.four),
      afterPartialReapMb: mb(reap.partial),
      partialReapResidueMb: mb(reap.residue),
      processEndedAfterFullReap: processEnded,
      fullReapAfterMs: summarizeValues(reap.fullReapAfter, 'ms'),
    },
  };
}

/** Least-squares slope of y over x = 1..n. */
function slope(ys: number[]): number {
  const n = ys.length;
  if (n < 2) return Number.NaN;
  const xs = ys.map((_, i) => i + 1);
  const mx = xs.reduce((a, b) => a + b, 0) / n;
  const my = ys.reduce((a, b) => a + b, 0) / n;
  let num = 0;
  let den = 0;
  for (let i = 0; i < n; i++) {
    num += (xs[i]! - mx) * (ys[i]! - my);
    den += (xs[i]! - mx) ** 2;
  }
  return num / den;
}

export async function measureAttacks(config: BenchConfig, pool: HostPool, plugins: BenchPlugins, log: (line: string) => void): Promise<AttackResults> {
  const gc = gcFunction();
  // The heap bomb takes the whole sandbox process down (fatal OOM), after seconds of GC on a busy machine;
  // a long limit lets it get there instead of being stopped by the timer.
  const host = pool.create({ timeoutMs: 30_000 });
  const good = plugins.write('bench-after-attack', ECHO_SOURCE);
  const attackers = Object.fromEntries((Object.keys(ATTACK_SOURCES) as AttackName[]).map((name) => [name, plugins.write(`bench-${name}`, ATTACK_SOURCES[name])])) as Record<AttackName, LoadedPlugin>;
  const input = inputOf(textOfSize(100));
  const kinds = Object.fromEntries((Object.keys(ATTACK_SOURCES) as AttackName[]).map((n) => [n, new Set<string>()])) as Record<AttackName, Set<string>>;
  const failureMs = Object.fromEntries((Object.keys(ATTACK_SOURCES) as AttackName[]).map((n) => [n, [] as number[]])) as Record<AttackName, number[]>;
  const recovery: number[] = [];
  const rss: number[] = [];
  const heap: number[] = [];
  const reading = () => {
    gc();
    gc();
    rss.push(process.memoryUsage.rss() / (1024 * 1024));
    heap.push(process.memoryUsage().heapUsed / (1024 * 1024));
  };
  const oneRound = async (counted: boolean) => {
    for (const name of Object.keys(ATTACK_SOURCES) as AttackName[]) {
      const t0 = performance.now();
      const outcome = await host.invoke(attackers[name], 'transform', input);
      const t1 = performance.now();
      if (outcome.ok) throw new Error(`bench: the ${name} attack succeeded: ${outcome.output.slice(0, 80)}`);
      await invokeOk(host, good, input);
      if (counted) {
        kinds[name].add(outcome.failure.kind);
        failureMs[name].push(t1 - t0);
        recovery.push(performance.now() - t1);
      }
    }
  };
  let restarts = 0;
  try {
    await invokeOk(host, good, input);
    if (config.attackWarmUp) await oneRound(false);
    reading();
    for (let r = 0; r < config.attackRounds; r++) {
      await oneRound(true);
      reading();
      log(`  memory attacks: round ${r + 1}/${config.attackRounds} done`);
    }
    restarts = host.status().sandbox?.restarts ?? 0;
  } finally {
    await pool.dispose(host);
  }
  const underRealLimit: CollateralProbe[] | null = config.collateralProbes > 0 ? [] : null;
  for (let i = 0; i < config.collateralProbes; i++) {
    underRealLimit!.push(await probeCollateral(pool, attackers['heap-bomb'], good));
    log(`  heap bomb under the real limit: probe ${i + 1}/${config.collateralProbes} done`);
  }
  return {
    hostRssMb: rss.map((x) => round(x, 1)),
    hostGrowthMb: round(rss[rss.length - 1]! - rss[0]!, 1),
    hostHeapUsedMb: [round(heap[0]!, 1), round(heap[heap.length - 1]!, 1)],
    attacks: Object.fromEntries(
      (Object.keys(ATTACK_SOURCES) as AttackName[]).map((n) => [n, { kinds: [...kinds[n]], failure: perSample(failureMs[n]) }]),
    ) as AttackResults['attacks'],
    recovery: perSample(recovery),
    sandboxRestarts: restarts,
    underRealLimit,
  };
}

const PROBE_MS = 20_000;

async function probeCollateral(pool: HostPool, bomb: LoadedPlugin, good: LoadedPlugin): Promise<CollateralProbe> {
  const host = pool.create({ timeoutMs: 200 });
  const input = inputOf(textOfSize(100));
  try {
    await invokeOk(host, good, input);
    const pid = sandboxPid(host);
    const t0 = performance.now();
    const bombed = await host.invoke(bomb, 'transform', input);
    const t1 = performance.now();
    const failures: Record<string, number> = {};
    let calls = 0;
    let replacedAfter: number | null = null;
    while (performance.now() - t1 < PROBE_MS) {
      const outcome = await host.invoke(good, 'transform', input);
      calls += 1;
      if (!outcome.ok) failures[outcome.failure.kind] = (failures[outcome.failure.kind] ?? 0) + 1;
      const now = host.status().sandbox?.pid;
      if (now !== undefined && now !== pid) {
        replacedAfter = performance.now() - t1;
        break;
      }
      await sleep(50);
    }
    return {
      bombFailedAs: bombed.ok ? 'nothing: it answered' : bombed.failure.kind,
      bombMs: round(t1 - t0, 1),
      goodCalls: calls,
      goodFailures: failures,
      sandboxReplacedAfterMs: replacedAfter === null ? null : round(replacedAfter, 0),
      probeMs: round(performance.now() - t1, 0),
    };
  } finally {
    await pool.dispose(host);
  }
}
