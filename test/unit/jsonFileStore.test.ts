// JsonFileStore: round trips, reopen, corrupt files moved aside, and failed or crashed writes that leave the
// previous state intact, with fs failures injected at the exact step under test.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import {
  JsonFileStore,
  JsonFileStoreError,
  nodeJsonFileStoreFs,
  type JsonFileStoreFileHandle,
  type JsonFileStoreFs,
} from '../../src/core/jsonFileStore';

type Op = string;

/** node:fs with a log of every write-path step, and hooks to fail or stall a chosen step. */
function spyFs(hooks: {
  beforeRename?: (from: string, to: string) => Promise<void> | void;
  beforeSync?: (file: string) => Promise<void> | void;
  beforeOpen?: (file: string, flags: string) => Promise<void> | void;
  beforeWrite?: (file: string) => Promise<void> | void;
  unlink?: (file: string) => Promise<void>;
} = {}): JsonFileStoreFs & { log: Op[] } {
  const log: Op[] = [];
  const name = (f: string) => (path.basename(f).includes('.tmp-') ? 'temp' : path.basename(f));
  return {
    log,
    readFileSync: nodeJsonFileStoreFs.readFileSync,
    renameSync: nodeJsonFileStoreFs.renameSync,
    existsSync: nodeJsonFileStoreFs.existsSync,
    async open(file, flags) {
      await hooks.beforeOpen?.(file, flags);
      const real = await nodeJsonFileStoreFs.open(file, flags);
      log.push(`open ${name(file)} ${flags}`);
      const handle: JsonFileStoreFileHandle = {
        async writeFile(data, encoding) {
          await hooks.beforeWrite?.(file);
          log.push(`write ${name(file)}`);
          await real.writeFile(data, encoding);
        },
        async sync() {
          await hooks.beforeSync?.(file);
          log.push(`sync ${name(file)}`);
          await real.sync();
        },
        async close() {
          log.push(`close ${name(file)}`);
          await real.close();
        },
      };
      return handle;
    },
    async rename(from, to) {
      await hooks.beforeRename?.(from, to);
      log.push(`rename ${name(from)} -> ${name(to)}`);
      await nodeJsonFileStoreFs.rename(from, to);
    },
    async unlink(file) {
      log.push(`unlink ${name(file)}`);
      await (hooks.unlink ?? nodeJsonFileStoreFs.unlink)(file);
    },
  };
}

function fsError(code: string, message: string): NodeJS.ErrnoException {
  return Object.assign(new Error(`${code}: ${message}`), { code });
}

