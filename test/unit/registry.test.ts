// PluginRegistry's person-driven actions: every allowed transition through the registry (persisted and
// announced), refusals, and install decisions.
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { PluginRegistry, type RegistryChange } from '../../src/core/registry/registry';
import type { TransitionEvent } from '../../src/core/registry/lifecycle';
import { recordKey } from '../../src/core/registry/records';
import { MemoryStore } from '../../src/core/store';
import { DEFAULT_LIMITS } from '../../src/core/limits';
import { cleanupTempDirs, failure, manualClock, tempDir, writePlugin } from './registryFixtures';

function setup(opts: { threshold?: number } = {}) {
  const folder = tempDir();
  writePlugin(folder, { name: 'sort-lines', permissions: ['read:data', 'write:data'] });
  const store = new MemoryStore();
  const clock = manualClock();
  const registry = new PluginRegistry({ store, folders: [folder], clock: clock.now, limits: { ...DEFAULT_LIMITS, failureThreshold: opts.threshold ?? 5 } });
  const events: TransitionEvent[] = [];
  registry.onDidChange((c: RegistryChange) => {
    if (c.type === 'transition') events.push(c.event);
  });
  registry.scan();
  return { folder, store, clock, registry, events };
}

async function ok<T extends { ok: boolean }>(p: Promise<T>): Promise<T> {
  const r = await p;
  assert.equal(r.ok, true, JSON.stringify(r));
  return r;
}

