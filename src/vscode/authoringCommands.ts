// The plugin author's commands: New Plugin… (scaffold a working plugin and open it), Reload Plugin (disable →
// uninstall → install → enable in one action, asking for approval again only when the files or permissions
// changed) and Preview Transform… (run a plugin, show a before/after diff, change nothing until Apply).
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { PluginFailure } from '../core/errors';
import { isInstalledState, type PluginState } from '../core/registry/lifecycle';
import type { InstallDecision } from '../core/registry/registry';
import type { Ctx } from './ctx';
import { isInsideFolder } from './managedCopy';
import { resolvePlugin } from './pickPlugin';
import { writeScaffold, problemWithPluginName } from './pluginTemplate';
import { SECTION } from './settings';
import { notifyFailure, notifyRefusal, runAll, targetRanges, withProgressIfSlow } from './transform';

type Handler = (...args: unknown[]) => unknown;

/** Added to the command table in commands.ts. Every id is declared in package.json. */
export const AUTHORING_COMMANDS: { readonly [id: string]: (ctx: Ctx) => Handler } = {
  'pluginRuntime.newPlugin': (ctx) => (arg) => newPlugin(ctx, arg),
  'pluginRuntime.reloadPlugin': (ctx) => (arg) => reloadPlugin(ctx, arg),
  'pluginRuntime.previewTransform': (ctx) => (arg) => previewTransform(ctx, arg),
  'pluginRuntime.applyPreview': (ctx) => () => previewsOf(ctx).apply(),
  'pluginRuntime.discardPreview': (ctx) => () => previewsOf(ctx).discard(),
};

// ---- New Plugin… -----------------------------------------------------------------------------------------

export type NewPluginResult =
  | { readonly ok: true; readonly name: string; readonly dir: string; readonly inPluginFolders: boolean }
  | { readonly ok: false; readonly reason: 'cancelled' | 'refused'; readonly message?: string };

interface NewPluginArgs {
  /** The folder to create the plugin in (skips the folder pick). */
  folder?: string;
  /** The plugin's name (skips the input box). */
  name?: string;
  /** Whether to add `folder` to pluginRuntime.pluginFolders when it is not searched yet (skips the question). */
  addToPluginFolders?: boolean;
}

function argsOf(arg: unknown): NewPluginArgs {
  if (arg === null || typeof arg !== 'object') return {};
  const a = arg as Record<string, unknown>;
  return {
    ...(typeof a['folder'] === 'string' ? { folder: a['folder'] } : {}),
    ...(typeof a['name'] === 'string' ? { name: a['name'] } : {}),
    ...(typeof a['addToPluginFolders'] === 'boolean' ? { addToPluginFolders: a['addToPluginFolders'] } : {}),
  };
}

const CHOOSE_FOLDER = 'choose-folder';
const TYPINGS_PATH = path.join(__dirname, '..', 'types', 'plugin-api.d.ts');

/** The folders a person is offered: the plugin folders searched now, less the managed one (approved copies only). */
function authoringFolders(ctx: Ctx): string[] {
  return ctx.runtime.folders.filter((f) => !isInsideFolder(ctx.managedFolder, f));
}

async function pickParentFolder(ctx: Ctx): Promise<string | undefined> {
  const items: Array<vscode.QuickPickItem & { folder?: string; id?: string }> = authoringFolders(ctx).map((f) => ({
    label: `$(folder) ${path.basename(f)}`,
    description: f,
    folder: f,
  }));
  items.push({ label: '$(folder-opened) Choose a Folder…', detail: 'Create the plugin in another folder (you can add it to the plugin folders)', id: CHOOSE_FOLDER });
  const picked = await vscode.window.showQuickPick(items, { title: 'New Plugin', placeHolder: 'Where should the new plugin folder be created?' });
  if (!picked) return undefined;
  if (picked.folder) return picked.folder;
  const uris = await vscode.window.showOpenDialog({ canSelectFolders: true, canSelectFiles: false, canSelectMany: false, openLabel: 'Create Plugin Here', title: 'New Plugin: choose the folder that holds your plugins' });
  return uris?.[0]?.fsPath;
}

