// Ctx owns everything the extension creates, at two lifetimes (as rust-analyzer's ctx.ts does): the
// extension-wide parts (output channel, tree view, approval panels, listeners) live until deactivate; the
// runtime (registry, plugin host, logger, the link between them) is built lazily on first use and rebuilt
// when the settings, the workspace folders or the workspace trust change what it would be built from.
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { PluginHost } from '../core/host/pluginHost';
import type { Limits } from '../core/limits';
import { LogLimiter, PluginLogger } from '../core/logging';
import { linkHostToRegistry, type HostLink } from '../core/registry/hostLink';
import { PluginRegistry, type RegistryChange } from '../core/registry/registry';
import { PluginStorage } from '../core/storage';
import type { KeyValueStore } from '../core/store';
import { ApprovalPanels, type Approver } from './approvalPanel';
import { MementoStore, RuntimeStore } from './mementoStore';
import { OutputLog } from './outputLog';
import { SECTION, WORKSPACE_PLUGIN_FOLDER, pluginFolders, readLimits } from './settings';

/** Asks a person to confirm a destructive action. Tests substitute their own. */
export interface Confirmer {
  confirm(message: string, detail: string, action: string): Promise<boolean>;
}

const modalConfirmer: Confirmer = {
  async confirm(message, detail, action) {
    return (await vscode.window.showWarningMessage(message, { modal: true, detail }, action)) === action;
  },
};

/** The parts rebuilt together when what they are built from changes. */
export interface Runtime {
  readonly registry: PluginRegistry;
  readonly host: PluginHost;
  readonly logger: PluginLogger;
  readonly link: HostLink;
  readonly folders: readonly string[];
  readonly limits: Limits;
  /** What it was built from; an unchanged key means no rebuild. */
  readonly key: string;
  readonly disposables: vscode.Disposable[];
}

/** Seams for the integration tests (see TestApi in extension.ts); unused in normal operation. */
export interface TestHooks {
  /** Runs after a transform's plugin outputs arrived and before the stale-document check. */
  beforeApply?: () => Promise<void> | void;
}

export class Ctx implements vscode.Disposable {
  readonly log: OutputLog;
  readonly approvals: ApprovalPanels;
  /** Installed-from-folder plugins are copied here, so what runs is what was approved. */
  readonly managedFolder: string;
  /** Copies are assembled here and renamed into the managed folder only once complete. */
  readonly stagingFolder: string;
  readonly testHooks: TestHooks = {};
  approver: Approver;
  confirmer: Confirmer = modalConfirmer;

  private readonly disposables: vscode.Disposable[] = [];
  private readonly changeEmitter = new vscode.EventEmitter<RegistryChange | { readonly type: 'rebuilt' }>();
  /** Registry changes and runtime rebuilds: the tree view refreshes on these. */
  readonly onDidChange = this.changeEmitter.event;
  private current: Runtime | undefined;
  private shownWarnings = '';
  private readonly store: KeyValueStore;

  constructor(private readonly context: vscode.ExtensionContext) {
    this.log = new OutputLog();
    this.approvals = new ApprovalPanels(context.extensionUri, this.log.channel);
    this.approver = this.approvals;
    this.store = new MementoStore(context.globalState);
    this.managedFolder = path.join(context.globalStorageUri.fsPath, 'plugins');
    this.stagingFolder = path.join(context.globalStorageUri.fsPath, 'staging');
    this.disposables.push(
      this.log,
      this.approvals,
      this.changeEmitter,
      vscode.workspace.onDidChangeConfiguration((e) => {
        if (e.affectsConfiguration(SECTION)) this.rebuildIfChanged();
      }),
      vscode.workspace.onDidGrantWorkspaceTrust(() => this.rebuildIfChanged()),
      vscode.workspace.onDidChangeWorkspaceFolders(() => this.rebuildIfChanged()),
    );
  }

  /** The runtime, built on first use: activation alone starts nothing. */
  get runtime(): Runtime {
    this.current ??= this.build();
    return this.current;
  }

  get registry(): PluginRegistry {
    return this.runtime.registry;
  }

  get host(): PluginHost {
    return this.runtime.host;
  }

  /** Whether the runtime has been built (no registry, no host before first use). */
  get built(): boolean {
    return this.current !== undefined;
  }

