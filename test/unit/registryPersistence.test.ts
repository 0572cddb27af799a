// Persistence: state, grants and health survive a restart; a failed store write changes nothing; a damaged
// record is reported, never silently reset; uninstall removes the grant and the plugin's data unless kept.
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { JsonFileStore } from '../../src/core/jsonFileStore';
import { DEFAULT_LIMITS } from '../../src/core/limits';
import { recordKey } from '../../src/core/registry/records';
import { PluginRegistry, type RegistryChange } from '../../src/core/registry/registry';
import { PluginStorage } from '../../src/core/storage';
import { MemoryStore, type KeyValueStore } from '../../src/core/store';
import { FlakyStore, cleanupTempDirs, failure, manualClock, success, tempDir, writePlugin } from './registryFixtures';

function build(store: KeyValueStore, folder: string, extra: { storage?: PluginStorage } = {}) {
  return new PluginRegistry({ store, folders: [folder], clock: manualClock().now, limits: DEFAULT_LIMITS, ...extra });
}

describe('registry persistence', () => {
  afterEach(cleanupTempDirs);

  it('a new registry on the same store has the same states, grants and health', async () => {
    const folder = tempDir();
    writePlugin(folder, { name: 'keeper', permissions: ['read:data', 'write:data'] });
    writePlugin(folder, { name: 'idle' });
    writePlugin(folder, { name: 'crashy' });
    const store = new MemoryStore();
    const first = build(store, folder);
    await first.install('keeper', { approve: true });
    await first.enable('keeper');
    await first.revoke('keeper', 'write:data');
    for (let i = 0; i < 3; i++) await first.recordOutcome('keeper', failure('timeout', `t${i}`, 200));
    await first.recordOutcome('keeper', failure('permission-denied'));
    await first.install('idle', { approve: true });
    await first.install('crashy', { approve: true });
    await first.enable('crashy');
    for (let i = 0; i < 5; i++) await first.recordOutcome('crashy', failure());
    const snapshot = JSON.stringify(first.list());

    const second = build(store, folder);
    assert.equal(JSON.stringify(second.list()), snapshot);
    assert.deepEqual(
      second.list().map((p) => [p.name, p.state]),
      [
        ['crashy', 'ERROR'],
        ['idle', 'INSTALLED'],
        ['keeper', 'ENABLED'],
      ],
    );
    // The failure count carried over: two more failures make five in a row.
    await second.recordOutcome('keeper', failure());
    assert.equal(second.stateOf('keeper'), 'ENABLED');
    await second.recordOutcome('keeper', failure());
    assert.equal(second.stateOf('keeper'), 'ERROR');
  });

  it('survives a restart through the JSON state file', async () => {
    const folder = tempDir();
    writePlugin(folder, { name: 'filed', permissions: ['read:data'] });
    const file = path.join(tempDir('state'), 'state.json');
    const a = JsonFileStore.open(file);
    assert.equal(a.recovered, undefined);
    const first = build(a.store, folder);
    await first.install('filed', { approve: true });
    await first.enable('filed');
    await first.recordOutcome('filed', success(12));
    const b = JsonFileStore.open(file);
    const second = build(b.store, folder);
    const [info] = second.list();
    assert.equal(info?.state, 'ENABLED');
    assert.deepEqual(info?.granted, ['read:data']);
    assert.equal(info?.health.invocations, 1);
    assert.equal(info?.health.p50Ms, 12);
    assert.equal(second.prepareRun('filed').ok, true);
  });

  it('a failed store write leaves the state unchanged, announces nothing and says so', async () => {
    const folder = tempDir();
    writePlugin(folder, { name: 'fragile', permissions: ['read:data'] });
    const store = new FlakyStore();
    const registry = build(store, folder);
    await registry.install('fragile', { approve: true });
    const changes: RegistryChange[] = [];
    registry.onDidChange((c) => void (c.type !== 'scan' && changes.push(c)));
    const before = JSON.stringify(store.get(recordKey('fragile')));

    store.failing = true;
    const r = await registry.enable('fragile');
    assert.equal(r.ok, false);
    if (!r.ok) {
      assert.equal(r.error.kind, 'store-write-failed');
      assert.equal(r.error.message, 'could not save the registry state for fragile (disk full); it was not changed (enable) and it stays INSTALLED');
    }
    assert.equal(registry.stateOf('fragile'), 'INSTALLED');
    assert.equal(JSON.stringify(store.get(recordKey('fragile'))), before);
    assert.deepEqual(changes, []);
    assert.equal(build(store, folder).stateOf('fragile'), 'INSTALLED');

    store.failing = false;
    assert.equal((await registry.enable('fragile')).ok, true, 'works again once the store does');
    assert.equal(registry.stateOf('fragile'), 'ENABLED');
  });

  it('a failed write of the fifth failure does not switch the plugin off or lose earlier counts', async () => {
    const folder = tempDir();
    writePlugin(folder, { name: 'fragile' });
    const store = new FlakyStore();
    const registry = build(store, folder);
    await registry.install('fragile', { approve: true });
    await registry.enable('fragile');
    for (let i = 0; i < 4; i++) await registry.recordOutcome('fragile', failure());
    store.failing = true;
    const r = await registry.recordOutcome('fragile', failure());
    assert.equal(r.ok, false);
    if (!r.ok) assert.match(r.error.message, /its latest outcome was not recorded and it stays ENABLED$/);
    assert.equal(registry.stateOf('fragile'), 'ENABLED');
    assert.equal(registry.list()[0]?.health.consecutiveFailures, 4);
    store.failing = false;
    await registry.recordOutcome('fragile', failure());
    assert.equal(registry.stateOf('fragile'), 'ERROR');
  });

  it('a failed grant write (revoke) leaves the permission granted', async () => {
    const folder = tempDir();
    writePlugin(folder, { name: 'fragile', permissions: ['read:data'] });
    const store = new FlakyStore();
    const registry = build(store, folder);
    await registry.install('fragile', { approve: true });
    await registry.enable('fragile');
    registry.prepareRun('fragile');
    store.failing = true;
    const r = await registry.revoke('fragile', 'read:data');
    assert.equal(!r.ok && r.error.kind, 'store-write-failed');
    assert.equal(registry.isGranted('fragile', 'read:data'), true);
  });

  it('reports a damaged record instead of resetting it, and lets uninstall clear it', async () => {
    const folder = tempDir();
    writePlugin(folder, { name: 'damaged' });
    const store = new MemoryStore();
    await store.update(recordKey('damaged'), { v: 1, name: 'damaged', state: 'ENABLED', grant: 'yes please' });
    const registry = build(store, folder);
    const [info] = registry.list();
    assert.equal(info?.state, 'ERROR');
    assert.match(info?.problems.join('\n') ?? '', /its saved registry state is unreadable .*; uninstall it to reset its saved state/);
    assert.equal(registry.prepareRun('damaged').ok, false);
    assert.equal(registry.isGranted('damaged', 'read:data'), false);
    const enable = await registry.enable('damaged');
    assert.equal(!enable.ok && enable.error.kind, 'corrupt-record');
    const install = await registry.install('damaged', { approve: true });
    assert.equal(!install.ok && install.error.kind, 'corrupt-record');
    assert.notEqual(store.get(recordKey('damaged')), undefined, 'the damaged value is left where it is');
    assert.equal((await registry.uninstall('damaged')).ok, true);
    assert.equal(registry.stateOf('damaged'), 'UNINSTALLED');
    assert.equal((await registry.install('damaged', { approve: true })).ok, true);
  });

  it('rejects a stored record that claims a grant in a state without one', async () => {
    const folder = tempDir();
    writePlugin(folder, { name: 'odd' });
    const store = new MemoryStore();
    const first = build(store, folder);
    await first.install('odd', { approve: true });
    const rec = store.get(recordKey('odd')) as Record<string, unknown>;
    await store.update(recordKey('odd'), { ...rec, state: 'UNINSTALLED' });
    const second = build(store, folder);
    assert.match(second.list()[0]?.problems.join() ?? '', /inconsistent \(UNINSTALLED with a grant\)/);
  });

  it('uninstall removes the grant and the plugin storage; keepData keeps the storage', async () => {
    const folder = tempDir();
    writePlugin(folder, { name: 'notes', permissions: ['read:data', 'write:data'] });
    writePlugin(folder, { name: 'other', permissions: ['write:data'] });
    const store = new MemoryStore();
    const storage = new PluginStorage(store);
    const registry = build(store, folder, { storage });
    await registry.install('notes', { approve: true });
    await registry.enable('notes');
    await storage.set('notes', 'count', 3);
    await storage.set('other', 'keep', true);
    await registry.disable('notes');

    await registry.uninstall('notes', { keepData: true });
    assert.deepEqual(storage.keys('notes'), ['count'], 'keepData kept it');
    assert.equal(registry.list().find((p) => p.name === 'notes')?.granted.length, 0);
    assert.equal((store.get(recordKey('notes')) as { grant?: unknown }).grant, undefined, 'the grant is gone from the store');
    assert.equal(registry.isGranted('notes', 'read:data'), false);

    await registry.install('notes', { approve: true });
    assert.equal(storage.get('notes', 'count'), 3, 'reinstall after keepData sees the data again');
    const r = await registry.uninstall('notes');
    assert.equal(r.ok && r.warning, undefined);
    assert.deepEqual(storage.keys('notes'), []);
    assert.deepEqual(storage.keys('other'), ['keep'], "another plugin's data is untouched");
  });

  it('reports, without undoing the uninstall, data that could not be removed', async () => {
    const folder = tempDir();
    writePlugin(folder, { name: 'notes' });
    const registry = new PluginRegistry({
      store: new MemoryStore(),
      folders: [folder],
      storage: {
        clear: () => Promise.reject(new Error('locked')),
      },
    });
    await registry.install('notes', { approve: true });
    const r = await registry.uninstall('notes');
    assert.equal(r.ok, true);
    if (r.ok) assert.equal(r.warning, 'notes was uninstalled, but its stored data could not be removed (locked)');
    assert.equal(registry.stateOf('notes'), 'UNINSTALLED');
  });

  it('serialises concurrent actions so none is lost', async () => {
    const folder = tempDir();
    writePlugin(folder, { name: 'busy' });
    const store = new MemoryStore();
    const registry = build(store, folder);
    await registry.install('busy', { approve: true });
    await registry.enable('busy');
    await Promise.all(Array.from({ length: 20 }, () => registry.recordOutcome('busy', success())));
    assert.equal(registry.list()[0]?.health.invocations, 20);
    assert.equal(build(store, folder).list()[0]?.health.invocations, 20);
  });
});
