// Per-plugin key/value storage on a KeyValueStore: one store key per plugin, JSON-only values, quotas, and
// writes that either fully happen or leave the plugin's data exactly as it was.
import { z } from 'zod';
import { formatBytes } from './errors';
import type { KeyValueStore } from './store';
import { isPluginName, MAX_PLUGIN_NAME_CHARS } from './pluginName';

export interface StorageLimits {
  /** Longest key, in UTF-16 code units (what `string.length` counts). */
  readonly maxKeyChars: number;
  /** Largest single value, in UTF-8 bytes of its JSON serialization. */
  readonly maxValueBytes: number;
  /** Everything one plugin stores: the UTF-8 bytes of every key and value, each JSON-serialized. */
  readonly maxPluginBytes: number;
}

export const DEFAULT_STORAGE_LIMITS: StorageLimits = Object.freeze({
  maxKeyChars: 256,
  maxValueBytes: 64 * 1024,
  maxPluginBytes: 1024 * 1024,
});

const positiveInt = z.number().int().positive();
const StorageLimitsSchema = z.object({ maxKeyChars: positiveInt, maxValueBytes: positiveInt, maxPluginBytes: positiveInt }).partial().strict();

/** Values nested deeper than this are refused: JSON.stringify and our own walk must not overflow the stack. */
export const MAX_VALUE_DEPTH = 64;

/** Every plugin's data sits under `pluginRuntime.storage/<plugin>`; the key depends on the plugin name alone. */
export const STORAGE_KEY_PREFIX = 'pluginRuntime.storage/';

// The same rule as the manifest's `name` (lowercase words joined by single dashes, at most 64 characters),
// so the store key can never contain '/', '..' or anything else that could name another scope.

export type StorageErrorKind = 'invalid-plugin' | 'invalid-key' | 'invalid-value' | 'value-too-large' | 'quota-exceeded' | 'store-failed';

