// The plugin lifecycle state machine: its states, the one table of allowed transitions, and the refusal
// message for every transition the table does not allow.
import type { PluginFailure } from '../errors';

export const PLUGIN_STATES = ['AVAILABLE', 'INSTALLED', 'ENABLED', 'DISABLED', 'ERROR', 'UNINSTALLED'] as const;
export type PluginState = (typeof PLUGIN_STATES)[number];

export const LIFECYCLE_ACTIONS = ['install', 'enable', 'disable', 'fail', 'reenable', 'uninstall'] as const;
export type LifecycleAction = (typeof LIFECYCLE_ACTIONS)[number];

/**
 * The transition table (DESIGN.md § Lifecycle). Anything not listed here is refused.
 * - `fail` is taken only by the crash policy, never by a person.
 * - `reenable` is the only way out of ERROR besides uninstall, and it is a person's action (it resets the
 *   failure count).
 * - `uninstall` is refused from ENABLED: DESIGN draws DISABLED → UNINSTALLED, and making a person disable
 *   first means a running plugin is never pulled out from under an invocation. INSTALLED (never enabled)
 *   and ERROR (already switched off) have nothing running, so they may be uninstalled directly.
 * - UNINSTALLED may be installed again: that is how v1 reloads a plugin.
 */
export const TRANSITIONS: { readonly [A in LifecycleAction]: { readonly from: readonly PluginState[]; readonly to: PluginState } } = {
  install: { from: ['AVAILABLE', 'UNINSTALLED'], to: 'INSTALLED' },
  enable: { from: ['INSTALLED', 'DISABLED'], to: 'ENABLED' },
  disable: { from: ['ENABLED'], to: 'DISABLED' },
  fail: { from: ['ENABLED'], to: 'ERROR' },
  reenable: { from: ['ERROR'], to: 'ENABLED' },
  uninstall: { from: ['INSTALLED', 'DISABLED', 'ERROR'], to: 'UNINSTALLED' },
};

/** States in which the plugin holds a grant and a place in the registry. */
export const INSTALLED_STATES: readonly PluginState[] = ['INSTALLED', 'ENABLED', 'DISABLED', 'ERROR'];

export function isInstalledState(state: PluginState): boolean {
  return INSTALLED_STATES.includes(state);
}

/** Emitted after every transition that was applied (and persisted). */
export interface TransitionEvent {
  readonly plugin: string;
  readonly action: LifecycleAction;
  readonly from: PluginState;
  readonly to: PluginState;
  /** Why, in words: "enabled by a person", "5 consecutive failures; last: error[timeout]: …". */
  readonly reason: string;
  /** Milliseconds since the epoch, from the registry's clock. */
  readonly time: number;
  /** For `fail`: the failure that reached the threshold. */
  readonly lastError?: PluginFailure;
}

/** A refused transition, as a value: it names the plugin, its state and the action, and says what to do. */
export interface TransitionRefusal {
  readonly kind: 'transition-refused';
  readonly plugin: string;
  readonly state: PluginState;
  readonly action: LifecycleAction;
  readonly message: string;
}

export type TransitionResult = { readonly ok: true; readonly from: PluginState; readonly to: PluginState } | { readonly ok: false; readonly error: TransitionRefusal };

/** Looks the transition up in the table. Pure; the registry persists and announces the result. */
export function transition(plugin: string, state: PluginState, action: LifecycleAction): TransitionResult {
  const rule = TRANSITIONS[action];
  if (rule.from.includes(state)) return { ok: true, from: state, to: rule.to };
  return {
    ok: false,
    error: { kind: 'transition-refused', plugin, state, action, message: `cannot ${action} ${plugin}: it is ${state}; ${refusalHint(state, action)}` },
  };
}

/** What a person should do instead; only called for pairs the table refuses. */
function refusalHint(state: PluginState, action: LifecycleAction): string {
  const notInstalled = state === 'AVAILABLE' || state === 'UNINSTALLED';
  switch (action) {
    case 'install':
      return 'it is already installed (to reload it: disable, uninstall, then install again)';
    case 'enable':
      if (notInstalled) return 'install it first';
      if (state === 'ENABLED') return 'it is already enabled';
      return 'it was switched off after repeated failures; use reenable once you have looked at its last error';
    case 'disable':
      if (notInstalled) return 'it is not installed';
      if (state === 'ERROR') return 'it is already switched off; reenable or uninstall it';
      return 'it is not enabled';
    case 'fail':
      return 'only an enabled plugin can be switched off by the crash policy';
    case 'reenable':
      if (notInstalled) return 'install it first';
      if (state === 'ENABLED') return 'it is already enabled';
      return 'reenable is only for plugins in ERROR; use enable';
    case 'uninstall':
      if (notInstalled) return 'it is not installed';
      return 'disable it first';
  }
}
