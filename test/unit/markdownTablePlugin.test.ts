// The TypeScript sample plugin and the plugin API typings: the committed index.js is exactly what build.mjs
// produces, src/ type-checks against types/plugin-api.d.ts with no Node types, the typings catch a wrong
// plugin, and the bundled plugin works through the CLI.
import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { CLI_ENTRY, REPO_ROOT, SAMPLES_DIR } from '../helpers/host';

const PLUGIN = path.join(SAMPLES_DIR, 'markdown-table');
const TSC = path.join(REPO_ROOT, 'node_modules', 'typescript', 'bin', 'tsc');

function node(args: string[], input = '') {
  const r = spawnSync(process.execPath, args, { input, encoding: 'utf8', timeout: 60_000, cwd: REPO_ROOT });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}
const run = (text: string, ...extra: string[]) => node([CLI_ENTRY, 'run', PLUGIN, '--json', ...extra], text);

describe('sample plugin markdown-table (TypeScript, bundled with esbuild)', function () {
  this.timeout(60_000);

  it('the committed index.js is exactly what build.mjs produces', () => {
    const r = node([path.join(PLUGIN, 'build.mjs'), '--check']);
    assert.equal(r.code, 0, r.stderr);
  });

  it('is a valid plugin as committed (validate needs no build step)', () => {
    const r = node([CLI_ENTRY, 'validate', PLUGIN]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^ok: markdown-table 1\.0\.0 \(transform; permissions: none\)/);
  });

  it('src/ type-checks against types/plugin-api.d.ts with no Node or DOM types', () => {
    const r = node([TSC, '-p', PLUGIN]);
    assert.equal(r.code, 0, r.stdout + r.stderr);
  });

  it('the typings reject a wrong plugin: a number returned, console used, a storage value that is not JSON', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pr-typings-'));
    try {
      fs.copyFileSync(path.join(REPO_ROOT, 'types', 'plugin-api.d.ts'), path.join(dir, 'plugin-api.d.ts'));
      fs.writeFileSync(
        path.join(dir, 'bad.ts'),
        [
          "import type { Plugin } from './plugin-api';",
          'export const plugin: Plugin = {',
          '  async transform(input, api) {',
          '    console.log(input.text);',
          '    await api.storage.set("when", new Date());',
          '    return input.text.length;',
          '  },',
          '};',
        ].join('\n'),
      );
      fs.writeFileSync(path.join(dir, 'tsconfig.json'), JSON.stringify({ compilerOptions: { strict: true, noEmit: true, lib: ['ES2023'], types: [], target: 'ES2022', module: 'ESNext', moduleResolution: 'Bundler' }, include: ['*.ts'] }));
      const r = node([TSC, '-p', dir]);
      assert.equal(r.code, 2, r.stdout);
      assert.match(r.stdout, /bad\.ts\(4,5\): error TS2584: Cannot find name 'console'/);
      assert.match(r.stdout, /bad\.ts\(5,\d+\): error TS2345: Argument of type 'Date' is not assignable to parameter of type 'JsonValue'/);
      assert.match(r.stdout, /bad\.ts\(3,9\): error TS2322: Type '\(input: TransformInput, api: PluginApi\) => Promise<number>' is not assignable to type 'TransformHook'/);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('aligns a table through the CLI: widths, alignments, escaped pipes, wide characters, short rows', () => {
    const input = ['| Name | Qty | Price |', '|:--|:-:|--:|', '| apple | 1 | 0.5 |', '| 日本語 | 12 | 10 |', '| a \\| b | `x` |', ''].join('\n');
    const r = run(input);
    assert.equal(r.code, 0, r.stdout + r.stderr);
    const out = JSON.parse(r.stdout) as { ok: boolean; output: string; logs: Array<{ message: string }> };
    assert.equal(
      out.output,
      ['| Name   | Qty | Price |', '| :----- | :-: | ----: |', '| apple  |  1  |   0.5 |', '| 日本語 | 12  |    10 |', '| a \\| b | `x` |       |', ''].join('\n'),
    );
    assert.deepEqual(out.logs.map((l) => l.message), ['aligned 1 table']);
  });

  it('leaves everything that is not a table as it was: prose with pipes, fenced code, CRLF endings', () => {
    const input = ['Intro | not a table', '', '```', '| a | b |', '|---|---|', '```', '| x | y |', '|-|-|', '| long cell | z |'].join('\r\n');
    const out = JSON.parse(run(input).stdout) as { output: string };
    assert.equal(out.output, ['Intro | not a table', '', '```', '| a | b |', '|---|---|', '```', '| x         | y   |', '| --------- | --- |', '| long cell | z   |'].join('\r\n'));
  });

  it('a row with more cells than the header keeps its text (new empty header columns); no table: unchanged, logged', () => {
    const out = JSON.parse(run('| a |\n|---|\n| 1 | 2 |\n').stdout) as { output: string };
    assert.equal(out.output, '| a   |     |\n| --- | --- |\n| 1   | 2   |\n');
    const plain = JSON.parse(run('just text\n').stdout) as { output: string; logs: Array<{ message: string }> };
    assert.equal(plain.output, 'just text\n');
    assert.match(plain.logs[0]!.message, /^no Markdown table found in /);
  });

  it('is idempotent and handles a 2,000-row table within the default time limit', () => {
    const rows = Array.from({ length: 2000 }, (_, i) => `| row ${i} | ${'x'.repeat(i % 17)} | ${i * 3} |`);
    const input = ['| id | text | n |', '|---|:-:|--:|', ...rows, ''].join('\n');
    const first = JSON.parse(run(input).stdout) as { ok: boolean; output: string };
    assert.equal(first.ok, true);
    const second = JSON.parse(run(first.output).stdout) as { ok: boolean; output: string };
    assert.equal(second.output, first.output);
  });
});
