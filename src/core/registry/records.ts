// The registry's persisted per-plugin record: its key in the store, its schema, and the parsing of stored
// values, which are treated as untrusted (a state file can be edited or damaged by hand).
import { z } from 'zod';
import { ERROR_KINDS } from '../errors';
import { PERMISSION_IDS, type PermissionId } from '../permissions';
import type { Grant } from './grants';
import { DURATION_WINDOW, type PluginHealth } from './health';
import { PLUGIN_STATES, type PluginState } from './lifecycle';

/** All registry keys start with this; nothing else in the store may use it. */
export const RECORD_KEY_PREFIX = 'pluginRuntime.registry/';
export const RECORD_VERSION = 1;

export function recordKey(plugin: string): string {
  return `${RECORD_KEY_PREFIX}${plugin}`;
}

/**
 * One plugin's whole registry state in one key, so a transition (state + grant + health) is one atomic
 * store update. AVAILABLE plugins have no record.
 */
export interface PluginRecord {
  readonly v: typeof RECORD_VERSION;
  readonly name: string;
  readonly state: PluginState;
  /** Where it was installed from, to name it when the folder is gone. */
  readonly dir: string;
  readonly version: string;
  /** Present in INSTALLED, ENABLED, DISABLED and ERROR; removed on uninstall. */
  readonly grant?: Grant;
  readonly health: PluginHealth;
  /** Milliseconds since the epoch of the last change. */
  readonly updatedAt: number;
}

const permission = z.enum(PERMISSION_IDS as [PermissionId, ...PermissionId[]]);
const time = z.number().finite();
const count = z.number().int().min(0);

const GrantSchema = z.object({
  plugin: z.string(),
  permissions: z.array(permission),
  fingerprint: z.string().regex(/^[0-9a-f]{64}$/),
  approvedAt: time,
  requested: z.array(permission),
  revoked: z.array(permission),
  version: z.string(),
  mainFile: z.string(),
  manifestSha256: z.string(),
  mainSha256: z.string(),
});

const HealthSchema = z.object({
  invocations: count,
  failures: count,
  denials: count,
  consecutiveFailures: count,
  lastError: z.object({ kind: z.enum(ERROR_KINDS), message: z.string(), detail: z.string().optional(), time }).optional(),
  recentDurationsMs: z.array(z.number().finite().min(0)).max(DURATION_WINDOW),
});

const RecordSchema = z.object({
  v: z.literal(RECORD_VERSION),
  name: z.string(),
  state: z.enum(PLUGIN_STATES),
  dir: z.string(),
  version: z.string(),
  grant: GrantSchema.optional(),
  health: HealthSchema,
  updatedAt: time,
});

export type RecordParse = { readonly ok: true; readonly record: PluginRecord } | { readonly ok: false; readonly problem: string };

/** Accepts a stored value only if it is exactly a record we would have written for this plugin. */
export function parseRecord(plugin: string, raw: unknown): RecordParse {
  const parsed = RecordSchema.safeParse(raw);
  if (!parsed.success) {
    const issues = parsed.error.issues.slice(0, 3).map((i) => `${i.path.join('.') || '(record)'}: ${i.message}`);
    return { ok: false, problem: `its saved registry state is unreadable (${issues.join('; ')})` };
  }
  const record = parsed.data as PluginRecord;
  if (record.name !== plugin || (record.grant !== undefined && record.grant.plugin !== plugin)) {
    return { ok: false, problem: 'its saved registry state names a different plugin' };
  }
  // A grant outside the installed states, or an installed state without one, is not something we write.
  const installed = record.state === 'INSTALLED' || record.state === 'ENABLED' || record.state === 'DISABLED' || record.state === 'ERROR';
  if (installed !== (record.grant !== undefined)) {
    return { ok: false, problem: `its saved registry state is inconsistent (${record.state} ${record.grant ? 'with' : 'without'} a grant)` };
  }
  if (record.state === 'AVAILABLE') return { ok: false, problem: 'its saved registry state is inconsistent (AVAILABLE is never saved)' };
  return { ok: true, record };
}
