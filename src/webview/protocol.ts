// The one protocol between the extension host and the permission approval webview: a discriminated union of
// the messages the webview may send, with a zod schema for each. The host treats every message as `unknown`
// until WebviewToHost accepts it. The webview script imports only types from here (`import type`), so zod
// stays out of its bundle; the page's element names are literal types it must repeat exactly.
import { z } from 'zod';

/** Ids are minted by the host per panel (crypto.randomBytes) and baked into the page. */
const ReviewId = z.string().regex(/^[0-9a-f]{32}$/);
const Fingerprint = z.string().regex(/^[0-9a-f]{64}$/);
const PermissionIdText = z.string().min(1).max(64);

/** Sent by the webview once its script runs, so the host knows the buttons are live. */
export const ReadyMessage = z.object({ type: z.literal('ready'), reviewId: ReviewId }).strict();

/**
 * Sent by the webview when the person presses Approve: the permissions they left ticked and the fingerprint
 * of the files they were shown. The host approves only if both match the review it opened this panel for.
 */
export const ApproveMessage = z
  .object({
    type: z.literal('approve'),
    reviewId: ReviewId,
    fingerprint: Fingerprint,
    permissions: z.array(PermissionIdText).max(32),
  })
  .strict();

/** Sent by the webview when the person presses Deny (or Escape). Closing the panel means the same. */
export const DenyMessage = z.object({ type: z.literal('deny'), reviewId: ReviewId }).strict();

export const WebviewToHost = z.discriminatedUnion('type', [ReadyMessage, ApproveMessage, DenyMessage]);
export type WebviewToHost = z.infer<typeof WebviewToHost>;
export type ApproveMessage = z.infer<typeof ApproveMessage>;

/** Ids of the page elements the script and the tests rely on. */
export const ELEMENT_IDS = {
  root: 'approval',
  approve: 'approve',
  deny: 'deny',
} as const;

/** data-* attributes on the root element: what the script needs to know about the review. */
export const DATA_ATTRIBUTES = {
  reviewId: 'data-review-id',
  fingerprint: 'data-fingerprint',
} as const;

/** data-permission on each checkbox names the permission it approves. */
export const PERMISSION_ATTRIBUTE = 'data-permission';

/** The page's names as literal types: the webview repeats them, and the compiler checks it got them right. */
export interface PageNames {
  readonly ids: typeof ELEMENT_IDS;
  readonly data: typeof DATA_ATTRIBUTES;
  readonly permission: typeof PERMISSION_ATTRIBUTE;
}
