// The lifecycle commands: Install (from a discovered plugin or a picked folder, through the approval webview),
// Enable, Disable, Re-enable, Uninstall and Review Permissions. Each translates between VS Code and the
// registry and tells the person what happened; the registry decides what is allowed.
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { isInstalledState, type PluginState } from '../core/registry/lifecycle';
import type { PluginInfo, RegistryResult } from '../core/registry/registry';
import type { RegistryError } from '../core/registry/registryErrors';
import type { ApprovalDecision } from './approvalPanel';
import type { Ctx } from './ctx';
import { copyIntoManaged, isInsideFolder } from './managedCopy';
import { pickPlugin, pluginNameOf, resolvePlugin } from './pickPlugin';

/** What a lifecycle command did; returned to callers (keybindings ignore it, tests read it). */
export type LifecycleResult =
  | { readonly ok: true; readonly plugin: string; readonly state: PluginState }
  | { readonly ok: false; readonly plugin?: string; readonly reason: 'cancelled' | 'denied' | 'refused'; readonly message?: string };

const FROM_FOLDER = 'from-folder';

function infoOf(ctx: Ctx, name: string): PluginInfo | undefined {
  return ctx.registry.list().find((i) => i.name === name);
}

function label(ctx: Ctx, name: string): string {
  return infoOf(ctx, name)?.displayName ?? name;
}

function refused(ctx: Ctx, error: RegistryError): LifecycleResult {
  ctx.log.warn(`[${error.plugin}] ${error.message}`);
  void vscode.window.showErrorMessage(capitalize(error.message));
  return { ok: false, plugin: error.plugin, reason: error.kind === 'approval-denied' ? 'denied' : 'refused', message: error.message };
}

function capitalize(s: string): string {
  return s.charAt(0).toUpperCase() + s.slice(1);
}

function done(result: RegistryResult & { ok: true }, plugin: string): LifecycleResult {
  if (result.warning) void vscode.window.showWarningMessage(result.warning);
  return { ok: true, plugin, state: result.state };
}

const installable = (i: PluginInfo) => (i.state === 'AVAILABLE' || i.state === 'UNINSTALLED') && i.problems.length === 0;

// ---- Install -----------------------------------------------------------------------------------------

/**
 * Install Plugin…: argument a plugin name / tree item / `{ plugin }`, or `{ folder: "/abs/path" }` to install
 * from a folder without the dialog; without one, a quick pick of installable plugins plus "from folder…".
 */