describe('PluginRegistry transitions', () => {
  afterEach(cleanupTempDirs);

  it('starts a discovered plugin as AVAILABLE with nothing stored', () => {
    const { registry, store } = setup();
    assert.equal(registry.stateOf('sort-lines'), 'AVAILABLE');
    const [info] = registry.list();
    assert.equal(info?.name, 'sort-lines');
    assert.equal(info?.state, 'AVAILABLE');
    assert.deepEqual(info?.permissions, ['read:data', 'write:data']);
    assert.deepEqual(info?.granted, []);
    assert.deepEqual(store.keys(), []);
  });

  it('walks every allowed transition, persisting and announcing each with from, to, reason and time', async () => {
    const { registry, store, clock, events } = setup({ threshold: 1 });
    const steps: Array<[() => Promise<unknown>, string, string]> = [
      [() => registry.install('sort-lines', { approve: true }), 'AVAILABLE', 'INSTALLED'],
      [() => registry.uninstall('sort-lines'), 'INSTALLED', 'UNINSTALLED'],
      [() => registry.install('sort-lines', { approve: true }), 'UNINSTALLED', 'INSTALLED'],
      [() => registry.enable('sort-lines'), 'INSTALLED', 'ENABLED'],
      [() => registry.disable('sort-lines'), 'ENABLED', 'DISABLED'],
      [() => registry.enable('sort-lines'), 'DISABLED', 'ENABLED'],
      [() => registry.recordOutcome('sort-lines', failure('timeout')), 'ENABLED', 'ERROR'],
      [() => registry.reenable('sort-lines'), 'ERROR', 'ENABLED'],
      [() => registry.recordOutcome('sort-lines', failure('timeout')), 'ENABLED', 'ERROR'],
      [() => registry.uninstall('sort-lines'), 'ERROR', 'UNINSTALLED'],
      [() => registry.install('sort-lines', { approve: true }), 'UNINSTALLED', 'INSTALLED'],
      [() => registry.enable('sort-lines'), 'INSTALLED', 'ENABLED'],
      [() => registry.disable('sort-lines'), 'ENABLED', 'DISABLED'],
      [() => registry.uninstall('sort-lines'), 'DISABLED', 'UNINSTALLED'],
    ];
    for (const [i, [step, from, to]] of steps.entries()) {
      clock.advance(1000);
      await ok(step() as Promise<{ ok: boolean }>);
      const e = events[i];
      assert.ok(e, `step ${i} emitted an event`);
      assert.deepEqual({ plugin: e.plugin, from: e.from, to: e.to, time: e.time }, { plugin: 'sort-lines', from, to, time: clock.now() });
      assert.ok(e.reason.length > 0);
      assert.equal(registry.stateOf('sort-lines'), to);
      assert.equal((store.get(recordKey('sort-lines')) as { state: string }).state, to);
    }
    assert.equal(events.length, steps.length);
  });

  it('refuses disallowed transitions with a value naming state and action, changing nothing', async () => {
    const { registry, store, events } = setup();
    const expectRefused = async (p: Promise<{ ok: boolean }>, message: string) => {
      const r = (await p) as { ok: false; error: { kind: string; message: string } };
      assert.equal(r.ok, false);
      assert.equal(r.error.kind, 'transition-refused');
      assert.equal(r.error.message, message);
    };
    await expectRefused(registry.enable('sort-lines'), 'cannot enable sort-lines: it is AVAILABLE; install it first');
    await expectRefused(registry.uninstall('sort-lines'), 'cannot uninstall sort-lines: it is AVAILABLE; it is not installed');
    await ok(registry.install('sort-lines', { approve: true }));
    await expectRefused(registry.install('sort-lines', { approve: true }), 'cannot install sort-lines: it is INSTALLED; it is already installed (to reload it: disable, uninstall, then install again)');
    await ok(registry.enable('sort-lines'));
    await expectRefused(registry.uninstall('sort-lines'), 'cannot uninstall sort-lines: it is ENABLED; disable it first');
    await expectRefused(registry.reenable('sort-lines'), 'cannot reenable sort-lines: it is ENABLED; it is already enabled');
    const before = JSON.stringify(store.get(recordKey('sort-lines')));
    const eventCount = events.length;
    await expectRefused(registry.enable('sort-lines'), 'cannot enable sort-lines: it is ENABLED; it is already enabled');
    assert.equal(JSON.stringify(store.get(recordKey('sort-lines'))), before);
    assert.equal(events.length, eventCount);
    assert.equal(registry.stateOf('sort-lines'), 'ENABLED');
  });

  it('refuses leaving ERROR except by reenable or uninstall', async () => {
    const { registry } = setup({ threshold: 1 });
    await ok(registry.install('sort-lines', { approve: true }));
    await ok(registry.enable('sort-lines'));
    await ok(registry.recordOutcome('sort-lines', failure()));
    assert.equal(registry.stateOf('sort-lines'), 'ERROR');
    for (const [p, action] of [
      [registry.enable('sort-lines'), 'enable'],
      [registry.disable('sort-lines'), 'disable'],
      [registry.install('sort-lines', { approve: true }), 'install'],
    ] as const) {
      const r = await p;
      assert.equal(r.ok, false);
      if (!r.ok) assert.match(r.error.message, new RegExp(`^cannot ${action} sort-lines: it is ERROR;`));
    }
    assert.equal(registry.stateOf('sort-lines'), 'ERROR');
  });

  it('installs nothing when the approval is denied', async () => {
    const { registry, store, events } = setup();
    const r = await registry.install('sort-lines', { approve: false });
    assert.equal(r.ok, false);
    if (!r.ok) {
      assert.equal(r.error.kind, 'approval-denied');
      assert.equal(r.error.message, 'sort-lines was not installed: its permissions were not approved');
    }
    assert.equal(registry.stateOf('sort-lines'), 'AVAILABLE');
    assert.deepEqual(store.keys(), []);
    assert.deepEqual(events, []);
  });

  it('grants what was approved: all requested by default, a subset if chosen, never more', async () => {
    const { registry } = setup();
    const subset = await registry.install('sort-lines', { approve: true, permissions: ['read:data'] });
    assert.equal(subset.ok, true);
    assert.deepEqual(registry.list()[0]?.granted, ['read:data']);
    await ok(registry.uninstall('sort-lines'));
    await ok(registry.install('sort-lines', { approve: true }));
    assert.deepEqual(registry.list()[0]?.granted, ['read:data', 'write:data']);
  });

  it('refuses approving a permission the manifest does not ask for', async () => {
    const folder = tempDir();
    writePlugin(folder, { name: 'upper', permissions: ['read:data'] });
    const registry = new PluginRegistry({ store: new MemoryStore(), folders: [folder] });
    const r = await registry.install('upper', { approve: true, permissions: ['read:data', 'write:data'] });
    assert.equal(r.ok, false);
    if (!r.ok) {
      assert.equal(r.error.kind, 'invalid-decision');
      assert.equal(r.error.message, 'cannot install upper: upper does not ask for write:data; only what it asks for can be approved');
    }
    assert.equal(registry.stateOf('upper'), 'AVAILABLE');
  });

  it('refuses an install whose files changed after the person reviewed them', async () => {
    const { registry } = setup();
    const r = await registry.install('sort-lines', { approve: true, fingerprint: '0'.repeat(64) });
    assert.equal(r.ok, false);
    if (!r.ok) assert.equal(r.error.kind, 'changed-during-review');
    const reviewed = registry.list()[0];
    assert.ok(reviewed);
  });

  it('refuses an unknown plugin by name', async () => {
    const { registry, folder } = setup();
    const r = await registry.install('nope', { approve: true });
    assert.equal(r.ok, false);
    if (!r.ok) assert.equal(r.error.message, `no plugin named nope in the plugin folders (${folder})`);
  });

  it('keeps working when an observer throws', async () => {
    const { registry } = setup();
    registry.onDidChange(() => {
      throw new Error('observer bug');
    });
    await ok(registry.install('sort-lines', { approve: true }));
    assert.equal(registry.stateOf('sort-lines'), 'INSTALLED');
  });

  it('stops announcing to a disposed listener', async () => {
    const { registry } = setup();
    let heard = 0;
    const sub = registry.onDidChange((c) => void (c.type === 'transition' && heard++));
    await ok(registry.install('sort-lines', { approve: true }));
    sub.dispose();
    await ok(registry.enable('sort-lines'));
    assert.equal(heard, 1);
  });
});

