// The extension activates lazily and starts nothing until a plugin is invoked; every command in package.json
// is registered, and every command is in package.json with the "Plugin Runtime" category.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { REPO_ROOT, extensionApi, waitFor } from './helpers';

interface ContributedCommand {
  command: string;
  title: string;
  category?: string;
}

const pkg = JSON.parse(fs.readFileSync(path.join(REPO_ROOT, 'package.json'), 'utf8')) as {
  activationEvents: string[];
  contributes: { commands: ContributedCommand[]; menus: { commandPalette: { command: string; when: string }[] } };
};

describe('activation and commands', () => {
  it('activates without building the runtime or starting a sandbox process', async () => {
    const api = await extensionApi();
    // Nothing has listed or run a plugin yet in this window (this file runs first).
    assert.equal(api.built, false, 'activation alone built the registry and plugin host');
    api.registry.list();
    assert.equal(api.built, true);
    assert.equal(api.host.status().sandbox, undefined, 'listing plugins started the sandbox process');
  });

  it('activates lazily: on its commands and its view, never on startup', () => {
    assert.ok(!pkg.activationEvents.includes('*'));
    assert.ok(!pkg.activationEvents.includes('onStartupFinished'));
    assert.ok(pkg.activationEvents.includes('onView:pluginRuntime.plugins'));
  });

  it('registers every contributed command', async () => {
    const registered = new Set(await vscode.commands.getCommands(true));
    const missing = pkg.contributes.commands.map((c) => c.command).filter((id) => !registered.has(id));
    assert.deepEqual(missing, []);
  });

  it('contributes its commands under pluginRuntime.* with the category "Plugin Runtime"', async () => {
    for (const c of pkg.contributes.commands) {
      assert.match(c.command, /^pluginRuntime\.[a-zA-Z]+$/);
      assert.equal(c.category, 'Plugin Runtime', c.command);
    }
    const titles = pkg.contributes.commands.map((c) => c.title);
    for (const title of ['Transform Selection with Plugin…', 'Install Plugin…', 'Enable Plugin…', 'Disable Plugin…', 'Re-enable Plugin…', 'Uninstall Plugin…', 'Review Permissions…', 'Show Logs', 'Refresh']) {
      assert.ok(titles.includes(title), `no command titled ${title}`);
    }
    // Every pluginRuntime.* command the extension registers is declared (no hidden, undeclared commands).
    const ours = (await vscode.commands.getCommands(true)).filter((id) => id.startsWith('pluginRuntime.') && !id.startsWith('pluginRuntime.plugins'));
    const declared = new Set(pkg.contributes.commands.map((c) => c.command));
    assert.deepEqual(ours.filter((id) => !declared.has(id)), []);
  });

  it('keeps pluginRuntime.ping working and hidden from the palette', async () => {
    assert.equal(await vscode.commands.executeCommand('pluginRuntime.ping'), 'pong');
    const hidden = pkg.contributes.menus.commandPalette.find((m) => m.command === 'pluginRuntime.ping');
    assert.equal(hidden?.when, 'false');
  });

  it('Show Logs opens the "Plugin Runtime" output channel', async () => {
    await vscode.commands.executeCommand('pluginRuntime.showLogs');
    // The output channel's document is opened for the view; its name is in the URI.
    const channel = await waitFor(
      () => vscode.workspace.textDocuments.find((d) => d.uri.scheme === 'output' && /Plugin Runtime|plugin-runtime/i.test(d.uri.toString())),
      'the Plugin Runtime output channel to be shown',
    ).catch(() => undefined);
    assert.ok(channel, `no output document for Plugin Runtime among ${vscode.workspace.textDocuments.map((d) => d.uri.toString()).join(', ')}`);
  });
});
