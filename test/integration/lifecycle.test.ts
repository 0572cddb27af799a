// The lifecycle through the commands: install needs an approval (a denial installs nothing), enable, disable,
// uninstall, install from a folder (copied into the managed folder), review permissions with what changed,
// auto-disable after five failures as the tree shows it, re-enable, and state kept across a runtime rebuild.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { TestApi } from '../../src/extension';
import {
  FakeApprover, SAMPLES_DIR, approveAll, closeAllEditors, denyAll, extensionApi, installViaCommand, openEditor, removeTempDirs, setSetting, tempDir, transform,
  uninstallAll, usePluginFolders, waitFor, writePlugin, yesConfirmer,
  relaxTimeout,
} from './helpers';

type Result = { ok: boolean; state?: string; reason?: string; message?: string };
const run = async (command: string, arg: unknown): Promise<Result> => (await vscode.commands.executeCommand(`pluginRuntime.${command}`, arg)) as Result;

/** What the tree view shows for a plugin: its TreeItem as VS Code gets it. */
async function treeItem(api: TestApi, name: string): Promise<vscode.TreeItem | undefined> {
  const node = api.treeData.getChildren().find((n) => n.name === name);
  return node ? api.treeData.getTreeItem(node) : undefined;
}

describe('plugin lifecycle through the commands', function () {
  let api: TestApi;
  let fixtures: string;

  before(async () => {
    api = await extensionApi();
    fixtures = tempDir('pr-int-lifecycle-');
    writePlugin(fixtures, 'notes', 'module.exports = { async transform(input, api) { await api.storage.set("last", input.text); return input.text; } };', { permissions: ['read:data', 'write:data'] });
    await relaxTimeout(api, true);
    await usePluginFolders(api, [SAMPLES_DIR, fixtures]);
    api.setConfirmer(yesConfirmer);
  });

  afterEach(async () => {
    api.setApprover(undefined);
    await closeAllEditors();
  });

  after(async () => {
    await uninstallAll(api);
    api.setConfirmer(undefined);
    await relaxTimeout(api, false);
    await usePluginFolders(api, []);
    removeTempDirs();
  });

  it('installs nothing when the approval is denied', async () => {
    const approver = new FakeApprover(denyAll);
    api.setApprover(approver);
    const result = await run('installPlugin', { plugin: 'json-format' });
    assert.equal(result.ok, false);
    assert.equal(result.reason, 'denied');
    assert.equal(approver.requests.length, 1, 'the approval was not asked for');
    assert.equal(api.registry.stateOf('json-format'), 'AVAILABLE');
  });

  it('shows the approval what the plugin asks for, then installs and enables it', async () => {
    const approver = new FakeApprover(approveAll);
    api.setApprover(approver);
    const result = await run('installPlugin', { plugin: 'counter' });
    assert.equal(result.ok, true, result.message);
    assert.equal(result.state, 'ENABLED');
    const request = approver.requests[0]!;
    assert.equal(request.kind, 'install');
    assert.deepEqual([...request.plugin.manifest.permissions].sort(), ['read:data', 'write:data']);
    const info = api.registry.list().find((i) => i.name === 'counter')!;
    assert.deepEqual([...info.granted].sort(), ['read:data', 'write:data']);
    assert.equal((await treeItem(api, 'counter'))?.contextValue, 'plugin:ENABLED');
  });

  it('grants only the permissions left ticked', async () => {
    api.setApprover(new FakeApprover((r) => ({ approve: true, permissions: ['read:data'], fingerprint: r.plugin.fingerprint })));
    const result = await run('installPlugin', { plugin: 'notes' });
    assert.equal(result.ok, true, result.message);
    assert.deepEqual(api.registry.list().find((i) => i.name === 'notes')!.granted, ['read:data']);
    // Storing needs write:data: the plugin's call is denied, and the denial is the failure's kind.
    const editor = await openEditor('hello');
    editor.selection = new vscode.Selection(0, 0, 0, 5);
    const outcome = await transform('notes');
    assert.equal(outcome.applied, false);
    assert.equal(outcome.failure?.kind, 'permission-denied');
  });

  it('disables, enables and uninstalls; the tree offers only what the state allows', async () => {
    await installViaCommand(api, 'base64');
    assert.equal((await run('disablePlugin', { plugin: 'base64' })).state, 'DISABLED');
    assert.equal((await treeItem(api, 'base64'))?.contextValue, 'plugin:DISABLED');
    assert.equal((await run('enablePlugin', { plugin: 'base64' })).state, 'ENABLED');
    // Enabling twice is refused by the lifecycle, with a message naming the state.
    const again = await run('enablePlugin', { plugin: 'base64' });
    assert.equal(again.ok, false);
    assert.match(again.message ?? '', /already enabled/);
    // Uninstall disables a running plugin first, then uninstalls it.
    assert.equal((await run('uninstallPlugin', { plugin: 'base64' })).state, 'UNINSTALLED');
    assert.equal((await treeItem(api, 'base64'))?.contextValue, 'plugin:UNINSTALLED');
  });

  it('asks before uninstalling, and does nothing when the person says no', async () => {
    await installViaCommand(api, 'change-case');
    api.setConfirmer({ confirm: async () => false });
    try {
      const result = await run('uninstallPlugin', { plugin: 'change-case' });
      assert.equal(result.ok, false);
      assert.equal(api.registry.stateOf('change-case'), 'ENABLED');
    } finally {
      api.setConfirmer(yesConfirmer);
    }
  });

  it('installs from a picked folder by copying it into the managed plugins folder', async () => {
    const outside = tempDir('pr-int-outside-');
    const source = writePlugin(outside, 'copied', 'module.exports = { transform(input) { return input.text + "!"; } };');
    api.setApprover(new FakeApprover(approveAll));
    const result = await run('installPlugin', { folder: source });
    assert.equal(result.ok, true, result.message);
    const copy = path.join(api.managedFolder, 'copied');
    const info = api.registry.list().find((i) => i.name === 'copied')!;
    assert.equal(fs.realpathSync(info.dir), fs.realpathSync(copy), 'it runs from somewhere other than the managed copy');
    // Changing the original after the approval changes nothing that runs.
    fs.writeFileSync(path.join(source, 'index.js'), 'module.exports = { transform() { return "changed"; } };');
    const editor = await openEditor('hi');
    editor.selection = new vscode.Selection(0, 0, 0, 2);
    assert.equal((await transform('copied')).applied, true);
    assert.equal(editor.document.getText(), 'hi!');
    // Uninstalling removes the managed copy.
    await run('uninstallPlugin', { plugin: 'copied' });
    assert.equal(fs.existsSync(copy), false);
  });

  it('removes the copy when the approval of a picked folder is denied', async () => {
    const outside = tempDir('pr-int-outside-');
    const source = writePlugin(outside, 'unwanted', 'module.exports = { transform(input) { return input.text; } };');
    api.setApprover(new FakeApprover(denyAll));
    const result = await run('installPlugin', { folder: source });
    assert.equal(result.reason, 'denied');
    assert.equal(fs.existsSync(path.join(api.managedFolder, 'unwanted')), false);
    assert.equal(api.registry.list().some((i) => i.name === 'unwanted'), false);
  });

  it('asks for re-approval after the files change, showing what changed', async () => {
    const dir = writePlugin(fixtures, 'evolving', 'module.exports = { transform(input) { return input.text; } };', { version: '1.0.0' });
    await installViaCommand(api, 'evolving');
    writePlugin(fixtures, 'evolving', 'module.exports = { async transform(input, api) { await api.storage.set("k", 1); return input.text; } };', { version: '1.1.0', permissions: ['write:data'] });
    assert.ok(fs.existsSync(dir));
    await vscode.commands.executeCommand('pluginRuntime.refresh');
    const item = await waitFor(async () => {
      const t = await treeItem(api, 'evolving');
      return t?.contextValue === 'plugin:ENABLED:changed' ? t : undefined;
    }, 'the tree to mark evolving as changed');
    assert.match(String(item.description), /needs re-approval/);
    // It does not run as changed.
    const editor = await openEditor('x');
    editor.selection = new vscode.Selection(0, 0, 0, 1);
    const refused = await transform('evolving');
    assert.equal(refused.reason, 'refused');
    // Review Permissions shows the diff; approving it lets the new version run.
    const approver = new FakeApprover(approveAll);
    api.setApprover(approver);
    const result = await run('reviewPermissions', { plugin: 'evolving' });
    assert.equal(result.ok, true, result.message);
    const diff = approver.requests[0]!.diff!;
    assert.deepEqual(diff.addedPermissions, ['write:data']);
    assert.equal(diff.approvedVersion, '1.0.0');
    assert.equal(diff.currentVersion, '1.1.0');
    assert.ok(diff.summary.some((s) => /now also asks for write:data/.test(s)));
    assert.equal((await transform('evolving')).reason, 'unchanged');
  });

  it('auto-disables a plugin after five consecutive failures, shows it as ERROR in the tree, and re-enables it', async () => {
    await installViaCommand(api, 'flaky-demo');
    const editor = await openEditor('some text');
    editor.selection = new vscode.Selection(0, 0, 0, 4);
    for (let i = 1; i <= 5; i++) {
      const r = await transform('flaky-demo');
      assert.equal(r.reason, 'failed', `run ${i}: ${JSON.stringify(r)}`);
      assert.equal(r.failure?.kind, 'plugin-error');
    }
    await api.settled();
    assert.equal(api.registry.stateOf('flaky-demo'), 'ERROR');
    const item = await treeItem(api, 'flaky-demo');
    assert.equal(item?.contextValue, 'plugin:ERROR');
    assert.match(String(item?.description), /ERROR — auto-disabled after 5 consecutive failures: plugin-error/);
    const tooltip = (item?.tooltip as vscode.MarkdownString).value.replace(/&nbsp;/g, ' ').replace(/\\/g, '');
    assert.match(tooltip, /5 failures \(5 in a row\)/);
    assert.match(tooltip, /Last error \([^)]*\): error\[plugin-error\]: The plugin threw an error\. Error: simulated failure/);
    assert.equal((item?.iconPath as vscode.ThemeIcon).id, 'error');
    // A sixth run is refused, not run.
    assert.equal((await transform('flaky-demo')).reason, 'refused');
    assert.equal(editor.document.getText(), 'some text');
    const reenabled = await run('reenablePlugin', { plugin: 'flaky-demo' });
    assert.equal(reenabled.state, 'ENABLED');
    assert.equal(api.registry.list().find((i) => i.name === 'flaky-demo')?.health.consecutiveFailures, 0);
  });

  it('keeps states, grants and failure counts in globalState across a rebuild of the runtime', async () => {
    const before = api.registry.list().filter((i) => i.state !== 'AVAILABLE').map((i) => [i.name, i.state, i.granted.join(','), i.health.failures].join(' '));
    const oldRegistry = api.registry;
    // A different failure threshold rebuilds the registry from the store.
    await setSetting(api, 'limits.failureThreshold', 7, (a) => a.limits.failureThreshold === 7);
    try {
      assert.notEqual(api.registry, oldRegistry, 'the runtime was not rebuilt');
      const after = api.registry.list().filter((i) => i.state !== 'AVAILABLE').map((i) => [i.name, i.state, i.granted.join(','), i.health.failures].join(' '));
      assert.deepEqual(after, before);
    } finally {
      await setSetting(api, 'limits.failureThreshold', undefined, (a) => a.limits.failureThreshold === 5);
    }
  });
});
