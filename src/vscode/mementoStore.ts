// The core's KeyValueStore on a vscode.Memento (the extension's globalState), with every write serialized.
//
// Why not the Memento as it is: an ExtensionMemento keeps one object for all of the extension's keys, flushes
// the whole object to the workbench after each update, and replaces its object with whatever the workbench
// echoes back for that flush. An update made while an earlier flush is in flight is therefore overwritten by
// the older echo, and the next flush persists the older object: seen here as a plugin's 5th failure and its
// switch to ERROR vanishing. Writing one update at a time (the echo of a flush arrives before its update
// resolves) makes every write stick; reads see queued values at once.
import type * as vscode from 'vscode';
import type { KeyValueStore } from '../core/store';

interface Pending {
  readonly value: unknown;
}

export class MementoStore implements KeyValueStore {
  /** The latest value queued per key, not yet confirmed by the Memento. */
  private readonly pending = new Map<string, Pending>();
  private chain: Promise<void> = Promise.resolve();

  constructor(private readonly memento: vscode.Memento) {}

  get(key: string): unknown {
    const p = this.pending.get(key);
    const value = p ? p.value : this.memento.get(key);
    return value === undefined ? undefined : JSON.parse(JSON.stringify(value));
  }

  keys(): readonly string[] {
    const keys = new Set(this.memento.keys());
    for (const [key, p] of this.pending) {
      if (p.value === undefined) keys.delete(key);
      else keys.add(key);
    }
    return [...keys];
  }

  update(key: string, value: unknown): Promise<void> {
    // Copied now: the caller may change its object while the write waits its turn.
    const entry: Pending = { value: value === undefined ? undefined : JSON.parse(JSON.stringify(value)) };
    this.pending.set(key, entry);
    const run = this.chain.then(async () => {
      try {
        await this.memento.update(key, entry.value);
        // Another window sharing globalState may have overwritten it in between: write once more.
        if (JSON.stringify(this.memento.get(key)) !== JSON.stringify(entry.value)) await this.memento.update(key, entry.value);
      } finally {
        if (this.pending.get(key) === entry) this.pending.delete(key);
      }
    });
    this.chain = run.catch(() => undefined);
    return run;
  }
}

/**
 * One runtime's access to the shared store. When settings change, a new registry is built from the store while
 * the old one may still have outcome recordings queued; once retired, the old runtime's writes are dropped, so
 * they can never land after (and undo) what the new registry wrote. What is dropped is at most the health
 * figures of invocations that were in flight during the change.
 */
export class RuntimeStore implements KeyValueStore {
  private retired = false;

  constructor(private readonly inner: KeyValueStore) {}

  get(key: string): unknown {
    return this.inner.get(key);
  }

  keys(): readonly string[] {
    return this.inner.keys();
  }

  async update(key: string, value: unknown): Promise<void> {
    if (this.retired) return;
    await this.inner.update(key, value);
  }

  retire(): void {
    this.retired = true;
  }
}
