// A KeyValueStore persisted as one JSON file that is replaced atomically, so a crash or a failed write
// never leaves a half-written or silently emptied store behind (used by the CLI and tests).
import { randomBytes } from 'node:crypto';
import * as nodeFs from 'node:fs';
import * as path from 'node:path';
import type { KeyValueStore } from './store';

/** The file operations the store uses; node:fs by default, replaceable so tests can fail or "crash" a write. */
export interface JsonFileStoreFs {
  readFileSync(file: string, encoding: 'utf8'): string;
  renameSync(from: string, to: string): void;
  existsSync(file: string): boolean;
  open(file: string, flags: string): Promise<JsonFileStoreFileHandle>;
  rename(from: string, to: string): Promise<void>;
  unlink(file: string): Promise<void>;
}

/** The part of node's FileHandle the store needs. */
export interface JsonFileStoreFileHandle {
  writeFile(data: string, encoding: 'utf8'): Promise<void>;
  sync(): Promise<void>;
  close(): Promise<void>;
}

export const nodeJsonFileStoreFs: JsonFileStoreFs = {
  readFileSync: (file, encoding) => nodeFs.readFileSync(file, encoding),
  renameSync: (from, to) => nodeFs.renameSync(from, to),
  existsSync: (file) => nodeFs.existsSync(file),
  open: (file, flags) => nodeFs.promises.open(file, flags),
  rename: (from, to) => nodeFs.promises.rename(from, to),
  unlink: (file) => nodeFs.promises.unlink(file),
};

export interface JsonFileStoreOptions {
  fs?: JsonFileStoreFs;
  /** Clock for the name of a moved-aside corrupt file. */
  now?: () => number;
}

export interface JsonFileStoreOpenResult {
  store: JsonFileStore;
  /** Set when the file existed but could not be used: it was moved aside (never deleted) and the store starts empty. */
  recovered?: { movedTo: string; reason: string };
}

export type JsonFileStoreErrorKind = 'not-serializable' | 'write-failed' | 'unrecoverable';