describe('PluginRegistry reviews', () => {
  afterEach(cleanupTempDirs);

  it('reviewInstall shows the plugin as on disk and changes nothing; its fingerprint binds the install', async () => {
    const folder = tempDir();
    const dir = writePlugin(folder, { name: 'sort-lines', permissions: ['read:data'] });
    const store = new MemoryStore();
    const registry = new PluginRegistry({ store, folders: [folder] });
    const review = registry.reviewInstall('sort-lines');
    assert.ok(review.ok);
    assert.deepEqual(review.plugin.manifest.permissions, ['read:data']);
    assert.deepEqual(store.keys(), []);
    fs.appendFileSync(path.join(dir, 'index.js'), '// changed after review\n');
    const r = await registry.install('sort-lines', { approve: true, fingerprint: review.plugin.fingerprint });
    assert.equal(!r.ok && r.error.message, 'cannot install sort-lines: its files changed while it was being reviewed; review it again');
    const again = registry.reviewInstall('sort-lines');
    assert.ok(again.ok);
    assert.equal((await registry.install('sort-lines', { approve: true, fingerprint: again.plugin.fingerprint })).ok, true);
    const refused = registry.reviewInstall('sort-lines');
    assert.equal(!refused.ok && refused.error.kind, 'transition-refused');
  });

  it('reviewReapproval has a diff only when the files changed', async () => {
    const folder = tempDir();
    writePlugin(folder, { name: 'sort-lines', permissions: ['read:data'] });
    const registry = new PluginRegistry({ store: new MemoryStore(), folders: [folder] });
    assert.equal(registry.reviewReapproval('sort-lines').ok, false, 'nothing to re-approve before install');
    await registry.install('sort-lines', { approve: true });
    const same = registry.reviewReapproval('sort-lines');
    assert.ok(same.ok);
    assert.equal(same.needsReapproval, undefined);
    writePlugin(folder, { name: 'sort-lines', permissions: ['read:data', 'write:data'] });
    const changed = registry.reviewReapproval('sort-lines');
    assert.ok(changed.ok);
    assert.deepEqual(changed.needsReapproval?.addedPermissions, ['write:data']);
  });
});
