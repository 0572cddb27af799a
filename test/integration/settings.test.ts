// Settings: the limits are read through the core's bounds (an out-of-bounds value is refused and its default
// used), apply to the plugin host, and cannot be loosened by a workspace; the plugin folders follow the
// settings and the workspace's trust.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { DEFAULT_LIMITS, LIMIT_BOUNDS } from '../../src/core/limits';
import type { TestApi } from '../../src/extension';
import { LIMIT_SETTINGS, WORKSPACE_PLUGIN_FOLDER, pluginFolders, readLimits } from '../../src/vscode/settings';
import { REPO_ROOT, SAMPLES_DIR, closeAllEditors, extensionApi, installViaCommand, openEditor, removeTempDirs, setSetting, tempDir, transform, uninstallAll, usePluginFolders, waitFor, writePlugin } from './helpers';

const pkg = JSON.parse(fs.readFileSync(path.join(REPO_ROOT, 'package.json'), 'utf8')) as {
  contributes: { configuration: { properties: Record<string, { scope?: string; minimum?: number; maximum?: number; default?: unknown; markdownDescription?: string }> } };
  capabilities: { untrustedWorkspaces: { supported: string; restrictedConfigurations?: string[] } };
};
const props = pkg.contributes.configuration.properties;

describe('settings', function () {
  let api: TestApi;

  before(async () => {
    api = await extensionApi();
  });

  after(async () => {
    for (const name of LIMIT_SETTINGS) await vscode.workspace.getConfiguration('pluginRuntime').update(`limits.${name}`, undefined, vscode.ConfigurationTarget.Global);
    await closeAllEditors();
    removeTempDirs();
  });

  it('declares every limit setting machine-scoped, with the core bounds and defaults and a markdownDescription', () => {
    for (const name of LIMIT_SETTINGS) {
      const p = props[`pluginRuntime.limits.${name}`];
      assert.ok(p, `pluginRuntime.limits.${name} is not declared`);
      assert.ok(p.scope === 'machine' || p.scope === 'application', `${name} scope ${p.scope}`);
      assert.equal(p.minimum, LIMIT_BOUNDS[name].min, `${name} minimum`);
      assert.equal(p.maximum, LIMIT_BOUNDS[name].max, `${name} maximum`);
      assert.equal(p.default, DEFAULT_LIMITS[name], `${name} default`);
      assert.ok(p.markdownDescription);
    }
    assert.ok(props['pluginRuntime.pluginFolders']?.markdownDescription);
  });

  it('applies an in-bounds limit to the plugin host', async () => {
    await setSetting(api, 'limits.timeoutMs', 1500, (a) => a.limits.timeoutMs === 1500);
    assert.equal(readLimits().limits.timeoutMs, 1500);
  });

  it('refuses an out-of-bounds limit with a warning and uses the default for that one only', async () => {
    await vscode.workspace.getConfiguration('pluginRuntime').update('limits.maxHeapMb', 96, vscode.ConfigurationTarget.Global);
    await setSetting(api, 'limits.timeoutMs', 5, (a) => a.limits.timeoutMs === DEFAULT_LIMITS.timeoutMs && a.limits.maxHeapMb === 96);
    const reading = readLimits();
    assert.equal(reading.limits.timeoutMs, DEFAULT_LIMITS.timeoutMs);
    assert.equal(reading.limits.maxHeapMb, 96, 'a good value was thrown away with the bad one');
    assert.equal(reading.warnings.length, 1);
    assert.match(reading.warnings[0]!, /pluginRuntime\.limits\.timeoutMs is 5, which is not a whole number from 10 to 60000; the default 200 is used instead/);
  });

  it('refuses a limit that is not a whole number', async () => {
    await setSetting(api, 'limits.failureThreshold', 2.5, () => readLimits().warnings.some((w) => /failureThreshold/.test(w)));
    assert.equal(api.limits.failureThreshold, DEFAULT_LIMITS.failureThreshold);
    await setSetting(api, 'limits.failureThreshold', undefined, () => !readLimits().warnings.some((w) => /failureThreshold/.test(w)));
  });

  it('ignores a limit set in the workspace settings (a workspace cannot loosen a limit)', async () => {
    await setSetting(api, 'limits.timeoutMs', undefined, (a) => a.limits.timeoutMs === DEFAULT_LIMITS.timeoutMs);
    // Written as a workspace would carry it; VS Code itself refuses machine-scoped values from a workspace, and
    // the extension reads only the user's value.
    await vscode.workspace.getConfiguration('pluginRuntime').update('limits.timeoutMs', 30_000, vscode.ConfigurationTarget.Workspace).then(
      () => undefined,
      () => undefined, // VS Code may refuse to write a machine setting to the workspace at all: just as good.
    );
    await new Promise((r) => setTimeout(r, 300));
    assert.equal(readLimits().limits.timeoutMs, DEFAULT_LIMITS.timeoutMs);
    assert.equal(api.limits.timeoutMs, DEFAULT_LIMITS.timeoutMs);
    await vscode.workspace.getConfiguration('pluginRuntime').update('limits.timeoutMs', undefined, vscode.ConfigurationTarget.Workspace).then(
      () => undefined,
      () => undefined,
    );
  });

  it('enforces the configured timeout on a running plugin', async () => {
    const fixtures = tempDir('pr-int-settings-');
    // Busy for ~150 ms: within a 1000 ms limit, over a 50 ms one.
    writePlugin(fixtures, 'slowish', 'module.exports = { transform(input) { const end = Date.now() + 150; while (Date.now() < end) {} return input.text + "."; } };');
    await usePluginFolders(api, [fixtures]);
    await installViaCommand(api, 'slowish');
    try {
      await setSetting(api, 'limits.timeoutMs', 1000, (a) => a.limits.timeoutMs === 1000);
      const editor = await openEditor('t');
      editor.selection = new vscode.Selection(0, 0, 0, 1);
      assert.equal((await transform('slowish')).applied, true);
      await setSetting(api, 'limits.timeoutMs', 50, (a) => a.limits.timeoutMs === 50);
      const r = await transform('slowish');
      assert.equal(r.applied, false);
      assert.equal(r.failure?.kind, 'timeout');
      assert.match(r.failure?.message ?? '', /within 50 ms/);
    } finally {
      await setSetting(api, 'limits.timeoutMs', undefined, (a) => a.limits.timeoutMs === DEFAULT_LIMITS.timeoutMs);
      await uninstallAll(api);
      await usePluginFolders(api, []);
    }
  });

  it('looks in the managed folder and the configured folders, and resolves ~ and ${workspaceFolder}', async () => {
    await usePluginFolders(api, [SAMPLES_DIR]);
    assert.equal(api.folders[0], api.managedFolder);
    assert.ok(api.folders.includes(SAMPLES_DIR));
    await usePluginFolders(api, []);
    const r = pluginFolders({ managedFolder: '/m', trusted: true, workspaceFolders: ['/ws'], configured: ['${workspaceFolder}/p', 'rel', '~/x', 42] });
    assert.deepEqual(r.folders.slice(0, 3), ['/m', '/ws/p', '/ws/rel']);
    assert.ok(r.folders[3]!.endsWith('/x') && !r.folders[3]!.startsWith('~'));
    assert.equal(r.warnings.length, 1);
  });
});

