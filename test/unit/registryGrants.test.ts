// Grants: the fail-closed check, fingerprint mismatch (edited script, new permissions) with the re-approval
// diff, re-approval itself, and revocation.
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { loadPluginFolder } from '../../src/core/manifest';
import { describeReapproval, grantAllows, makeGrant, reapprovalDiff, revokePermission } from '../../src/core/registry/grants';
import { PluginRegistry } from '../../src/core/registry/registry';
import { MemoryStore } from '../../src/core/store';
import { cleanupTempDirs, manualClock, tempDir, writePlugin } from './registryFixtures';

async function enabled(permissions: string[] = ['read:data']) {
  const folder = tempDir();
  const dir = writePlugin(folder, { name: 'counter', permissions });
  const store = new MemoryStore();
  const clock = manualClock();
  const registry = new PluginRegistry({ store, folders: [folder], clock: clock.now });
  assert.equal((await registry.install('counter', { approve: true })).ok, true);
  assert.equal((await registry.enable('counter')).ok, true);
  return { folder, dir, store, clock, registry };
}

function load(dir: string) {
  const r = loadPluginFolder(dir);
  assert.ok(r.ok, JSON.stringify(r));
  return r.value;
}

describe('grants (pure)', () => {
  afterEach(cleanupTempDirs);

  it('binds the approval to the fingerprint, the requested set and the time', () => {
    const dir = writePlugin(tempDir(), { name: 'p', permissions: ['read:data', 'write:data'] });
    const plugin = load(dir);
    const r = makeGrant(plugin, ['read:data', 'log'], 42);
    assert.ok(r.ok);
    assert.equal(r.grant.fingerprint, plugin.fingerprint);
    assert.deepEqual(r.grant.permissions, ['read:data']);
    assert.deepEqual(r.grant.requested, ['read:data', 'write:data']);
    assert.equal(r.grant.approvedAt, 42);
  });

  it('allows log always, and otherwise only what the grant holds; anything doubtful is no', () => {
    const plugin = load(writePlugin(tempDir(), { name: 'p', permissions: ['read:data', 'write:data'] }));
    const r = makeGrant(plugin, ['read:data'], 0);
    assert.ok(r.ok);
    assert.equal(grantAllows(r.grant, 'log'), true);
    assert.equal(grantAllows(undefined, 'log'), true);
    assert.equal(grantAllows(r.grant, 'read:data'), true);
    assert.equal(grantAllows(r.grant, 'write:data'), false);
    assert.equal(grantAllows(undefined, 'read:data'), false);
    assert.equal(grantAllows(r.grant, 'read:everything'), false);
    assert.equal(grantAllows(r.grant, '__proto__'), false);
    assert.equal(grantAllows({ ...r.grant, permissions: 'read:data' } as never, 'read:data'), false);
  });

  it('revokes one permission, refuses revoking log or something not held', () => {
    const plugin = load(writePlugin(tempDir(), { name: 'p', permissions: ['read:data', 'write:data'] }));
    const g = makeGrant(plugin, undefined, 0);
    assert.ok(g.ok);
    const r = revokePermission(g.grant, 'write:data');
    assert.ok(r.ok);
    assert.deepEqual(r.grant.permissions, ['read:data']);
    assert.deepEqual(r.grant.revoked, ['write:data']);
    const again = revokePermission(r.grant, 'write:data');
    assert.equal(again.ok, false);
    if (!again.ok) assert.equal(again.problem, 'p does not hold write:data');
    const log = revokePermission(g.grant, 'log');
    assert.equal(log.ok, false);
    if (!log.ok) assert.equal(log.problem, 'log is always granted and cannot be revoked');
  });

  it('has no diff for identical files, and says what changed otherwise', () => {
    const folder = tempDir();
    const dir = writePlugin(folder, { name: 'p', permissions: ['read:data'] });
    const g = makeGrant(load(dir), undefined, 0);
    assert.ok(g.ok);
    assert.equal(reapprovalDiff(g.grant, load(dir)), undefined);
    writePlugin(folder, { name: 'p', version: '1.1.0', permissions: ['write:data'] });
    const diff = reapprovalDiff(g.grant, load(dir));
    assert.ok(diff);
    assert.deepEqual(diff.addedPermissions, ['write:data']);
    assert.deepEqual(diff.removedPermissions, ['read:data']);
    assert.deepEqual(diff.changedFiles, ['plugin.json']);
    assert.equal(
      describeReapproval(diff),
      'p needs re-approval: now also asks for write:data; no longer asks for read:data; its version changed from 1.0.0 to 1.1.0; its files changed since you approved it (plugin.json)',
    );
  });
});

