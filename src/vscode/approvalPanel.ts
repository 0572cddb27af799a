// The permission approval webview: shows a plugin exactly as it will be approved (identity, every requested
// permission with what it allows and its risk, what changed since the last approval) and turns the person's
// Approve or Deny into a decision. Closing the panel, or any doubt about a message, approves nothing.
import { randomBytes } from 'node:crypto';
import * as vscode from 'vscode';
import type { LoadedPlugin } from '../core/manifest';
import { PERMISSIONS, isPermissionId, type PermissionId } from '../core/permissions';
import type { ReapprovalDiff } from '../core/registry/grants';
import { DATA_ATTRIBUTES, ELEMENT_IDS, PERMISSION_ATTRIBUTE, WebviewToHost } from '../webview/protocol';

export const APPROVAL_VIEW_TYPE = 'pluginRuntime.approval';

export interface ApprovalRequest {
  readonly kind: 'install' | 'reapprove';
  /** The plugin as read from disk for this review: what is shown is what will be approved. */
  readonly plugin: LoadedPlugin;
  /** For re-approval: what is granted now ('log' not listed). */
  readonly granted?: readonly PermissionId[];
  /** For re-approval after the files changed: what changed. */
  readonly diff?: ReapprovalDiff;
  /** Where the files came from when they were copied into the managed folder. */
  readonly copiedFrom?: string;
}

export type ApprovalDecision =
  | { readonly approve: true; readonly permissions: readonly PermissionId[]; readonly fingerprint: string }
  | { readonly approve: false; readonly why: 'denied' | 'closed' };

/** Asks a person to approve. The extension uses the webview; integration tests substitute their own. */
export interface Approver {
  requestApproval(request: ApprovalRequest): Promise<ApprovalDecision>;
}

/**
 * What one message from the webview means for this review, or why it means nothing. Pure, so the checks can be
 * tested without a webview: the schema, the review id, the fingerprint of the files shown, and permissions that
 * the plugin asks for (a message granting more than was asked is refused whole, not trimmed).
 */
export function interpretMessage(
  raw: unknown,
  review: { readonly reviewId: string; readonly plugin: LoadedPlugin },
): { readonly kind: 'ready' } | { readonly kind: 'decision'; readonly decision: ApprovalDecision } | { readonly kind: 'rejected'; readonly why: string } {
  // A posted message is structured-cloned JSON: a plain object. Anything else (a prototype carrying fields) is
  // not something the page can send, so it is refused before zod reads inherited properties.
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw) || Object.getPrototypeOf(raw) !== Object.prototype) {
    return { kind: 'rejected', why: 'not a plain object' };
  }
  const parsed = WebviewToHost.safeParse(raw);
  if (!parsed.success) return { kind: 'rejected', why: `malformed message (${parsed.error.issues[0]?.message ?? 'invalid'})` };
  const msg = parsed.data;
  if (msg.reviewId !== review.reviewId) return { kind: 'rejected', why: 'message for another review' };
  switch (msg.type) {
    case 'ready':
      return { kind: 'ready' };
    case 'deny':
      return { kind: 'decision', decision: { approve: false, why: 'denied' } };
    case 'approve': {
      if (msg.fingerprint !== review.plugin.fingerprint) return { kind: 'rejected', why: 'approval of files other than the ones shown' };
      const requested = review.plugin.manifest.permissions;
      const permissions: PermissionId[] = [];
      for (const p of msg.permissions) {
        if (!isPermissionId(p)) return { kind: 'rejected', why: `unknown permission ${JSON.stringify(p.slice(0, 64))}` };
        if (PERMISSIONS[p].alwaysGranted) continue;
        if (!requested.includes(p)) return { kind: 'rejected', why: `approval of ${p}, which the plugin does not ask for` };
        if (permissions.includes(p)) return { kind: 'rejected', why: `${p} listed twice` };
        permissions.push(p);
      }
      return { kind: 'decision', decision: { approve: true, permissions, fingerprint: review.plugin.fingerprint } };
    }
  }
}

interface OpenReview {
  readonly panel: vscode.WebviewPanel;
  readonly decision: Promise<ApprovalDecision>;
}

