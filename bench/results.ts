// The shape of bench/results/latest.json, the machine description, and the targets of issue 6 judged
// against the figures of the same run.
import * as os from 'node:os';
import type { BenchMode } from './config';
import type { CpuResults } from './cpu';
import type { FirstInvocationResults, TimeoutResults } from './lifecycle';
import type { LatencyResults, ThroughputResults, WarmCell } from './latency';
import type { AttackResults, MemoryResults } from './memory';
import type { RealmResults } from './realm';
import { round } from './stats';

export interface Machine {
  /** When the run ended (ISO 8601). */
  date: string;
  cpuModel: string;
  cores: number;
  memoryGb: number;
  node: string;
  os: string;
  arch: string;
  /** os.loadavg() (1, 5, 15 min) when the run started and ended: how shared the machine was. */
  loadavgStart: number[];
  loadavgEnd: number[];
}

/** What the VS Code integration suite recorded (bench/results/vscode.json), or why there is nothing. */
export type VscodeFigures = { measured: true; file: string; data: unknown } | { measured: false; note: string };

export interface Figures {
  realm?: RealmResults;
  latency?: LatencyResults;
  throughput?: ThroughputResults;
  cpu?: CpuResults;
  firstInvocation?: FirstInvocationResults;
  timeout?: TimeoutResults;
  memory?: MemoryResults;
  attacks?: AttackResults;
  vscode: VscodeFigures;
}

export interface Target {
  name: string;
  target: string;
  measured: string;
  /** null when the run did not measure it (`--only`). */
  met: boolean | null;
}

export interface BenchResults {
  schema: 1;
  mode: BenchMode;
  date: string;
  durationS: number;
  reproduce: string;
  machine: Machine;
  /** os.loadavg()[0] after each section, in run order. */
  load: { section: string; loadavg1: number }[];
  figures: Figures;
  targets: Target[];
}

export function describeMachine(loadavgStart: number[]): Machine {
  const cpus = os.cpus();
  return {
    date: new Date().toISOString(),
    cpuModel: cpus[0]?.model.trim() ?? 'unknown',
    cores: cpus.length,
    memoryGb: round(os.totalmem() / 1024 ** 3, 1),
    node: process.version,
    os: `${os.type()} ${os.release()} (${os.platform()})`,
    arch: os.arch(),
    loadavgStart: loadavgStart.map((x) => round(x, 2)),
    loadavgEnd: os.loadavg().map((x) => round(x, 2)),
  };
}

/** Formats a figure for people: 3 significant figures below 10, whole or one decimal above. */
export function fmt(value: number | null | undefined, unit = ''): string {
  if (value === null || value === undefined || !Number.isFinite(value)) return '–';
  const abs = Math.abs(value);
  const text = abs >= 1000 ? Math.round(value).toLocaleString('en-US') : abs >= 100 ? value.toFixed(0) : abs >= 10 ? value.toFixed(1) : abs >= 1 ? value.toFixed(2) : value.toFixed(3);
  return unit ? `${text} ${unit}` : text;
}

export const warmCell = (latency: LatencyResults, size: WarmCell['size'], inFlight: WarmCell['inFlight']): WarmCell | undefined =>
  latency.warm.find((c) => c.size === size && c.inFlight === inFlight);

const notMeasured = (name: string, target: string): Target => ({ name, target, measured: 'not measured in this run', met: null });

