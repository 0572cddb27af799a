// A quick load test (issue 7): 12 plugins and about 2,000 invocations with 8 in flight, run twice on fresh
// hosts: once with every plugin well-behaved (the baseline), once with a third of them misbehaving (looping,
// throwing, flooding the log, never settling). The eight plugins that are well-behaved in both runs take
// WELL_BEHAVED_CALLS calls from IN_FLIGHT concurrent callers; the other four plugins are each called back to back
// by a caller of their own for as long as that lasts. Every well-behaved call must succeed in both runs, their p99
// latency in the mixed run must stay within P99_FACTOR of the baseline's, this process's memory must return near
// its baseline, and nothing may leak: no worker after reaping, no handle (child process, pipe, timer) after dispose.
// Bigger runs: PLUGIN_RUNTIME_LOAD_INVOCATIONS=<n> PLUGIN_RUNTIME_LOAD_IN_FLIGHT=<k>.
import assert from 'node:assert/strict';
import { performance } from 'node:perf_hooks';
import type { LoadedPlugin } from '../../src/core/manifest';
import { removeTempDirs, writePlugin } from '../helpers/host';
import { RSS_MARGIN_MB, input, makeHostileHost, rssMb, waitFor, type HostileHost } from '../helpers/hostile';

const WELL_BEHAVED_CALLS = Number(process.env['PLUGIN_RUNTIME_LOAD_INVOCATIONS'] ?? 1600);
const IN_FLIGHT = Number(process.env['PLUGIN_RUNTIME_LOAD_IN_FLIGHT'] ?? 4);
/**
 * The stated factor: the foreground calls' p99 with misbehaving neighbours may be at most this many times their
 * p99 in the all-well-behaved run (measured here: 1.0–4.2). Generous on purpose: this machine has 2 shared cores
 * and the looping neighbour keeps one of them busy for the whole run. A call that waited behind a misbehaving one
 * would wait for its whole 1 s time limit, more than ten baseline p99s (~80–110 ms here).
 */
const P99_FACTOR = 10;
const LIMITS = { timeoutMs: 1000, idleReapMs: 1000 } as const;

const WELL_BEHAVED = [
  ['upper', 'module.exports = { transform: (i) => i.text.toUpperCase() };'],
  ['reverse', 'module.exports = { transform: (i) => i.text.split("").reverse().join("") };'],
  ['sort', 'module.exports = { transform: (i) => i.text.split(" ").sort().join(" ") };'],
  ['count', 'module.exports = { transform: (i) => String(i.text.length) };'],
  ['wrap', 'module.exports = { transform: (i) => ({ text: "[" + i.text + "]" }) };'],
  ['async-echo', 'module.exports = { async transform(i) { await null; return i.text; } };'],
  ['logs-once', 'module.exports = { transform(i, api) { api.log("seen " + i.text.length); return i.text; } };'],
  ['words', 'module.exports = { transform: (i) => String(i.text.split(/\\s+/).filter(Boolean).length) };'],
] as const;
const MISBEHAVING = [
  ['looping', 'module.exports = { transform() { for (;;) {} } };'],
  ['throwing', 'module.exports = { transform() { throw new Error("no"); } };'],
  ['flooding', 'module.exports = { transform(i, api) { for (let n = 0; n < 1000; n++) api.log("flood " + n); return i.text; } };'],
  ['never-settling', 'module.exports = { transform: () => new Promise(() => {}) };'],
] as const;
// The baseline's other four: well-behaved, doing comparable work.
const BASELINE_EXTRA = [
  ['extra-a', 'module.exports = { transform: (i) => i.text.toLowerCase() };'],
  ['extra-b', 'module.exports = { transform: (i) => i.text.trim() };'],
  ['extra-c', 'module.exports = { transform: (i) => i.text.replace(/a/g, "b") };'],
  ['extra-d', 'module.exports = { transform: (i) => i.text + "!" };'],
] as const;

