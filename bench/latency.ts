// Floors, warm invocation latency and throughput: every variant against the floor measured in the same
// round, the variants shuffled in each round so that the machine's load falls on all of them alike.
import type { PluginHost } from '../src/core/host/pluginHost';
import type { LoadedPlugin } from '../src/core/manifest';
import type { BenchConfig } from './config';
import { BareChild, BareWorker, directTransform } from './floors';
import { inputOf, invokeOk, type HostPool } from './hosts';
import { ECHO_SOURCE, textOfSize, type BenchPlugins } from './plugins';
import { closedLoop, closedLoopFor, median, percentile, round, shuffled, summarizeRounds, summarizeValues, type Summary } from './stats';

export const SIZES = { '100B': 100, '10KB': 10 * 1024, '1MB': 1024 * 1024 } as const;
export type SizeName = keyof typeof SIZES;
export const IN_FLIGHT = [1, 2, 8] as const;
export type InFlight = (typeof IN_FLIGHT)[number];

/** One (size, in-flight) cell of the warm table. */
export interface WarmCell {
  size: SizeName;
  inFlight: InFlight;
  /** PluginHost.invoke, a fresh realm per call. */
  host: Summary;
  /** (b) bare worker round trip at the same size and in-flight count. */
  worker: Summary;
  /** (c) bare child-process round trip at the same size and in-flight count. */
  child: Summary;
  /** (b)+(c), per round: the floor. */
  floor: Summary;
  /** host ÷ floor per round (p50 / p50); its p99 is pooled host p99 ÷ pooled floor p99. */
  ratio: Summary;
}

export interface LatencyResults {
  /** (a) the transform called in-process, per size. */
  direct: Record<SizeName, Summary>;
  /** The whole path with no walls (child relaying to a worker), sequential, per size. */
  chain: Record<SizeName, Summary>;
  warm: WarmCell[];
  /**
   * 100 B, one at a time, with an idle gap before each call (for host and floors alike): the realm the
   * worker prepares after each call is ready when the next one comes, as it is for a person at a keyboard.
   */
  paced: WarmCell & { gapMs: number };
}

/** The idle gap of the paced variant: longer than a realm takes to prepare, even on a busy machine. */
export const PACE_GAP_MS = 5;

export interface ThroughputResults {
  /** One plugin, 8 invocations in flight, fresh realm per call. */
  onePlugin: Summary;
  /** Four plugins, 8 in flight each. */
  fourPlugins: Summary;
  /** The path with no walls (child → worker), one call at a time: the host's own discipline per plugin. */
  floorSequential: Summary;
  /** The same with 8 in flight (pipelined, which the host does not do per plugin). */
  floorPipelined: Summary;
}

interface Floors {
  worker: BareWorker;
  child: BareChild;
  chain: BareChild;
  direct: (input: ReturnType<typeof inputOf>) => Promise<void>;
}

async function startFloors(): Promise<Floors> {
  const [child, chain] = await Promise.all([BareChild.start(false), BareChild.start(true)]);
  return { worker: new BareWorker(), child, chain, direct: directTransform(ECHO_SOURCE) };
}

async function stopFloors(f: Floors): Promise<void> {
  await Promise.all([f.worker.dispose(), f.child.dispose(), f.chain.dispose()]);
}

type Variant = { key: string; n: number; run: (n: number) => Promise<number[]> };

