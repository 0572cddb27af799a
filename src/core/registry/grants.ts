// Permission grants: the approval a person gave, bound to a fingerprint of the approved files; the
// fail-closed check of a single permission; revocation; and what changed since the approval.
import { createHash } from 'node:crypto';
import * as path from 'node:path';
import type { LoadedPlugin } from '../manifest';
import { PERMISSIONS, isPermissionId, type PermissionId } from '../permissions';

/** A person's approval, as the webview or the CLI collected it. */
export interface ApprovalDecision {
  readonly plugin: string;
  /** The permissions approved (a subset of what the manifest asks for). */
  readonly permissions: readonly PermissionId[];
  /** sha256 over plugin.json and the main script, as approved (LoadedPlugin.fingerprint). */
  readonly fingerprint: string;
  /** Milliseconds since the epoch. */
  readonly approvedAt: number;
}

/** What is stored: the decision (with `permissions` shrinking on revocation) and what the approval saw. */
export interface Grant extends ApprovalDecision {
  /** What the manifest asked for when it was approved; the re-approval diff compares against this. */
  readonly requested: readonly PermissionId[];
  /** Permissions a person revoked after the approval. */
  readonly revoked: readonly PermissionId[];
  readonly version: string;
  readonly mainFile: string;
  /** Per-file hashes, only to say which file changed; the fingerprint is what decides. */
  readonly manifestSha256: string;
  readonly mainSha256: string;
}

export type GrantResult = { readonly ok: true; readonly grant: Grant } | { readonly ok: false; readonly problem: string };

function sha256(text: string): string {
  return createHash('sha256').update(text, 'utf8').digest('hex');
}

/** Permissions the manifest asks for that need a person's approval ('log' is always granted). */
export function approvablePermissions(requested: readonly PermissionId[]): PermissionId[] {
  return requested.filter((p) => !PERMISSIONS[p].alwaysGranted);
}

/**
 * Binds an approval to the plugin exactly as loaded. `approved` defaults to everything the manifest asks
 * for; approving a permission the manifest does not ask for is refused (it would be granted silently).
 */
export function makeGrant(plugin: LoadedPlugin, approved: readonly unknown[] | undefined, now: number): GrantResult {
  const requested = [...plugin.manifest.permissions];
  const chosen = approved ?? requested;
  const permissions: PermissionId[] = [];
  for (const p of chosen) {
    if (!isPermissionId(p)) return { ok: false, problem: `unknown permission ${JSON.stringify(p)}` };
    if (!requested.includes(p) && !PERMISSIONS[p].alwaysGranted) {
      return { ok: false, problem: `${plugin.manifest.name} does not ask for ${p}; only what it asks for can be approved` };
    }
    if (!PERMISSIONS[p].alwaysGranted && !permissions.includes(p)) permissions.push(p);
  }
  return {
    ok: true,
    grant: {
      plugin: plugin.manifest.name,
      permissions,
      fingerprint: plugin.fingerprint,
      approvedAt: now,
      requested,
      revoked: [],
      version: plugin.manifest.version,
      mainFile: plugin.manifest.main,
      manifestSha256: sha256(plugin.manifestText),
      mainSha256: sha256(plugin.source),
    },
  };
}

/**
 * Whether the grant allows the permission. Fail-closed: an unknown permission, a missing grant or a grant
 * that is not the shape we wrote all mean no. Always-granted permissions ('log') are allowed.
 */
export function grantAllows(grant: Grant | undefined, permission: unknown): boolean {
  if (!isPermissionId(permission)) return false;
  if (PERMISSIONS[permission].alwaysGranted) return true;
  if (grant === undefined || !Array.isArray(grant.permissions)) return false;
  return grant.permissions.includes(permission) && !(Array.isArray(grant.revoked) && grant.revoked.includes(permission));
}

/** Removes one granted permission. 'log' cannot be revoked; revoking something not granted is an error. */
export function revokePermission(grant: Grant, permission: unknown): GrantResult {
  if (!isPermissionId(permission)) return { ok: false, problem: `unknown permission ${JSON.stringify(permission)}` };
  if (PERMISSIONS[permission].alwaysGranted) return { ok: false, problem: `${permission} is always granted and cannot be revoked` };
  if (!grant.permissions.includes(permission)) return { ok: false, problem: `${grant.plugin} does not hold ${permission}` };
  return {
    ok: true,
    grant: { ...grant, permissions: grant.permissions.filter((p) => p !== permission), revoked: [...grant.revoked.filter((p) => p !== permission), permission] },
  };
}

/** What changed between an approval and the plugin on disk now. */
export interface ReapprovalDiff {
  readonly plugin: string;
  readonly addedPermissions: readonly PermissionId[];
  readonly removedPermissions: readonly PermissionId[];
  /** The fingerprint differs: some byte of plugin.json or the main script changed. */
  readonly filesChanged: boolean;
  /** Which files changed, where we can tell (plugin.json, the main script). */
  readonly changedFiles: readonly string[];
  readonly approvedVersion: string;
  readonly currentVersion: string;
  /** Lines for a person: "now also asks for write:data", "its files changed since you approved it". */
  readonly summary: readonly string[];
}

/** The diff for re-approval, or undefined when the plugin on disk is exactly what was approved. */
export function reapprovalDiff(grant: Grant, current: LoadedPlugin): ReapprovalDiff | undefined {
  if (current.fingerprint === grant.fingerprint) return undefined;
  const now = current.manifest.permissions;
  const addedPermissions = now.filter((p) => !grant.requested.includes(p));
  const removedPermissions = grant.requested.filter((p) => !now.includes(p));
  const changedFiles: string[] = [];
  if (sha256(current.manifestText) !== grant.manifestSha256) changedFiles.push('plugin.json');
  if (sha256(current.source) !== grant.mainSha256 || current.manifest.main !== grant.mainFile) changedFiles.push(path.posix.normalize(current.manifest.main.replace(/\\/g, '/')));
  const summary: string[] = [];
  for (const p of addedPermissions) summary.push(`now also asks for ${p}`);
  for (const p of removedPermissions) summary.push(`no longer asks for ${p}`);
  if (current.manifest.version !== grant.version) summary.push(`its version changed from ${grant.version} to ${current.manifest.version}`);
  summary.push(`its files changed since you approved it${changedFiles.length > 0 ? ` (${changedFiles.join(', ')})` : ''}`);
  return {
    plugin: grant.plugin,
    addedPermissions,
    removedPermissions,
    filesChanged: true,
    changedFiles,
    approvedVersion: grant.version,
    currentVersion: current.manifest.version,
    summary,
  };
}

/** One sentence for terminals and notifications. */
export function describeReapproval(diff: ReapprovalDiff): string {
  return `${diff.plugin} needs re-approval: ${diff.summary.join('; ')}`;
}
