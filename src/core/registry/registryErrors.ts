// The registry's errors as values: one kind per way a registry action can be refused, each message made here.
import type { LifecycleAction, PluginState, TransitionRefusal } from './lifecycle';

export type RegistryErrorKind =
  | 'transition-refused'
  | 'unknown-plugin'
  | 'not-installable'
  | 'approval-denied'
  | 'invalid-decision'
  | 'changed-during-review'
  | 'not-installed'
  | 'corrupt-record'
  | 'store-write-failed';

export interface RegistryError {
  readonly kind: RegistryErrorKind;
  readonly plugin: string;
  readonly message: string;
  readonly state?: PluginState;
  readonly action?: LifecycleAction | 'revoke' | 'reapprove';
  readonly problems?: readonly string[];
}

export function refused(r: TransitionRefusal): RegistryError {
  return { kind: r.kind, plugin: r.plugin, message: r.message, state: r.state, action: r.action };
}

export function unknownPlugin(plugin: string, folders: readonly string[]): RegistryError {
  return { kind: 'unknown-plugin', plugin, message: `no plugin named ${plugin} in the plugin folders (${folders.join(', ') || 'none configured'})` };
}

export function notInstallable(plugin: string, problems: readonly string[]): RegistryError {
  return { kind: 'not-installable', plugin, message: `cannot install ${plugin}: ${problems.join('; ')}`, action: 'install', problems };
}

export function approvalDenied(plugin: string, action: 'install' | 'reapprove'): RegistryError {
  const what = action === 'install' ? 'was not installed' : 'keeps its previous approval';
  return { kind: 'approval-denied', plugin, message: `${plugin} ${what}: its permissions were not approved`, action };
}

export function invalidDecision(plugin: string, problem: string, action: 'install' | 'reapprove' | 'revoke'): RegistryError {
  return { kind: 'invalid-decision', plugin, message: `cannot ${action} ${plugin}: ${problem}`, action };
}

export function changedDuringReview(plugin: string, action: 'install' | 'reapprove'): RegistryError {
  return { kind: 'changed-during-review', plugin, message: `cannot ${action} ${plugin}: its files changed while it was being reviewed; review it again`, action };
}

export function notInstalled(plugin: string, state: PluginState, action: 'revoke' | 'reapprove' | 'record'): RegistryError {
  const what = action === 'record' ? 'record an outcome for' : action;
  return { kind: 'not-installed', plugin, message: `cannot ${what} ${plugin}: it is ${state}; install it first`, state, ...(action === 'record' ? {} : { action }) };
}

export function corruptRecord(plugin: string, problem: string, action: LifecycleAction | 'revoke' | 'reapprove' | 'record'): RegistryError {
  const what = action === 'record' ? 'record an outcome for' : action;
  return { kind: 'corrupt-record', plugin, message: `cannot ${what} ${plugin}: ${problem}; uninstall it to reset its saved state`, ...(action === 'record' ? {} : { action }) };
}

/** The write failed, so nothing changed: the message says which state the plugin stays in. */
export function storeWriteFailed(plugin: string, action: LifecycleAction | 'revoke' | 'reapprove' | 'record', state: PluginState, cause: unknown): RegistryError {
  const why = cause instanceof Error ? cause.message : String(cause);
  const what = action === 'record' ? 'its latest outcome was not recorded' : `it was not changed (${action})`;
  return { kind: 'store-write-failed', plugin, message: `could not save the registry state for ${plugin} (${why}); ${what} and it stays ${state}`, state, ...(action === 'record' ? {} : { action }) };
}
