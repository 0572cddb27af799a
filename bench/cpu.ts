// CPU per call, by thread: sequential 100 B invocations of one plugin, with the CPU time each thread
// spent over them (the host process from process.cpuUsage, the sandbox's threads from /proc/<pid>/task).
// This is where a warm call's time goes, whatever the wall clock of a shared machine says.
import * as fs from 'node:fs';
import type { BenchConfig } from './config';
import { inputOf, invokeOk, type HostPool } from './hosts';
import { ECHO_SOURCE, textOfSize, type BenchPlugins } from './plugins';
import { round, summarizeValues, type Summary } from './stats';

export interface CpuResults {
  /** Whether per-thread CPU could be read (Linux /proc). */
  available: boolean;
  /** Wall time per sequential call. */
  wallPerCall: Summary;
  /** This process (PluginHost, and the bench's own loop) per call. */
  hostPerCall: Summary;
  /** The sandbox process's main thread (framing, validation, relaying) per call. */
  sandboxMainPerCall: Summary;
  /** The plugin's worker thread (realm preparation, the call, its messages) per call. */
  pluginWorkerPerCall: Summary;
  /** The sandbox's other threads (V8's GC helpers, libuv) per call. */
  sandboxHelpersPerCall: Summary;
  /** All of the above. */
  totalPerCall: Summary;
}

/** CPU ms of each thread of a process, by thread id; undefined where /proc is not readable. */
function threadCpuMs(pid: number): Map<number, number> | undefined {
  try {
    const ticksPerMs = 100 / 1000; // USER_HZ is 100 on Linux
    const out = new Map<number, number>();
    for (const tid of fs.readdirSync(`/proc/${pid}/task`)) {
      const stat = fs.readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8');
      // Fields after the command name (which may hold spaces): utime and stime are fields 14 and 15.
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      out.set(Number(tid), (Number(fields[11]) + Number(fields[12])) / ticksPerMs);
    }
    return out;
  } catch {
    return undefined;
  }
}

export async function measureCpu(config: BenchConfig, pool: HostPool, plugins: BenchPlugins, log: (line: string) => void): Promise<CpuResults> {
  const host = pool.create();
  const plugin = plugins.write('bench-cpu', ECHO_SOURCE);
  const input = inputOf(textOfSize(100));
  const per = { wall: [] as number[], host: [] as number[], main: [] as number[], worker: [] as number[], helpers: [] as number[], total: [] as number[] };
  let available = true;
  try {
    await invokeOk(host, plugin, input);
    for (let i = 0; i < 50; i++) await invokeOk(host, plugin, input);
    for (let r = 0; r < config.throughputRounds; r++) {
      const pid = host.status().sandbox!.pid;
      const before = threadCpuMs(pid);
      const cpu0 = process.cpuUsage();
      const t0 = performance.now();
      let calls = 0;
      while (performance.now() - t0 < config.throughputMs) {
        await invokeOk(host, plugin, input);
        calls += 1;
      }
      const wall = performance.now() - t0;
      const cpu = process.cpuUsage(cpu0);
      const after = threadCpuMs(pid);
      const hostMs = (cpu.user + cpu.system) / 1000;
      per.wall.push(wall / calls);
      per.host.push(hostMs / calls);
      if (!before || !after) {
        available = false;
      } else {
        const deltas = [...after].map(([tid, ms]) => ({ tid, ms: ms - (before.get(tid) ?? 0) }));
        const main = deltas.find((d) => d.tid === pid)?.ms ?? 0;
        // The plugin's worker is the busiest thread that is not the main one.
        const others = deltas.filter((d) => d.tid !== pid).sort((a, b) => b.ms - a.ms);
        const worker = others[0]?.ms ?? 0;
        const helpers = others.slice(1).reduce((s, d) => s + d.ms, 0);
        per.main.push(main / calls);
        per.worker.push(worker / calls);
        per.helpers.push(helpers / calls);
        per.total.push((hostMs + main + worker + helpers) / calls);
      }
      log(`  cpu per call: round ${r + 1}/${config.throughputRounds} done`);
    }
  } finally {
    await pool.dispose(host);
  }
  const s = (values: number[]) => (values.length > 0 ? summarizeValues(values.map((v) => round(v, 4)), 'ms') : summarizeValues([Number.NaN], 'ms'));
  return {
    available,
    wallPerCall: s(per.wall),
    hostPerCall: s(per.host),
    sandboxMainPerCall: s(per.main),
    pluginWorkerPerCall: s(per.worker),
    sandboxHelpersPerCall: s(per.helpers),
    totalPerCall: s(per.total),
  };
}
