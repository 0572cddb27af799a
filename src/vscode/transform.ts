// Transform Selection with Plugin…: runs a plugin's transform hook on every selection (the whole document
// when nothing is selected) and applies all results in one edit, so one undo restores the text. Nothing is
// applied if any selection fails, or if the document changed while the plugin ran.
import * as path from 'node:path';
import * as vscode from 'vscode';
import { formatFailure, type PluginFailure } from '../core/errors';
import type { LoadedPlugin } from '../core/manifest';
import type { Ctx } from './ctx';
import { resolvePlugin } from './pickPlugin';

/** Show a progress notification only for a run that takes longer than this. */
export const PROGRESS_DELAY_MS = 400;

export type TransformResult =
  | { readonly applied: true; readonly plugin: string; readonly selections: number; readonly changed: number; readonly durationMs: number }
  | {
      readonly applied: false;
      readonly plugin?: string;
      readonly reason: 'no-editor' | 'no-plugin' | 'refused' | 'failed' | 'cancelled' | 'stale' | 'edit-failed' | 'unchanged';
      readonly failure?: PluginFailure;
      readonly message?: string;
    };

/** The ranges to transform: every non-empty selection, or the whole document when all are empty. */
export function targetRanges(editor: vscode.TextEditor): vscode.Range[] {
  const nonEmpty = editor.selections.filter((s) => !s.isEmpty).map((s) => new vscode.Range(s.start, s.end));
  if (nonEmpty.length > 0) return nonEmpty;
  const doc = editor.document;
  return [new vscode.Range(doc.positionAt(0), doc.lineAt(doc.lineCount - 1).range.end)];
}

export async function transformSelection(ctx: Ctx, arg: unknown): Promise<TransformResult> {
  const editor = vscode.window.activeTextEditor;
  if (!editor) {
    void vscode.window.showInformationMessage('Open a file and select the text to transform first.');
    return { applied: false, reason: 'no-editor' };
  }
  const name = await resolvePlugin(ctx, arg, {
    title: 'Transform Selection with Plugin',
    placeHolder: 'Pick an enabled plugin to run on the selection (the whole document if nothing is selected)',
    // Every valid plugin has a transform hook (it is the only hook of apiVersion 1); prepareRun checks the
    // manifest again below.
    filter: (info) => info.state === 'ENABLED' && info.problems.length === 0,
    none: 'No plugin is enabled. Install one with "Plugin Runtime: Install Plugin…".',
  });
  if (name === undefined) return { applied: false, reason: 'no-plugin' };

  const prep = ctx.registry.prepareRun(name);
  if (!prep.ok) {
    notifyRefusal(ctx, name, prep.failure, prep.reason);
    return { applied: false, plugin: name, reason: 'refused', failure: prep.failure };
  }
  const plugin = prep.plugin;
  if (!plugin.manifest.hooks.includes('transform')) {
    const message = `${plugin.manifest.displayName} has no transform hook.`;
    void vscode.window.showErrorMessage(message);
    return { applied: false, plugin: name, reason: 'refused', message };
  }

  const doc = editor.document;
  const version = doc.version;
  const ranges = targetRanges(editor);
  const inputs = ranges.map((r) => doc.getText(r));
  const started = performance.now();
  const run = await withProgressIfSlow(`Running ${plugin.manifest.displayName}…`, (token) => runAll(ctx, plugin, doc, inputs, token));
  if (run.kind === 'cancelled') {
    void vscode.window.showInformationMessage(`${plugin.manifest.displayName} was cancelled; nothing was applied.`);
    return { applied: false, plugin: name, reason: 'cancelled' };
  }
  if (run.kind === 'failed') {
    await notifyFailure(ctx, plugin, run.failure);
    return { applied: false, plugin: name, reason: 'failed', failure: run.failure };
  }
  await ctx.testHooks.beforeApply?.();
  const stale = (): TransformResult => {
    const message = `${doc.uri.scheme === 'untitled' ? 'The document' : path.basename(doc.fileName)} changed while ${plugin.manifest.displayName} ran; nothing was applied. Run it again.`;
    void vscode.window.showWarningMessage(message);
    return { applied: false, plugin: name, reason: 'stale', message };
  };
  if (doc.isClosed || doc.version !== version) return stale();
  const changes = ranges.map((range, i) => ({ range, text: run.outputs[i]! })).filter((c, i) => c.text !== inputs[i]);
  if (changes.length === 0) {
    vscode.window.setStatusBarMessage(`${plugin.manifest.displayName}: no change`, 3000);
    return { applied: false, plugin: name, reason: 'unchanged' };
  }
  // One edit with undo stops on both sides: one undo restores every selection. VS Code itself refuses the edit
  // (returns false) if the document's version moved on since the check above.
  const applied = await editor.edit((b) => changes.forEach((c) => b.replace(c.range, c.text)), { undoStopBefore: true, undoStopAfter: true }).then(
    (ok) => ok,
    () => false,
  );
  if (!applied) {
    if (doc.isClosed || doc.version !== version) return stale();
    const message = `${plugin.manifest.displayName} finished, but its result could not be applied to the editor.`;
    void vscode.window.showErrorMessage(message);
    return { applied: false, plugin: name, reason: 'edit-failed', message };
  }
  return { applied: true, plugin: name, selections: ranges.length, changed: changes.length, durationMs: performance.now() - started };
}

