// Transform Selection with Plugin… in the real editor: single and multiple selections, the whole document for
// an empty selection, one undo step, the stale-document guard, failures, and a plugin named in the arguments.
import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';
import {
  SAMPLES_DIR, closeAllEditors, extensionApi, installViaCommand, openEditor, removeTempDirs, tempDir, transform, uninstallAll, usePluginFolders, writePlugin,
  relaxTimeout,
} from './helpers';
import type { TestApi } from '../../src/extension';

describe('Transform Selection with Plugin…', function () {
  let api: TestApi;
  let fixtures: string;

  before(async () => {
    api = await extensionApi();
    fixtures = tempDir('pr-int-transform-');
    writePlugin(fixtures, 'shout', 'module.exports = { transform(input) { return input.text.toUpperCase(); } };');
    writePlugin(fixtures, 'describe-input', 'module.exports = { transform(input) { return { text: `${input.languageId}|${input.fileName}|${input.text.length}` }; } };');
    writePlugin(fixtures, 'thrower', 'module.exports = { transform() { throw new Error("no thanks"); } };');
    // Busy for 600 ms: longer than the delay before the progress notification shows.
    writePlugin(fixtures, 'slow', 'module.exports = { transform(input) { const end = Date.now() + 600; while (Date.now() < end) {} return input.text.split("").reverse().join(""); } };');
    await relaxTimeout(api, true);
    await usePluginFolders(api, [SAMPLES_DIR, fixtures]);
    for (const name of ['shout', 'describe-input', 'thrower', 'slow', 'sort-lines']) await installViaCommand(api, name);
  });

  afterEach(async () => {
    api.hooks.beforeApply = undefined;
    await closeAllEditors();
  });

  after(async () => {
    await uninstallAll(api);
    await usePluginFolders(api, []);
    removeTempDirs();
    await relaxTimeout(api, false);
  });

  it('transforms a single selection', async () => {
    const editor = await openEditor('keep this\nshout this\nkeep that');
    editor.selection = new vscode.Selection(1, 0, 1, 10);
    const result = await transform('shout');
    assert.equal(result.applied, true, JSON.stringify(result));
    assert.equal(editor.document.getText(), 'keep this\nSHOUT THIS\nkeep that');
  });

  it('transforms every selection of a multi-cursor edit, and one undo restores them all', async () => {
    const original = 'a1 b1 c1\na2 b2 c2\na3 b3 c3';
    const editor = await openEditor(original);
    editor.selections = [new vscode.Selection(0, 0, 0, 2), new vscode.Selection(1, 3, 1, 5), new vscode.Selection(2, 6, 2, 8)];
    const result = await transform('shout');
    assert.equal(result.applied, true, JSON.stringify(result));
    assert.equal(result.selections, 3);
    assert.equal(editor.document.getText(), 'A1 b1 c1\na2 B2 c2\na3 b3 C3');
    await vscode.commands.executeCommand('undo');
    assert.equal(editor.document.getText(), original, 'one undo did not restore every selection');
  });

  it('transforms the whole document when nothing is selected', async () => {
    const editor = await openEditor('pear\napple\nfig\n');
    editor.selection = new vscode.Selection(1, 2, 1, 2);
    const result = await transform('sort-lines');
    assert.equal(result.applied, true, JSON.stringify(result));
    assert.equal(editor.document.getText(), 'apple\nfig\npear\n');
  });

  it("gives the plugin the text, the language id and the file's name (not its path)", async () => {
    const editor = await openEditor('{"a": 1}', 'json');
    editor.selection = new vscode.Selection(0, 0, 0, 8);
    await transform('describe-input');
    const [languageId, fileName, length] = editor.document.getText().split('|');
    assert.equal(languageId, 'json');
    assert.equal(length, '8');
    assert.ok(fileName && !fileName.includes('/') && !fileName.includes('\\'), `fileName ${fileName} is a path`);
  });

  it('applies nothing, and says so, when the document changes while the plugin runs', async () => {
    const editor = await openEditor('one\ntwo');
    editor.selection = new vscode.Selection(0, 0, 0, 3);
    api.hooks.beforeApply = async () => {
      // Someone types while the plugin runs.
      await editor.edit((b) => b.insert(new vscode.Position(1, 3), '!'));
    };
    const result = await transform('shout');
    assert.equal(result.applied, false);
    assert.equal(result.reason, 'stale');
    assert.equal(editor.document.getText(), 'one\ntwo!', 'the stale result was applied');
  });

  it('applies nothing when one of several selections fails, and reports the error kind', async () => {
    const editor = await openEditor('x\ny');
    editor.selections = [new vscode.Selection(0, 0, 0, 1), new vscode.Selection(1, 0, 1, 1)];
    const result = await transform('thrower');
    assert.equal(result.applied, false);
    assert.equal(result.reason, 'failed');
    assert.equal(result.failure?.kind, 'plugin-error');
    assert.equal(editor.document.getText(), 'x\ny');
  });

  it('refuses a plugin that is not enabled, naming its state', async () => {
    await vscode.commands.executeCommand('pluginRuntime.disablePlugin', { plugin: 'shout' });
    try {
      const editor = await openEditor('abc');
      editor.selection = new vscode.Selection(0, 0, 0, 3);
      const result = await transform('shout');
      assert.equal(result.applied, false);
      assert.equal(result.reason, 'refused');
      assert.equal(result.failure?.kind, 'plugin-disabled');
      assert.match(result.failure?.detail ?? '', /DISABLED/);
      assert.equal(editor.document.getText(), 'abc');
    } finally {
      await vscode.commands.executeCommand('pluginRuntime.enablePlugin', { plugin: 'shout' });
    }
  });

  it('applies the result of a slow run (shown with a progress notification)', async () => {
    const editor = await openEditor('abc');
    editor.selection = new vscode.Selection(0, 0, 0, 3);
    const result = await transform('slow');
    assert.equal(result.applied, true, JSON.stringify(result));
    assert.equal(editor.document.getText(), 'cba');
  });

  it('accepts the plugin as a plain name too (for keybindings and the tree)', async () => {
    const editor = await openEditor('abc');
    editor.selection = new vscode.Selection(0, 0, 0, 3);
    const result = (await vscode.commands.executeCommand('pluginRuntime.transformSelection', 'shout')) as { applied: boolean };
    assert.equal(result.applied, true);
    assert.equal(editor.document.getText(), 'ABC');
  });
});