export function judgeTargets(f: Figures): Target[] {
  const targets: Target[] = [];
  const ratioTarget = (size: WarmCell['size'], label: string, limit: number) => {
    const name = `Warm ${label} invocation, fresh realm per call: p50 vs the floor`;
    const target = `≤ ${limit}× floor`;
    const cell = f.latency && warmCell(f.latency, size, 1);
    if (!cell) return notMeasured(name, target);
    return {
      name,
      target,
      measured: `${fmt(cell.ratio.median)}× (host ${fmt(cell.host.median, 'ms')} vs floor ${fmt(cell.floor.median, 'ms')}; rounds ${fmt(cell.ratio.spread[0])}–${fmt(cell.ratio.spread[1])}×)`,
      met: cell.ratio.median <= limit,
    };
  };
  targets.push(ratioTarget('100B', '100 B', 3));
  if (f.latency) {
    // Not a target of its own: the same figure when the prepared realm is ready (see the paced row).
    const p = f.latency.paced;
    targets[targets.length - 1]!.measured += `; with ${p.gapMs} ms idle before each call: ${fmt(p.ratio.median)}× (${fmt(p.host.median, 'ms')} vs ${fmt(p.floor.median, 'ms')})`;
  }
  targets.push(ratioTarget('1MB', '1 MB', 1.5));

  if (f.timeout) {
    const t = f.timeout;
    const deadline = t.timeoutMs + 10;
    targets.push({
      name: 'Timeout: invoke → rejection of a looping plugin, p99',
      target: `≤ ${deadline} ms (limit + 10 ms)`,
      measured: `p99 ${fmt(t.rejection.p99, 'ms')} (p50 ${fmt(t.rejection.median, 'ms')}, max ${fmt(t.rejection.max, 'ms')}, n ${t.rejection.n}; bare timer + terminate() p50 ${fmt(t.floorRejection.median, 'ms')}, p99 ${fmt(t.floorRejection.p99, 'ms')})`,
      met: (t.rejection.p99 ?? Infinity) <= deadline,
    });
    targets.push({
      name: 'Timeout: the same plugin’s next call succeeds after the rejection, p99',
      target: '≤ 20 ms',
      measured: `p99 ${fmt(t.nextCallAfterRejection.p99, 'ms')} (p50 ${fmt(t.nextCallAfterRejection.median, 'ms')}, n ${t.nextCallAfterRejection.n}; a new bare worker's first round trip p50 ${fmt(t.floorRecovery.median, 'ms')}, p99 ${fmt(t.floorRecovery.p99, 'ms')})`,
      met: (t.nextCallAfterRejection.p99 ?? Infinity) <= 20,
    });
  } else {
    targets.push(notMeasured('Timeout: invoke → rejection of a looping plugin, p99', '≤ 210 ms (limit + 10 ms)'));
    targets.push(notMeasured('Timeout: the same plugin’s next call succeeds after the rejection, p99', '≤ 20 ms'));
  }

  if (f.firstInvocation) {
    const fi = f.firstInvocation;
    targets.push({
      name: 'First invocation with a cold sandbox process, p50',
      target: '≤ 100 ms',
      measured: `${fmt(fi.coldProcess.median, 'ms')} (bare process start ${fmt(fi.floorProcessStart.median, 'ms')}; rounds ${fmt(fi.coldProcess.spread[0])}–${fmt(fi.coldProcess.spread[1])} ms)`,
      met: fi.coldProcess.median <= 100,
    });
    targets.push({
      name: 'First invocation of a further plugin, sandbox process up, p50',
      target: '≤ 25 ms',
      measured: `${fmt(fi.furtherPlugin.median, 'ms')} (bare worker start ${fmt(fi.floorWorkerStart.median, 'ms')}; rounds ${fmt(fi.furtherPlugin.spread[0])}–${fmt(fi.furtherPlugin.spread[1])} ms)`,
      met: fi.furtherPlugin.median <= 25,
    });
  } else {
    targets.push(notMeasured('First invocation with a cold sandbox process, p50', '≤ 100 ms'));
    targets.push(notMeasured('First invocation of a further plugin, sandbox process up, p50', '≤ 25 ms'));
  }

  if (f.throughput) {
    const t = f.throughput;
    targets.push({
      name: 'Throughput of one plugin, fresh realm per call',
      target: '≥ 4,000 calls/s',
      measured: `${fmt(t.onePlugin.median, 'calls/s')} (rounds ${fmt(t.onePlugin.spread[0])}–${fmt(t.onePlugin.spread[1])}; no-walls path one at a time ${fmt(t.floorSequential.median)}, pipelined ${fmt(t.floorPipelined.median)})`,
      met: t.onePlugin.median >= 4000,
    });
  } else {
    targets.push(notMeasured('Throughput of one plugin, fresh realm per call', '≥ 4,000 calls/s'));
  }

  if (f.memory && f.memory.available) {
    const m = f.memory;
    targets.push({
      name: 'Idle warm plugin: sandbox RSS per additional plugin',
      target: '≤ 8 MB',
      measured: `${fmt(m.perAdditionalPlugin.median, 'MB')} (rounds ${fmt(m.perAdditionalPlugin.spread[0])}–${fmt(m.perAdditionalPlugin.spread[1])} MB; one plugin idle: process ${fmt(m.idleOnePlugin.median, 'MB')})`,
      met: m.perAdditionalPlugin.median <= 8,
    });
    const residue = m.reaping.partialReapResidueMb.median;
    const perReaped = residue / 3;
    targets.push({
      name: 'Reaped plugins cost nothing',
      target: 'all reaped: sandbox process ended (0 MB); 3 of 4 reaped: ≤ 1 MB RSS left per reaped plugin',
      measured: `${m.reaping.processEndedAfterFullReap ? 'all reaped: process ended' : 'all reaped: **process still running**'} ${fmt(m.reaping.fullReapAfterMs.median, 'ms')} after the last call (reap after ${m.reaping.idleReapMs} ms); 3 of 4 reaped: ${fmt(perReaped, 'MB')} left per reaped plugin (${residue >= 0 ? '+' : ''}${fmt(residue, 'MB')} over one warm plugin; four warm were +${fmt(m.reaping.fourPluginsMb.median - m.reaping.onePluginMb.median, 'MB')})`,
      met: m.reaping.processEndedAfterFullReap && perReaped <= 1,
    });
  } else {
    targets.push(notMeasured('Idle warm plugin: sandbox RSS per additional plugin', '≤ 8 MB'));
    targets.push(notMeasured('Reaped plugins cost nothing', 'all reaped: sandbox process ended (0 MB); 3 of 4 reaped: ≤ 1 MB RSS left per reaped plugin'));
  }

  if (f.attacks) {
    const a = f.attacks;
    targets.push({
      name: 'Host RSS across the memory attacks stays flat',
      target: '≤ 10 MB growth after GC',
      measured: `${a.hostGrowthMb >= 0 ? '+' : ''}${fmt(a.hostGrowthMb, 'MB')} over ${a.hostRssMb.length - 1} rounds of ${Object.keys(a.attacks).length} attacks (${a.sandboxRestarts} sandbox restarts)`,
      met: a.hostGrowthMb <= 10,
    });
  } else {
    targets.push(notMeasured('Host RSS across the memory attacks stays flat', '≤ 10 MB growth after GC'));
  }
  return targets;
}