describe('restricted mode', function () {
  let api: TestApi;
  let workspacePlugins: string;

  before(async () => {
    api = await extensionApi();
    const ws = vscode.workspace.workspaceFolders![0]!.uri.fsPath;
    workspacePlugins = path.join(ws, WORKSPACE_PLUGIN_FOLDER);
    writePlugin(workspacePlugins, 'from-workspace', 'module.exports = { transform(input) { return input.text; } };');
  });

  after(async () => {
    fs.rmSync(workspacePlugins, { recursive: true, force: true });
    await vscode.commands.executeCommand('pluginRuntime.refresh');
  });

  it("declares limited support for untrusted workspaces, restricting the workspace's plugin folders", () => {
    assert.equal(pkg.capabilities.untrustedWorkspaces.supported, 'limited');
    assert.deepEqual(pkg.capabilities.untrustedWorkspaces.restrictedConfigurations, ['pluginRuntime.pluginFolders']);
  });

  it("uses the workspace's .vscode/plugins in this trusted window", async () => {
    assert.equal(vscode.workspace.isTrusted, true);
    await vscode.commands.executeCommand('pluginRuntime.refresh');
    await waitFor(() => api.folders.includes(workspacePlugins), 'the workspace plugin folder to be used');
    assert.ok(api.registry.list().some((i) => i.name === 'from-workspace'));
  });

  it("ignores the workspace's .vscode/plugins when the workspace is not trusted", () => {
    // This window is trusted (extension tests run with --disable-workspace-trust); the untrusted window itself
    // is covered end to end in test/e2e/extension.e2e.mjs. Here: the rule the extension applies.
    const untrusted = pluginFolders({ managedFolder: '/m', trusted: false, workspaceFolders: [path.dirname(path.dirname(workspacePlugins))], configured: [] });
    assert.deepEqual(untrusted.folders, ['/m']);
    const trusted = pluginFolders({ managedFolder: '/m', trusted: true, workspaceFolders: [path.dirname(path.dirname(workspacePlugins))], configured: [] });
    assert.deepEqual(trusted.folders, ['/m', workspacePlugins]);
  });
});
