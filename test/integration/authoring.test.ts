// The plugin author's commands in the real editor: New Plugin… scaffolds a working plugin and opens it, Reload
// Plugin reinstalls in one action (approval again only when the files or permissions changed, data kept), and
// Preview Transform… shows a diff and changes nothing until Apply.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { TestApi } from '../../src/extension';
import type { ApplyResult, NewPluginResult, PreviewResult, ReloadResult } from '../../src/vscode/authoringCommands';
import { PREVIEW_SCHEME } from '../../src/vscode/authoringCommands';
import {
  FakeApprover, closeAllEditors, denyAll, extensionApi, installViaCommand, openEditor, removeTempDirs, tempDir, transform, uninstallAll, usePluginFolders, waitFor, writePlugin,
} from './helpers';

const run = <T>(command: string, arg?: unknown) => vscode.commands.executeCommand(command, arg) as Thenable<T>;
/** A new editor on `text`, once it is the active one (Preview Transform… acts on the active editor). */
async function activeEditor(text: string): Promise<vscode.TextEditor> {
  const editor = await openEditor(text);
  await waitFor(() => vscode.window.activeTextEditor?.document === editor.document, 'the new editor to be the active one');
  return vscode.window.activeTextEditor!;
}
const previewTabs = () =>
  vscode.window.tabGroups.all.flatMap((g) => g.tabs).filter((t) => t.input instanceof vscode.TabInputTextDiff && t.input.modified.scheme === PREVIEW_SCHEME);

