// The approval page's script: turns the Approve and Deny buttons (and Escape) into protocol messages. The
// page itself is rendered by the host; this script only reads what the host put into it.
import type { PageNames, WebviewToHost } from './protocol';

// Type-only import: the protocol's zod schemas never reach this bundle; the compiler checks these literals.
const names: PageNames = {
  ids: { root: 'approval', approve: 'approve', deny: 'deny' },
  data: { reviewId: 'data-review-id', fingerprint: 'data-fingerprint' },
  permission: 'data-permission',
};
const ELEMENT_IDS = names.ids;
const DATA_ATTRIBUTES = names.data;
const PERMISSION_ATTRIBUTE = names.permission;

interface VsCodeApi {
  postMessage(message: WebviewToHost): void;
}
declare function acquireVsCodeApi(): VsCodeApi;

const vscode = acquireVsCodeApi();
const root = document.getElementById(ELEMENT_IDS.root);
const reviewId = root?.getAttribute(DATA_ATTRIBUTES.reviewId) ?? '';
const fingerprint = root?.getAttribute(DATA_ATTRIBUTES.fingerprint) ?? '';
const approve = document.getElementById(ELEMENT_IDS.approve) as HTMLButtonElement | null;
const deny = document.getElementById(ELEMENT_IDS.deny) as HTMLButtonElement | null;

let decided = false;
function decide(message: WebviewToHost): void {
  if (decided) return;
  decided = true;
  if (approve) approve.disabled = true;
  if (deny) deny.disabled = true;
  root?.setAttribute('aria-busy', 'true');
  vscode.postMessage(message);
}

approve?.addEventListener('click', () => {
  const permissions = Array.from(document.querySelectorAll<HTMLInputElement>(`input[type=checkbox][${PERMISSION_ATTRIBUTE}]`))
    .filter((box) => box.checked)
    .map((box) => box.getAttribute(PERMISSION_ATTRIBUTE) ?? '');
  decide({ type: 'approve', reviewId, fingerprint, permissions });
});
deny?.addEventListener('click', () => decide({ type: 'deny', reviewId }));
document.addEventListener('keydown', (e) => {
  if (e.key === 'Escape') decide({ type: 'deny', reviewId });
});

vscode.postMessage({ type: 'ready', reviewId });
