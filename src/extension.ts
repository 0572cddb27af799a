// Composition root: activate() builds the core and hands it to the thin adapters in src/vscode.
import * as vscode from 'vscode';

export function activate(context: vscode.ExtensionContext): void {
  context.subscriptions.push(
    vscode.commands.registerCommand('pluginRuntime.ping', () => 'pong'),
  );
}

export function deactivate(): void {
  // Disposables are owned by context.subscriptions.
}