function defaultPublisher(): string {
  try {
    const user = os.userInfo().username.replace(/[\u0000-\u001f\u007f-\u009f]/g, '').trim();
    return user.length > 0 && user.length <= 100 ? user : 'me';
  } catch {
    return 'me';
  }
}

/** Adds `folder` to pluginRuntime.pluginFolders where the effective value comes from (workspace or user). */
async function addToPluginFolders(folder: string): Promise<void> {
  const config = vscode.workspace.getConfiguration(SECTION);
  const inspected = config.inspect<string[]>('pluginFolders');
  const inWorkspace = inspected?.workspaceValue !== undefined;
  const current = (inWorkspace ? inspected?.workspaceValue : inspected?.globalValue) ?? [];
  await config.update('pluginFolders', [...current, folder], inWorkspace ? vscode.ConfigurationTarget.Workspace : vscode.ConfigurationTarget.Global);
}

export async function newPlugin(ctx: Ctx, arg: unknown): Promise<NewPluginResult> {
  const args = argsOf(arg);
  const parent = args.folder ?? (await pickParentFolder(ctx));
  if (parent === undefined) return { ok: false, reason: 'cancelled' };
  const taken = (name: string) => ctx.registry.list().some((i) => i.name === name) || fs.existsSync(path.join(parent, name));
  const name =
    args.name ??
    (await vscode.window.showInputBox({
      title: 'New Plugin',
      prompt: `The plugin's name, also its folder in ${parent}: lowercase letters, digits and dashes`,
      value: 'my-plugin',
      valueSelection: [0, 'my-plugin'.length],
      validateInput: (v) => problemWithPluginName(v) ?? (taken(v) ? `A plugin or folder named "${v}" already exists.` : undefined),
    }));
  if (name === undefined) return { ok: false, reason: 'cancelled' };
  if (ctx.registry.list().some((i) => i.name === name)) {
    const message = `A plugin named ${name} already exists; two plugins cannot share a name.`;
    void vscode.window.showErrorMessage(message);
    return { ok: false, reason: 'refused', message };
  }

  // The typings ship in the extension (types/ beside dist/, where this bundle runs from).
  const typings = fs.readFileSync(TYPINGS_PATH, 'utf8');
  const written = writeScaffold(parent, { name, publisher: defaultPublisher(), typings });
  if (!written.ok) {
    void vscode.window.showErrorMessage(written.message);
    return { ok: false, reason: 'refused', message: written.message };
  }
  ctx.log.info(`[${name}] scaffolded in ${written.dir}`);

  let inPluginFolders = ctx.runtime.folders.some((f) => isInsideFolder(f, parent) && isInsideFolder(parent, f));
  if (!inPluginFolders) {
    const add =
      args.addToPluginFolders ??
      (await vscode.window.showInformationMessage(
        `${parent} is not one of the plugin folders, so the Plugins view will not list ${name}. Add it to "pluginRuntime.pluginFolders"?`,
        'Add to Plugin Folders',
        'Not Now',
      )) === 'Add to Plugin Folders';
    if (add) {
      await addToPluginFolders(parent);
      inPluginFolders = true;
    }
  }
  ctx.refresh();

  const doc = await vscode.workspace.openTextDocument(path.join(written.dir, 'index.js'));
  await vscode.window.showTextDocument(doc, { preview: false });
  void vscode.window
    .showInformationMessage(
      `Created ${name}: edit index.js, then install it to try it on a selection.${inPluginFolders ? '' : ' Its folder is not searched for plugins: use Install Plugin… → Install from Folder….'}`,
      'Install',
    )
    .then((choice) => {
      if (choice) void vscode.commands.executeCommand('pluginRuntime.installPlugin', inPluginFolders ? { plugin: name } : { folder: written.dir });
    });
  return { ok: true, name, dir: written.dir, inPluginFolders };
}

// ---- Reload Plugin ---------------------------------------------------------------------------------------

export type ReloadResult =
  | { readonly ok: true; readonly plugin: string; readonly state: PluginState; readonly reapproved: boolean; readonly version: string }
  | { readonly ok: false; readonly plugin?: string; readonly reason: 'cancelled' | 'denied' | 'refused'; readonly message?: string };

