// The small key/value interface the core persists through: a vscode.Memento fits it as is; the CLI and
// tests use the atomic JSON file store.

/** A persistent key/value store. Values must be JSON-serialisable; `update(key, undefined)` deletes. */
export interface KeyValueStore {
  get(key: string): unknown;
  update(key: string, value: unknown): Promise<void> | Thenable<void>;
  keys(): readonly string[];
}

/** The subset of a Promise that vscode.Thenable also satisfies. */
export interface Thenable<T> {
  then<R1 = T, R2 = never>(onfulfilled?: ((value: T) => R1 | PromiseLike<R1>) | null, onrejected?: ((reason: unknown) => R2 | PromiseLike<R2>) | null): PromiseLike<R1 | R2>;
}

/** An in-memory store, for tests and for a host that needs no persistence. */
export class MemoryStore implements KeyValueStore {
  private readonly data = new Map<string, unknown>();
  get(key: string): unknown {
    const v = this.data.get(key);
    return v === undefined ? undefined : JSON.parse(JSON.stringify(v));
  }
  async update(key: string, value: unknown): Promise<void> {
    if (value === undefined) this.data.delete(key);
    else this.data.set(key, JSON.parse(JSON.stringify(value)));
  }
  keys(): readonly string[] {
    return [...this.data.keys()];
  }
}