export class ApprovalPanels implements Approver, vscode.Disposable {
  /** One open panel per plugin: asking again reveals it and shares its answer. */
  private readonly open = new Map<string, OpenReview>();

  constructor(
    private readonly extensionUri: vscode.Uri,
    private readonly log: vscode.LogOutputChannel,
  ) {}

  requestApproval(request: ApprovalRequest): Promise<ApprovalDecision> {
    const name = request.plugin.manifest.name;
    const existing = this.open.get(name);
    if (existing) {
      existing.panel.reveal();
      return existing.decision;
    }
    const reviewId = randomBytes(16).toString('hex');
    const panel = vscode.window.createWebviewPanel(
      APPROVAL_VIEW_TYPE,
      `${request.kind === 'install' ? 'Install' : 'Permissions of'} ${request.plugin.manifest.displayName}`,
      { viewColumn: vscode.ViewColumn.Active, preserveFocus: false },
      {
        enableScripts: true,
        enableCommandUris: false,
        enableForms: false,
        localResourceRoots: [vscode.Uri.joinPath(this.extensionUri, 'media'), vscode.Uri.joinPath(this.extensionUri, 'dist')],
      },
    );
    panel.iconPath = vscode.Uri.joinPath(this.extensionUri, 'media', 'plugins.svg');
    const decision = new Promise<ApprovalDecision>((resolve) => {
      let settled = false;
      const finish = (d: ApprovalDecision): void => {
        if (settled) return;
        settled = true;
        this.open.delete(name);
        resolve(d);
      };
      // Registered before the page is set, so not even the first message can be missed.
      const listener = panel.webview.onDidReceiveMessage((raw: unknown) => {
        const meaning = interpretMessage(raw, { reviewId, plugin: request.plugin });
        if (meaning.kind === 'rejected') {
          this.log.warn(`[${name}] the approval page sent a message that was ignored: ${meaning.why}`);
          return;
        }
        if (meaning.kind === 'ready') return;
        finish(meaning.decision);
        panel.dispose();
      });
      panel.onDidDispose(() => {
        listener.dispose();
        finish({ approve: false, why: 'closed' });
      });
    });
    panel.webview.html = renderApprovalPage(request, {
      reviewId,
      nonce: randomBytes(16).toString('base64'),
      cspSource: panel.webview.cspSource,
      scriptUri: panel.webview.asWebviewUri(vscode.Uri.joinPath(this.extensionUri, 'dist', 'webview.js')).toString(),
      styleUri: panel.webview.asWebviewUri(vscode.Uri.joinPath(this.extensionUri, 'media', 'approval.css')).toString(),
    });
    this.open.set(name, { panel, decision });
    return decision;
  }

  /** Names of plugins with an approval panel open (for tests and the tree). */
  openReviews(): string[] {
    return [...this.open.keys()];
  }

  dispose(): void {
    for (const { panel } of [...this.open.values()]) panel.dispose();
  }
}

export interface PageResources {
  readonly reviewId: string;
  readonly nonce: string;
  readonly cspSource: string;
  readonly scriptUri: string;
  readonly styleUri: string;
}