function refusedReload(ctx: Ctx, plugin: string, message: string): ReloadResult {
  ctx.log.warn(`[${plugin}] reload: ${message}`);
  void vscode.window.showErrorMessage(message, 'Show Logs').then((c) => c && ctx.log.show());
  return { ok: false, plugin, reason: 'refused', message };
}

/**
 * Reload Plugin: v1's reload — disable, uninstall (keeping its data), install, enable — as one action, on the
 * plugin's files as they are now. The person approves again only if those files or the permissions they ask
 * for changed since the current approval; otherwise the same permissions are granted to the same bytes. The
 * approval comes first, so a denial leaves the plugin exactly as it was.
 */
export async function reloadPlugin(ctx: Ctx, arg: unknown): Promise<ReloadResult> {
  const name = await resolvePlugin(ctx, arg, {
    title: 'Reload Plugin',
    placeHolder: 'Pick an installed plugin to reload from its folder',
    filter: (i) => isInstalledState(i.state),
    none: 'No plugin is installed.',
  });
  if (name === undefined) return { ok: false, reason: 'cancelled' };
  const info = ctx.registry.list().find((i) => i.name === name);
  if (!info || !isInstalledState(info.state)) return refusedReload(ctx, name, `${name} is not installed; install it instead of reloading it.`);
  const review = ctx.registry.reviewReapproval(name);
  if (!review.ok) return refusedReload(ctx, name, `${name} cannot be reloaded: ${review.error.message}`);
  const displayName = review.plugin.manifest.displayName;

  let decision: InstallDecision;
  const reapproved = review.needsReapproval !== undefined;
  if (review.needsReapproval) {
    const answer = await ctx.approver.requestApproval({ kind: 'reapprove', plugin: review.plugin, granted: info.granted, diff: review.needsReapproval });
    if (!answer.approve) {
      const message = `${displayName} was not reloaded: its changes were not approved, so it will not run until they are.`;
      void vscode.window.showInformationMessage(message);
      return { ok: false, plugin: name, reason: 'denied', message };
    }
    decision = { approve: true, permissions: answer.permissions, fingerprint: answer.fingerprint };
  } else {
    // Unchanged files and permissions: the approval stands as it is (a revoked permission stays revoked).
    decision = { approve: true, permissions: info.granted, fingerprint: review.plugin.fingerprint };
  }
  // The files must still be the ones just reviewed before anything is taken apart.
  const again = ctx.registry.reviewReapproval(name);
  if (!again.ok || again.plugin.fingerprint !== decision.fingerprint) {
    return refusedReload(ctx, name, `${displayName} changed while it was being reviewed; nothing was changed. Run Reload Plugin again.`);
  }

  if (ctx.registry.stateOf(name) === 'ENABLED') {
    const disabled = await ctx.registry.disable(name);
    if (!disabled.ok) return refusedReload(ctx, name, disabled.error.message);
  }
  const uninstalled = await ctx.registry.uninstall(name, { keepData: true });
  if (!uninstalled.ok) return refusedReload(ctx, name, uninstalled.error.message);
  const installed = await ctx.registry.install(name, decision);
  if (!installed.ok) {
    return refusedReload(ctx, name, `${displayName} was uninstalled (its data is kept) but could not be installed again: ${installed.error.message}. Install it again.`);
  }
  const enabled = await ctx.registry.enable(name);
  if (!enabled.ok) return refusedReload(ctx, name, enabled.error.message);
  const version = review.plugin.manifest.version;
  ctx.log.info(`[${name}] reloaded (${version})${reapproved ? ' with a new approval' : ''}`);
  vscode.window.setStatusBarMessage(`${displayName} ${version} reloaded`, 4000);
  return { ok: true, plugin: name, state: enabled.state, reapproved, version };
}

// ---- Preview Transform… ----------------------------------------------------------------------------------

export const PREVIEW_SCHEME = 'plugin-runtime-preview';
const PREVIEW_CONTEXT_KEY = 'pluginRuntime.previewActive';

export type PreviewResult =
  | { readonly opened: true; readonly plugin: string; readonly before: string; readonly after: string; readonly selections: number }
  | { readonly opened: false; readonly plugin?: string; readonly reason: 'no-editor' | 'no-plugin' | 'refused' | 'failed' | 'cancelled' | 'unchanged'; readonly failure?: PluginFailure };

