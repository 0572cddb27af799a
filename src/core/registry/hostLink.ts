// Wires a plugin host to the registry: every outcome feeds the crash policy, and a plugin's worker is
// unloaded as soon as the plugin leaves ENABLED (disabled, switched off, uninstalled).
import type { OutcomeLike } from './crashPolicy';
import type { PluginRegistry } from './registry';
import type { RegistryError } from './registryErrors';

/** The part of PluginHost this needs; PluginHost fits it. */
export interface OutcomeSource {
  onOutcome(listener: (e: { readonly plugin: string; readonly outcome: OutcomeLike }) => void): { dispose(): void };
  unload(pluginName: string): Promise<void>;
}

export interface HostLink {
  /** Resolves once every outcome received so far has been recorded (or failed to be). */
  settled(): Promise<void>;
  dispose(): void;
}

/**
 * `onError` hears what could not be recorded (a store write that failed, an outcome for a plugin that is
 * not installed) and unloads that failed; the registry's own state is already consistent by then.
 */
export function linkHostToRegistry(host: OutcomeSource, registry: PluginRegistry, onError: (e: RegistryError | Error) => void = () => undefined): HostLink {
  const pending = new Set<Promise<void>>();
  const track = (p: Promise<void>): void => {
    pending.add(p);
    void p.finally(() => pending.delete(p));
  };
  const outcomes = host.onOutcome(({ plugin, outcome }) => {
    track(
      registry.recordOutcome(plugin, outcome).then(
        (r) => (r.ok ? undefined : onError(r.error)),
        (e: unknown) => onError(e instanceof Error ? e : new Error(String(e))),
      ),
    );
  });
  const changes = registry.onDidChange((change) => {
    if (change.type !== 'transition' || change.event.to === 'ENABLED' || change.event.to === 'INSTALLED') return;
    track(host.unload(change.event.plugin).catch((e: unknown) => onError(e instanceof Error ? e : new Error(String(e)))));
  });
  return {
    async settled() {
      while (pending.size > 0) await Promise.all([...pending]);
    },
    dispose() {
      outcomes.dispose();
      changes.dispose();
    },
  };
}