describe('grants (through the registry)', () => {
  afterEach(cleanupTempDirs);

  it('grants data permissions only to an ENABLED plugin whose files prepareRun verified', async () => {
    const { registry } = await enabled(['read:data']);
    assert.equal(registry.isGranted('counter', 'read:data'), false, 'nothing verified yet');
    assert.equal(registry.isGranted('counter', 'log'), true);
    assert.equal(registry.prepareRun('counter').ok, true);
    assert.equal(registry.isGranted('counter', 'read:data'), true);
    assert.equal(registry.isGranted('counter', 'write:data'), false, 'not asked for, not granted');
    assert.equal(registry.isGranted('other', 'read:data'), false);
    assert.equal(registry.isGranted('counter', 'bogus' as never), false);
    await registry.disable('counter');
    assert.equal(registry.isGranted('counter', 'read:data'), false, 'disabled plugins get no data');
    assert.equal(registry.isGranted('counter', 'log'), true);
  });

  it('refuses to run an edited script, and says its files changed', async () => {
    const { dir, registry } = await enabled(['read:data']);
    const ran = registry.prepareRun('counter');
    assert.ok(ran.ok);
    assert.match(ran.plugin.source, /return input\.text/);
    fs.writeFileSync(path.join(dir, 'index.js'), 'module.exports = { transform(input) { return "pwned"; } };\n');
    const r = registry.prepareRun('counter');
    assert.equal(r.ok, false);
    if (r.ok) return;
    assert.equal(r.reason, 'needs-reapproval');
    assert.equal(r.failure.kind, 'plugin-disabled');
    assert.equal(r.needsReapproval?.filesChanged, true);
    assert.deepEqual(r.needsReapproval?.changedFiles, ['index.js']);
    assert.deepEqual(r.needsReapproval?.addedPermissions, []);
    assert.equal(r.failure.detail, 'counter needs re-approval: its files changed since you approved it (index.js); approve it again to run it.');
    assert.equal(registry.isGranted('counter', 'read:data'), false, 'the changed files lost the grant at once');
    assert.ok(registry.list()[0]?.needsReapproval);
    assert.equal(registry.stateOf('counter'), 'ENABLED', 're-approval is not a lifecycle transition');
  });

  it('refuses a manifest that now asks for more: "now also asks for write:data"', async () => {
    const { folder, registry } = await enabled(['read:data']);
    writePlugin(folder, { name: 'counter', permissions: ['read:data', 'write:data'] });
    const r = registry.prepareRun('counter');
    assert.equal(r.ok, false);
    if (r.ok) return;
    assert.deepEqual(r.needsReapproval?.addedPermissions, ['write:data']);
    assert.deepEqual(r.needsReapproval?.summary, ['now also asks for write:data', 'its files changed since you approved it (plugin.json)']);
    assert.match(r.failure.detail ?? '', /now also asks for write:data/);
    const listed = registry.list()[0];
    assert.deepEqual(listed?.permissions, ['read:data', 'write:data']);
    assert.deepEqual(listed?.granted, ['read:data']);
  });

  it('runs again after re-approval of the files as they are now', async () => {
    const { folder, registry, store } = await enabled(['read:data']);
    writePlugin(folder, { name: 'counter', permissions: ['read:data', 'write:data'] });
    assert.equal(registry.prepareRun('counter').ok, false);
    const denied = await registry.reapprove('counter', { approve: false });
    assert.equal(denied.ok, false);
    assert.equal(registry.prepareRun('counter').ok, false);
    const r = await registry.reapprove('counter', { approve: true });
    assert.equal(r.ok, true);
    assert.equal(registry.prepareRun('counter').ok, true);
    assert.equal(registry.isGranted('counter', 'write:data'), true);
    assert.equal(new PluginRegistry({ store, folders: [folder] }).prepareRun('counter').ok, true, 'the new approval persisted');
  });

  it('revokes a single permission: the next check is denied, the rest stays', async () => {
    const { registry, store, folder } = await enabled(['read:data', 'write:data']);
    assert.equal(registry.prepareRun('counter').ok, true);
    assert.equal(registry.isGranted('counter', 'write:data'), true);
    const grantEvents: string[] = [];
    registry.onDidChange((c) => void (c.type === 'grant' && grantEvents.push(`${c.change}:${c.granted.join(',')}`)));
    const r = await registry.revoke('counter', 'write:data');
    assert.equal(r.ok, true);
    assert.equal(registry.isGranted('counter', 'write:data'), false);
    assert.equal(registry.isGranted('counter', 'read:data'), true);
    assert.deepEqual(grantEvents, ['revoked:read:data']);
    assert.deepEqual(registry.list()[0]?.granted, ['read:data']);
    assert.equal(registry.prepareRun('counter').ok, true, 'revoking is not a reason to refuse running');
    const reborn = new PluginRegistry({ store, folders: [folder] });
    reborn.prepareRun('counter');
    assert.equal(reborn.isGranted('counter', 'write:data'), false, 'the revocation persisted');
    assert.equal(reborn.isGranted('counter', 'read:data'), true);
  });

  it('refuses revoking from a plugin that is not installed', async () => {
    const { registry } = await enabled();
    const r = await registry.revoke('ghost', 'read:data');
    assert.equal(r.ok, false);
    if (!r.ok) assert.equal(r.error.message, 'cannot revoke ghost: it is AVAILABLE; install it first');
  });

  it('refuses to run a plugin that is not enabled or not installed, saying what to do', async () => {
    const { registry } = await enabled();
    await registry.disable('counter');
    const r = registry.prepareRun('counter');
    assert.equal(r.ok, false);
    if (!r.ok) {
      assert.equal(r.failure.kind, 'plugin-disabled');
      assert.equal(r.failure.detail, 'counter is DISABLED; enable it first.');
    }
    const unknown = registry.prepareRun('ghost');
    assert.equal(!unknown.ok && unknown.reason, 'unknown');
  });

  it('refuses to run a plugin whose folder is gone or became invalid', async () => {
    const { registry, dir } = await enabled();
    fs.writeFileSync(path.join(dir, 'plugin.json'), '{ not json');
    const invalid = registry.prepareRun('counter');
    assert.equal(!invalid.ok && invalid.failure.kind, 'invalid-manifest');
    fs.rmSync(dir, { recursive: true });
    const gone = registry.prepareRun('counter');
    assert.equal(!gone.ok && gone.failure.kind, 'invalid-manifest');
    assert.match(!gone.ok ? (gone.failure.detail ?? '') : '', /no longer in the plugin folders/);
  });
});