export async function installPlugin(ctx: Ctx, arg: unknown): Promise<LifecycleResult> {
  let name = pluginNameOf(arg);
  let folder = arg !== null && typeof arg === 'object' && 'folder' in arg && typeof arg.folder === 'string' ? arg.folder : undefined;
  if (name === undefined && folder === undefined) {
    const picked = await pickPlugin(ctx, {
      title: 'Install Plugin',
      placeHolder: 'Pick a plugin to review and install',
      filter: (i) => i.state === 'AVAILABLE' || i.state === 'UNINSTALLED',
      none: '',
      extra: [{ id: FROM_FOLDER, label: '$(folder-opened) Install from Folder…', detail: 'Pick a plugin folder; it is copied into the managed plugins folder' }],
    });
    if (!picked) return { ok: false, reason: 'cancelled' };
    if ('plugin' in picked) name = picked.plugin;
    else {
      const uris = await vscode.window.showOpenDialog({ canSelectFolders: true, canSelectFiles: false, canSelectMany: false, openLabel: 'Review Plugin', title: 'Install Plugin from Folder' });
      if (!uris || uris.length === 0) return { ok: false, reason: 'cancelled' };
      folder = uris[0]!.fsPath;
    }
  }
  let copiedFrom: string | undefined;
  let copiedTo: string | undefined;
  if (folder !== undefined) {
    const discovered = ctx.registry.list().find((i) => i.dir !== '' && isInsideFolder(i.dir, folder!) && isInsideFolder(folder!, i.dir));
    if (discovered) {
      // Already in a plugin folder: install it where it is (the approval is bound to its fingerprint).
      name = discovered.name;
    } else {
      const copy = copyIntoManaged(folder, ctx.managedFolder, ctx.stagingFolder, (n) => {
        const state = ctx.registry.stateOf(n);
        if (isInstalledState(state)) return `A plugin named ${n} is already installed (${state}). Uninstall it first to replace it.`;
        const elsewhere = ctx.registry.list().find((i) => i.name === n && !isInsideFolder(ctx.managedFolder, i.dir));
        if (elsewhere) return `A plugin named ${n} is already in ${elsewhere.dir}; two plugins cannot share a name.`;
        return undefined;
      });
      if (!copy.ok) {
        void vscode.window.showErrorMessage(copy.message);
        ctx.log.warn(copy.message);
        return { ok: false, reason: 'refused', message: copy.message };
      }
      name = copy.name;
      copiedFrom = folder;
      copiedTo = copy.dir;
      ctx.log.info(`[${name}] copied from ${folder} into ${copy.dir} for review`);
    }
  }
  if (name === undefined) return { ok: false, reason: 'cancelled' };

  const review = ctx.registry.reviewInstall(name);
  if (!review.ok) return refused(ctx, review.error);
  const decision: ApprovalDecision = await ctx.approver.requestApproval({ kind: 'install', plugin: review.plugin, ...(copiedFrom ? { copiedFrom } : {}) });
  if (!decision.approve) {
    // A copy nobody approved is not kept: the managed folder holds only what someone chose to install.
    if (copiedTo) {
      fs.rmSync(copiedTo, { recursive: true, force: true });
      ctx.registry.scan();
    }
    const message = `${review.plugin.manifest.displayName} was not installed: its permissions were ${decision.why === 'closed' ? 'not approved (the approval tab was closed)' : 'denied'}.`;
    ctx.log.info(`[${name}] ${message}`);
    void vscode.window.showInformationMessage(message);
    return { ok: false, plugin: name, reason: 'denied', message };
  }
  const installed = await ctx.registry.install(name, { approve: true, permissions: decision.permissions, fingerprint: decision.fingerprint });
  if (!installed.ok) return refused(ctx, installed.error);
  // Approving installs and enables (the approval page says so): the plugin is ready to run.
  const enabled = await ctx.registry.enable(name);
  if (!enabled.ok) return refused(ctx, enabled.error);
  void vscode.window
    .showInformationMessage(`${review.plugin.manifest.displayName} is installed and enabled. Select text and run "Plugin Runtime: Transform Selection with Plugin…".`, 'Transform Selection')
    .then((choice) => {
      if (choice) void vscode.commands.executeCommand('pluginRuntime.transformSelection', { plugin: name });
    });
  return done(enabled, name);
}

// ---- Enable, Disable, Re-enable ------------------------------------------------------------------------

async function simpleTransition(
  ctx: Ctx,
  arg: unknown,
  action: 'enable' | 'disable' | 'reenable',
  from: readonly PluginState[],
  title: string,
  past: string,
): Promise<LifecycleResult> {
  const name = await resolvePlugin(ctx, arg, {
    title,
    placeHolder: `Pick a plugin to ${action === 'reenable' ? 're-enable' : action}`,
    filter: (i) => from.includes(i.state),
    none: `No plugin can be ${past} now (that needs a plugin in state ${from.join(' or ')}).`,
  });
  if (name === undefined) return { ok: false, reason: 'cancelled' };
  const result = await ctx.registry[action](name);
  if (!result.ok) return refused(ctx, result.error);
  const info = infoOf(ctx, name);
  if (action !== 'disable' && info?.needsReapproval) {
    void vscode.window
      .showWarningMessage(`${label(ctx, name)} is ${past}, but its files changed since you approved it: it will not run until you approve it again.`, 'Review Permissions')
      .then((c) => c && vscode.commands.executeCommand('pluginRuntime.reviewPermissions', { plugin: name }));
  } else {
    vscode.window.setStatusBarMessage(`${label(ctx, name)} ${past}`, 4000);
  }
  return done(result, name);
}