export async function measureLatency(config: BenchConfig, pool: HostPool, plugins: BenchPlugins, log: (line: string) => void): Promise<LatencyResults> {
  const host = pool.create();
  const echo = plugins.write('bench-echo', ECHO_SOURCE);
  const floors = await startFloors();
  try {
    const inputs = Object.fromEntries(Object.entries(SIZES).map(([k, bytes]) => [k, inputOf(textOfSize(bytes))])) as Record<SizeName, ReturnType<typeof inputOf>>;
    const hostCall = (size: SizeName) => async () => {
      await invokeOk(host, echo, inputs[size]);
    };
    const variants: Variant[] = [];
    for (const size of Object.keys(SIZES) as SizeName[]) {
      const n = config.calls[size];
      const input = inputs[size];
      variants.push({ key: `direct/${size}`, n, run: (m) => closedLoop(1, m, () => floors.direct(input)) });
      variants.push({ key: `chain/${size}/1`, n, run: (m) => closedLoop(1, m, () => floors.chain.roundTrip(input)) });
      for (const k of IN_FLIGHT) {
        variants.push({ key: `host/${size}/${k}`, n, run: (m) => closedLoop(k, m, hostCall(size)) });
        variants.push({ key: `worker/${size}/${k}`, n, run: (m) => closedLoop(k, m, () => floors.worker.roundTrip(input)) });
        variants.push({ key: `child/${size}/${k}`, n, run: (m) => closedLoop(k, m, () => floors.child.roundTrip(input)) });
      }
    }
    const small = inputs['100B'];
    const pacedN = Math.max(1, Math.round(config.calls['100B'] / 2));
    variants.push({ key: 'host/paced', n: pacedN, run: (m) => closedLoop(1, m, hostCall('100B'), PACE_GAP_MS) });
    variants.push({ key: 'worker/paced', n: pacedN, run: (m) => closedLoop(1, m, () => floors.worker.roundTrip(small), PACE_GAP_MS) });
    variants.push({ key: 'child/paced', n: pacedN, run: (m) => closedLoop(1, m, () => floors.child.roundTrip(small), PACE_GAP_MS) });
    // Warm-up: JIT, the worker's first realms, the pipes' buffers. Not counted.
    for (const v of variants) await v.run(Math.min(v.n, 20));
    const samples = new Map<string, number[][]>(variants.map((v) => [v.key, []]));
    for (let r = 0; r < config.rounds; r++) {
      for (const v of shuffled(variants, 0x5eed + r)) samples.get(v.key)!.push(await v.run(v.n));
      log(`  warm latency: round ${r + 1}/${config.rounds} done`);
    }
    const rounds = (key: string) => samples.get(key)!;
    const summary = (key: string) => summarizeRounds(rounds(key), 'ms');
    const cell = (size: SizeName, inFlight: InFlight, suffix: string): WarmCell => {
      const h = rounds(`host/${suffix}`);
      const w = rounds(`worker/${suffix}`);
      const c = rounds(`child/${suffix}`);
      const floorPerRound = w.map((ws, i) => median(ws) + median(c[i]!));
      const ratioPerRound = h.map((hs, i) => median(hs) / floorPerRound[i]!);
      const floorP99 = percentile(w.flat(), 99) + percentile(c.flat(), 99);
      return {
        size,
        inFlight,
        host: summary(`host/${suffix}`),
        worker: summary(`worker/${suffix}`),
        child: summary(`child/${suffix}`),
        floor: { ...summarizeValues(floorPerRound, 'ms', w.flat().length + c.flat().length), p99: round(floorP99) },
        ratio: { ...summarizeValues(ratioPerRound, '×', h.flat().length), p99: round(percentile(h.flat(), 99) / floorP99) },
      };
    };
    const warm: WarmCell[] = [];
    for (const size of Object.keys(SIZES) as SizeName[]) {
      for (const k of IN_FLIGHT) warm.push(cell(size, k, `${size}/${k}`));
    }
    const bySize = (prefix: string, suffix = '') =>
      Object.fromEntries((Object.keys(SIZES) as SizeName[]).map((s) => [s, summary(`${prefix}/${s}${suffix}`)])) as Record<SizeName, Summary>;
    return { direct: bySize('direct'), chain: bySize('chain', '/1'), warm, paced: { ...cell('100B', 1, 'paced'), gapMs: PACE_GAP_MS } };
  } finally {
    await stopFloors(floors);
    await pool.dispose(host);
  }
}

export async function measureThroughput(config: BenchConfig, pool: HostPool, plugins: BenchPlugins, log: (line: string) => void): Promise<ThroughputResults> {
  const host = pool.create();
  const one = plugins.write('bench-throughput', ECHO_SOURCE);
  const four = [1, 2, 3, 4].map((i) => plugins.write(`bench-throughput-${i}`, ECHO_SOURCE));
  const chain = await BareChild.start(true);
  const input = inputOf(textOfSize(SIZES['100B']));
  const IN_FLIGHT_PER_PLUGIN = 8;
  const rate = (r: { calls: number; elapsedMs: number }) => (r.calls * 1000) / r.elapsedMs;
  try {
    const variants: { key: keyof ThroughputResults; run: (ms: number) => Promise<{ calls: number; elapsedMs: number }> }[] = [
      { key: 'onePlugin', run: (ms) => closedLoopFor(IN_FLIGHT_PER_PLUGIN, ms, async () => void (await invokeOk(host, one, input))) },
      {
        key: 'fourPlugins',
        run: async (ms) => {
          const each = await Promise.all(four.map((p) => closedLoopFor(IN_FLIGHT_PER_PLUGIN, ms, async () => void (await invokeOk(host, p, input)))));
          return { calls: each.reduce((s, r) => s + r.calls, 0), elapsedMs: Math.max(...each.map((r) => r.elapsedMs)) };
        },
      },
      { key: 'floorSequential', run: (ms) => closedLoopFor(1, ms, () => chain.roundTrip(input)) },
      { key: 'floorPipelined', run: (ms) => closedLoopFor(IN_FLIGHT_PER_PLUGIN, ms, () => chain.roundTrip(input)) },
    ];
    for (const v of variants) await v.run(Math.min(300, config.throughputMs));
    const perRound = new Map<string, { rate: number; calls: number }[]>(variants.map((v) => [v.key, []]));
    for (let r = 0; r < config.throughputRounds; r++) {
      for (const v of shuffled(variants, 0x7417 + r)) {
        const res = await v.run(config.throughputMs);
        perRound.get(v.key)!.push({ rate: rate(res), calls: res.calls });
      }
      log(`  throughput: round ${r + 1}/${config.throughputRounds} done`);
    }
    const s = (key: keyof ThroughputResults) => {
      const rs = perRound.get(key)!;
      return summarizeValues(rs.map((x) => x.rate), 'calls/s', rs.reduce((sum, x) => sum + x.calls, 0));
    };
    return { onePlugin: s('onePlugin'), fourPlugins: s('fourPlugins'), floorSequential: s('floorSequential'), floorPipelined: s('floorPipelined') };
  } finally {
    await chain.dispose();
    await pool.dispose(host);
  }
}
