// CapabilityGate: decides whether a plugin may use an API method. Default deny: an unknown method, a
// permission not granted, or a grant check that throws all answer "no".
import { PERMISSIONS, permissionFor, type PermissionId } from '../permissions';

/** Where grants come from (the registry in the extension and CLI; a fixed set in tests). */
export interface GrantCheck {
  isGranted(plugin: string, permission: PermissionId): boolean;
}

export type GateDecision =
  | { allowed: true; permission: PermissionId }
  | { allowed: false; permission: PermissionId | undefined; reason: string };

export class CapabilityGate {
  constructor(private readonly grants: GrantCheck) {}

  check(plugin: string, method: unknown): GateDecision {
    const permission = permissionFor(method);
    if (permission === undefined) {
      return { allowed: false, permission: undefined, reason: `unknown API method ${JSON.stringify(String(method).slice(0, 64))}` };
    }
    if (PERMISSIONS[permission].alwaysGranted) return { allowed: true, permission };
    let granted: unknown;
    try {
      granted = this.grants.isGranted(plugin, permission);
    } catch (e) {
      return { allowed: false, permission, reason: `the grant check failed (${(e as Error)?.message ?? 'unknown error'}), so it was denied` };
    }
    // Only a literal true grants: a truthy non-boolean from a buggy provider is a doubt, and doubt denies.
    if (granted === true) return { allowed: true, permission };
    return { allowed: false, permission, reason: `the plugin was not granted "${permission}"` };
  }
}

/** A fixed grant set: for the CLI's `run <dir> --grant` and for tests. */
export class StaticGrants implements GrantCheck {
  private readonly granted: ReadonlySet<string>;
  constructor(permissions: Iterable<PermissionId>) {
    this.granted = new Set(permissions);
  }
  isGranted(_plugin: string, permission: PermissionId): boolean {
    return this.granted.has(permission);
  }
}
