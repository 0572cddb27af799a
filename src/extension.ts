// Composition root: activate() builds the Ctx (which builds the core lazily, on first use) and hands it to the
// thin adapters in src/vscode: commands, the Plugins tree view, the approval webview and the output channel.
import * as vscode from 'vscode';
import type { PluginHost } from './core/host/pluginHost';
import type { Limits } from './core/limits';
import type { PluginRegistry } from './core/registry/registry';
import type { Approver } from './vscode/approvalPanel';
import { registerCommands } from './vscode/commands';
import { Ctx, type Confirmer, type TestHooks } from './vscode/ctx';
import { PLUGINS_VIEW_ID, PluginTreeDataProvider } from './vscode/pluginTree';

/**
 * INTERNAL — returned by activate() for the integration tests in test/integration; not a public API and not
 * stable. Getters, because the runtime is rebuilt when settings change.
 */
export interface TestApi {
  readonly registry: PluginRegistry;
  readonly host: PluginHost;
  /** Whether the runtime (registry, host) has been built yet: lazy activation builds nothing. */
  readonly built: boolean;
  readonly treeData: PluginTreeDataProvider;
  readonly folders: readonly string[];
  readonly limits: Limits;
  readonly managedFolder: string;
  readonly hooks: TestHooks;
  /** Replaces the approval webview (undefined: back to the webview). */
  setApprover(approver: Approver | undefined): void;
  /** Replaces the modal confirmation (undefined: back to the modal). */
  setConfirmer(confirmer: Confirmer | undefined): void;
  /** Names of plugins whose approval webview is open. */
  openReviews(): string[];
  /** Resolves once every plugin outcome so far has reached the crash policy. */
  settled(): Promise<void>;
}

let ctx: Ctx | undefined;

export function activate(context: vscode.ExtensionContext): TestApi {
  const c = new Ctx(context);
  ctx = c;
  const treeData = new PluginTreeDataProvider(c);
  const treeView = vscode.window.createTreeView(PLUGINS_VIEW_ID, { treeDataProvider: treeData, showCollapseAll: false });
  context.subscriptions.push(c, treeData, treeView, ...registerCommands(c));
  const defaultConfirmer = c.confirmer;
  return {
    get registry() {
      return c.registry;
    },
    get host() {
      return c.host;
    },
    get built() {
      return c.built;
    },
    treeData,
    get folders() {
      return c.runtime.folders;
    },
    get limits() {
      return c.runtime.limits;
    },
    managedFolder: c.managedFolder,
    hooks: c.testHooks,
    setApprover(approver) {
      c.approver = approver ?? c.approvals;
    },
    setConfirmer(confirmer) {
      c.confirmer = confirmer ?? defaultConfirmer;
    },
    openReviews: () => c.approvals.openReviews(),
    settled: () => c.runtime.link.settled(),
  };
}

/** Ends the sandbox process (and with it every plugin worker) before the extension host goes. */
export async function deactivate(): Promise<void> {
  const c = ctx;
  ctx = undefined;
  if (c?.built) await c.host.dispose();
}
