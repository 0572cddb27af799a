// Tests the harness itself: the extension under development is loaded into a real VS Code extension
// host, activates, and answers a command.
import * as assert from 'node:assert/strict';
import * as path from 'node:path';
import * as vscode from 'vscode';

const EXTENSION_ID = 'plugin-runtime.plugin-runtime';
// Compiled to out/test/integration/smoke.test.js: the repository root is three levels up.
const repoRoot = path.resolve(__dirname, '..', '..', '..');

describe('integration harness', () => {
  it('loads the extension under development from this repository', () => {
    const extension = vscode.extensions.getExtension(EXTENSION_ID);
    assert.ok(extension, `${EXTENSION_ID} is not loaded`);
    assert.equal(path.resolve(extension.extensionUri.fsPath), repoRoot);
  });

  it('activates the extension', async () => {
    const extension = vscode.extensions.getExtension(EXTENSION_ID);
    assert.ok(extension);
    await extension.activate();
    assert.equal(extension.isActive, true);
  });

  it('runs pluginRuntime.ping and gets pong', async () => {
    assert.equal(await vscode.commands.executeCommand('pluginRuntime.ping'), 'pong');
  });

  it('opens a trusted workspace folder', () => {
    assert.equal(vscode.workspace.workspaceFolders?.length, 1);
    assert.equal(vscode.workspace.isTrusted, true);
  });
});