export type ApplyResult = { readonly applied: true; readonly changed: number } | { readonly applied: false; readonly reason: 'no-preview' | 'stale' | 'edit-failed' };

interface PreviewSession {
  readonly id: number;
  readonly displayName: string;
  readonly doc: vscode.TextDocument;
  readonly version: number;
  readonly ranges: readonly vscode.Range[];
  readonly inputs: readonly string[];
  readonly outputs: readonly string[];
  readonly before: vscode.Uri;
  readonly after: vscode.Uri;
  readonly disposables: vscode.Disposable[];
}

/** One preview at a time per extension: its virtual documents, its diff tab, and what Apply would change. */
class Previews {
  private current: PreviewSession | undefined;
  private nextId = 1;

  async open(s: Omit<PreviewSession, 'id' | 'before' | 'after' | 'disposables'>, fileName: string): Promise<PreviewSession> {
    await this.end();
    const id = this.nextId++;
    // The file name keeps its extension, so both sides get the document's syntax highlighting.
    const uri = (side: string) => vscode.Uri.from({ scheme: PREVIEW_SCHEME, path: `/${side}/${fileName}`, query: String(id) });
    const before = uri('before');
    const after = uri('after');
    const texts = new Map([
      [before.toString(), joinSelections(s.inputs, s.ranges)],
      [after.toString(), joinSelections(s.outputs, s.ranges)],
    ]);
    const session: PreviewSession = { ...s, id, before, after, disposables: [] };
    session.disposables.push(
      vscode.workspace.registerTextDocumentContentProvider(PREVIEW_SCHEME, { provideTextDocumentContent: (u) => texts.get(u.toString()) ?? '' }),
      // Closing the diff tab is a Discard.
      vscode.window.tabGroups.onDidChangeTabs((e) => {
        if (this.current === session && e.closed.some((t) => isDiffOf(t, session))) void this.end();
      }),
    );
    this.current = session;
    await vscode.commands.executeCommand('setContext', PREVIEW_CONTEXT_KEY, true);
    await vscode.commands.executeCommand('vscode.diff', before, after, `${s.displayName}: ${fileName} (before ↔ after)`, { preview: false });
    return session;
  }

  /** Apply: the previewed outputs replace the selections, in one edit, if the document has not changed since. */
  async apply(): Promise<ApplyResult> {
    const s = this.current;
    if (!s) {
      void vscode.window.showInformationMessage('There is no transform preview to apply.');
      return { applied: false, reason: 'no-preview' };
    }
    if (s.doc.isClosed || s.doc.version !== s.version) {
      await this.end();
      void vscode.window.showWarningMessage(`${path.basename(s.doc.uri.path)} changed after the preview; nothing was applied. Preview it again.`);
      return { applied: false, reason: 'stale' };
    }
    const edit = new vscode.WorkspaceEdit();
    let changed = 0;
    s.ranges.forEach((range, i) => {
      if (s.outputs[i] !== s.inputs[i]) {
        edit.replace(s.doc.uri, range, s.outputs[i]!);
        changed++;
      }
    });
    await this.end();
    const ok = await vscode.workspace.applyEdit(edit).then((r) => r, () => false);
    await vscode.window.showTextDocument(s.doc, { preview: false });
    if (!ok) {
      void vscode.window.showErrorMessage(`${s.displayName}'s previewed change could not be applied to the editor.`);
      return { applied: false, reason: 'edit-failed' };
    }
    vscode.window.setStatusBarMessage(`${s.displayName}: applied`, 3000);
    return { applied: true, changed };
  }

  /** Discard: close the preview; the document was never touched. */
  async discard(): Promise<{ readonly discarded: boolean }> {
    const s = this.current;
    if (!s) return { discarded: false };
    await this.end();
    if (!s.doc.isClosed) await vscode.window.showTextDocument(s.doc, { preview: false });
    return { discarded: true };
  }

  get active(): { readonly before: vscode.Uri; readonly after: vscode.Uri } | undefined {
    return this.current && { before: this.current.before, after: this.current.after };
  }