/** Every text that reaches the page passes through here: plugin manifests are untrusted. */
function esc(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

const RISK_LABEL = { low: 'Low risk', medium: 'Medium risk', high: 'High risk' } as const;

export function renderApprovalPage(request: ApprovalRequest, res: PageResources): string {
  const { plugin } = request;
  const m = plugin.manifest;
  const install = request.kind === 'install';
  const asked = m.permissions.filter((p) => !PERMISSIONS[p].alwaysGranted);
  const granted = request.granted ?? asked;
  const rows = [
    permissionRow('log', { checked: true, alwaysGranted: true, note: 'always granted' }),
    ...asked.map((p) =>
      permissionRow(p, {
        checked: install || granted.includes(p),
        alwaysGranted: false,
        note: request.diff?.addedPermissions.includes(p) ? 'new since your last approval' : !install && !granted.includes(p) ? 'not granted now' : undefined,
      }),
    ),
  ];
  const changes = request.diff
    ? `<section class="changes" aria-labelledby="changes-title">
        <h2 id="changes-title">What changed since you approved version ${esc(request.diff.approvedVersion)}</h2>
        <ul>${request.diff.summary.map((s) => `<li>${esc(s)}</li>`).join('')}</ul>
      </section>`
    : '';
  const heading = install ? `Install ${esc(m.displayName)}?` : request.diff ? `Approve ${esc(m.displayName)} again?` : `Permissions of ${esc(m.displayName)}`;
  const lead = install
    ? 'This plugin is third-party code. It runs in a sandbox and can use only the permissions you approve here. Approving installs and enables it; nothing is installed until you approve.'
    : request.diff
      ? 'Its files changed since you approved it, so it does not run until you approve it as it is now. A permission it newly asks for is unticked: tick it to grant it. Deny keeps your earlier approval, and the plugin keeps not running.'
      : 'Untick a permission and approve to take it back; tick it again to give it back.';
  const approveLabel = install ? 'Approve and install' : 'Approve';
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="UTF-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src ${res.cspSource}; img-src ${res.cspSource}; script-src 'nonce-${res.nonce}';">
<meta name="viewport" content="width=device-width, initial-scale=1.0">
<link rel="stylesheet" href="${esc(res.styleUri)}">
<title>${heading}</title>
</head>
<body>
<main id="${ELEMENT_IDS.root}" ${DATA_ATTRIBUTES.reviewId}="${esc(res.reviewId)}" ${DATA_ATTRIBUTES.fingerprint}="${esc(plugin.fingerprint)}" aria-labelledby="title">
  <h1 id="title">${heading}</h1>
  <p class="lead">${lead}</p>
  <section aria-labelledby="identity-title">
    <h2 id="identity-title">Plugin</h2>
    <dl class="identity">
      <dt>Name</dt><dd><code>${esc(m.name)}</code></dd>
      <dt>Version</dt><dd>${esc(m.version)}</dd>
      <dt>Publisher</dt><dd>${esc(m.publisher)}</dd>
      <dt>Description</dt><dd>${esc(m.description)}</dd>
      <dt>Folder</dt><dd><code>${esc(plugin.dir)}</code>${request.copiedFrom ? `<br><span class="muted">copied from <code>${esc(request.copiedFrom)}</code></span>` : ''}</dd>
      <dt>Fingerprint</dt><dd><code title="sha256 of plugin.json and ${esc(m.main)}">${esc(plugin.fingerprint.slice(0, 16))}…</code></dd>
    </dl>
  </section>
  ${changes}
  <section aria-labelledby="permissions-title">
    <h2 id="permissions-title">Permissions</h2>
    <ul class="permissions">${rows.join('')}</ul>
    ${asked.length === 0 ? '<p class="muted">It asks for nothing beyond writing to the log.</p>' : ''}
    <p class="muted">Whatever you approve, a plugin cannot read your files, use the network, start programs or see other plugins' data: it sees only the text it is given.</p>
  </section>
  <div class="actions">
    <button id="${ELEMENT_IDS.approve}" class="primary" type="button">${approveLabel}</button>
    <button id="${ELEMENT_IDS.deny}" class="secondary" type="button">Deny</button>
  </div>
  <p class="muted hint">Closing this tab or pressing Escape denies.</p>
</main>
<script nonce="${res.nonce}" src="${esc(res.scriptUri)}"></script>
</body>
</html>`;
}

function permissionRow(id: PermissionId, opts: { checked: boolean; alwaysGranted: boolean; note: string | undefined }): string {
  const p = PERMISSIONS[id];
  const risk: keyof typeof RISK_LABEL = p.risk;
  const inputId = `perm-${id.replace(/[^a-z0-9]/g, '-')}`;
  return `<li class="permission">
    <input type="checkbox" id="${inputId}" ${opts.alwaysGranted ? 'disabled' : `${PERMISSION_ATTRIBUTE}="${esc(id)}"`} ${opts.checked ? 'checked' : ''} aria-describedby="${inputId}-allows">
    <label for="${inputId}"><span class="title">${esc(p.title)}</span> <code>${esc(id)}</code>
      <span class="risk risk-${risk}">${RISK_LABEL[risk]}</span>${opts.note ? ` <span class="note">${esc(opts.note)}</span>` : ''}</label>
    <p id="${inputId}-allows" class="allows">${esc(p.allows)}</p>
  </li>`;
}