function expectedOutput(name: string, text: string): string {
  switch (name) {
    case 'upper': return text.toUpperCase();
    case 'reverse': return text.split('').reverse().join('');
    case 'sort': return text.split(' ').sort().join(' ');
    case 'count': return String(text.length);
    case 'wrap': return `[${text}]`;
    case 'words': return String(text.split(/\s+/).filter(Boolean).length);
    case 'extra-a': return text.toLowerCase();
    case 'extra-b': return text.trim();
    case 'extra-c': return text.replace(/a/g, 'b');
    case 'extra-d': return `${text}!`;
    default: return text;
  }
}

interface RunResult {
  calls: number;
  /** Latencies of the foreground calls (the eight plugins that are well-behaved in both runs): what is compared. */
  foregroundLatencies: number[];
  wellBehavedLatencies: number[];
  wellBehavedFailures: string[];
  misbehavingOutcomes: Map<string, number>;
  wallMs: number;
}

/** A small deterministic PRNG (mulberry32), so both runs pick plugins in the same order. */
function prng(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let x = Math.imul(a ^ (a >>> 15), 1 | a);
    x = (x + Math.imul(x ^ (x >>> 7), 61 | x)) ^ x;
    return ((x ^ (x >>> 14)) >>> 0) / 4294967296;
  };
}

interface Subject {
  plugin: LoadedPlugin;
  wellBehaved: boolean;
}

async function drive(t: HostileHost, foreground: Subject[], background: Subject[]): Promise<RunResult> {
  const random = prng(7);
  const result: RunResult = { foregroundLatencies: [], wellBehavedLatencies: [], wellBehavedFailures: [], misbehavingOutcomes: new Map(), wallMs: 0, calls: 0 };
  let issued = 0;
  let done = false;
  const started = performance.now();
  const record = async (plugin: LoadedPlugin, wellBehaved: boolean, n: number, inForeground: boolean) => {
    const text = `load test call ${n} with some words in it`;
    const t0 = performance.now();
    const r = await t.host.invoke(plugin, 'transform', input(text));
    const ms = performance.now() - t0;
    result.calls += 1;
    if (inForeground) result.foregroundLatencies.push(ms);
    const name = plugin.manifest.name;
    if (wellBehaved) {
      result.wellBehavedLatencies.push(ms);
      const expected = expectedOutput(name, text);
      if (!r.ok) result.wellBehavedFailures.push(`${name}: ${r.failure.kind} ${r.failure.detail ?? ''}`);
      else if (r.output !== expected) result.wellBehavedFailures.push(`${name}: wrong output ${JSON.stringify(r.output)}`);
    } else {
      const key = `${name}: ${r.ok ? 'ok' : r.failure.kind}`;
      result.misbehavingOutcomes.set(key, (result.misbehavingOutcomes.get(key) ?? 0) + 1);
    }
  };
  const caller = async () => {
    while (issued < WELL_BEHAVED_CALLS) {
      const n = issued++;
      const { plugin, wellBehaved } = foreground[Math.floor(random() * foreground.length)]!;
      await record(plugin, wellBehaved, n, true);
    }
  };
  // One caller per background plugin, calling it back to back until the foreground calls are done.
  const backgroundCaller = async ({ plugin, wellBehaved }: Subject) => {
    for (let n = 0; !done; n++) await record(plugin, wellBehaved, n, false);
  };
  const back = background.map(backgroundCaller);
  await Promise.all(Array.from({ length: IN_FLIGHT }, caller));
  done = true;
  await Promise.all(back);
  result.wallMs = performance.now() - started;
  return result;
}

function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

/** Handles keeping this process alive (child processes, pipes, timers): what a leak would add to. */
function activeHandles(): number {
  return (process as unknown as { _getActiveHandles(): unknown[] })._getActiveHandles().length;
}

