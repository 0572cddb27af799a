// The "Plugins" tree view: one item per plugin, iconed by lifecycle state, with the reason and time of an
// auto-disable, and a tooltip with version, permissions and health. It only observes the registry.
import * as vscode from 'vscode';
import { PERMISSIONS } from '../core/permissions';
import type { PluginState } from '../core/registry/lifecycle';
import type { PluginInfo } from '../core/registry/registry';
import type { Ctx } from './ctx';

export const PLUGINS_VIEW_ID = 'pluginRuntime.plugins';

/** A tree element: one plugin as the registry listed it. */
export class PluginNode {
  constructor(readonly info: PluginInfo) {}
  get name(): string {
    return this.info.name;
  }
}

/**
 * `plugin:<STATE>` plus `:invalid` when it has problems and `:changed` when its files are not what was
 * approved. package.json's menus match these with `viewItem =~ /^plugin:(…)/`, so each action shows only in
 * the states where the lifecycle allows it.
 */
export function contextValueOf(info: PluginInfo): string {
  return `plugin:${info.state}${info.problems.length > 0 ? ':invalid' : ''}${info.needsReapproval ? ':changed' : ''}`;
}

const STATE_ICONS: { readonly [S in PluginState]: [string, string | undefined] } = {
  AVAILABLE: ['package', undefined],
  INSTALLED: ['circle-large-outline', undefined],
  ENABLED: ['pass-filled', 'testing.iconPassed'],
  DISABLED: ['circle-slash', 'disabledForeground'],
  ERROR: ['error', 'list.errorForeground'],
  UNINSTALLED: ['trash', 'disabledForeground'],
};

function iconOf(info: PluginInfo): vscode.ThemeIcon {
  if (info.state === 'ERROR') return new vscode.ThemeIcon('error', new vscode.ThemeColor('list.errorForeground'));
  if (info.problems.length > 0) return new vscode.ThemeIcon('warning', new vscode.ThemeColor('list.warningForeground'));
  if (info.needsReapproval) return new vscode.ThemeIcon('shield', new vscode.ThemeColor('list.warningForeground'));
  const [id, color] = STATE_ICONS[info.state];
  return new vscode.ThemeIcon(id, color ? new vscode.ThemeColor(color) : undefined);
}

function timeOf(ms: number): string {
  const d = new Date(ms);
  const sameDay = d.toDateString() === new Date().toDateString();
  return sameDay ? d.toLocaleTimeString() : d.toLocaleString();
}

/** Why a plugin in ERROR is switched off, in one line: "auto-disabled after 5 consecutive failures: timeout". */
export function errorReason(info: PluginInfo): string | undefined {
  if (info.state !== 'ERROR') return undefined;
  const last = info.lastError ?? info.health.lastError;
  if (last) return `auto-disabled after ${info.health.consecutiveFailures} consecutive failures: ${last.kind}`;
  return info.problems[0] ?? 'switched off';
}

export function descriptionOf(info: PluginInfo): string {
  const parts: string[] = [];
  if (info.version) parts.push(`v${info.version}`);
  const reason = errorReason(info);
  if (reason) {
    const last = info.lastError ?? info.health.lastError;
    parts.push(`ERROR — ${reason}${last ? ` (${timeOf(last.time)})` : ''}`);
  } else {
    parts.push(info.state);
    if (info.needsReapproval) parts.push('needs re-approval');
    else if (info.problems.length > 0) parts.push('invalid');
  }
  return parts.join(' · ');
}

function tooltipOf(info: PluginInfo): vscode.MarkdownString {
  const md = new vscode.MarkdownString('', true);
  md.supportThemeIcons = true;
  md.isTrusted = false;
  const title = info.displayName ?? info.name;
  md.appendMarkdown(`**`).appendText(title).appendMarkdown(`** `).appendMarkdown('`').appendText(info.name).appendMarkdown('`');
  if (info.version) md.appendText(` v${info.version}`);
  if (info.publisher) md.appendText(` by ${info.publisher}`);
  md.appendMarkdown('\n\n');
  if (info.description) md.appendText(info.description).appendMarkdown('\n\n');
  md.appendMarkdown(`State: **${info.state}**`);
  const reason = errorReason(info);
  if (reason) md.appendMarkdown(' — ').appendText(reason);
  md.appendMarkdown('\n\n');
  const asked = info.permissions.filter((p) => !PERMISSIONS[p].alwaysGranted);
  md.appendText(`Permissions asked: ${['log', ...asked].join(', ')}`).appendMarkdown('  \n');
  if (info.state !== 'AVAILABLE' && info.state !== 'UNINSTALLED') md.appendText(`Granted: ${['log', ...info.granted].join(', ')}`).appendMarkdown('\n\n');
  else md.appendMarkdown('\n');
  const h = info.health;
  const ms = (v: number | undefined) => (v === undefined ? '–' : `${v < 10 ? v.toFixed(1) : Math.round(v)} ms`);
  md.appendText(`Health: ${h.invocations} invocations, ${h.failures} failures (${h.consecutiveFailures} in a row), ${h.denials} denials; p50 ${ms(h.p50Ms)}, p95 ${ms(h.p95Ms)}`);
  md.appendMarkdown('\n\n');
  const last = info.lastError ?? h.lastError;
  if (last) md.appendText(`Last error (${timeOf(last.time)}): error[${last.kind}]: ${last.message}${last.detail ? ` ${last.detail}` : ''}`).appendMarkdown('\n\n');
  if (info.needsReapproval) md.appendText(`Needs re-approval: ${info.needsReapproval.summary.join('; ')}`).appendMarkdown('\n\n');
  for (const p of info.problems) md.appendMarkdown('$(warning) ').appendText(p).appendMarkdown('\n\n');
  if (info.dir) md.appendText(`Folder: ${info.dir}`);
  return md;
}

export class PluginTreeDataProvider implements vscode.TreeDataProvider<PluginNode>, vscode.Disposable {
  private readonly emitter = new vscode.EventEmitter<PluginNode | undefined>();
  readonly onDidChangeTreeData = this.emitter.event;
  private readonly subscription: vscode.Disposable;

  constructor(private readonly ctx: Ctx) {
    // Every registry event (a transition, a health update, a scan) and every rebuild re-lists: live updates,
    // including an auto-disable while the person watches.
    this.subscription = ctx.onDidChange(() => this.emitter.fire(undefined));
  }

  getChildren(element?: PluginNode): PluginNode[] {
    if (element) return [];
    return this.ctx.registry.list().map((info) => new PluginNode(info));
  }

  getTreeItem(node: PluginNode): vscode.TreeItem {
    const info = node.info;
    const item = new vscode.TreeItem(info.displayName ?? info.name, vscode.TreeItemCollapsibleState.None);
    item.id = `${info.name}@${info.dir}`;
    item.description = descriptionOf(info);
    item.tooltip = tooltipOf(info);
    item.iconPath = iconOf(info);
    item.contextValue = contextValueOf(info);
    item.accessibilityInformation = { label: `${info.displayName ?? info.name}, ${descriptionOf(info)}` };
    return item;
  }

  dispose(): void {
    this.subscription.dispose();
    this.emitter.dispose();
  }
}
