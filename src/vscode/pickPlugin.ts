// Which plugin a command acts on: the one named in its argument (a tree item, a name, or `{ "plugin": name }`
// from a keybinding), or the one the person picks from a quick pick of the plugins the action applies to.
import * as vscode from 'vscode';
import type { PluginInfo } from '../core/registry/registry';
import type { Ctx } from './ctx';
import { PluginNode } from './pluginTree';

/** The plugin name an argument carries, if any. Anything else (a Uri from an editor menu, say) carries none. */
export function pluginNameOf(arg: unknown): string | undefined {
  if (arg instanceof PluginNode) return arg.name;
  if (typeof arg === 'string' && arg !== '') return arg;
  if (arg !== null && typeof arg === 'object' && 'plugin' in arg) {
    const p = (arg as { plugin: unknown }).plugin;
    if (typeof p === 'string' && p !== '') return p;
  }
  return undefined;
}

export interface PickOptions {
  readonly title: string;
  readonly placeHolder: string;
  readonly filter: (info: PluginInfo) => boolean;
  /** Shown (as information) when no plugin passes the filter. */
  readonly none: string;
  /** Extra items at the end, e.g. "Install from folder…"; picking one returns its `id`. */
  readonly extra?: readonly { readonly id: string; readonly label: string; readonly detail?: string }[];
}

export type Picked = { readonly plugin: string } | { readonly extra: string } | undefined;

interface Item extends vscode.QuickPickItem {
  readonly plugin?: string;
  readonly extra?: string;
}

export async function pickPlugin(ctx: Ctx, opts: PickOptions): Promise<Picked> {
  const plugins = ctx.registry.list().filter(opts.filter);
  const extras = opts.extra ?? [];
  if (plugins.length === 0 && extras.length === 0) {
    void vscode.window.showInformationMessage(opts.none);
    return undefined;
  }
  const items: Item[] = plugins.map((info) => ({
    label: info.displayName ?? info.name,
    description: `${info.name}${info.version ? ` v${info.version}` : ''}${info.state === 'ENABLED' ? '' : ` · ${info.state}`}`,
    detail: info.problems.length > 0 ? `$(warning) ${info.problems[0]}` : info.description,
    plugin: info.name,
  }));
  if (extras.length > 0) {
    if (items.length > 0) items.push({ label: '', kind: vscode.QuickPickItemKind.Separator });
    for (const e of extras) items.push({ label: e.label, ...(e.detail ? { detail: e.detail } : {}), extra: e.id });
  }
  const picked = await vscode.window.showQuickPick(items, { title: opts.title, placeHolder: opts.placeHolder, matchOnDescription: true, matchOnDetail: true });
  if (!picked) return undefined;
  if (picked.plugin !== undefined) return { plugin: picked.plugin };
  if (picked.extra !== undefined) return { extra: picked.extra };
  return undefined;
}

/** The named plugin, or the picked one; undefined when the person cancelled or nothing applies. */
export async function resolvePlugin(ctx: Ctx, arg: unknown, opts: PickOptions): Promise<string | undefined> {
  const named = pluginNameOf(arg);
  if (named !== undefined) return named;
  const picked = await pickPlugin(ctx, opts);
  return picked && 'plugin' in picked ? picked.plugin : undefined;
}
