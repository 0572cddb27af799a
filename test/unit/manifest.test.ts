// plugin.json parsing and plugin folder loading: every field checked, problems name the field.
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { loadPluginFolder, parseManifest, fingerprintOf } from '../../src/core/manifest';

const valid = {
  name: 'sort-lines',
  displayName: 'Sort Lines',
  version: '1.0.0',
  description: 'Sorts the selected lines.',
  publisher: 'example',
  apiVersion: 1,
  main: 'index.js',
  hooks: ['transform'],
  permissions: ['read:data', 'write:data'],
};

function problems(json: unknown): string[] {
  const r = parseManifest(json);
  return r.ok ? [] : r.problems;
}

describe('parseManifest', () => {
  it('accepts the manifest of DESIGN.md and defaults permissions to none', () => {
    assert.equal(parseManifest(valid).ok, true);
    const { permissions: _omit, ...noPerms } = valid;
    const r = parseManifest(noPerms);
    assert.ok(r.ok);
    assert.deepEqual(r.value.permissions, []);
  });

  it('names the field in every problem', () => {
    assert.deepEqual(problems({ ...valid, name: 'Sort Lines' }), ['name: must be lowercase letters, digits and single dashes (e.g. "sort-lines")']);
    assert.deepEqual(problems({ ...valid, version: '1.0' }), ['version: must be a semantic version such as "1.0.0"']);
    assert.deepEqual(problems({ ...valid, hooks: ['transform', 'format'] }), ['hooks[1]: unknown hook "format" (known: transform)']);
    assert.deepEqual(problems({ ...valid, permissions: ['net:fetch'] }), ['permissions[0]: unknown permission "net:fetch" (known: log, read:data, write:data)']);
    assert.deepEqual(problems({ ...valid, extra: true }), ['(manifest): unknown field(s) "extra"']);
    const { displayName: _d, ...missing } = valid;
    assert.deepEqual(problems(missing), ['displayName: is required']);
  });

  it('requires apiVersion to equal the runtime\'s exactly', () => {
    assert.deepEqual(problems({ ...valid, apiVersion: 2 }), ['apiVersion: 2 is not supported: this runtime implements apiVersion 1 exactly']);
    assert.deepEqual(problems({ ...valid, apiVersion: '1' }), ['apiVersion: "1" is not supported: this runtime implements apiVersion 1 exactly']);
  });

  it('keeps main inside the plugin folder', () => {
    assert.deepEqual(problems({ ...valid, main: '../outside.js' }), ['main: must not contain ".." (it must stay inside the plugin folder)']);
    assert.deepEqual(problems({ ...valid, main: '/etc/passwd.js' }), ['main: must be a path relative to the plugin folder']);
    assert.deepEqual(problems({ ...valid, main: 'C:\\x.js' }), ['main: must be a path relative to the plugin folder']);
    assert.deepEqual(problems({ ...valid, main: 'index.ts' }), ['main: must name a .js file']);
  });

  it('refuses duplicates, empty hooks, control characters, and non-objects', () => {
    assert.deepEqual(problems({ ...valid, permissions: ['read:data', 'read:data'] }), ['permissions: must not list the same entry twice']);
    assert.deepEqual(problems({ ...valid, hooks: [] }), ['hooks: must list at least one hook']);
    assert.deepEqual(problems({ ...valid, displayName: 'Evil\u202eName' }), ['displayName: must not contain control characters']);
    for (const v of [null, [], 'x', 1]) assert.deepEqual(problems(v), ['(manifest): plugin.json must contain a JSON object']);
  });
});

describe('loadPluginFolder', () => {
  let dir: string;
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pr-manifest-'));
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  const write = (manifest: object, files: Record<string, string>) => {
    fs.writeFileSync(path.join(dir, 'plugin.json'), JSON.stringify(manifest));
    for (const [f, c] of Object.entries(files)) {
      fs.mkdirSync(path.dirname(path.join(dir, f)), { recursive: true });
      fs.writeFileSync(path.join(dir, f), c);
    }
  };

  it('loads a valid folder with its source and a fingerprint over plugin.json and main', () => {
    write(valid, { 'index.js': 'module.exports = { transform: (i) => i.text };' });
    const r = loadPluginFolder(dir);
    assert.ok(r.ok);
    assert.equal(r.value.source, 'module.exports = { transform: (i) => i.text };');
    assert.equal(r.value.fingerprint, fingerprintOf(fs.readFileSync(path.join(dir, 'plugin.json')), fs.readFileSync(path.join(dir, 'index.js'))));
  });

  it('changes the fingerprint when either file changes', () => {
    write(valid, { 'index.js': 'module.exports = {};' });
    const a = loadPluginFolder(dir);
    fs.writeFileSync(path.join(dir, 'index.js'), 'module.exports = { };');
    const b = loadPluginFolder(dir);
    write({ ...valid, description: 'Changed.' }, {});
    const c = loadPluginFolder(dir);
    assert.ok(a.ok && b.ok && c.ok);
    assert.notEqual(a.value.fingerprint, b.value.fingerprint);
    assert.notEqual(b.value.fingerprint, c.value.fingerprint);
  });

  it('reports a missing plugin.json, invalid JSON, and a missing main file', () => {
    assert.deepEqual(loadPluginFolder(dir), { ok: false, problems: [`plugin.json: file not found (${path.join(fs.realpathSync(dir), 'plugin.json')})`] });
    fs.writeFileSync(path.join(dir, 'plugin.json'), '{ not json');
    const bad = loadPluginFolder(dir);
    assert.ok(!bad.ok && /^plugin.json: is not valid JSON/.test(bad.problems[0]!));
    write(valid, {});
    assert.deepEqual(loadPluginFolder(dir), { ok: false, problems: ['main: file not found (index.js)'] });
  });

  it('refuses a main that is a symlink leading outside the folder', () => {
    const outside = path.join(os.tmpdir(), `pr-outside-${process.pid}.js`);
    fs.writeFileSync(outside, 'module.exports = {};');
    write(valid, {});
    fs.symlinkSync(outside, path.join(dir, 'index.js'));
    try {
      assert.deepEqual(loadPluginFolder(dir), { ok: false, problems: ['main: is a link that leads outside the plugin folder'] });
    } finally {
      fs.rmSync(outside, { force: true });
    }
  });

  it('refuses dynamic import() with the line and column, and syntax errors', () => {
    write(valid, { 'index.js': 'module.exports = {\n  transform: async () => (await import("fs")).readFileSync("/etc/passwd", "utf8"),\n};' });
    assert.deepEqual(loadPluginFolder(dir), {
      ok: false,
      problems: ['main (index.js:2:33): dynamic import() is not allowed in plugins: bundle dependencies into the script at build time instead'],
    });
    write(valid, { 'index.js': 'module.exports = {' });
    const r = loadPluginFolder(dir);
    assert.ok(!r.ok && /^main \(index.js:1:\d+\): syntax error: /.test(r.problems[0]!));
  });
});
