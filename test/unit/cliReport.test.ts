// `plugin-runtime run --report`: usage against every limit, as a pure report (percentages, the 80% warning,
// warm and cold timings, which limit a failure hit) and through the CLI (stderr table, "report" in --json,
// output and exit codes unchanged).
import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { buildUsageReport, formatUsageReport, WARN_RATIO, type UsageReport, type UsageRow } from '../../src/cli/usageReport';
import { makeFailure } from '../../src/core/errors';
import type { InvokeOutcome } from '../../src/core/host/pluginHost';
import { DEFAULT_LIMITS, resolveLimits } from '../../src/core/limits';
import { CLI_ENTRY, SAMPLES_DIR } from '../helpers/host';

const MB = 1024 * 1024;
const ok = (durationMs: number, usage?: Partial<NonNullable<InvokeOutcome['usage']>>): InvokeOutcome => ({
  ok: true,
  output: 'x',
  durationMs,
  ...(usage ? { usage: { heapUsedBytes: 0, offHeapBytes: 0, outputBytes: 1, logEntries: 0, ...usage } } : {}),
});
const rowOf = (r: UsageReport, name: UsageRow['name']) => r.rows.find((x) => x.name === name)!;

describe('run --report', function () {
  this.timeout(60_000);

  describe('the report', () => {
    it('has one row per limit, each against the limit in force, with percentages', () => {
      const limits = resolveLimits({ timeoutMs: 400, maxOutputBytes: 2048 });
      const r = buildUsageReport([ok(300), ok(100, { heapUsedBytes: 16 * MB, offHeapBytes: 8 * MB, outputBytes: 512, logEntries: 7 })], limits);
      assert.equal(r.invocations, 2);
      assert.deepEqual(
        r.rows.map(({ name, used, limit, percent }) => ({ name, used, limit, percent })),
        [
          { name: 'time', used: 100, limit: 400, percent: 25 },
          { name: 'heap', used: 16 * MB, limit: 64 * MB, percent: 25 },
          { name: 'offHeap', used: 8 * MB, limit: 64 * MB, percent: 12.5 },
          { name: 'output', used: 512, limit: 2048, percent: 25 },
          { name: 'logs', used: 7, limit: 100, percent: 7 },
        ],
      );
    });

    it(`warns from ${WARN_RATIO * 100}% of a limit: 80% warns, 79.9% does not`, () => {
      const at = (outputBytes: number) => rowOf(buildUsageReport([ok(1, { outputBytes })], { ...DEFAULT_LIMITS, maxOutputBytes: 1000 }), 'output');
      assert.deepEqual([at(800).warning, at(800).exceeded, at(800).percent], [true, false, 80]);
      assert.deepEqual([at(799).warning, at(799).percent], [false, 79.9]);
    });

    it('times warm invocations when there are any; a lone cold invocation is an upper bound, shown but never flagged', () => {
      const warm = rowOf(buildUsageReport([ok(190), ok(20), ok(170)], DEFAULT_LIMITS), 'time');
      assert.deepEqual([warm.used, warm.percent, warm.warning], [170, 85, true]);
      assert.match(warm.note!, /slowest of 2 warm invocations; the first, which started the worker, took 190 ms/);
      const cold = rowOf(buildUsageReport([ok(250)], DEFAULT_LIMITS), 'time');
      assert.deepEqual([cold.used, cold.warning, cold.exceeded], [250, false, false]);
      assert.match(cold.note!, /includes starting the sandbox and worker.*--repeat 3/);
    });

    it('per-invocation figures take the largest invocation; log entries add up over the run (the rate is per plugin)', () => {
      const r = buildUsageReport(
        [ok(5, { heapUsedBytes: 3 * MB, offHeapBytes: 1, outputBytes: 10, logEntries: 40 }), ok(5, { heapUsedBytes: 2 * MB, offHeapBytes: 5, outputBytes: 3, logEntries: 45 })],
        DEFAULT_LIMITS,
      );
      assert.deepEqual([rowOf(r, 'heap').used, rowOf(r, 'offHeap').used, rowOf(r, 'output').used], [3 * MB, 5, 10]);
      assert.deepEqual([rowOf(r, 'logs').used, rowOf(r, 'logs').warning], [85, true]);
    });

    it('names the limit a failure hit: timeout → time, off-heap cap → off-heap, heap OOM → heap, output → output', () => {
      const failed = (kind: 'timeout' | 'memory' | 'output-too-large', detail?: string): InvokeOutcome => ({ ok: false, failure: makeFailure(kind, detail), durationMs: 210 });
      const exceeded = (o: InvokeOutcome) => buildUsageReport([o], DEFAULT_LIMITS).rows.filter((r) => r.exceeded).map((r) => r.name);
      assert.deepEqual(exceeded(failed('timeout')), ['time']);
      assert.deepEqual(exceeded(failed('memory', 'more than 67108864 bytes of ArrayBuffers/typed arrays')), ['offHeap']);
      assert.deepEqual(exceeded(failed('memory', "the plugin's heap reached its 64 MB limit")), ['heap']);
      assert.deepEqual(exceeded(failed('output-too-large')), ['output']);
      const t = rowOf(buildUsageReport([failed('timeout')], DEFAULT_LIMITS), 'time');
      assert.deepEqual([t.used, t.percent, t.warning], [200, 100, true]);
    });

    it('says "not reported" (null) for what a stopped worker could not report', () => {
      const r = buildUsageReport([{ ok: false, failure: makeFailure('timeout'), durationMs: 200 }], DEFAULT_LIMITS);
      for (const name of ['heap', 'offHeap', 'output', 'logs'] as const) {
        assert.deepEqual([rowOf(r, name).used, rowOf(r, name).percent], [null, null], name);
        assert.match(rowOf(r, name).note!, /^not reported: the worker was stopped/);
      }
    });

    it('formats as an aligned table with "!" on the rows at 80% or more', () => {
      const text = formatUsageReport(buildUsageReport([ok(150), ok(170, { heapUsedBytes: 4.5 * MB, offHeapBytes: 0, outputBytes: 900 * 1024, logEntries: 2 })], DEFAULT_LIMITS));
      assert.equal(
        text,
        [
          'usage against limits (2 invocations; ! = at least 80% of the limit):',
          '! time          170 ms of 200 ms            85%  (close to the limit; slowest of 1 warm invocation; the first, which started the worker, took 150 ms)',
          '  heap          4.5 MB of 64 MB              7%  (V8 heap in use when the invocation ended)',
          '  off-heap     0 bytes of 64 MB              0%  (ArrayBuffers and typed arrays allocated per invocation)',
          '! output        900 KB of 1 MB            87.9%  (close to the limit; UTF-8 bytes of the result)',
          '  log entries        2 of 100 per minute     2%  (all 2 invocations: the rate is per plugin)',
          '',
        ].join('\n'),
      );
    });
  });

  describe('through the CLI', () => {
    let dir: string;
    before(() => {
      dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pr-report-'));
    });
    after(() => fs.rmSync(dir, { recursive: true, force: true }));

    const plugin = (name: string, source: string) => {
      const folder = path.join(dir, name);
      fs.mkdirSync(folder, { recursive: true });
      fs.writeFileSync(path.join(folder, 'plugin.json'), JSON.stringify({ name, displayName: name, version: '1.0.0', description: 'd', publisher: 'p', apiVersion: 1, main: 'index.js', hooks: ['transform'] }));
      fs.writeFileSync(path.join(folder, 'index.js'), source);
      return folder;
    };
    const cli = (args: string[], stdin: string) => {
      const r = spawnSync(process.execPath, [CLI_ENTRY, ...args], { input: stdin, encoding: 'utf8', timeout: 60_000 });
      return { code: r.status, stdout: r.stdout, stderr: r.stderr };
    };
    const reportLines = (stderr: string) => stderr.slice(stderr.indexOf('usage against limits')).trimEnd().split('\n');

    it('prints the output unchanged on stdout and the report on stderr, one row per limit', () => {
      const r = cli(['run', path.join(SAMPLES_DIR, 'sort-lines'), '--report'], 'b\na\n');
      assert.equal(r.code, 0);
      assert.equal(r.stdout, 'a\nb\n');
      const lines = reportLines(r.stderr);
      assert.equal(lines[0], 'usage against limits (1 invocation; ! = at least 80% of the limit):');
      assert.deepEqual(lines.slice(1).map((l) => l.slice(2).split(/\s{2,}/)[0]), ['time', 'heap', 'off-heap', 'output', 'log entries']);
      assert.match(lines[4]!, /^ {2}output +4 bytes of 1 MB +0% +\(UTF-8 bytes of the result\)$/);
    });

    it('flags what is close: 90 log entries over 2 invocations, 900 KB of output', () => {
      const chatty = plugin('chatty', 'module.exports = { transform(i, api) { for (let k = 0; k < 45; k++) api.log("line " + k); return i.text; } };');
      const logs = reportLines(cli(['run', chatty, '--report', '--repeat', '2'], 'x').stderr);
      assert.match(logs.find((l) => l.includes('log entries'))!, /^! log entries +90 of 100 per minute +90% +\(close to the limit; all 2 invocations/);
      const big = plugin('big', 'module.exports = { transform() { return "x".repeat(900 * 1024); } };');
      const r = cli(['run', big, '--report'], 'x');
      assert.equal(r.stdout.length, 900 * 1024);
      assert.match(reportLines(r.stderr).find((l) => l.includes('output'))!, /^! output +900 KB of 1 MB +87\.9% +\(close to the limit/);
    });

    it('a failed run keeps its error line and exit code 1, and the report marks the limit it hit', () => {
      const loop = plugin('loop', 'module.exports = { transform() { for (;;) {} } };');
      const r = cli(['run', loop, '--report', '--timeout-ms', '100'], 'x');
      assert.equal(r.code, 1);
      assert.match(r.stderr, /^error\[timeout\]: The plugin did not finish within 100 ms and was stopped\.$/m);
      assert.match(reportLines(r.stderr)[1]!, /^! time +100 ms of 100 ms +100% +\(LIMIT REACHED;/);
    });

    it('--json --report: the report is the "report" field of the one JSON object', () => {
      const r = cli(['run', path.join(SAMPLES_DIR, 'sort-lines'), '--json', '--report', '--repeat', '2'], 'b\na\n');
      assert.equal(r.code, 0);
      assert.equal(r.stderr, '');
      const out = JSON.parse(r.stdout) as { ok: boolean; output: string; report: UsageReport };
      assert.equal(out.output, 'a\nb\n');
      assert.equal(out.report.invocations, 2);
      assert.deepEqual(out.report.rows.map((x) => [x.name, x.limit, x.unit]), [
        ['time', 200, 'ms'],
        ['heap', 64 * MB, 'bytes'],
        ['offHeap', 64 * MB, 'bytes'],
        ['output', MB, 'bytes'],
        ['logs', 100, 'entries'],
      ]);
      for (const x of out.report.rows) assert.equal(typeof x.used, 'number', x.name);
      assert.equal(out.report.rows[3]!.used, 4);
      const plain = JSON.parse(cli(['run', path.join(SAMPLES_DIR, 'sort-lines'), '--json'], 'b\na\n').stdout) as Record<string, unknown>;
      assert.equal('report' in plain, false);
    });
  });
});
