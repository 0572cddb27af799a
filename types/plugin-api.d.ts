// Plugin Runtime — the plugin API, apiVersion 1: the types of what a plugin's script receives and returns.
//
// TypeScript: copy this file into your plugin project and write
//     import type { TransformInput, PluginApi, TransformResult } from './plugin-api';
//     export async function transform(input: TransformInput, api: PluginApi): Promise<TransformResult> { … }
// then bundle to one script with esbuild (format "cjs"); see docs/writing-plugins.md.
// JavaScript: type-check a plain index.js with `// @ts-check` and
//     /** @type {import('./plugin-api').Plugin} */
//     module.exports = { transform(input, api) { … } };
//
// The realm a plugin runs in is neither Node nor a browser: compile with `"lib": ["ES2023"]` and `"types": []`
// so that `require`, `process`, `console`, timers, `fetch` and the DOM are type errors, as they are at run time.

/** The plugin API version these types describe; plugin.json must say `"apiVersion": 1`. */
export type ApiVersion = 1;

/** A value that survives JSON: what storage keeps and returns. */
export type JsonValue = null | boolean | number | string | JsonValue[] | { [key: string]: JsonValue };

/** What the `transform` hook is given. A copy: changing it changes nothing in the editor. */
export interface TransformInput {
  /** The selected text (the whole document when nothing is selected). Line endings as in the document. */
  readonly text: string;
  /** VS Code's language id of the document, e.g. "markdown", "json", "plaintext". */
  readonly languageId: string;
  /** The document's file name without its folder (e.g. "README.md"); "Untitled-1" for an unsaved document. */
  readonly fileName: string;
}

/**
 * What `transform` returns: the new text for the selection, either as a string or as `{ text }`.
 * Anything else fails the invocation as `invalid-output`; more than the output limit (1 MB of UTF-8 by
 * default) fails it as `output-too-large`. Either way the selection is left unchanged.
 */
export type TransformResult = string | { readonly text: string };

/**
 * The plugin's own key/value storage, kept by the editor between runs and restarts. Only this plugin's data:
 * no key reaches another plugin's. Reads need the `read:data` permission, writes `write:data`; without it
 * the call rejects with `Error("permission denied: …")` — catch it and the invocation still succeeds.
 *
 * Limits: a key is 1–256 characters; a value is JSON of at most 64 KB; at most 1 MB per plugin. Values are
 * copied in and out (JSON), so `Date`, `Map`, class instances, `undefined`, `NaN` and cycles are refused.
 */
export interface PluginStorage {
  /** The stored value, or `undefined` when the key has none. Needs `read:data`. */
  get<T extends JsonValue = JsonValue>(key: string): Promise<T | undefined>;
  /** Every key this plugin has stored. Needs `read:data`. */
  keys(): Promise<string[]>;
  /** Stores a JSON value (use `delete` to remove a key; `undefined` is refused). Needs `write:data`. */
  set(key: string, value: JsonValue): Promise<void>;
  /** Removes a key; resolves to whether it existed. Needs `write:data`. */
  delete(key: string): Promise<boolean>;
}

/** The second argument of every hook: the only way out of the realm. Frozen; valid until the hook settles. */
export interface PluginApi {
  /**
   * Writes one line to the Plugin Runtime output channel (the CLI prints it to stderr). Strings are written
   * as they are, other values as JSON, separated by spaces. Always granted (permission `log`), but
   * rate-limited: 100 entries per minute per plugin, then one "N entries dropped" notice. Control characters
   * are stripped and well-known secret shapes (tokens, keys, passwords) redacted.
   */
  log(...values: unknown[]): void;
  readonly storage: PluginStorage;
}

/**
 * The `transform` hook: returns (or resolves to) the new text. It must settle within the time limit
 * (200 ms by default, timers do not exist) or it is stopped as `timeout`. A throw or a rejection fails the
 * invocation as `plugin-error`; five consecutive failures switch the plugin off until a person re-enables it.
 */
export type TransformHook = (input: TransformInput, api: PluginApi) => TransformResult | Promise<TransformResult>;

/**
 * The shape of `module.exports`: an object with one function per hook named in plugin.json's `hooks`.
 * A script sets `module.exports = { transform(input, api) { … } }`; a bundle built with esbuild's
 * `format: "cjs"` from `export function transform(…)` has the same shape. (`export default` does not:
 * the runtime looks for `module.exports.transform`.)
 */
export interface Plugin {
  transform: TransformHook;
}
