// Discovery: valid and invalid candidates, duplicates across folders, unreadable folders, and cheap,
// idempotent rescans that notice changes.
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { loadPluginFolder } from '../../src/core/manifest';
import { PluginDiscovery } from '../../src/core/registry/discovery';
import { PluginRegistry } from '../../src/core/registry/registry';
import { MemoryStore } from '../../src/core/store';
import { cleanupTempDirs, tempDir, writePlugin } from './registryFixtures';

function countingLoader() {
  const calls: string[] = [];
  return {
    calls,
    load: (dir: string) => {
      calls.push(path.basename(dir));
      return loadPluginFolder(dir);
    },
  };
}

describe('registry discovery', () => {
  afterEach(cleanupTempDirs);

  it('lists valid plugins, and invalid ones with their problems instead of skipping them', () => {
    const folder = tempDir();
    writePlugin(folder, { name: 'good' });
    writePlugin(folder, { name: 'bad-version', extra: { apiVersion: 2 } });
    fs.mkdirSync(path.join(folder, 'broken'));
    fs.writeFileSync(path.join(folder, 'broken', 'plugin.json'), '{ nope');
    fs.mkdirSync(path.join(folder, 'not-a-plugin'));
    fs.writeFileSync(path.join(folder, 'stray-file.txt'), 'x');
    const { candidates, folderProblems } = new PluginDiscovery([folder]).scan();
    assert.deepEqual(folderProblems, []);
    assert.deepEqual(
      candidates.map((c) => [c.name, c.plugin !== undefined, c.problems.length > 0]),
      [
        ['bad-version', false, true],
        ['broken', false, true],
        ['good', true, false],
      ],
    );
    assert.match(candidates[0]?.problems[0] ?? '', /^apiVersion: 2 is not supported/);
    assert.match(candidates[1]?.problems[0] ?? '', /^plugin\.json: is not valid JSON/);
  });

  it('reports duplicate names across folders on both, merges neither, and installs neither', async () => {
    const a = tempDir('a');
    const b = tempDir('b');
    const dirA = writePlugin(a, { name: 'twin', version: '1.0.0' });
    const dirB = writePlugin(b, { name: 'twin', version: '2.0.0' }, 'twin-copy');
    writePlugin(b, { name: 'solo' });
    const registry = new PluginRegistry({ store: new MemoryStore(), folders: [a, b] });
    registry.scan();
    const twins = registry.list().filter((p) => p.name === 'twin');
    assert.equal(twins.length, 2);
    const byDir = new Map(twins.map((t) => [t.dir, t]));
    assert.deepEqual(byDir.get(fs.realpathSync(dirA))?.problems, [`duplicate name, also in ${fs.realpathSync(dirB)}`]);
    assert.deepEqual(byDir.get(fs.realpathSync(dirB))?.problems, [`duplicate name, also in ${fs.realpathSync(dirA)}`]);
    assert.deepEqual(twins.map((t) => t.version).sort(), ['1.0.0', '2.0.0']);
    const r = await registry.install('twin', { approve: true });
    assert.equal(r.ok, false);
    if (!r.ok) {
      assert.equal(r.error.kind, 'not-installable');
      assert.match(r.error.message, /^cannot install twin: duplicate name, also in /);
    }
    assert.equal((await registry.install('solo', { approve: true })).ok, true);
  });

  it('does not count the same folder configured twice as duplicates', () => {
    const folder = tempDir();
    writePlugin(folder, { name: 'once' });
    const { candidates } = new PluginDiscovery([folder, folder + path.sep]).scan();
    assert.equal(candidates.length, 1);
    assert.deepEqual(candidates[0]?.problems, []);
  });

  it('reports a plugin folder that cannot be read', () => {
    const missing = path.join(tempDir(), 'nope');
    const { candidates, folderProblems } = new PluginDiscovery([missing]).scan();
    assert.deepEqual(candidates, []);
    assert.deepEqual(folderProblems, [`plugin folder ${missing} could not be read (ENOENT)`]);
  });

  it('rescans idempotently without re-reading unchanged plugins', () => {
    const folder = tempDir();
    writePlugin(folder, { name: 'alpha' });
    writePlugin(folder, { name: 'beta' });
    writePlugin(folder, { name: 'gamma', extra: { hooks: [] } });
    const loader = countingLoader();
    const discovery = new PluginDiscovery([folder], loader.load);
    const first = discovery.scan();
    assert.deepEqual(loader.calls.sort(), ['alpha', 'beta', 'gamma']);
    loader.calls.length = 0;
    const second = discovery.scan();
    assert.deepEqual(loader.calls, ['gamma'], 'only the invalid one (never cached) is read again');
    assert.deepEqual(
      second.candidates.map((c) => [c.name, c.plugin?.fingerprint, c.problems]),
      first.candidates.map((c) => [c.name, c.plugin?.fingerprint, c.problems]),
    );
  });

  it('notices an edited script, a new plugin and a removed one on rescan', () => {
    const folder = tempDir();
    const alpha = writePlugin(folder, { name: 'alpha' });
    const beta = writePlugin(folder, { name: 'beta' });
    const loader = countingLoader();
    const discovery = new PluginDiscovery([folder], loader.load);
    const before = discovery.scan().candidates.find((c) => c.name === 'alpha')?.plugin?.fingerprint;
    loader.calls.length = 0;
    fs.writeFileSync(path.join(alpha, 'index.js'), 'module.exports = { transform(i) { return i.text + "!"; } };\n');
    fs.rmSync(beta, { recursive: true });
    writePlugin(folder, { name: 'delta' });
    const after = discovery.scan();
    assert.deepEqual(loader.calls.sort(), ['alpha', 'delta']);
    assert.deepEqual(after.candidates.map((c) => c.name), ['alpha', 'delta']);
    const fp = after.candidates.find((c) => c.name === 'alpha')?.plugin?.fingerprint;
    assert.ok(fp && before && fp !== before);
  });

  it('re-reads a plugin whose manifest now names another main script', () => {
    const folder = tempDir();
    const dir = writePlugin(folder, { name: 'alpha' });
    const loader = countingLoader();
    const discovery = new PluginDiscovery([folder], loader.load);
    discovery.scan();
    fs.writeFileSync(path.join(dir, 'other.js'), 'module.exports = { transform(i) { return ""; } };\n');
    writePlugin(folder, { name: 'alpha', main: 'other.js', source: 'module.exports = { transform(i) { return ""; } };\n' });
    loader.calls.length = 0;
    const { candidates } = discovery.scan();
    assert.deepEqual(loader.calls, ['alpha']);
    assert.equal(candidates[0]?.plugin?.manifest.main, 'other.js');
  });

  it('lists an installed plugin whose folder disappeared, with a problem saying where it was', async () => {
    const folder = tempDir();
    const dir = writePlugin(folder, { name: 'gone' });
    const store = new MemoryStore();
    const registry = new PluginRegistry({ store, folders: [folder] });
    await registry.install('gone', { approve: true });
    fs.rmSync(dir, { recursive: true });
    registry.scan();
    const [info] = registry.list();
    assert.equal(info?.state, 'INSTALLED');
    assert.deepEqual(info?.problems, [`not found in the plugin folders (it was installed from ${fs.realpathSync(folder)}${path.sep}gone)`]);
  });
});
