// The commands, as one table of factories (rust-analyzer's pattern): every id here is declared in
// package.json with category "Plugin Runtime", and each handler reports its own errors instead of throwing.
import * as vscode from 'vscode';
import { AUTHORING_COMMANDS } from './authoringCommands';
import type { Ctx } from './ctx';
import { disablePlugin, enablePlugin, installPlugin, reenablePlugin, reviewPermissions, uninstallPlugin } from './lifecycleCommands';
import { SECTION } from './settings';
import { transformSelection } from './transform';

type Handler = (...args: unknown[]) => unknown;
type Factory = (ctx: Ctx) => Handler;

export const COMMANDS: { readonly [id: string]: Factory } = {
  'pluginRuntime.transformSelection': (ctx) => (arg) => transformSelection(ctx, arg),
  'pluginRuntime.installPlugin': (ctx) => (arg) => installPlugin(ctx, arg),
  'pluginRuntime.enablePlugin': (ctx) => (arg) => enablePlugin(ctx, arg),
  'pluginRuntime.disablePlugin': (ctx) => (arg) => disablePlugin(ctx, arg),
  'pluginRuntime.reenablePlugin': (ctx) => (arg) => reenablePlugin(ctx, arg),
  'pluginRuntime.uninstallPlugin': (ctx) => (arg) => uninstallPlugin(ctx, arg),
  'pluginRuntime.reviewPermissions': (ctx) => (arg) => reviewPermissions(ctx, arg),
  'pluginRuntime.showLogs': (ctx) => () => ctx.log.show(),
  'pluginRuntime.refresh': (ctx) => () => ctx.refresh(),
  'pluginRuntime.openPluginFoldersSetting': () => () => vscode.commands.executeCommand('workbench.action.openSettings', `${SECTION}.pluginFolders`),
  // Internal (hidden from the palette): the integration harness's smoke test calls it.
  'pluginRuntime.ping': () => () => 'pong',
  ...AUTHORING_COMMANDS,
};

export function registerCommands(ctx: Ctx): vscode.Disposable[] {
  return Object.entries(COMMANDS).map(([id, factory]) => {
    const handler = factory(ctx);
    return vscode.commands.registerCommand(id, async (...args: unknown[]) => {
      try {
        return await handler(...args);
      } catch (e) {
        // A bug of ours must surface as a message, not as an unhandled rejection in the extension host.
        const message = e instanceof Error ? e.message : String(e);
        ctx.log.error(`${id} failed: ${e instanceof Error && e.stack ? e.stack : message}`);
        void vscode.window.showErrorMessage(`Plugin Runtime: ${message}`, 'Show Logs').then((c) => c && ctx.log.show());
        return undefined;
      }
    });
  });
}