  private async end(): Promise<void> {
    const s = this.current;
    if (!s) return;
    this.current = undefined;
    const tabs = vscode.window.tabGroups.all.flatMap((g) => g.tabs).filter((t) => isDiffOf(t, s));
    if (tabs.length > 0) await vscode.window.tabGroups.close(tabs).then(undefined, () => false);
    for (const d of s.disposables.splice(0)) d.dispose();
    await vscode.commands.executeCommand('setContext', PREVIEW_CONTEXT_KEY, false);
  }
}

function isDiffOf(tab: vscode.Tab, s: PreviewSession): boolean {
  return tab.input instanceof vscode.TabInputTextDiff && tab.input.modified.toString() === s.after.toString();
}

/** One selection as it is; several with a header line each (the same on both sides, so only changes differ). */
function joinSelections(texts: readonly string[], ranges: readonly vscode.Range[]): string {
  if (texts.length === 1) return texts[0]!;
  return texts.map((t, i) => `── selection ${i + 1} of ${texts.length} (line ${ranges[i]!.start.line + 1}) ──\n${t}`).join('\n');
}

const previews = new WeakMap<Ctx, Previews>();
function previewsOf(ctx: Ctx): Previews {
  let p = previews.get(ctx);
  if (!p) {
    p = new Previews();
    previews.set(ctx, p);
  }
  return p;
}

/** Test seam: the active preview's document URIs. */
export function activePreview(ctx: Ctx): { readonly before: vscode.Uri; readonly after: vscode.Uri } | undefined {
  return previewsOf(ctx).active;
}

export async function previewTransform(ctx: Ctx, arg: unknown): Promise<PreviewResult> {
  const editor = vscode.window.activeTextEditor;
  if (!editor || editor.document.uri.scheme === PREVIEW_SCHEME) {
    void vscode.window.showInformationMessage('Open a file and select the text to preview a transform on first.');
    return { opened: false, reason: 'no-editor' };
  }
  const name = await resolvePlugin(ctx, arg, {
    title: 'Preview Transform',
    placeHolder: 'Pick an enabled plugin: its result is shown as a diff, and nothing changes until you apply it',
    filter: (info) => info.state === 'ENABLED' && info.problems.length === 0,
    none: 'No plugin is enabled. Install one with "Plugin Runtime: Install Plugin…".',
  });
  if (name === undefined) return { opened: false, reason: 'no-plugin' };
  const prep = ctx.registry.prepareRun(name);
  if (!prep.ok) {
    notifyRefusal(ctx, name, prep.failure, prep.reason);
    return { opened: false, plugin: name, reason: 'refused', failure: prep.failure };
  }
  const plugin = prep.plugin;
  const doc = editor.document;
  const version = doc.version;
  const ranges = targetRanges(editor);
  const inputs = ranges.map((r) => doc.getText(r));
  const run = await withProgressIfSlow(`Running ${plugin.manifest.displayName}…`, (token) => runAll(ctx, plugin, doc, inputs, token));
  if (run.kind === 'cancelled') return { opened: false, plugin: name, reason: 'cancelled' };
  if (run.kind === 'failed') {
    await notifyFailure(ctx, plugin, run.failure);
    return { opened: false, plugin: name, reason: 'failed', failure: run.failure };
  }
  const displayName = plugin.manifest.displayName;
  if (run.outputs.every((o, i) => o === inputs[i])) {
    void vscode.window.showInformationMessage(`${displayName} would not change the selection.`);
    return { opened: false, plugin: name, reason: 'unchanged' };
  }
  const fileName = path.basename(doc.uri.path) || 'selection';
  const session = await previewsOf(ctx).open({ displayName, doc, version, ranges, inputs, outputs: run.outputs }, fileName);
  void vscode.window.showInformationMessage(`Preview of ${displayName} on ${fileName}: apply the change?`, 'Apply', 'Discard').then((choice) => {
    const p = previewsOf(ctx);
    if (p.active?.after.toString() !== session.after.toString()) return; // that preview is over
    if (choice === 'Apply') void p.apply();
    else if (choice === 'Discard') void p.discard();
  });
  return { opened: true, plugin: name, before: joinSelections(inputs, ranges), after: joinSelections(run.outputs, ranges), selections: ranges.length };
}
