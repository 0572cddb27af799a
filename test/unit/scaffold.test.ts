// New Plugin…'s scaffold, without VS Code: the files it writes are a valid plugin whose transform works through
// the CLI, index.js type-checks against the shipped typings with the scaffold's jsconfig (no Node, no DOM),
// names are checked, and an existing folder is never overwritten.
import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { displayNameOf, problemWithPluginName, templateFiles, writeScaffold } from '../../src/vscode/pluginTemplate';
import { CLI_ENTRY, REPO_ROOT } from '../helpers/host';

const TYPINGS = fs.readFileSync(path.join(REPO_ROOT, 'types', 'plugin-api.d.ts'), 'utf8');
const TSC = path.join(REPO_ROOT, 'node_modules', 'typescript', 'bin', 'tsc');

function node(args: string[], input = '') {
  const r = spawnSync(process.execPath, args, { input, encoding: 'utf8', timeout: 60_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe('New Plugin… scaffold', function () {
  this.timeout(60_000);
  let parent: string;
  beforeEach(() => {
    parent = fs.mkdtempSync(path.join(os.tmpdir(), 'pr-scaffold-'));
  });
  afterEach(() => fs.rmSync(parent, { recursive: true, force: true }));

  it('writes plugin.json, index.js, README.md, the typings and a jsconfig into <folder>/<name>', () => {
    const r = writeScaffold(parent, { name: 'reverse-lines', publisher: 'me', typings: TYPINGS });
    assert.deepEqual(r, { ok: true, dir: path.join(parent, 'reverse-lines') });
    assert.deepEqual(fs.readdirSync(path.join(parent, 'reverse-lines')).sort(), ['README.md', 'index.js', 'jsconfig.json', 'plugin-api.d.ts', 'plugin.json']);
    const manifest = JSON.parse(fs.readFileSync(path.join(parent, 'reverse-lines', 'plugin.json'), 'utf8')) as Record<string, unknown>;
    assert.deepEqual([manifest['name'], manifest['displayName'], manifest['apiVersion'], manifest['main'], manifest['permissions']], ['reverse-lines', 'Reverse Lines', 1, 'index.js', []]);
    assert.equal(fs.readFileSync(path.join(parent, 'reverse-lines', 'plugin-api.d.ts'), 'utf8'), TYPINGS);
  });

  it('is a valid plugin whose transform works through the CLI (LF and CRLF, trailing line break kept)', () => {
    const dir = (writeScaffold(parent, { name: 'reverse-lines', publisher: 'me', typings: TYPINGS }) as { dir: string }).dir;
    const v = node([CLI_ENTRY, 'validate', dir]);
    assert.equal(v.code, 0, v.stderr);
    assert.match(v.stdout, /^ok: reverse-lines 0\.1\.0 \(transform; permissions: none\)/);
    const r = node([CLI_ENTRY, 'run', dir, '--json'], 'one\ntwo\nthree\n');
    const out = JSON.parse(r.stdout) as { ok: boolean; output: string; logs: Array<{ message: string }> };
    assert.equal(out.output, 'three\ntwo\none\n');
    assert.deepEqual(out.logs.map((l) => l.message), ['reversing 3 line(s) of stdin']);
    assert.equal((JSON.parse(node([CLI_ENTRY, 'run', dir, '--json'], 'a\r\nb').stdout) as { output: string }).output, 'b\r\na');
  });

  it("index.js type-checks against plugin-api.d.ts with the scaffold's jsconfig, and console is an error there", () => {
    const dir = (writeScaffold(parent, { name: 'checked', publisher: 'me', typings: TYPINGS }) as { dir: string }).dir;
    const ok = node([TSC, '-p', path.join(dir, 'jsconfig.json'), '--noEmit']);
    assert.equal(ok.code, 0, ok.stdout + ok.stderr);
    fs.appendFileSync(path.join(dir, 'index.js'), '\nconsole.log("hi");\n');
    const bad = node([TSC, '-p', path.join(dir, 'jsconfig.json'), '--noEmit']);
    assert.notEqual(bad.code, 0);
    assert.match(bad.stdout, /Cannot find name 'console'/);
  });

  it('refuses bad names and an existing folder, and overwrites nothing', () => {
    assert.equal(problemWithPluginName('reverse-lines'), undefined);
    for (const bad of ['', 'Reverse', 'a b', 'a--b', '-a', 'a'.repeat(65), '../x']) assert.ok(problemWithPluginName(bad), bad);
    assert.equal(writeScaffold(parent, { name: '../escape', publisher: 'me', typings: TYPINGS }).ok, false);
    fs.mkdirSync(path.join(parent, 'taken'));
    fs.writeFileSync(path.join(parent, 'taken', 'index.js'), 'mine');
    const r = writeScaffold(parent, { name: 'taken', publisher: 'me', typings: TYPINGS });
    assert.deepEqual(r, { ok: false, message: `${path.join(parent, 'taken')} already exists; pick another name or folder.` });
    assert.equal(fs.readFileSync(path.join(parent, 'taken', 'index.js'), 'utf8'), 'mine');
    assert.deepEqual(fs.readdirSync(parent), ['taken']);
  });

  it('names: "a-b-c" → "A B C"; the manifest is checked against the schema when the files are made', () => {
    assert.equal(displayNameOf('md-table-2'), 'Md Table 2');
    assert.throws(() => templateFiles({ name: 'ok', publisher: '', typings: '' }), /the plugin template is invalid: publisher: must not be empty/);
  });
});