  /** Rescans the plugin folders, rebuilding first if the folders or limits changed. */
  refresh(): void {
    this.rebuildIfChanged();
    this.runtime.registry.scan();
  }

  /** Rebuilds the runtime if the settings, folders or trust now say something different. */
  rebuildIfChanged(): void {
    if (this.current === undefined) {
      // Nothing built yet; still show a bad setting's warning as soon as the setting changes.
      this.inputs();
      return;
    }
    if (this.inputs().key === this.current.key) return;
    this.disposeRuntime();
    this.current = this.build();
    this.changeEmitter.fire({ type: 'rebuilt' });
  }

  private inputs(): { folders: readonly string[]; limits: Limits; key: string } {
    const config = vscode.workspace.getConfiguration(SECTION);
    const limitsReading = readLimits(config);
    const workspaceFolders = (vscode.workspace.workspaceFolders ?? []).filter((f) => f.uri.scheme === 'file').map((f) => f.uri.fsPath);
    const folderReading = pluginFolders({
      managedFolder: this.managedFolder,
      trusted: vscode.workspace.isTrusted,
      // A workspace without a .vscode/plugins folder is not a problem worth reporting.
      workspaceFolders,
      configured: config.get<unknown>('pluginFolders'),
    });
    const folders = folderReading.folders.filter((f) => !isWorkspacePluginFolder(f, workspaceFolders) || fs.existsSync(f));
    this.showWarnings([...limitsReading.warnings, ...folderReading.warnings]);
    return { folders, limits: limitsReading.limits, key: JSON.stringify({ folders, limits: limitsReading.limits }) };
  }

  private showWarnings(warnings: readonly string[]): void {
    const key = warnings.join('\n');
    if (key === this.shownWarnings) return;
    this.shownWarnings = key;
    for (const w of warnings) {
      this.log.warn(w);
      void vscode.window.showWarningMessage(w, 'Open Settings').then((choice) => {
        if (choice === 'Open Settings') void vscode.commands.executeCommand('workbench.action.openSettings', SECTION);
      });
    }
  }

  private build(): Runtime {
    const { folders, limits, key } = this.inputs();
    fs.mkdirSync(this.managedFolder, { recursive: true });
    // globalState: registry records and plugin storage survive restarts. One store for the extension's lifetime,
    // shared by every runtime built, so its write queue is never split.
    const store = new RuntimeStore(this.store);
    const storage = new PluginStorage(store);
    const logger = new PluginLogger({ sink: this.log, limiter: new LogLimiter({ limit: limits.logEntriesPerMinute }) });
    const registry = new PluginRegistry({ store, folders, limits, storage });
    const host = new PluginHost({ sandboxEntry: this.context.asAbsolutePath(path.join('dist', 'sandbox.js')), limits, storage, logger, grants: registry });
    const link = linkHostToRegistry(host, registry, (e) => this.log.error(`${'plugin' in e ? `[${e.plugin}] ` : ''}${e.message}`));
    const changes = registry.onDidChange((change) => {
      this.log.registryChange(change);
      this.changeEmitter.fire(change);
    });
    this.log.info(`plugin folders: ${folders.join(', ')}${vscode.workspace.isTrusted ? '' : ` (Restricted Mode: the workspace's ${WORKSPACE_PLUGIN_FOLDER} is ignored)`}`);
    return {
      registry,
      host,
      logger,
      link,
      folders,
      limits,
      key,
      disposables: [changes, { dispose: () => logger.flush() }, { dispose: () => store.retire() }],
    };
  }

  private disposeRuntime(): void {
    const rt = this.current;
    if (!rt) return;
    this.current = undefined;
    // The link goes first: shutting the host down fails whatever is in flight, and that must not be counted
    // against the plugins as their failure.
    rt.link.dispose();
    void rt.host.dispose();
    for (const d of rt.disposables) d.dispose();
  }

  /** Fires a change without a registry event (e.g. after a folder copy), so views refresh. */
  announce(): void {
    this.changeEmitter.fire({ type: 'rebuilt' });
  }

  dispose(): void {
    this.disposeRuntime();
    for (const d of this.disposables.splice(0).reverse()) d.dispose();
  }
}

function isWorkspacePluginFolder(folder: string, workspaceFolders: readonly string[]): boolean {
  return workspaceFolders.some((ws) => folder === path.join(ws, WORKSPACE_PLUGIN_FOLDER));
}