describe('authoring commands', function () {
  let api: TestApi;
  let fixtures: string;

  before(async () => {
    api = await extensionApi();
    fixtures = tempDir('pr-int-authoring-');
    writePlugin(fixtures, 'shout', 'module.exports = { transform(input) { return input.text.toUpperCase(); } };');
    writePlugin(fixtures, 'loud', 'module.exports = { transform(input) { return input.text.toUpperCase() + "!"; } };');
    writePlugin(fixtures, 'same', 'module.exports = { transform(input) { return input.text; } };');
    writePlugin(fixtures, 'thrower', 'module.exports = { transform() { throw new Error("no thanks"); } };');
    writePlugin(
      fixtures,
      'tally',
      'module.exports = { async transform(input, api) { const n = ((await api.storage.get("n")) ?? 0) + 1; await api.storage.set("n", n); return "v1:" + n; } };',
      { permissions: ['read:data', 'write:data'] },
    );
    await usePluginFolders(api, [fixtures]);
    for (const name of ['shout', 'loud', 'same', 'thrower', 'tally']) await installViaCommand(api, name);
  });

  afterEach(async () => {
    api.setApprover(undefined);
    await run('pluginRuntime.discardPreview');
    await closeAllEditors();
  });

  after(async () => {
    await uninstallAll(api);
    await usePluginFolders(api, []);
    removeTempDirs();
  });

  describe('New Plugin…', () => {
    it('scaffolds a working plugin in the chosen folder, adds the folder to the plugin folders, and opens index.js', async () => {
      const parent = tempDir('pr-int-new-');
      const result = await run<NewPluginResult>('pluginRuntime.newPlugin', { folder: parent, name: 'flip-lines', addToPluginFolders: true });
      assert.deepEqual(result, { ok: true, name: 'flip-lines', dir: path.join(parent, 'flip-lines'), inPluginFolders: true });
      assert.deepEqual(fs.readdirSync(result.ok ? result.dir : '').sort(), ['README.md', 'index.js', 'jsconfig.json', 'plugin-api.d.ts', 'plugin.json']);
      assert.equal(vscode.window.activeTextEditor?.document.uri.fsPath, path.join(parent, 'flip-lines', 'index.js'));
      await waitFor(() => api.folders.includes(parent), 'the new folder to be searched for plugins');
      await waitFor(() => api.registry.list().find((i) => i.name === 'flip-lines' && i.state === 'AVAILABLE'), 'flip-lines to be listed as AVAILABLE');

      // Scaffold → install → use, as the guide says.
      await installViaCommand(api, 'flip-lines');
      const editor = await openEditor('one\ntwo\nthree\n');
      editor.selection = new vscode.Selection(0, 0, 3, 0);
      const t = await transform('flip-lines');
      assert.equal(t.applied, true, JSON.stringify(t));
      assert.equal(editor.document.getText(), 'three\ntwo\none\n');
      await usePluginFolders(api, [fixtures]);
    });

    it('refuses the name of an existing plugin and writes nothing', async () => {
      const parent = tempDir('pr-int-new-');
      const result = await run<NewPluginResult>('pluginRuntime.newPlugin', { folder: parent, name: 'shout', addToPluginFolders: false });
      assert.deepEqual(result, { ok: false, reason: 'refused', message: 'A plugin named shout already exists; two plugins cannot share a name.' });
      assert.deepEqual(fs.readdirSync(parent), []);
    });
  });

  describe('Reload Plugin', () => {
    it('unchanged files: reinstalls and enables without asking, and keeps the plugin\'s data', async () => {
      const editor = await openEditor('x');
      editor.selection = new vscode.Selection(0, 0, 0, 1);
      assert.equal((await transform('tally')).applied, true);
      assert.equal(editor.document.getText(), 'v1:1');
      const approver = new FakeApprover();
      api.setApprover(approver);
      const r = await run<ReloadResult>('pluginRuntime.reloadPlugin', { plugin: 'tally' });
      assert.deepEqual(r, { ok: true, plugin: 'tally', state: 'ENABLED', reapproved: false, version: '1.0.0' });
      assert.equal(approver.requests.length, 0, 'asked for approval although nothing changed');
      assert.deepEqual([...(api.registry.list().find((i) => i.name === 'tally')?.granted ?? [])].sort(), ['read:data', 'write:data']);
      editor.selection = new vscode.Selection(0, 0, 0, 4);
      assert.equal((await transform('tally')).applied, true);
      assert.equal(editor.document.getText(), 'v1:2', 'the stored count did not survive the reload');
    });

    it('changed files: asks once, shows what changed, and runs the new code after approval', async () => {
      fs.writeFileSync(path.join(fixtures, 'shout', 'index.js'), 'module.exports = { transform(input) { return input.text.toUpperCase() + "!"; } };');
      const approver = new FakeApprover();
      api.setApprover(approver);
      const r = await run<ReloadResult>('pluginRuntime.reloadPlugin', { plugin: 'shout' });
      assert.deepEqual(r, { ok: true, plugin: 'shout', state: 'ENABLED', reapproved: true, version: '1.0.0' });
      assert.equal(approver.requests.length, 1);
      assert.equal(approver.requests[0]!.kind, 'reapprove');
      assert.match(JSON.stringify(approver.requests[0]!.diff), /index\.js/);
      const editor = await openEditor('hey');
      editor.selection = new vscode.Selection(0, 0, 0, 3);
      assert.equal((await transform('shout')).applied, true);
      assert.equal(editor.document.getText(), 'HEY!');
    });

    it('changed files, approval denied: nothing is taken apart, and the unapproved code does not run', async () => {
      fs.writeFileSync(path.join(fixtures, 'same', 'index.js'), 'module.exports = { transform() { return "unapproved"; } };');
      api.setApprover(new FakeApprover(denyAll));
      const r = await run<ReloadResult>('pluginRuntime.reloadPlugin', { plugin: 'same' });
      assert.equal(r.ok, false);
      assert.equal(!r.ok && r.reason, 'denied');
      assert.equal(api.registry.stateOf('same'), 'ENABLED');
      const editor = await openEditor('text');
      editor.selection = new vscode.Selection(0, 0, 0, 4);
      const t = await transform('same');
      assert.equal(t.applied, false);
      assert.equal(t.failure?.kind, 'plugin-disabled');
      assert.equal(editor.document.getText(), 'text');
      fs.writeFileSync(path.join(fixtures, 'same', 'index.js'), 'module.exports = { transform(input) { return input.text; } };');
    });
  });

  describe('Preview Transform…', () => {
    it('opens a before/after diff and changes nothing until Apply; Apply changes the selection in one undo step', async () => {
      const editor = await activeEditor('keep\nshout this\nkeep');
      const version = editor.document.version;
      editor.selection = new vscode.Selection(1, 0, 1, 10);
      const p = await run<PreviewResult>('pluginRuntime.previewTransform', { plugin: 'loud' });
      assert.deepEqual(p, { opened: true, plugin: 'loud', before: 'shout this', after: 'SHOUT THIS!', selections: 1 });
      await waitFor(() => previewTabs().length === 1, 'the preview diff tab');
      assert.equal(editor.document.getText(), 'keep\nshout this\nkeep');
      assert.equal(editor.document.version, version, 'the preview changed the document');
      const diff = previewTabs()[0]!.input as vscode.TabInputTextDiff;
      assert.equal((await vscode.workspace.openTextDocument(diff.original)).getText(), 'shout this');
      assert.equal((await vscode.workspace.openTextDocument(diff.modified)).getText(), 'SHOUT THIS!');

      const a = await run<ApplyResult>('pluginRuntime.applyPreview');
      assert.deepEqual(a, { applied: true, changed: 1 });
      assert.equal(editor.document.getText(), 'keep\nSHOUT THIS!\nkeep');
      await waitFor(() => previewTabs().length === 0, 'the preview tab to close');
      await vscode.window.showTextDocument(editor.document);
      await vscode.commands.executeCommand('undo');
      assert.equal(editor.document.getText(), 'keep\nshout this\nkeep');
    });

    it('Discard, or closing the diff, changes nothing', async () => {
      const editor = await activeEditor('a\nb');
      editor.selection = new vscode.Selection(0, 0, 1, 1);
      assert.equal((await run<PreviewResult>('pluginRuntime.previewTransform', { plugin: 'loud' })).opened, true);
      assert.deepEqual(await run('pluginRuntime.discardPreview'), { discarded: true });
      await waitFor(() => previewTabs().length === 0, 'the preview tab to close');
      assert.equal(editor.document.getText(), 'a\nb');

      await vscode.window.showTextDocument(editor.document);
      editor.selection = new vscode.Selection(0, 0, 1, 1);
      assert.equal((await run<PreviewResult>('pluginRuntime.previewTransform', { plugin: 'loud' })).opened, true);
      await waitFor(() => previewTabs().length === 1, 'the preview diff tab');
      await vscode.window.tabGroups.close(previewTabs());
      await waitFor(() => previewTabs().length === 0, 'the preview tab to close');
      // Closing the tab ended the preview: there is nothing left to discard (or to apply).
      assert.deepEqual(await waitFor(async () => (await run<{ discarded: boolean }>('pluginRuntime.discardPreview')).discarded === false, 'the preview to end'), true);
      assert.equal(editor.document.getText(), 'a\nb');
    });

    it('a document edited after the preview is not changed by Apply (stale), and several selections preview together', async () => {
      const editor = await activeEditor('a1 b1\na2 b2');
      editor.selections = [new vscode.Selection(0, 0, 0, 2), new vscode.Selection(1, 3, 1, 5)];
      const p = await run<PreviewResult>('pluginRuntime.previewTransform', { plugin: 'loud' });
      assert.deepEqual(p, {
        opened: true,
        plugin: 'loud',
        before: '── selection 1 of 2 (line 1) ──\na1\n── selection 2 of 2 (line 2) ──\nb2',
        after: '── selection 1 of 2 (line 1) ──\nA1!\n── selection 2 of 2 (line 2) ──\nB2!',
        selections: 2,
      });
      const edit = new vscode.WorkspaceEdit();
      edit.insert(editor.document.uri, new vscode.Position(0, 0), '>');
      assert.ok(await vscode.workspace.applyEdit(edit));
      assert.deepEqual(await run<ApplyResult>('pluginRuntime.applyPreview'), { applied: false, reason: 'stale' });
      assert.equal(editor.document.getText(), '>a1 b1\na2 b2');
    });

    it('a failing plugin opens no preview; a plugin that changes nothing says so', async () => {
      const editor = await activeEditor('text');
      editor.selection = new vscode.Selection(0, 0, 0, 4);
      const failed = await run<PreviewResult>('pluginRuntime.previewTransform', { plugin: 'thrower' });
      assert.equal(failed.opened, false);
      assert.equal(!failed.opened && failed.failure?.kind, 'plugin-error');
      assert.deepEqual(await run<PreviewResult>('pluginRuntime.previewTransform', { plugin: 'same' }), { opened: false, plugin: 'same', reason: 'unchanged' });
      assert.equal(previewTabs().length, 0);
      assert.equal(editor.document.getText(), 'text');
    });
  });
});
