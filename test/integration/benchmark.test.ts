// Records how long Transform Selection with Plugin… takes from the command (plugin named in its arguments) to
// the edit applied, for a 1 KB selection and for 100 cursors, in the real editor. No assertions on time: the
// figures go to the console and, when PLUGIN_RUNTIME_BENCH_OUT names a file, to that file as JSON.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as vscode from 'vscode';
import type { TestApi } from '../../src/extension';
import { SAMPLES_DIR, closeAllEditors, extensionApi, installViaCommand, openEditor, setSetting, setText, transform, uninstallAll, usePluginFolders, relaxTimeout } from './helpers';

const RUNS = 20;

interface Series {
  /** The first run in this window: includes starting the sandbox process and the plugin's worker. */
  coldMs: number;
  runsMs: number[];
  p50Ms: number;
  p95Ms: number;
  minMs: number;
  maxMs: number;
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!;
}

function series(cold: number, runs: number[]): Series {
  const sorted = [...runs].sort((a, b) => a - b);
  const round = (n: number) => Math.round(n * 100) / 100;
  return { coldMs: round(cold), runsMs: runs.map(round), p50Ms: round(percentile(sorted, 50)), p95Ms: round(percentile(sorted, 95)), minMs: round(sorted[0]!), maxMs: round(sorted[sorted.length - 1]!) };
}

describe('transform command timing (recorded, not asserted)', function () {
  this.timeout(120_000);
  let api: TestApi;

  before(async () => {
    api = await extensionApi();
    await relaxTimeout(api, true);
    await usePluginFolders(api, [SAMPLES_DIR]);
    await installViaCommand(api, 'sort-lines');
  });

  after(async () => {
    await closeAllEditors();
    await uninstallAll(api);
    await usePluginFolders(api, []);
    await relaxTimeout(api, false);
  });

  it('measures command → edit applied for a 1 KB selection and for 100 cursors', async () => {
    // The sandbox may be running from earlier suites: a settings change gives a fresh runtime for a cold start.
    await setSetting(api, 'limits.logEntriesPerMinute', 99, (a) => a.limits.logEntriesPerMinute === 99);
    assert.equal(api.host.status().sandbox, undefined);

    const words = ['kiwi', 'apple', 'fig', 'banana', 'cherry', 'date', 'grape', 'lemon', 'mango', 'pear'];
    const lines: string[] = [];
    for (let i = 0; lines.join('\n').length < 1024; i++) lines.push(`${words[(i * 7) % words.length]} ${i}`);
    const kb = lines.join('\n').slice(0, 1024).replace(/\n[^\n]*$/, '');
    const blocks = Array.from({ length: 100 }, (_, i) => `zeta ${i}\nalpha ${i}`).join('\n\n');

    const time = async (editor: vscode.TextEditor, text: string, select: (e: vscode.TextEditor) => void): Promise<number> => {
      await setText(editor, text);
      select(editor);
      const t0 = performance.now();
      const r = await transform('sort-lines');
      const ms = performance.now() - t0;
      assert.equal(r.applied, true, JSON.stringify(r));
      return ms;
    };

    const kbEditor = await openEditor(kb);
    const selectAll = (e: vscode.TextEditor) => {
      e.selection = new vscode.Selection(new vscode.Position(0, 0), e.document.lineAt(e.document.lineCount - 1).range.end);
    };
    const kbCold = await time(kbEditor, kb, selectAll);
    const kbRuns: number[] = [];
    for (let i = 0; i < RUNS; i++) kbRuns.push(await time(kbEditor, kb, selectAll));

    const cursorEditor = await openEditor(blocks);
    const selectBlocks = (e: vscode.TextEditor) => {
      e.selections = Array.from({ length: 100 }, (_, i) => new vscode.Selection(i * 3, 0, i * 3 + 1, e.document.lineAt(i * 3 + 1).text.length));
    };
    const cursorFirst = await time(cursorEditor, blocks, selectBlocks);
    assert.equal(cursorEditor.document.lineAt(0).text, 'alpha 0');
    assert.equal(cursorEditor.selections.length, 100);
    const cursorRuns: number[] = [];
    for (let i = 0; i < RUNS; i++) cursorRuns.push(await time(cursorEditor, blocks, selectBlocks));

    const report = {
      what: 'pluginRuntime.transformSelection with { plugin: "sort-lines" }: executeCommand → the edit applied (the command resolves after editor.edit)',
      vscode: vscode.version,
      platform: `${process.platform} ${process.arch}, node ${process.versions.node}`,
      date: new Date().toISOString(),
      runs: RUNS,
      timeoutMs: api.limits.timeoutMs,
      selection1KB: { bytes: Buffer.byteLength(kb), ...series(kbCold, kbRuns) },
      cursors100: { selections: 100, bytesEach: Buffer.byteLength('zeta 0\nalpha 0'), ...series(cursorFirst, cursorRuns) },
      notes: 'The time limit is raised (a user setting) so a loaded machine cannot fail a run; it does not change the path measured. coldMs of selection1KB includes starting the sandbox process and the worker; cursors100.coldMs is its first run (warm sandbox). Each run first resets the text (not timed).',
    };
    console.log(`transform timing: 1 KB cold ${report.selection1KB.coldMs} ms, p50 ${report.selection1KB.p50Ms} ms, p95 ${report.selection1KB.p95Ms} ms; ` +
      `100 cursors first ${report.cursors100.coldMs} ms, p50 ${report.cursors100.p50Ms} ms, p95 ${report.cursors100.p95Ms} ms`);
    const out = process.env.PLUGIN_RUNTIME_BENCH_OUT;
    if (out) fs.writeFileSync(out, `${JSON.stringify(report, null, 2)}\n`);
    await setSetting(api, 'limits.logEntriesPerMinute', undefined, (a) => a.limits.logEntriesPerMinute === 100);
  });
});
