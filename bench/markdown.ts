// bench/results/latest.md: the run as markdown tables (also printed at the end of a run).
import { IN_FLIGHT, SIZES, type SizeName } from './latency';
import { fmt, warmCell, type BenchResults } from './results';
import type { Summary } from './stats';

const SIZE_LABEL: Record<SizeName, string> = { '100B': '100 B', '10KB': '10 KB', '1MB': '1 MB' };

const spread = (s: Summary) => `${fmt(s.spread[0])}–${fmt(s.spread[1])}`;
const row = (cells: (string | number)[]) => `| ${cells.join(' | ')} |`;
/** A table header; the first `textColumns` columns are text (left-aligned), the rest figures. */
const header = (cells: string[], textColumns = 1) => [row(cells), row(cells.map((_, i) => (i < textColumns ? '---' : '---:')))].join('\n');

export function renderMarkdown(res: BenchResults): string {
  const f = res.figures;
  const m = res.machine;
  const out: string[] = [];
  out.push(`# Plugin Runtime benchmark (${res.mode} run)`);
  out.push('');
  out.push(`${res.date} · ${m.cpuModel}, ${m.cores} cores, ${m.memoryGb} GB · Node ${m.node} · ${m.os} · load average ${m.loadavgStart[0]} at the start, ${m.loadavgEnd[0]} at the end · ${res.durationS} s · \`${res.reproduce}\``);
  out.push('');
  out.push('Median of the round medians (spread: lowest–highest round median), p99 over all samples, n samples. Every ratio is to a floor measured in the same rounds, variants interleaved.');
  out.push('');

  out.push('## Targets');
  out.push('');
  out.push(header(['Target', 'Goal', 'Measured', 'Met'], 4));
  for (const t of res.targets) out.push(row([t.name, t.target, t.measured, t.met === null ? '–' : t.met ? 'yes' : '**no**']));
  out.push('');

  if (f.latency) {
    const l = f.latency;
    out.push('## Warm invocation: PluginHost.invoke of a trivial transform, fresh realm per call');
    out.push('');
    out.push(header(['Input', 'In flight', 'p50 ms', 'spread', 'p99 ms', 'floor p50 ms (worker + child)', '× floor p50', 'spread', '× floor p99', 'n']));
    for (const size of Object.keys(SIZES) as SizeName[]) {
      for (const k of IN_FLIGHT) {
        const c = warmCell(l, size, k)!;
        out.push(row([SIZE_LABEL[size], k, fmt(c.host.median), spread(c.host), fmt(c.host.p99), `${fmt(c.floor.median)} (${fmt(c.worker.median)} + ${fmt(c.child.median)})`, fmt(c.ratio.median), spread(c.ratio), fmt(c.ratio.p99), c.host.n]));
      }
    }
    const p = l.paced;
    out.push(row([`100 B, ${p.gapMs} ms idle before each call`, 1, fmt(p.host.median), spread(p.host), fmt(p.host.p99), `${fmt(p.floor.median)} (${fmt(p.worker.median)} + ${fmt(p.child.median)})`, fmt(p.ratio.median), spread(p.ratio), fmt(p.ratio.p99), p.host.n]));
    out.push('');
    out.push('## Floors, one call at a time (p50 ms, p99 in brackets)');
    out.push('');
    out.push(header(['Floor', ...Object.values(SIZE_LABEL)]));
    const floorRow = (label: string, pick: (size: SizeName) => Summary) =>
      row([label, ...(Object.keys(SIZES) as SizeName[]).map((s) => `${fmt(pick(s).median)} (${fmt(pick(s).p99)})`)]);
    out.push(floorRow('(a) direct in-process call', (s) => l.direct[s]));
    out.push(floorRow('(b) bare worker round trip, JSON strings', (s) => warmCell(l, s, 1)!.worker));
    out.push(floorRow('(c) bare child round trip, framed JSON over stdio', (s) => warmCell(l, s, 1)!.child));
    out.push(row(['**floor = (b) + (c)**', ...(Object.keys(SIZES) as SizeName[]).map((s) => `**${fmt(warmCell(l, s, 1)!.floor.median)}**`)]));
    out.push(floorRow('no-walls path: child relaying to a worker', (s) => l.chain[s]));
    out.push('');
  }

  if (f.throughput) {
    const t = f.throughput;
    out.push('## Throughput, 100 B input');
    out.push('');
    out.push(header(['Variant', 'calls/s', 'spread', 'calls']));
    out.push(row(['one plugin, 8 in flight, fresh realm per call', fmt(t.onePlugin.median), spread(t.onePlugin), t.onePlugin.n]));
    out.push(row(['four plugins, 8 in flight each', fmt(t.fourPlugins.median), spread(t.fourPlugins), t.fourPlugins.n]));
    out.push(row(['no-walls path (child → worker), one call at a time', fmt(t.floorSequential.median), spread(t.floorSequential), t.floorSequential.n]));
    out.push(row(['no-walls path, 8 in flight (pipelined)', fmt(t.floorPipelined.median), spread(t.floorPipelined), t.floorPipelined.n]));
    out.push('');
  }

  if (f.cpu && f.cpu.available) {
    const c = f.cpu;
    out.push('## CPU per warm 100 B call, by thread (sequential calls of one plugin)');
    out.push('');
    out.push(header(['Thread', 'CPU ms per call', 'spread']));
    const cpuRow = (label: string, s: Summary) => row([label, fmt(s.median), spread(s)]);
    out.push(cpuRow('host process (PluginHost + the bench loop)', c.hostPerCall));
    out.push(cpuRow('sandbox main thread (framing, validation, relay)', c.sandboxMainPerCall));
    out.push(cpuRow('plugin worker (realm preparation, the call, messages)', c.pluginWorkerPerCall));
    out.push(cpuRow('sandbox helper threads (V8 GC, libuv)', c.sandboxHelpersPerCall));
    out.push(cpuRow('**total CPU**', c.totalPerCall));
    out.push(cpuRow('wall time per call', c.wallPerCall));
    out.push('');
    out.push(`The plugin's worker alone bounds one plugin at ~${fmt(1000 / c.pluginWorkerPerCall.median)} calls/s; all threads together bound the machine (${res.machine.cores} cores) at ~${fmt((1000 * res.machine.cores) / c.totalPerCall.median)} calls/s.`);
    out.push('');
  }

  if (f.realm) {
    const r = f.realm;
    out.push('## Where a fresh-realm call spends the worker’s time (micro-benchmark in a bare worker)');
    out.push('');
    out.push(header(['Step', 'p50 ms', 'spread', 'p99 ms', 'n']));
    const step = (label: string, s: Summary) => row([label, fmt(s.median), spread(s), fmt(s.p99), s.n]);
    out.push(step('vm.createContext (worker options)', r.createContext));
    out.push(step('realm prelude + setup()', r.prelude));
    out.push(step('plugin script (module.exports)', r.pluginScript));
    out.push(step('the call: deliver, checkpoint, drain', r.invoke));
    out.push(step('**total per fresh-realm call**', r.total));
    out.push('');
    out.push(`One worker can make at most ~${fmt(1000 / r.total.median)} fresh-realm calls/s at the p50 cost, ~${fmt(r.workerBoundCallsPerSecond)} at the mean (${fmt(r.totalMeanMs, 'ms')}: GC and the machine's other load included), before any messaging.`);
    out.push('');
  }

  if (f.firstInvocation || f.timeout) {
    out.push('## First invocation and the time limit');
    out.push('');
    if (f.firstInvocation) out.push(`Phases: dist/sandbox.js driven directly with the host's flags (\`${f.firstInvocation.sandboxFlags.join(' ')}\`).`, '');
    out.push(header(['Figure', 'p50 ms', 'spread', 'p99 ms', 'max ms', 'n']));
    const line = (label: string, s: Summary) => row([label, fmt(s.median), spread(s), fmt(s.p99), fmt(s.max), s.n]);
    if (f.firstInvocation) {
      const fi = f.firstInvocation;
      out.push(line('first invocation, cold sandbox process', fi.coldProcess));
      out.push(line('  floor: bare Node child spawn → first frame', fi.floorProcessStart));
      out.push(line('first invocation of a further plugin', fi.furtherPlugin));
      out.push(line('  floor: bare worker start → first round trip', fi.floorWorkerStart));
      const ph = fi.phases;
      out.push(line('  phase: sandbox spawn → ready', ph.spawnToReady));
      out.push(line('  phase: load → worker loaded (first plugin)', ph.firstLoad));
      out.push(line('  phase: first call on the loaded worker', ph.firstCall));
      out.push(line('  phase: load → worker loaded (further plugin)', ph.furtherLoad));
      out.push(line('  phase: further plugin’s first call', ph.furtherCall));
    }
    if (f.timeout) {
      const t = f.timeout;
      out.push(line(`looping plugin: invoke → rejection (limit ${t.timeoutMs} ms)`, t.rejection));
      out.push(line('  of which past the limit', t.overshoot));
      out.push(line('  floor: bare spinning worker, 200 ms timer, terminate()', t.floorRejection));
      out.push(line('rejection → same plugin’s next call succeeded', t.nextCallAfterRejection));
      out.push(line('  floor: new bare worker → first round trip', t.floorRecovery));
    }
    out.push('');
  }

  if (f.memory || f.attacks) {
    out.push('## Memory');
    out.push('');
    if (f.memory && f.memory.available) {
      const mm = f.memory;
      out.push(header(['Figure', 'median', 'spread', 'rounds']));
      out.push(row(['sandbox process RSS, one warm idle plugin', fmt(mm.idleOnePlugin.median, 'MB'), spread(mm.idleOnePlugin), mm.idleOnePlugin.n]));
      out.push(row(['sandbox RSS per additional warm idle plugin (slope)', fmt(mm.perAdditionalPlugin.median, 'MB'), spread(mm.perAdditionalPlugin), mm.perAdditionalPlugin.n]));
      out.push(row([`RSS by warm plugins: ${mm.byPluginCount.map((b) => `${b.plugins} → ${fmt(b.rssMb)}`).join(', ')} MB`, '', '', '']));
      out.push(row(['reaping: one warm plugin / four / three of four reaped', `${fmt(mm.reaping.onePluginMb.median)} / ${fmt(mm.reaping.fourPluginsMb.median)} / ${fmt(mm.reaping.afterPartialReapMb.median)} MB`, '', mm.reaping.onePluginMb.n]));
      out.push(row(['all reaped: sandbox process ended', mm.reaping.processEndedAfterFullReap ? `yes, ${fmt(mm.reaping.fullReapAfterMs.median, 'ms')} after the last call` : '**no**', '', mm.reaping.fullReapAfterMs.n]));
    } else if (f.memory) {
      out.push('Sandbox RSS not measured: /proc/<pid>/status is not readable on this platform.');
    }
    if (f.attacks) {
      const a = f.attacks;
      out.push('');
      out.push(header(['Attack', 'stopped as', 'invoke → failure p50 ms', 'max ms'], 2));
      for (const [name, r] of Object.entries(a.attacks)) out.push(row([name, r.kinds.join(', '), fmt(r.failure.median), fmt(r.failure.max)]));
      out.push('');
      if (a.underRealLimit) {
        out.push('');
        out.push('The heap bomb under the real 200 ms limit, then a well-behaved plugin called every 50 ms:');
        out.push('');
        out.push(header(['Probe', 'bomb stopped as', 'after ms', 'good calls', 'good calls failed', 'sandbox replaced after ms'], 2));
        a.underRealLimit.forEach((p, i) => {
          const failed = Object.entries(p.goodFailures).map(([k, n]) => `${n} ${k}`).join(', ') || 'none';
          out.push(row([i + 1, p.bombFailedAs, fmt(p.bombMs), p.goodCalls, failed, p.sandboxReplacedAfterMs === null ? `not within ${fmt(p.probeMs)}` : fmt(p.sandboxReplacedAfterMs)]));
        });
        out.push('');
      }
      out.push(`Host RSS after GC across the attack rounds: ${a.hostRssMb.map((x) => fmt(x)).join(' → ')} MB (growth ${fmt(a.hostGrowthMb, 'MB')}); a well-behaved plugin's next call after each attack: p50 ${fmt(a.recovery.median, 'ms')}, max ${fmt(a.recovery.max, 'ms')}; sandbox restarts: ${a.sandboxRestarts}.`);
    }
    out.push('');
  }

  out.push('## In VS Code');
  out.push('');
  if (f.vscode.measured) {
    out.push(`From \`${f.vscode.file}\` (written by the integration suite with PLUGIN_RUNTIME_BENCH_OUT set):`);
    out.push('');
    out.push(...renderVscode(f.vscode.data));
  } else {
    out.push(f.vscode.note);
  }
  out.push('');
  return out.join('\n');
}