/** Runs one load phase on a fresh host, then waits for reaping and disposes; checks nothing is left. */
async function phase(label: string, specs: ReadonlyArray<readonly [string, string, boolean]>, handlesBefore: number): Promise<RunResult & { p50: number; p99: number }> {
  const t = makeHostileHost({ limits: LIMITS });
  const plugins = specs.map(([name, source, wellBehaved]) => ({ plugin: writePlugin(name, source), wellBehaved }));
  // Warm every worker once, outside the measurement (the first call of a plugin starts its worker).
  await Promise.all(plugins.map(({ plugin }) => t.host.invoke(plugin, 'transform', input('warm'))));
  // The first eight are the foreground (well-behaved in both runs); the last four have a caller each.
  const background = plugins.slice(8);
  const r = await drive(t, plugins.slice(0, 8), background);
  const p50 = percentile(r.foregroundLatencies, 50);
  const p99 = percentile(r.foregroundLatencies, 99);
  console.log(
    `      ${label}: ${r.calls} calls, ${IN_FLIGHT} + ${background.length} in flight, ${r.wallMs.toFixed(0)} ms; foreground: ${r.foregroundLatencies.length} calls, ` +
      `p50 ${p50.toFixed(1)} ms, p99 ${p99.toFixed(1)} ms; ${r.wellBehavedFailures.length} of ${r.wellBehavedLatencies.length} well-behaved calls failed` +
      (r.misbehavingOutcomes.size ? `; misbehaving: ${[...r.misbehavingOutcomes].map(([k, v]) => `${k} ×${v}`).join(', ')}` : ''),
  );
  // Reaping: with nothing to do, every worker is ended after idleReapMs, and then the sandbox process too.
  await waitFor(() => t.host.status().loadedWorkers === 0 && t.host.status().sandbox === undefined, 'idle workers and the sandbox to be reaped', 20_000);
  await t.host.dispose();
  assert.equal(t.host.status().loadedWorkers, 0);
  await waitFor(() => activeHandles() <= handlesBefore, `handles to return to ${handlesBefore} (now ${activeHandles()})`, 10_000);
  return { ...r, p50, p99 };
}

describe('load (quick mode)', function () {
  this.timeout(240_000);
  after(() => removeTempDirs());

  it(`~2,000 calls over 12 plugins, a third misbehaving: all well-behaved calls succeed, p99 within ${P99_FACTOR}× the all-well-behaved run, memory back, nothing leaks`, async () => {
    // Warm this process up (modules, one host round trip) before taking its baselines.
    const warm = makeHostileHost({ limits: LIMITS });
    await warm.host.invoke(writePlugin('warm-up', 'module.exports = { transform: (i) => i.text };'), 'transform', input('x'));
    await warm.host.dispose();
    await waitFor(() => warm.host.status().sandbox === undefined, 'the warm-up host to end');
    const handlesBefore = activeHandles();
    const rssBefore = rssMb();

    const baseline = await phase('all well-behaved', [...WELL_BEHAVED, ...BASELINE_EXTRA].map(([n, s]) => [n, s, true] as const), handlesBefore);
    const mixed = await phase('a third misbehaving', [...WELL_BEHAVED.map(([n, s]) => [n, s, true] as const), ...MISBEHAVING.map(([n, s]) => [n, s, false] as const)], handlesBefore);

    assert.deepEqual(baseline.wellBehavedFailures, []);
    assert.deepEqual(mixed.wellBehavedFailures, []);
    // The misbehaving plugins were stopped the way they should be, every time.
    for (const [key] of mixed.misbehavingOutcomes) {
      assert.ok(['looping: timeout', 'throwing: plugin-error', 'flooding: ok', 'never-settling: timeout'].includes(key), `unexpected outcome ${key}`);
    }
    const ratio = mixed.p99 / baseline.p99;
    console.log(`      p99 ratio (mixed / baseline): ${ratio.toFixed(2)} (stated factor: ${P99_FACTOR})`);
    assert.ok(ratio <= P99_FACTOR, `well-behaved p99 ${mixed.p99.toFixed(1)} ms is ${ratio.toFixed(1)}× the baseline's ${baseline.p99.toFixed(1)} ms`);

    const rssAfter = rssMb();
    console.log(`      this process: RSS ${rssBefore.toFixed(0)} MB before, ${rssAfter.toFixed(0)} MB after; handles ${handlesBefore} before, ${activeHandles()} after`);
    assert.ok(rssAfter < rssBefore + RSS_MARGIN_MB, `RSS ${rssAfter.toFixed(0)} MB is more than ${RSS_MARGIN_MB} MB over ${rssBefore.toFixed(0)} MB`);
    assert.equal(activeHandles(), handlesBefore);
  });
});