export class JsonFileStoreError extends Error {
  override readonly name = 'JsonFileStoreError';
  constructor(
    readonly kind: JsonFileStoreErrorKind,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

const FORMAT_VERSION = 1;

export class JsonFileStore implements KeyValueStore {
  // Values are kept serialized: the file is rebuilt from these strings without re-serialising everything,
  // and every get() returns a fresh copy, so a caller can never mutate what is stored (as with MemoryStore).
  private entries: Map<string, string>;
  // The write queue: each update starts only after the previous one settled, so writes never interleave.
  private tail: Promise<void> = Promise.resolve();
  private tempCounter = 0;

  private constructor(
    readonly path: string,
    entries: Map<string, string>,
    private readonly fs: JsonFileStoreFs,
  ) {
    this.entries = entries;
  }

  /**
   * Opens (synchronously) the store at `file`. A missing file is an empty store. A file that cannot be read
   * or parsed is renamed to `<file>.corrupt-<ISO time>` and reported in `recovered`, so the data is kept for a
   * person to inspect instead of being overwritten by the next write. Throws `JsonFileStoreError`
   * ('unrecoverable') only when such a file cannot even be moved aside.
   */
  static open(file: string, options: JsonFileStoreOptions = {}): JsonFileStoreOpenResult {
    const fs = options.fs ?? nodeJsonFileStoreFs;
    const now = options.now ?? Date.now;
    const target = path.resolve(file);
    let text: string;
    try {
      text = fs.readFileSync(target, 'utf8');
    } catch (e) {
      if (errorCode(e) === 'ENOENT') return { store: new JsonFileStore(target, new Map(), fs) };
      return JsonFileStore.moveAside(target, `the file could not be read (${describeError(e)})`, fs, now, e);
    }
    const parsed = parseStoreFile(text);
    if (typeof parsed === 'string') return JsonFileStore.moveAside(target, parsed, fs, now);
    return { store: new JsonFileStore(target, parsed, fs) };
  }

  private static moveAside(target: string, reason: string, fs: JsonFileStoreFs, now: () => number, cause?: unknown): JsonFileStoreOpenResult {
    // ':' is not allowed in Windows file names, so the ISO time uses '-' between hours, minutes and seconds.
    const stamp = new Date(now()).toISOString().replace(/:/g, '-');
    let movedTo = `${target}.corrupt-${stamp}`;
    for (let n = 1; fs.existsSync(movedTo); n++) movedTo = `${target}.corrupt-${stamp}-${n}`;
    try {
      fs.renameSync(target, movedTo);
    } catch (e) {
      // Starting empty here would overwrite the unreadable file on the next write: refuse instead.
      throw new JsonFileStoreError(
        'unrecoverable',
        `cannot use ${target}: ${reason}, and it could not be moved aside (${describeError(e)}); move or delete it, then try again`,
        { cause: cause ?? e },
      );
    }
    return { store: new JsonFileStore(target, new Map(), fs), recovered: { movedTo, reason } };
  }

  get(key: string): unknown {
    const serialized = this.entries.get(key);
    return serialized === undefined ? undefined : JSON.parse(serialized);
  }

  keys(): readonly string[] {
    return [...this.entries.keys()];
  }

  /**
   * Sets `key` (or deletes it when `value` is undefined) and resolves once the new file is durably in place.
   * get() keeps returning the old value until then; on failure the promise rejects with a
   * `JsonFileStoreError` and both the file and the in-memory view are exactly as before.
   */
  update(key: string, value: unknown): Promise<void> {
    const run = this.tail.then(() => this.write(key, value));
    // A failed write must not block the ones queued behind it.
    this.tail = run.then(
      () => undefined,
      () => undefined,
    );
    return run;
  }

  private async write(key: string, value: unknown): Promise<void> {
    const next = new Map(this.entries);
    if (value === undefined) {
      if (!next.delete(key)) return; // nothing to delete: no need to rewrite the file
    } else {
      let serialized: string | undefined;
      try {
        serialized = JSON.stringify(value);
      } catch (e) {
        throw new JsonFileStoreError('not-serializable', `cannot store ${JSON.stringify(key)}: the value is not JSON-serialisable (${describeError(e)})`, { cause: e });
      }
      if (serialized === undefined) {
        throw new JsonFileStoreError('not-serializable', `cannot store ${JSON.stringify(key)}: the value is not JSON-serialisable (it is a ${typeof value})`);
      }
      next.set(key, serialized);
    }
    await this.replaceFile(serializeStoreFile(next));
    // Commit to memory only after the rename: a failure above leaves the view as it was.
    this.entries = next;
  }

  /** Temp file in the same directory (a rename across file systems is not atomic), fsync, rename, fsync dir. */
  private async replaceFile(text: string): Promise<void> {
    const dir = path.dirname(this.path);
    // Random part: a leftover from a crashed process with the same pid (pid 1 in containers) must not collide.
    const temp = path.join(dir, `.${path.basename(this.path)}.tmp-${process.pid}-${++this.tempCounter}-${randomBytes(4).toString('hex')}`);
    let renamed = false;
    try {
      // 'wx': never reuse a file someone else left at that name.
      const handle = await this.fs.open(temp, 'wx');
      try {
        await handle.writeFile(text, 'utf8');
        await handle.sync(); // the data must be on disk before the rename makes it the store
      } finally {
        await handle.close();
      }
      await this.fs.rename(temp, this.path);
      renamed = true;
    } catch (e) {
      if (!renamed) await this.fs.unlink(temp).catch(() => undefined); // best effort; open() ignores leftovers
      throw new JsonFileStoreError('write-failed', `could not save ${this.path}: ${describeError(e)}; nothing was changed`, { cause: e });
    }
    await this.syncDirectory(dir);
  }

  /**
   * Makes the rename itself durable. Best effort by design: the rename already happened, so the new content
   * is what every reader sees; reporting failure now would make memory and file disagree. Windows cannot
   * open a directory for fsync at all.
   */
  private async syncDirectory(dir: string): Promise<void> {
    if (process.platform === 'win32') return;
    try {
      const handle = await this.fs.open(dir, 'r');
      try {
        await handle.sync();
      } finally {
        await handle.close();
      }
    } catch {
      // see above
    }
  }
}

function serializeStoreFile(entries: Map<string, string>): string {
  const body = [...entries].map(([k, v]) => `    ${JSON.stringify(k)}: ${v}`).join(',\n');
  return `{\n  "version": ${FORMAT_VERSION},\n  "entries": {${body ? `\n${body}\n  ` : ''}}\n}\n`;
}

/** Parses the file text into entries, or returns why it cannot be used. */
function parseStoreFile(text: string): Map<string, string> | string {
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (e) {
    return `the file is not valid JSON (${describeError(e)})`;
  }
  if (!isPlainRecord(data) || data['version'] !== FORMAT_VERSION || !isPlainRecord(data['entries'])) {
    return `the file is not a store of version ${FORMAT_VERSION} (expected { "version": ${FORMAT_VERSION}, "entries": { … } })`;
  }
  const entries = data['entries'];
  const result = new Map<string, string>();
  // JSON.parse makes "__proto__" an ordinary own property, and Object.keys/own-property reads see it as data.
  for (const key of Object.keys(entries)) result.set(key, JSON.stringify(entries[key]));
  return result;
}

function isPlainRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function errorCode(e: unknown): string | undefined {
  return typeof e === 'object' && e !== null && typeof (e as { code?: unknown }).code === 'string' ? (e as { code: string }).code : undefined;
}

function describeError(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}