/** A refused or failed storage operation. The message is fixed per kind and says what to do. */
export class StorageError extends Error {
  override readonly name = 'StorageError';
  constructor(
    readonly kind: StorageErrorKind,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

export interface StorageUsage {
  /** Bytes counted against the quota (see StorageLimits.maxPluginBytes). */
  readonly bytes: number;
  readonly keys: number;
}

/** The stored shape: an array of [key, value] pairs, never an object, so no key can act as a property name. */
type StoredEntries = Array<[string, unknown]>;

export class PluginStorage {
  readonly limits: StorageLimits;
  // One queue per plugin: a write reads the current data, checks it, and replaces it; two writes of the same
  // plugin running at once would each start from the same data and the second would drop the first.
  private readonly queues = new Map<string, Promise<void>>();

  constructor(
    private readonly store: KeyValueStore,
    limits: Partial<StorageLimits> = {},
  ) {
    const parsed = StorageLimitsSchema.safeParse(limits);
    if (!parsed.success) throw new Error(`invalid storage limits: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
    this.limits = Object.freeze({ ...DEFAULT_STORAGE_LIMITS, ...parsed.data });
  }

  /** The value stored under `key`, or undefined. Throws StorageError for an invalid plugin name or key. */
  get(plugin: string, key: unknown): unknown {
    const k = this.checkKey(key);
    const value = this.read(plugin).get(k);
    // A copy, for the same reason: the caller must not be able to change stored data without set().
    return value === undefined ? undefined : JSON.parse(JSON.stringify(value));
  }

  /** Stores a JSON value. Rejects with a StorageError and changes nothing if the key, value or quota is refused. */
  set(plugin: string, key: unknown, value: unknown): Promise<void> {
    let k: string;
    let serialized: string;
    try {
      // Checked and serialized now, not when the queue gets to it: the caller may change the object meanwhile.
      k = this.checkKey(key);
      serialized = this.checkValue(value);
    } catch (e) {
      return Promise.reject(e);
    }
    return this.enqueue(plugin, async () => {
      const current = this.read(plugin);
      // Store a parsed copy of exactly what was measured, never the caller's object.
      const next = new Map(current).set(k, JSON.parse(serialized));
      const bytes = usageOf(next);
      if (bytes > this.limits.maxPluginBytes && bytes > usageOf(current)) {
        // A write that does not grow the data is allowed even over quota (e.g. after the quota was lowered),
        // so a plugin can always shrink its way back.
        throw new StorageError(
          'quota-exceeded',
          `storage quota exceeded: this plugin may store at most ${formatBytes(this.limits.maxPluginBytes)} (it would use ${sizeOver(bytes, this.limits.maxPluginBytes)}); delete keys it no longer needs or store less`,
        );
      }
      await this.write(plugin, next);
    });
  }

  /** Removes `key`; resolves to whether it existed. */
  delete(plugin: string, key: unknown): Promise<boolean> {
    let k: string;
    try {
      k = this.checkKey(key);
    } catch (e) {
      return Promise.reject(e);
    }
    return this.enqueue(plugin, async () => {
      const current = this.read(plugin);
      if (!current.has(k)) return false;
      const next = new Map(current);
      next.delete(k);
      await this.write(plugin, next);
      return true;
    });
  }

  /** The plugin's keys, in the order they were first set. */
  keys(plugin: string): string[] {
    return [...this.read(plugin).keys()];
  }

  /** Removes everything the plugin stored (also data that has become unreadable: that is how one recovers). */
  clear(plugin: string): Promise<void> {
    return this.enqueue(plugin, () => this.write(plugin, new Map()));
  }

  usage(plugin: string): StorageUsage {
    const entries = this.read(plugin);
    return { bytes: usageOf(entries), keys: entries.size };
  }

  private enqueue<T>(plugin: string, op: () => Promise<T>): Promise<T> {
    let scope: string;
    try {
      scope = storeKeyFor(plugin);
    } catch (e) {
      return Promise.reject(e);
    }
    const previous = this.queues.get(scope) ?? Promise.resolve();
    const run = previous.then(op);
    const settled = run.then(
      () => undefined,
      () => undefined,
    );
    this.queues.set(scope, settled);
    // Forget the queue once it drained, so the map does not grow with every plugin ever seen.
    void settled.then(() => {
      if (this.queues.get(scope) === settled) this.queues.delete(scope);
    });
    return run;
  }

  private read(plugin: string): Map<string, unknown> {
    const raw = this.store.get(storeKeyFor(plugin));
    if (raw === undefined) return new Map();
    if (!Array.isArray(raw) || !raw.every((e) => Array.isArray(e) && e.length === 2 && typeof e[0] === 'string')) {
      throw new StorageError('store-failed', "this plugin's stored data is unreadable; clear the plugin's storage to start over");
    }
    // A new Map: nothing here mutates what the store handed out (a Memento may hand out the object it holds).
    return new Map((raw as StoredEntries).map(([k, v]) => [k, v] as const));
  }

  private async write(plugin: string, entries: Map<string, unknown>): Promise<void> {
    const stored: StoredEntries | undefined = entries.size === 0 ? undefined : [...entries];
    try {
      await this.store.update(storeKeyFor(plugin), stored);
    } catch (e) {
      throw new StorageError('store-failed', 'storage could not be saved, so nothing was changed; try again later', { cause: e });
    }
  }

  private checkKey(key: unknown): string {
    const max = this.limits.maxKeyChars;
    if (typeof key !== 'string') throw new StorageError('invalid-key', `invalid storage key: a key must be a string of 1 to ${max} characters (got ${describeType(key)})`);
    if (key.length === 0 || key.length > max) {
      throw new StorageError('invalid-key', `invalid storage key: a key must be a string of 1 to ${max} characters (got ${key.length === 0 ? 'an empty string' : `${key.length} characters`})`);
    }
    return key;
  }

  /** Returns the value's JSON text after checking it is plain JSON data within the per-value limit. */
  private checkValue(value: unknown): string {
    const problem = findNonJson(value);
    if (problem !== undefined) {
      throw new StorageError(
        'invalid-value',
        `invalid storage value: only JSON data can be stored (strings, finite numbers, booleans, null, arrays and plain objects); found ${problem}`,
      );
    }
    const serialized = JSON.stringify(value);
    const bytes = Buffer.byteLength(serialized, 'utf8');
    if (bytes > this.limits.maxValueBytes) {
      throw new StorageError(
        'value-too-large',
        `storage value too large: one value may be at most ${formatBytes(this.limits.maxValueBytes)} as JSON (this one is ${sizeOver(bytes, this.limits.maxValueBytes)}); split it over several keys or store less`,
      );
    }
    return serialized;
  }
}

/** The store key that holds `plugin`'s data. Throws StorageError('invalid-plugin') for anything but a valid plugin name. */
export function storeKeyFor(plugin: unknown): string {
  if (!isPluginName(plugin)) {
    throw new StorageError(
      'invalid-plugin',
      `invalid plugin name for storage: it must be 1 to ${MAX_PLUGIN_NAME_CHARS} lowercase letters, digits and single dashes (e.g. "sort-lines")`,
    );
  }
  return STORAGE_KEY_PREFIX + plugin;
}

/** A size over `limit`, exact when rounding would make it read the same as the limit ("at most 64 KB (this one is 64 KB)"). */
function sizeOver(bytes: number, limit: number): string {
  const rounded = formatBytes(bytes);
  return rounded === formatBytes(limit) ? `${bytes} bytes` : rounded;
}

/** Bytes counted against the quota: each key and each value as JSON, in UTF-8. */
function usageOf(entries: Map<string, unknown>): number {
  let bytes = 0;
  for (const [k, v] of entries) bytes += Buffer.byteLength(JSON.stringify(k), 'utf8') + Buffer.byteLength(JSON.stringify(v), 'utf8');
  return bytes;
}

/**
 * Describes the first thing in `value` that is not plain JSON data, or undefined if it all is. Iterative, so
 * deep nesting cannot overflow the stack, and it reads property descriptors instead of properties, so no
 * getter or toJSON of the value runs before the value is accepted.
 */
function findNonJson(value: unknown): string | undefined {
  const stack: Array<{ v: unknown; depth: number }> = [{ v: value, depth: 0 }];
  // Every object may appear once: a cycle would never end, and a shared reference repeated at every level
  // of a DAG serializes to exponentially large JSON. Data that came over the JSON bridge has neither.
  const seen = new Set<object>();
  while (stack.length > 0) {
    const { v, depth } = stack.pop()!;
    switch (typeof v) {
      case 'string':
      case 'boolean':
        continue;
      case 'number':
        if (!Number.isFinite(v)) return String(v); // NaN, Infinity, -Infinity
        continue;
      case 'undefined':
        return 'undefined';
      case 'bigint':
        return 'a BigInt';
      case 'function':
        return 'a function';
      case 'symbol':
        return 'a symbol';
    }
    if (v === null) continue;
    const obj = v as object;
    if (seen.has(obj)) return 'the same object more than once (a cycle or a shared reference)';
    seen.add(obj);
    if (depth >= MAX_VALUE_DEPTH) return `nesting deeper than ${MAX_VALUE_DEPTH} levels`;
    const isArray = Array.isArray(obj);
    const proto = Object.getPrototypeOf(obj) as unknown;
    if (!isArray && proto !== Object.prototype && proto !== null) return `an object that is not plain data (${describeType(obj)})`;
    if (Object.getOwnPropertySymbols(obj).length > 0) return 'an object with symbol keys';
    const names = Object.getOwnPropertyNames(obj);
    if (isArray) {
      const length = (obj as unknown[]).length;
      // JSON.stringify would turn holes into null and silently drop extra named properties.
      if (names.length !== length + 1) return 'an array with holes or extra properties';
      for (let i = 0; i < length; i++) {
        const d = Object.getOwnPropertyDescriptor(obj, i);
        if (d === undefined) return 'an array with holes or extra properties';
        if (!('value' in d)) return 'a getter or setter';
        stack.push({ v: d.value, depth: depth + 1 });
      }
      continue;
    }
    for (const name of names) {
      const d = Object.getOwnPropertyDescriptor(obj, name)!;
      if (!('value' in d)) return 'a getter or setter';
      if (!d.enumerable) return 'a non-enumerable property';
      stack.push({ v: d.value, depth: depth + 1 });
    }
  }
  return undefined;
}

function describeType(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  if (typeof v === 'object') {
    const ctor = (Object.getPrototypeOf(v) as { constructor?: { name?: unknown } } | null)?.constructor?.name;
    return typeof ctor === 'string' && ctor !== 'Object' ? `a ${ctor}` : 'an object';
  }
  return `a ${typeof v}`;
}
