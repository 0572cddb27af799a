// The permission catalogue: what each permission allows, its risk, and the host API methods it guards.

export const PERMISSIONS = {
  log: {
    title: 'Write to the log',
    allows: 'Write lines to the Plugin Runtime output channel (rate-limited, secrets redacted).',
    risk: 'low',
    alwaysGranted: true,
  },
  'read:data': {
    title: 'Read its own stored data',
    allows: "Read values this plugin stored earlier (only its own storage; never other plugins' or your files).",
    risk: 'low',
    alwaysGranted: false,
  },
  'write:data': {
    title: 'Store data',
    allows: 'Save and delete small values in its own storage (at most 1 MB), kept between runs and editor restarts.',
    risk: 'medium',
    alwaysGranted: false,
  },
} as const;

export type PermissionId = keyof typeof PERMISSIONS;
export const PERMISSION_IDS = Object.keys(PERMISSIONS) as PermissionId[];
export type Risk = 'low' | 'medium' | 'high';

/** The plugin API methods the realm may ask the host for, and the permission each needs. */
export const API_METHODS = {
  log: 'log',
  /** The realm's count of log calls it dropped past its per-invocation cap (reported by the host). */
  'log.dropped': 'log',
  'storage.get': 'read:data',
  'storage.keys': 'read:data',
  'storage.set': 'write:data',
  'storage.delete': 'write:data',
} as const satisfies Record<string, PermissionId>;

export type ApiMethod = keyof typeof API_METHODS;

export function isPermissionId(x: unknown): x is PermissionId {
  return typeof x === 'string' && Object.prototype.hasOwnProperty.call(PERMISSIONS, x);
}

/** The permission a method needs, or undefined for an unknown method (which callers must deny). */
export function permissionFor(method: unknown): PermissionId | undefined {
  if (typeof method !== 'string' || !Object.prototype.hasOwnProperty.call(API_METHODS, method)) return undefined;
  return API_METHODS[method as ApiMethod];
}