/**
 * The integration suite's figures (test/integration/benchmark.test.ts): each object with a p50 (`p50Ms`,
 * `p50` or `median`) becomes a row; anything else stays in the JSON.
 */
function renderVscode(data: unknown): string[] {
  const rows: string[] = [];
  const num = (o: Record<string, unknown>, ...keys: string[]): number | null => {
    for (const k of keys) if (typeof o[k] === 'number') return o[k] as number;
    return null;
  };
  const visit = (value: unknown, label: string) => {
    if (value === null || typeof value !== 'object' || Array.isArray(value)) return;
    const o = value as Record<string, unknown>;
    const p50 = num(o, 'p50Ms', 'p50', 'median');
    if (p50 !== null) {
      const runs = Array.isArray(o['runsMs']) ? (o['runsMs'] as unknown[]).length : num(o, 'n');
      const min = num(o, 'minMs', 'min');
      const max = num(o, 'maxMs', 'max');
      rows.push(row([label, fmt(p50), fmt(num(o, 'p95Ms', 'p95')), fmt(num(o, 'p99Ms', 'p99')), min !== null && max !== null ? `${fmt(min)}–${fmt(max)}` : '–', fmt(num(o, 'coldMs')), runs === null ? '–' : String(runs)]));
      return;
    }
    for (const [k, v] of Object.entries(o)) visit(v, label ? `${label}.${k}` : k);
  };
  visit(data, '');
  if (rows.length === 0) return ['(no figure with a p50 in the file; see latest.json)'];
  const d = data as Record<string, unknown>;
  const about = ['what', 'vscode', 'platform', 'date'].filter((k) => typeof d[k] === 'string').map((k) => `${k}: ${String(d[k])}`);
  return [...(about.length > 0 ? [about.join(' · '), ''] : []), header(['Figure', 'p50 ms', 'p95 ms', 'p99 ms', 'min–max ms', 'first run ms', 'n']), ...rows];
}
