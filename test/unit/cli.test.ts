// The CLI as a plugin author uses it: validate and run plugin folders, exit codes, --json, --repeat.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { CLI_ENTRY, SAMPLES_DIR } from '../helpers/host';

function cli(args: string[], stdin?: string) {
  const r = spawnSync(process.execPath, [CLI_ENTRY, ...args], { input: stdin ?? '', encoding: 'utf8', timeout: 60_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe('plugin-runtime CLI', function () {
  this.timeout(60_000);
  let dir: string;
  before(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pr-cli-'));
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  const plugin = (name: string, source: string, extra: object = {}) => {
    const folder = path.join(dir, name);
    fs.mkdirSync(folder, { recursive: true });
    fs.writeFileSync(path.join(folder, 'plugin.json'), JSON.stringify({ name, displayName: name, version: '1.0.0', description: 'd', publisher: 'p', apiVersion: 1, main: 'index.js', hooks: ['transform'], ...extra }));
    fs.writeFileSync(path.join(folder, 'index.js'), source);
    return folder;
  };

  it('validate: exit 0 with a summary for a valid plugin; exit 2 with one problem per line otherwise', () => {
    const ok = cli(['validate', path.join(SAMPLES_DIR, 'sort-lines')]);
    assert.equal(ok.code, 0);
    assert.match(ok.stdout, /^ok: sort-lines 1\.0\.0/);
    const bad = plugin('bad', 'module.exports = {};', { apiVersion: 2, permissions: ['net'] });
    const r = cli(['validate', bad]);
    assert.equal(r.code, 2);
    assert.deepEqual(r.stderr.trim().split('\n'), [
      'apiVersion: 2 is not supported: this runtime implements apiVersion 1 exactly',
      'permissions[0]: unknown permission "net" (known: log, read:data, write:data)',
    ]);
  });

  it('run: prints the output and exits 0; reads stdin or --input-file', () => {
    const r = cli(['run', path.join(SAMPLES_DIR, 'sort-lines')], 'b\na\nc\n');
    assert.deepEqual([r.code, r.stdout], [0, 'a\nb\nc\n']);
    const f = path.join(dir, 'in.txt');
    fs.writeFileSync(f, 'z\ny\n');
    assert.equal(cli(['run', path.join(SAMPLES_DIR, 'sort-lines'), '--input-file', f]).stdout, 'y\nz\n');
  });

  it('run: a plugin failure prints one error[kind] line and exits 1', () => {
    const loop = plugin('loops', 'module.exports = { transform() { for (;;) {} } };');
    const r = cli(['run', loop, '--timeout-ms', '100'], 'x');
    assert.equal(r.code, 1);
    assert.match(r.stderr, /^error\[timeout\]: The plugin did not finish within 100 ms and was stopped\.$/m);
  });

  it('run --json: one object with ok, output, durationMs and logs (redacted, as the extension shows them)', () => {
    const p = plugin('logs-secret', 'module.exports = { transform(i, api) { api.log("token=" + "hunter2hunter2"); return i.text; } };');
    const r = cli(['run', p, '--json'], 'abc');
    assert.equal(r.code, 0);
    const out = JSON.parse(r.stdout);
    assert.equal(out.ok, true);
    assert.equal(out.output, 'abc');
    assert.equal(typeof out.durationMs, 'number');
    assert.equal(out.logs.length, 1);
    assert.doesNotMatch(out.logs[0].message, /hunter2/);
    const f = JSON.parse(cli(['run', plugin('throws-json', 'module.exports = { transform() { throw new Error("nope"); } };'), '--json'], 'x').stdout);
    assert.deepEqual([f.ok, f.kind, f.message], [false, 'plugin-error', 'The plugin threw an error.']);
  });

  it('run --grant and --storage-file: storage persists across runs; --repeat runs on one warm host', () => {
    const store = path.join(dir, 'state.json');
    const counter = path.join(SAMPLES_DIR, 'counter');
    cli(['run', counter, '--grant', 'read:data,write:data', '--storage-file', store], 'a\n');
    const second = cli(['run', counter, '--grant', 'read:data,write:data', '--storage-file', store, '--repeat', '2'], 'a\n');
    assert.equal(second.code, 0);
    assert.equal(second.stdout, '3. a\n');
    const denied = cli(['run', counter], 'a\n');
    assert.equal(denied.code, 1);
    assert.match(denied.stderr, /error\[permission-denied\]/);
  });

  it('bad usage exits 2 with a hint: unknown flag, unknown permission, no input, invalid limit', () => {
    for (const args of [
      ['run', path.join(SAMPLES_DIR, 'sort-lines'), '--frobnicate'],
      ['run', path.join(SAMPLES_DIR, 'sort-lines'), '--grant', 'net'],
      ['run', path.join(SAMPLES_DIR, 'sort-lines'), '--timeout-ms', '1'],
      ['frob'],
    ]) {
      const r = cli(args, 'x');
      assert.equal(r.code, 2, args.join(' '));
      assert.match(r.stderr, /plugin-runtime --help/);
    }
  });

  it('info reports whether the permission model confines the sandbox', () => {
    const r = cli(['info']);
    assert.equal(r.code, 0);
    assert.match(r.stdout, /^permission model: active/m);
  });
});
