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

function timeOf(ms: number, short = false): string {
  const d = new Date(ms);
  const sameDay = d.toDateString() === new Date().toDateString();
  const time = short ? d.toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' }) : d.toLocaleTimeString();
  return sameDay ? time : `${d.toLocaleDateString()} ${time}`;
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
    parts.push(`ERROR — ${reason}${last ? ` (${timeOf(last.time, true)})` : ''}`);
  } else {
    parts.push(info.state);
    if (info.needsReapproval) parts.push('needs re-approval');
    else if (info.problems.length > 0) parts.push('invalid');
  }
  return parts.join(' · ');
}

/**
 * Markdown-escapes text from a manifest or a plugin's error (untrusted): every character with a meaning in
 * markdown gets a backslash, so nothing can become a link, an image or a command. Spaces stay spaces, so the
 * hover wraps at words (MarkdownString.appendText turns them into &nbsp;).
 */
export function escapeMarkdown(text: string): string {
  return text.replace(/[\\`*_{}[\]()#+\-.!|<>~&:$]/g, '\\$&').replace(/[\r\n]+/g, ' ');
}

function tooltipOf(info: PluginInfo): vscode.MarkdownString {
  const lines: string[] = [];
  const e = escapeMarkdown;
  // A valid plugin name is [a-z0-9-] only, safe in a code span; an invalid plugin is listed by its folder name.
  const name = /^[a-z0-9-]+$/.test(info.name) ? `\`${info.name}\`` : e(info.name);
  lines.push(`**${e(info.displayName ?? info.name)}** ${name}${info.version ? ` v${e(info.version)}` : ''}${info.publisher ? ` by ${e(info.publisher)}` : ''}`);
  if (info.description) lines.push(e(info.description));
  const reason = errorReason(info);
  lines.push(`State: **${info.state}**${reason ? ` — ${e(reason)}` : ''}`);
  const asked = info.permissions.filter((p) => !PERMISSIONS[p].alwaysGranted);
  const permissionLines = [`Permissions asked: ${e(['log', ...asked].join(', '))}`];
  if (info.state !== 'AVAILABLE' && info.state !== 'UNINSTALLED') permissionLines.push(`Granted: ${e(['log', ...info.granted].join(', '))}`);
  lines.push(permissionLines.join('  \n'));
  const h = info.health;
  const ms = (v: number | undefined) => (v === undefined ? '–' : `${v < 10 ? v.toFixed(1) : Math.round(v)} ms`);
  lines.push(`Health: ${h.invocations} invocations, ${h.failures} failures (${h.consecutiveFailures} in a row), ${h.denials} denials; p50 ${ms(h.p50Ms)}, p95 ${ms(h.p95Ms)}`);
  const last = info.lastError ?? h.lastError;
  if (last) lines.push(`Last error (${e(timeOf(last.time))}): ${e(`error[${last.kind}]: ${last.message}${last.detail ? ` ${last.detail}` : ''}`)}`);
  if (info.needsReapproval) lines.push(`$(shield) Needs re-approval: ${e(info.needsReapproval.summary.join('; '))}`);
  for (const p of info.problems) lines.push(`$(warning) ${e(p)}`);
  if (info.dir) lines.push(`Folder: ${e(info.dir)}`);
  const md = new vscode.MarkdownString(lines.join('\n\n'), true);
  md.isTrusted = false;
  md.supportHtml = false;
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