export type RunOutcome = { kind: 'ok'; outputs: string[] } | { kind: 'failed'; failure: PluginFailure } | { kind: 'cancelled' };

/** One invocation per selection, in order; the first failure stops the rest (each would count against the plugin). */
export async function runAll(ctx: Ctx, plugin: LoadedPlugin, doc: vscode.TextDocument, inputs: readonly string[], token: vscode.CancellationToken): Promise<RunOutcome> {
  const host = ctx.host;
  const outputs: string[] = [];
  // The plugin sees the file's name, not where it lives on this machine.
  const fileName = path.basename(doc.uri.path);
  for (const text of inputs) {
    if (token.isCancellationRequested) return { kind: 'cancelled' };
    const outcome = await host.invoke(plugin, 'transform', { text, languageId: doc.languageId, fileName });
    if (!outcome.ok) return { kind: 'failed', failure: outcome.failure };
    outputs.push(outcome.output);
  }
  return { kind: 'ok', outputs };
}

/**
 * Runs `task`, showing a cancellable progress notification only if it is still running after
 * PROGRESS_DELAY_MS. Cancelling stops waiting at once (the plugin's own time limit still ends its run).
 */
export async function withProgressIfSlow(title: string, task: (token: vscode.CancellationToken) => Promise<RunOutcome>): Promise<RunOutcome> {
  const cts = new vscode.CancellationTokenSource();
  let finished = false;
  const work = task(cts.token).finally(() => {
    finished = true;
  });
  const cancelled = new Promise<RunOutcome>((resolve) => cts.token.onCancellationRequested(() => resolve({ kind: 'cancelled' })));
  const timer = setTimeout(() => {
    if (finished) return;
    void vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title, cancellable: true }, (_progress, token) => {
      token.onCancellationRequested(() => cts.cancel());
      return work.catch(() => undefined);
    });
  }, PROGRESS_DELAY_MS);
  try {
    return await Promise.race([work, cancelled]);
  } finally {
    clearTimeout(timer);
    cts.dispose();
  }
}

export function notifyRefusal(ctx: Ctx, name: string, failure: PluginFailure, reason: string): void {
  const buttons: string[] = [];
  if (reason === 'error-state') buttons.push('Re-enable');
  if (reason === 'needs-reapproval') buttons.push('Review Permissions');
  if (reason === 'not-enabled') buttons.push('Enable');
  if (reason === 'not-installed') buttons.push('Install');
  buttons.push('Show Logs');
  ctx.log.warn(`[${name}] not run: ${formatFailure(failure)}`);
  void vscode.window.showWarningMessage(`${name} cannot run: ${failure.detail ?? failure.message}`, ...buttons).then((choice) => followUp(name, choice));
}

/** The error kind, the fixed message, "Show Logs", and "Re-enable" when this failure switched the plugin off. */
export async function notifyFailure(ctx: Ctx, plugin: LoadedPlugin, failure: PluginFailure): Promise<void> {
  const name = plugin.manifest.name;
  // The crash policy records the outcome asynchronously; wait for it so the state shown is the real one.
  await ctx.runtime.link.settled();
  const switchedOff = ctx.registry.stateOf(name) === 'ERROR';
  const info = ctx.registry.list().find((i) => i.name === name);
  const tail = switchedOff
    ? `It was switched off after ${info?.health.consecutiveFailures ?? 'repeated'} consecutive failures; re-enable it once it is fixed.`
    : 'Nothing was changed.';
  const line = formatFailure(failure);
  const message = `${plugin.manifest.displayName} failed: ${line}${/[.!?]$/.test(line) ? '' : '.'} ${tail}`;
  const buttons = switchedOff ? ['Show Logs', 'Re-enable'] : ['Show Logs'];
  void vscode.window.showErrorMessage(message, ...buttons).then((choice) => followUp(name, choice));
}

function followUp(name: string, choice: string | undefined): void {
  const command = {
    'Show Logs': 'pluginRuntime.showLogs',
    'Re-enable': 'pluginRuntime.reenablePlugin',
    'Review Permissions': 'pluginRuntime.reviewPermissions',
    Enable: 'pluginRuntime.enablePlugin',
    Install: 'pluginRuntime.installPlugin',
  }[choice ?? ''];
  if (command) void vscode.commands.executeCommand(command, { plugin: name });
}
