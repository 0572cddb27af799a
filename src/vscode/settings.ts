// Reads the extension's settings: the plugin folders (with the trust rule for the workspace's own folder)
// and the limits, each checked against the core's bounds, a bad value falling back to its default.
import * as os from 'node:os';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { DEFAULT_LIMITS, LIMIT_BOUNDS, resolveLimits, type Limits } from '../core/limits';

export const SECTION = 'pluginRuntime';

/** The limits a person may set, as `pluginRuntime.limits.<name>`. The rest stay at the core's defaults. */
export const LIMIT_SETTINGS = ['timeoutMs', 'maxHeapMb', 'maxOutputBytes', 'logEntriesPerMinute', 'failureThreshold'] as const;
export type LimitSetting = (typeof LIMIT_SETTINGS)[number];

/** The workspace's own plugin folder, used only while the workspace is trusted. */
export const WORKSPACE_PLUGIN_FOLDER = path.join('.vscode', 'plugins');

export interface LimitsReading {
  readonly limits: Limits;
  /** One line per refused value: which setting, what was wrong, that the default is used instead. */
  readonly warnings: readonly string[];
}

/**
 * The limits from the user's (machine) settings. Only user-level values count: the settings are declared
 * `machine`-scoped so VS Code ignores workspace values, and reading `globalValue` here makes sure of it, so
 * a workspace's settings.json can never loosen a limit. Each value goes through resolveLimits on its own, so
 * one bad value is refused (with a warning) without throwing away the others.
 */
export function readLimits(config: vscode.WorkspaceConfiguration = vscode.workspace.getConfiguration(SECTION)): LimitsReading {
  const override: Partial<Record<LimitSetting, number>> = {};
  const warnings: string[] = [];
  for (const name of LIMIT_SETTINGS) {
    const value = config.inspect<unknown>(`limits.${name}`)?.globalValue;
    if (value === undefined || value === null) continue;
    try {
      const one = resolveLimits({ [name]: value });
      override[name] = one[name];
    } catch {
      const b = LIMIT_BOUNDS[name];
      warnings.push(
        `Setting ${SECTION}.limits.${name} is ${JSON.stringify(value)}, which is not a whole number from ${b.min} to ${b.max}; the default ${DEFAULT_LIMITS[name]} is used instead.`,
      );
    }
  }
  return { limits: resolveLimits(override), warnings };
}

export interface FolderInputs {
  /** The managed folder in the extension's global storage (plugins installed from a picked folder). */
  readonly managedFolder: string;
  readonly trusted: boolean;
  /** Absolute paths of the open workspace folders. */
  readonly workspaceFolders: readonly string[];
  /** The raw `pluginRuntime.pluginFolders` value. */
  readonly configured: unknown;
}

export interface FolderReading {
  readonly folders: readonly string[];
  readonly warnings: readonly string[];
}

/**
 * Where plugins are discovered, in order: the managed folder, the configured folders, and the workspace's
 * `.vscode/plugins` when (and only when) the workspace is trusted. In Restricted Mode the workspace value of
 * `pluginFolders` is not applied either (it is listed in capabilities.untrustedWorkspaces.restrictedConfigurations).
 */
export function pluginFolders(inputs: FolderInputs): FolderReading {
  const warnings: string[] = [];
  const folders: string[] = [inputs.managedFolder];
  const add = (p: string): void => {
    if (!folders.includes(p)) folders.push(p);
  };
  const configured = inputs.configured ?? [];
  if (!Array.isArray(configured)) {
    warnings.push(`Setting ${SECTION}.pluginFolders must be a list of folder paths; it is ignored.`);
  } else {
    for (const entry of configured) {
      if (typeof entry !== 'string' || entry.trim() === '') {
        warnings.push(`Setting ${SECTION}.pluginFolders: ${JSON.stringify(entry)} is not a folder path; it is ignored.`);
        continue;
      }
      const resolved = resolveFolder(entry.trim(), inputs.workspaceFolders[0]);
      if (resolved === undefined) warnings.push(`Setting ${SECTION}.pluginFolders: ${JSON.stringify(entry)} is relative, and no workspace folder is open to resolve it against; it is ignored.`);
      else add(resolved);
    }
  }
  if (inputs.trusted) for (const ws of inputs.workspaceFolders) add(path.join(ws, WORKSPACE_PLUGIN_FOLDER));
  return { folders, warnings };
}

/** `~/x`, `${workspaceFolder}/x`, absolute paths, and paths relative to the first workspace folder. */
function resolveFolder(entry: string, workspaceFolder: string | undefined): string | undefined {
  let p = entry;
  if (p === '~' || p.startsWith('~/') || p.startsWith('~\\')) p = path.join(os.homedir(), p.slice(1));
  if (p.includes('${workspaceFolder}')) {
    if (workspaceFolder === undefined) return undefined;
    p = p.split('${workspaceFolder}').join(workspaceFolder);
  }
  if (path.isAbsolute(p)) return path.normalize(p);
  return workspaceFolder === undefined ? undefined : path.resolve(workspaceFolder, p);
}