describe('JsonFileStore', () => {
  let dir: string;
  let file: string;
  const fixedNow = () => Date.UTC(2025, 0, 2, 3, 4, 5, 678);
  const tempFiles = () => fs.readdirSync(dir).filter((f) => f.includes('.tmp-'));

  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'jsonFileStore-'));
    file = path.join(dir, 'state.json');
  });
  afterEach(() => {
    fs.chmodSync(dir, 0o700);
    fs.rmSync(dir, { recursive: true, force: true });
  });

  describe('open', () => {
    it('treats a missing file as an empty store and reports nothing', () => {
      const { store, recovered } = JsonFileStore.open(file);
      assert.deepEqual(store.keys(), []);
      assert.equal(recovered, undefined);
      assert.equal(fs.existsSync(file), false, 'opening alone must not create the file');
    });

    it('moves a file that is not JSON aside, reports it, and starts empty', () => {
      fs.writeFileSync(file, '{"version": 1, "entries": {"a": 1');
      const { store, recovered } = JsonFileStore.open(file, { now: fixedNow });
      assert.ok(recovered);
      assert.equal(recovered.movedTo, `${file}.corrupt-2025-01-02T03-04-05.678Z`);
      assert.match(recovered.reason, /not valid JSON/);
      assert.equal(fs.readFileSync(recovered.movedTo, 'utf8'), '{"version": 1, "entries": {"a": 1', 'the corrupt content is kept');
      assert.equal(fs.existsSync(file), false);
      assert.deepEqual(store.keys(), []);
    });

    it('moves aside valid JSON of the wrong shape (never reads it as data)', () => {
      fs.writeFileSync(file, '[["a", 1]]');
      const { store, recovered } = JsonFileStore.open(file, { now: fixedNow });
      assert.ok(recovered);
      assert.match(recovered.reason, /not a store of version 1/);
      assert.deepEqual(store.keys(), []);
    });

    it('moves aside an empty file (a torn write would look like this)', () => {
      fs.writeFileSync(file, '');
      const { recovered } = JsonFileStore.open(file, { now: fixedNow });
      assert.ok(recovered);
    });

    it('moves aside a path it cannot read as a file and reports why', () => {
      fs.mkdirSync(file); // EISDIR on read
      const { store, recovered } = JsonFileStore.open(file, { now: fixedNow });
      assert.ok(recovered);
      assert.match(recovered.reason, /could not be read/);
      assert.ok(fs.statSync(recovered.movedTo).isDirectory());
      assert.deepEqual(store.keys(), []);
    });

    it('never overwrites an earlier moved-aside file with the same time stamp', () => {
      fs.writeFileSync(file, 'first');
      const first = JsonFileStore.open(file, { now: fixedNow }).recovered;
      fs.writeFileSync(file, 'second');
      const second = JsonFileStore.open(file, { now: fixedNow }).recovered;
      assert.ok(first && second);
      assert.notEqual(first.movedTo, second.movedTo);
      assert.equal(fs.readFileSync(first.movedTo, 'utf8'), 'first');
      assert.equal(fs.readFileSync(second.movedTo, 'utf8'), 'second');
    });

    it('refuses to start empty when a corrupt file cannot be moved aside', () => {
      fs.writeFileSync(file, 'garbage');
      const failingFs: JsonFileStoreFs = {
        ...nodeJsonFileStoreFs,
        renameSync: () => {
          throw fsError('EACCES', 'permission denied');
        },
      };
      assert.throws(
        () => JsonFileStore.open(file, { fs: failingFs, now: fixedNow }),
        (e: unknown) => e instanceof JsonFileStoreError && e.kind === 'unrecoverable' && /could not be moved aside/.test(e.message),
      );
      assert.equal(fs.readFileSync(file, 'utf8'), 'garbage');
    });
  });

  describe('round trips', () => {
    it('returns what was stored, as a copy the caller cannot use to change the store', async () => {
      const { store } = JsonFileStore.open(file);
      const value = { list: [1, 'two', null, true], nested: { x: 1.5 } };
      await store.update('k', value);
      value.nested.x = 99;
      const read = store.get('k') as typeof value;
      assert.deepEqual(read, { list: [1, 'two', null, true], nested: { x: 1.5 } });
      read.list.push(5);
      assert.deepEqual(store.get('k'), { list: [1, 'two', null, true], nested: { x: 1.5 } });
      assert.deepEqual(store.keys(), ['k']);
    });

    it('persists across a reopen, including keys that look like prototype names', async () => {
      const { store } = JsonFileStore.open(file);
      await store.update('__proto__', { polluted: true });
      await store.update('constructor', 'c');
      await store.update('ünïcødé ✓', ['\u2028', '"quoted"']);
      await store.update('gone', 1);
      await store.update('gone', undefined);
      const reopened = JsonFileStore.open(file);
      assert.equal(reopened.recovered, undefined);
      assert.deepEqual([...reopened.store.keys()].sort(), ['__proto__', 'constructor', 'ünïcødé ✓'].sort());
      assert.deepEqual(reopened.store.get('__proto__'), { polluted: true });
      assert.equal(reopened.store.get('constructor'), 'c');
      assert.deepEqual(reopened.store.get('ünïcødé ✓'), ['\u2028', '"quoted"']);
      assert.equal(reopened.store.get('gone'), undefined);
      assert.equal(({} as Record<string, unknown>)['polluted'], undefined, 'Object.prototype must be untouched');
    });

    it('writes a readable JSON document with a version', async () => {
      const { store } = JsonFileStore.open(file);
      await store.update('a', { b: 1 });
      assert.deepEqual(JSON.parse(fs.readFileSync(file, 'utf8')), { version: 1, entries: { a: { b: 1 } } });
    });

    it('rejects a value JSON cannot represent and changes nothing', async () => {
      const { store } = JsonFileStore.open(file);
      await store.update('a', 1);
      const before = fs.readFileSync(file, 'utf8');
      const cyclic: Record<string, unknown> = {};
      cyclic['self'] = cyclic;
      for (const bad of [10n, cyclic, () => 1, Symbol('s')]) {
        await assert.rejects(store.update('a', bad), (e: unknown) => e instanceof JsonFileStoreError && e.kind === 'not-serializable');
      }
      assert.equal(store.get('a'), 1);
      assert.equal(fs.readFileSync(file, 'utf8'), before);
    });
  });

  describe('atomic writes', () => {
    it('writes a temp file, fsyncs it, renames it over the target, then fsyncs the directory', async function () {
      if (process.platform === 'win32') this.skip(); // no directory fsync there
      const spy = spyFs();
      const { store } = JsonFileStore.open(file, { fs: spy });
      await store.update('a', 1);
      assert.deepEqual(spy.log, ['open temp wx', 'write temp', 'sync temp', 'close temp', 'rename temp -> state.json', `open ${path.basename(dir)} r`, `sync ${path.basename(dir)}`, `close ${path.basename(dir)}`]);
      assert.deepEqual(tempFiles(), []);
    });

    it('a write that fails after the temp file was written rejects clearly and leaves file and memory as before', async () => {
      let failRename = false;
      const spy = spyFs({
        beforeRename: () => {
          if (failRename) throw fsError('EIO', 'injected failure before rename');
        },
      });
      const { store } = JsonFileStore.open(file, { fs: spy });
      await store.update('a', 'old');
      const before = fs.readFileSync(file, 'utf8');

      failRename = true;
      await assert.rejects(store.update('a', 'new'), (e: unknown) => {
        assert.ok(e instanceof JsonFileStoreError);
        assert.equal(e.kind, 'write-failed');
        assert.equal(e.message, `could not save ${file}: EIO: injected failure before rename; nothing was changed`);
        return true;
      });
      assert.ok(spy.log.includes('write temp'), 'the failure was injected after the temp file was written');
      assert.equal(store.get('a'), 'old', 'memory unchanged');
      assert.deepEqual(store.keys(), ['a']);
      assert.equal(fs.readFileSync(file, 'utf8'), before, 'file unchanged');
      assert.deepEqual(tempFiles(), [], 'the temp file is cleaned up');
      assert.equal(JsonFileStore.open(file).store.get('a'), 'old');

      failRename = false;
      await store.update('a', 'newer');
      assert.equal(JsonFileStore.open(file).store.get('a'), 'newer', 'a later write still works');
    });

    it('a failed fsync of the temp file leaves everything as before', async () => {
      const spy = spyFs({
        beforeSync: (f) => {
          if (f.includes('.tmp-')) throw fsError('EIO', 'injected fsync failure');
        },
      });
      const { store } = JsonFileStore.open(file);
      await store.update('a', 1);
      const { store: failing } = JsonFileStore.open(file, { fs: spy });
      await assert.rejects(failing.update('a', 2), /could not save .*injected fsync failure; nothing was changed/);
      assert.equal(failing.get('a'), 1);
      assert.equal(JsonFileStore.open(file).store.get('a'), 1);
    });

    it('a directory that became read-only makes the write reject and changes nothing (simulated)', async () => {
      const spy = spyFs({
        beforeOpen: (_f, flags) => {
          if (flags === 'wx') throw fsError('EACCES', 'permission denied');
        },
      });
      const { store } = JsonFileStore.open(file, { fs: spy });
      await assert.rejects(store.update('a', 1), (e: unknown) => e instanceof JsonFileStoreError && e.kind === 'write-failed' && /EACCES/.test(e.message));
      assert.equal(store.get('a'), undefined);
      assert.equal(fs.existsSync(file), false);
    });

    it('a directory that became read-only makes the write reject and changes nothing (real chmod)', async function () {
      // root ignores directory permissions, and Windows has no POSIX modes: nothing to observe there
      if (process.platform === 'win32' || process.getuid?.() === 0) this.skip();
      const { store } = JsonFileStore.open(file);
      await store.update('a', 1);
      fs.chmodSync(dir, 0o500);
      await assert.rejects(store.update('a', 2), (e: unknown) => e instanceof JsonFileStoreError && e.kind === 'write-failed');
      assert.equal(store.get('a'), 1);
      assert.equal(JsonFileStore.open(file).store.get('a'), 1);
    });

    it('a crash mid-write (temp file left behind, never renamed) leaves the previous state readable', async () => {
      const { store } = JsonFileStore.open(file);
      await store.update('a', 'committed');
      // The "crash": the process stops after writing the temp file; nothing after that step happens.
      let crashed!: () => void;
      const reachedRename = new Promise<void>((resolve) => (crashed = resolve));
      const crashing = spyFs({
        beforeRename: () => {
          crashed();
          return new Promise<void>(() => undefined); // never resolves: the process is gone
        },
      });
      const { store: doomed } = JsonFileStore.open(file, { fs: crashing });
      void doomed.update('a', 'never committed');
      await reachedRename;

      assert.equal(tempFiles().length, 1, 'the crash left a temp file');
      const leftover = fs.readFileSync(path.join(dir, tempFiles()[0]!), 'utf8');
      assert.match(leftover, /never committed/);
      const after = JsonFileStore.open(file);
      assert.equal(after.recovered, undefined);
      assert.equal(after.store.get('a'), 'committed');
      await after.store.update('b', 1); // and the next process can write despite the leftover
      assert.equal(JsonFileStore.open(file).store.get('b'), 1);
    });

    it('a failed write whose cleanup also fails still leaves the previous state readable', async () => {
      const spy = spyFs({
        beforeRename: () => {
          throw fsError('EIO', 'injected');
        },
        unlink: async () => {
          throw fsError('EIO', 'cannot unlink either');
        },
      });
      const { store } = JsonFileStore.open(file);
      await store.update('a', 1);
      const { store: failing } = JsonFileStore.open(file, { fs: spy });
      await assert.rejects(failing.update('a', 2), /could not save/);
      assert.equal(tempFiles().length, 1);
      assert.equal(JsonFileStore.open(file).store.get('a'), 1);
    });
  });

  describe('concurrency', () => {
    it('serialises concurrent updates: one write at a time, applied in call order', async () => {
      let inFlight = 0;
      let maxInFlight = 0;
      const spy = spyFs({
        beforeOpen: (_f, flags) => {
          if (flags === 'wx') maxInFlight = Math.max(maxInFlight, ++inFlight);
        },
        beforeRename: async () => {
          await Promise.resolve(); // give any other queued write a chance to start, if the queue were broken
        },
      });
      const origRename = spy.rename;
      spy.rename = async (from, to) => {
        await origRename(from, to);
        inFlight--;
      };
      const { store } = JsonFileStore.open(file, { fs: spy });
      const writes: Array<Promise<void>> = [];
      for (let i = 0; i < 20; i++) {
        writes.push(store.update('counter', i));
        writes.push(store.update(`k${i}`, i));
      }
      assert.equal(store.get('counter'), undefined, 'nothing is visible before its write is on disk');
      await Promise.all(writes);
      assert.equal(maxInFlight, 1, 'writes never overlapped');
      assert.equal(store.get('counter'), 19, 'the last call wins');
      const reopened = JsonFileStore.open(file).store;
      assert.equal(reopened.get('counter'), 19);
      for (let i = 0; i < 20; i++) assert.equal(reopened.get(`k${i}`), i);
    });

    it('a failure in the middle of a queue affects only that update', async () => {
      const spy = spyFs({
        beforeWrite: () => undefined,
      });
      let calls = 0;
      const origOpen = spy.open;
      spy.open = async (f, flags) => {
        if (flags === 'wx' && ++calls === 2) throw fsError('ENOSPC', 'no space left');
        return origOpen(f, flags);
      };
      const { store } = JsonFileStore.open(file, { fs: spy });
      const results = await Promise.allSettled([store.update('a', 1), store.update('b', 2), store.update('c', 3)]);
      assert.deepEqual(
        results.map((r) => r.status),
        ['fulfilled', 'rejected', 'fulfilled'],
      );
      const reopened = JsonFileStore.open(file).store;
      assert.deepEqual([...reopened.keys()], ['a', 'c']);
      assert.deepEqual([...store.keys()], ['a', 'c']);
    });
  });
});
