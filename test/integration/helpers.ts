// Shared by the extension's integration tests (not itself a test file): the extension's internal test API,
// settings changes that wait for the runtime to pick them up, fixture plugins, editors, fake approvals.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { TestApi } from '../../src/extension';
import type { ApprovalDecision, ApprovalRequest, Approver } from '../../src/vscode/approvalPanel';

export const EXTENSION_ID = 'plugin-runtime.plugin-runtime';
// Compiled to out/test/integration/helpers.js: the repository root is three levels up.
export const REPO_ROOT = path.resolve(__dirname, '..', '..', '..');
export const SAMPLES_DIR = path.join(REPO_ROOT, 'sample-plugins');

export async function extensionApi(): Promise<TestApi> {
  const extension = vscode.extensions.getExtension<TestApi>(EXTENSION_ID);
  assert.ok(extension, `${EXTENSION_ID} is not loaded`);
  return extension.activate();
}

/** Polls until `check` is truthy; every wait has a deadline. */
export async function waitFor<T>(check: () => T | Promise<T>, what: string, timeoutMs = 10_000): Promise<NonNullable<T>> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value) return value as NonNullable<T>;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

/** Sets `pluginRuntime.<key>` in the user settings and waits until the runtime was rebuilt from it. */
export async function setSetting(api: TestApi, key: string, value: unknown, ready: (api: TestApi) => boolean): Promise<void> {
  await vscode.workspace.getConfiguration('pluginRuntime').update(key, value, vscode.ConfigurationTarget.Global);
  await waitFor(() => ready(api), `the runtime to pick up pluginRuntime.${key} = ${JSON.stringify(value)}`);
}

/**
 * A time limit far above the default 200 ms, for suites that are not about the limit: on a loaded machine a
 * trivial plugin can miss 200 ms, and these suites test the editor side. Set it the way a person would.
 */
export const RELAXED_TIMEOUT_MS = 3000;

export async function relaxTimeout(api: TestApi, on: boolean): Promise<void> {
  await setSetting(api, 'limits.timeoutMs', on ? RELAXED_TIMEOUT_MS : undefined, (a) => a.limits.timeoutMs === (on ? RELAXED_TIMEOUT_MS : 200));
}

/** Points pluginFolders at `folders` (plus the managed folder, always) and waits for the runtime to use them. */
export async function usePluginFolders(api: TestApi, folders: readonly string[]): Promise<void> {
  const value = folders.length > 0 ? [...folders] : undefined;
  await setSetting(api, 'pluginFolders', value, (a) => folders.every((f) => a.folders.includes(f)) && a.folders.filter((f) => f !== a.managedFolder && !f.endsWith(path.join('.vscode', 'plugins'))).length === folders.length);
}

const tempDirs: string[] = [];

export function tempDir(prefix: string): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  tempDirs.push(dir);
  return dir;
}

export function removeTempDirs(): void {
  for (const d of tempDirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
}

/** Writes a plugin folder `<parent>/<name>` with `source` as index.js; returns its path. */
export function writePlugin(parent: string, name: string, source: string, opts: { permissions?: string[]; version?: string } = {}): string {
  const dir = path.join(parent, name);
  fs.mkdirSync(dir, { recursive: true });
  const manifest = {
    name,
    displayName: `Test ${name}`,
    version: opts.version ?? '1.0.0',
    description: `Integration test plugin ${name}.`,
    publisher: 'tests',
    apiVersion: 1,
    main: 'index.js',
    hooks: ['transform'],
    permissions: opts.permissions ?? [],
  };
  fs.writeFileSync(path.join(dir, 'plugin.json'), JSON.stringify(manifest, null, 2));
  fs.writeFileSync(path.join(dir, 'index.js'), source);
  return dir;
}

/** An approver that answers without a webview and remembers what it was asked. */
export class FakeApprover implements Approver {
  readonly requests: ApprovalRequest[] = [];
  constructor(private readonly answer: (r: ApprovalRequest) => ApprovalDecision = approveAll) {}
  async requestApproval(request: ApprovalRequest): Promise<ApprovalDecision> {
    this.requests.push(request);
    return this.answer(request);
  }
}

export function approveAll(r: ApprovalRequest): ApprovalDecision {
  return { approve: true, permissions: r.plugin.manifest.permissions.filter((p) => p !== 'log'), fingerprint: r.plugin.fingerprint };
}

export const denyAll = (): ApprovalDecision => ({ approve: false, why: 'denied' });

export const yesConfirmer = { confirm: async () => true };

/** Installs and enables `name` through the Install command with a fake approval. */
export async function installViaCommand(api: TestApi, name: string): Promise<void> {
  api.setApprover(new FakeApprover());
  try {
    const result = (await vscode.commands.executeCommand('pluginRuntime.installPlugin', { plugin: name })) as { ok: boolean; state?: string; message?: string };
    assert.equal(result.ok, true, `install ${name}: ${result.message ?? ''}`);
    assert.equal(result.state, 'ENABLED');
  } finally {
    api.setApprover(undefined);
  }
}

/** Uninstalls every installed plugin (disabling enabled ones first), so each suite starts clean. */
export async function uninstallAll(api: TestApi): Promise<void> {
  api.setConfirmer(yesConfirmer);
  try {
    for (const info of api.registry.list()) {
      if (['INSTALLED', 'ENABLED', 'DISABLED', 'ERROR'].includes(info.state)) {
        const r = (await vscode.commands.executeCommand('pluginRuntime.uninstallPlugin', { plugin: info.name })) as { ok: boolean; message?: string } | undefined;
        assert.equal(r?.ok, true, `uninstall ${info.name}: ${JSON.stringify(r)}`);
      }
    }
  } finally {
    api.setConfirmer(undefined);
  }
}

/** A new untitled document with `text`, shown in an editor. */
export async function openEditor(text: string, language = 'plaintext'): Promise<vscode.TextEditor> {
  const doc = await vscode.workspace.openTextDocument({ content: text, language });
  return vscode.window.showTextDocument(doc);
}

export async function closeAllEditors(): Promise<void> {
  // Untitled test documents are dirty: revert them, so no "save?" prompt can block the suite.
  const open = () => vscode.window.tabGroups.all.reduce((n, g) => n + g.tabs.length, 0);
  for (let i = 0; i < 100 && open() > 0; i++) {
    await vscode.commands.executeCommand('workbench.action.revertAndCloseActiveEditor');
  }
}

/** Replaces the whole text of the editor's document (one edit, outside any test's measurement). */
export async function setText(editor: vscode.TextEditor, text: string): Promise<void> {
  const doc = editor.document;
  const ok = await editor.edit((b) => b.replace(new vscode.Range(doc.positionAt(0), doc.positionAt(doc.getText().length)), text));
  assert.ok(ok, 'setText: the edit was refused');
}

export type TransformResult = { applied: boolean; reason?: string; plugin?: string; failure?: { kind: string; message: string; detail?: string }; changed?: number; selections?: number };

export async function transform(plugin: string): Promise<TransformResult> {
  return (await vscode.commands.executeCommand('pluginRuntime.transformSelection', { plugin })) as TransformResult;
}