export const enablePlugin = (ctx: Ctx, arg: unknown) => simpleTransition(ctx, arg, 'enable', ['INSTALLED', 'DISABLED'], 'Enable Plugin', 'enabled');
export const disablePlugin = (ctx: Ctx, arg: unknown) => simpleTransition(ctx, arg, 'disable', ['ENABLED'], 'Disable Plugin', 'disabled');
export const reenablePlugin = (ctx: Ctx, arg: unknown) => simpleTransition(ctx, arg, 'reenable', ['ERROR'], 'Re-enable Plugin', 're-enabled');

// ---- Uninstall -------------------------------------------------------------------------------------------

export async function uninstallPlugin(ctx: Ctx, arg: unknown): Promise<LifecycleResult> {
  const name = await resolvePlugin(ctx, arg, {
    title: 'Uninstall Plugin',
    placeHolder: 'Pick a plugin to uninstall',
    filter: (i) => isInstalledState(i.state),
    none: 'No plugin is installed.',
  });
  if (name === undefined) return { ok: false, reason: 'cancelled' };
  const state = ctx.registry.stateOf(name);
  if (!isInstalledState(state)) return refused(ctx, { kind: 'transition-refused', plugin: name, message: `cannot uninstall ${name}: it is ${state}; it is not installed` });
  const confirmed = await ctx.confirmer.confirm(
    `Uninstall ${label(ctx, name)}?`,
    `Its permissions are revoked and the data it stored is deleted.${isInsideFolder(ctx.managedFolder, infoOf(ctx, name)?.dir ?? '') ? ' Its copy in the managed plugins folder is removed.' : ''}`,
    'Uninstall',
  );
  if (!confirmed) return { ok: false, plugin: name, reason: 'cancelled' };
  // The person asked to uninstall: a running plugin is disabled first (the lifecycle never pulls it out from
  // under an invocation).
  if (state === 'ENABLED') {
    const disabled = await ctx.registry.disable(name);
    if (!disabled.ok) return refused(ctx, disabled.error);
  }
  const dir = infoOf(ctx, name)?.dir ?? '';
  const result = await ctx.registry.uninstall(name);
  if (!result.ok) return refused(ctx, result.error);
  if (dir !== '' && isInsideFolder(ctx.managedFolder, dir) && path.resolve(dir) !== path.resolve(ctx.managedFolder)) {
    fs.rmSync(dir, { recursive: true, force: true });
    ctx.registry.scan();
  }
  vscode.window.setStatusBarMessage(`${name} uninstalled`, 4000);
  return done(result, name);
}

// ---- Review Permissions --------------------------------------------------------------------------------

/** Shows what an installed plugin holds (and what changed since it was approved) and takes a new approval. */
export async function reviewPermissions(ctx: Ctx, arg: unknown): Promise<LifecycleResult> {
  const name = await resolvePlugin(ctx, arg, {
    title: 'Review Permissions',
    placeHolder: 'Pick an installed plugin to review its permissions',
    filter: (i) => isInstalledState(i.state),
    none: 'No plugin is installed.',
  });
  if (name === undefined) return { ok: false, reason: 'cancelled' };
  const review = ctx.registry.reviewReapproval(name);
  if (!review.ok) return refused(ctx, review.error);
  const granted = infoOf(ctx, name)?.granted ?? [];
  const decision = await ctx.approver.requestApproval({
    kind: 'reapprove',
    plugin: review.plugin,
    granted,
    ...(review.needsReapproval ? { diff: review.needsReapproval } : {}),
  });
  if (!decision.approve) {
    const message = `${review.plugin.manifest.displayName} keeps its previous approval${review.needsReapproval ? ', so it will not run until its changes are approved' : ''}.`;
    void vscode.window.showInformationMessage(message);
    return { ok: false, plugin: name, reason: 'denied', message };
  }
  const result = await ctx.registry.reapprove(name, { approve: true, permissions: decision.permissions, fingerprint: decision.fingerprint });
  if (!result.ok) return refused(ctx, result.error);
  vscode.window.setStatusBarMessage(`${review.plugin.manifest.displayName}: permissions approved`, 4000);
  return done(result, name);
}
