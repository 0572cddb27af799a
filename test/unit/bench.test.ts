// The benchmark's smoke test: a tiny run through the real sandbox produces results of the published shape,
// renders, and leaves no process behind. It asserts nothing about speed.
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { readVscode, runBenchmark } from '../../bench/benchmark';
import { renderMarkdown } from '../../bench/markdown';
import type { BenchResults } from '../../bench/results';
import type { Summary } from '../../bench/stats';

function assertSummary(s: Summary | undefined, where: string): void {
  assert.ok(s, `${where} is missing`);
  assert.equal(typeof s.unit, 'string', where);
  assert.ok(Number.isFinite(s.median), `${where}.median is ${s.median}`);
  assert.equal(s.spread.length, 2, where);
  assert.ok(s.spread[0] <= s.median && s.median <= s.spread[1], `${where}: the median lies within the spread`);
  assert.ok(s.p99 === null || Number.isFinite(s.p99), `${where}.p99`);
  assert.ok(Number.isInteger(s.n) && s.n > 0, `${where}.n is ${s.n}`);
  assert.ok(s.rounds.length > 0, `${where}.rounds`);
}

const processWraps = () => process.getActiveResourcesInfo().filter((r) => r === 'ProcessWrap').length;

describe('npm run bench (tiny smoke run)', function () {
  this.timeout(180_000);
  let results: BenchResults;
  let wrapsBefore: number;

  before(async () => {
    wrapsBefore = processWraps();
    results = await runBenchmark({ mode: 'tiny', vscodeFile: path.join(os.tmpdir(), 'plugin-runtime-no-such-vscode.json') });
  });

  it('describes the machine and the run', () => {
    assert.equal(results.schema, 1);
    assert.equal(results.mode, 'tiny');
    assert.ok(!Number.isNaN(Date.parse(results.date)));
    const m = results.machine;
    for (const key of ['cpuModel', 'node', 'os', 'arch', 'date'] as const) assert.equal(typeof m[key], 'string', key);
    assert.ok(m.cores > 0 && m.memoryGb > 0);
    assert.equal(m.loadavgStart.length, 3);
    assert.equal(m.loadavgEnd.length, 3);
    assert.deepEqual(results.load.map((l) => l.section), ['realm', 'latency', 'throughput', 'cpu', 'first', 'timeout', 'memory', 'attacks']);
  });

  it('reports every figure with median, spread, p99 and n', () => {
    const f = results.figures;
    const realm = f.realm!;
    for (const k of ['createContext', 'prelude', 'pluginScript', 'invoke', 'total'] as const) assertSummary(realm[k], `realm.${k}`);
    assert.ok(realm.workerBoundCallsPerSecond > 0);
    const latency = f.latency!;
    assert.equal(latency.warm.length, 9);
    for (const c of [...latency.warm, latency.paced]) {
      for (const k of ['host', 'worker', 'child', 'floor', 'ratio'] as const) assertSummary(c[k], `warm ${c.size}/${c.inFlight}.${k}`);
    }
    for (const size of ['100B', '10KB', '1MB'] as const) {
      assertSummary(latency.direct[size], `direct ${size}`);
      assertSummary(latency.chain[size], `chain ${size}`);
    }
    for (const k of ['onePlugin', 'fourPlugins', 'floorSequential', 'floorPipelined'] as const) assertSummary(f.throughput![k], `throughput.${k}`);
    if (f.cpu!.available) {
      for (const k of ['wallPerCall', 'hostPerCall', 'sandboxMainPerCall', 'pluginWorkerPerCall', 'sandboxHelpersPerCall', 'totalPerCall'] as const) assertSummary(f.cpu![k], `cpu.${k}`);
    }
    for (const k of ['coldProcess', 'furtherPlugin', 'floorProcessStart', 'floorWorkerStart'] as const) assertSummary(f.firstInvocation![k], `first.${k}`);
    for (const [k, s] of Object.entries(f.firstInvocation!.phases)) assertSummary(s, `first.phases.${k}`);
    assert.ok(f.firstInvocation!.sandboxFlags.includes('--disallow-code-generation-from-strings'));
    for (const k of ['rejection', 'overshoot', 'nextCallAfterRejection', 'floorRejection', 'floorRecovery'] as const) assertSummary(f.timeout![k], `timeout.${k}`);
    const mem = f.memory!;
    if (mem.available) {
      assertSummary(mem.idleOnePlugin, 'memory.idleOnePlugin');
      assertSummary(mem.perAdditionalPlugin, 'memory.perAdditionalPlugin');
      assert.equal(mem.reaping.processEndedAfterFullReap, true, 'with every plugin reaped, the sandbox process ends');
    }
    const attacks = f.attacks!;
    assert.deepEqual(Object.keys(attacks.attacks).sort(), ['array-buffer-bomb', 'heap-bomb', 'output-bomb', 'typed-array-bomb']);
    for (const [name, a] of Object.entries(attacks.attacks)) assert.ok(a.kinds.length > 0, `${name} was stopped`);
    assert.ok(Number.isFinite(attacks.hostGrowthMb));
    assert.deepEqual(f.vscode, { measured: false, note: 'not measured in this run' });
  });

  it('judges each target of the issue as met or not, with what was measured', () => {
    assert.equal(results.targets.length, 10);
    for (const t of results.targets) {
      assert.deepEqual(Object.keys(t).sort(), ['measured', 'met', 'name', 'target']);
      assert.equal(typeof t.met, 'boolean', `${t.name} was measured`);
      assert.ok(t.measured.length > 0 && t.target.length > 0);
    }
  });

  it('renders the markdown table, with the VS Code figures when the integration suite left them', () => {
    const md = renderMarkdown(results);
    for (const heading of ['## Targets', '## Warm invocation', '## Throughput', '## Memory', '## In VS Code']) assert.ok(md.includes(heading), heading);
    assert.ok(md.includes('not measured in this run'));

    const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'pr-bench-')), 'vscode.json');
    const series = { coldMs: 120, runsMs: [10, 11, 12], p50Ms: 11, p95Ms: 12, minMs: 10, maxMs: 12 };
    fs.writeFileSync(file, JSON.stringify({ vscode: '1.100.0', date: '2026-01-01T00:00:00Z', selection1KB: { bytes: 1024, ...series }, cursors100: { selections: 100, ...series } }));
    try {
      const vscode = readVscode(file);
      assert.equal(vscode.measured, true);
      const withVscode = renderMarkdown({ ...results, figures: { ...results.figures, vscode } });
      assert.match(withVscode, /\| selection1KB \| 11\.0 \| 12\.0 \|/);
      assert.match(withVscode, /\| cursors100 \|/);
    } finally {
      fs.rmSync(path.dirname(file), { recursive: true, force: true });
    }
  });

  it('leaves no sandbox or floor process behind', async () => {
    const deadline = Date.now() + 5000;
    while (processWraps() > wrapsBefore && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    assert.ok(processWraps() <= wrapsBefore, process.getActiveResourcesInfo().join(', '));
  });
});
