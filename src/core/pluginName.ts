// A plugin's name: its identity and storage scope. One rule, used by the manifest, the host↔sandbox protocol,
// storage scoping, the sandbox process and the New Plugin… scaffold (zod-free, so the sandbox can import it).

/** Lowercase letters and digits in groups joined by single dashes, e.g. "sort-lines". */
export const PLUGIN_NAME_RE = /^[a-z0-9]+(?:-[a-z0-9]+)*$/;
export const MAX_PLUGIN_NAME_CHARS = 64;

export function isPluginName(x: unknown): x is string {
  return typeof x === 'string' && x.length <= MAX_PLUGIN_NAME_CHARS && PLUGIN_NAME_RE.test(x);
}
