// PluginStorage: round trips, key and value rules, per-value limit and quota at the boundary, cross-plugin
// isolation under hostile keys, and rejected writes that leave the stored data exactly as it was.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { formatBytes } from '../../src/core/errors';
import { JsonFileStore, nodeJsonFileStoreFs } from '../../src/core/jsonFileStore';
import { DEFAULT_STORAGE_LIMITS, MAX_VALUE_DEPTH, PluginStorage, StorageError, storeKeyFor, type StorageErrorKind } from '../../src/core/storage';
import { MemoryStore, type KeyValueStore } from '../../src/core/store';

/** A store whose writes land a few event-loop turns later, like a real disk: exposes lost updates. */
class SlowStore implements KeyValueStore {
  readonly inner = new MemoryStore();
  get(key: string): unknown {
    return this.inner.get(key);
  }
  keys(): readonly string[] {
    return this.inner.keys();
  }
  async update(key: string, value: unknown): Promise<void> {
    await new Promise<void>((resolve) => setImmediate(resolve));
    await this.inner.update(key, value);
  }
}

/** A store whose writes can be made to fail, as a full disk or a broken Memento would. */
class FlakyStore extends MemoryStore {
  fail = false;
  updates = 0;
  override async update(key: string, value: unknown): Promise<void> {
    this.updates++;
    if (this.fail) throw new Error('disk full');
    return super.update(key, value);
  }
}

function isStorageError(kind: StorageErrorKind, message?: string | RegExp) {
  return (e: unknown): boolean => {
    assert.ok(e instanceof StorageError, `expected a StorageError, got ${String(e)}`);
    assert.equal(e.kind, kind);
    if (typeof message === 'string') assert.equal(e.message, message);
    else if (message) assert.match(e.message, message);
    return true;
  };
}

/** Everything the store holds, as text: "unchanged" means byte-for-byte the same. */
function snapshot(store: KeyValueStore): string {
  return JSON.stringify(store.keys().map((k) => [k, store.get(k)]));
}

const KEY_MESSAGE = (got: string) => `invalid storage key: a key must be a string of 1 to 256 characters (got ${got})`;

describe('PluginStorage', () => {
  let store: FlakyStore;
  let storage: PluginStorage;
  beforeEach(() => {
    store = new FlakyStore();
    storage = new PluginStorage(store);
  });

  describe('round trips', () => {
    it('gets what was set, undefined for what was not', async () => {
      assert.equal(storage.get('a', 'runs'), undefined);
      await storage.set('a', 'runs', 3);
      await storage.set('a', 'obj', { list: [1, 'x', null, false], nested: { deep: 'yes' } });
      assert.equal(storage.get('a', 'runs'), 3);
      assert.deepEqual(storage.get('a', 'obj'), { list: [1, 'x', null, false], nested: { deep: 'yes' } });
    });

    it('lists keys in the order they were first set, and overwrites in place', async () => {
      await storage.set('a', 'one', 1);
      await storage.set('a', 'two', 2);
      await storage.set('a', 'one', 11);
      assert.deepEqual(storage.keys('a'), ['one', 'two']);
      assert.equal(storage.get('a', 'one'), 11);
    });

    it('delete reports whether the key existed; clear removes everything', async () => {
      await storage.set('a', 'k', 1);
      await storage.set('a', 'j', 2);
      assert.equal(await storage.delete('a', 'k'), true);
      assert.equal(await storage.delete('a', 'k'), false);
      assert.deepEqual(storage.keys('a'), ['j']);
      await storage.clear('a');
      assert.deepEqual(storage.keys('a'), []);
      assert.deepEqual(store.keys(), [], 'an empty plugin leaves no store key behind');
    });

    it('keeps each plugin under one store key named after the plugin, as [key, value] pairs', async () => {
      await storage.set('sort-lines', '__proto__', { x: 1 });
      assert.deepEqual(store.keys(), ['pluginRuntime.storage/sort-lines']);
      assert.deepEqual(store.get('pluginRuntime.storage/sort-lines'), [['__proto__', { x: 1 }]]);
      assert.equal(storeKeyFor('sort-lines'), 'pluginRuntime.storage/sort-lines');
    });

    it('returns copies: changing a returned or a passed-in object does not change what is stored', async () => {
      const value = { n: 1 };
      const pending = storage.set('a', 'k', value);
      value.n = 2; // after the call, before the write ran
      await pending;
      const read = storage.get('a', 'k') as { n: number };
      read.n = 3;
      assert.deepEqual(storage.get('a', 'k'), { n: 1 });
    });

    it('reports usage as the JSON bytes of keys and values', async () => {
      await storage.set('a', 'k', 'é'); // "k" = 3 bytes, "é" = 4 bytes in UTF-8
      await storage.set('a', 'n', [1, 2]); // "n" = 3 bytes, [1,2] = 5 bytes
      assert.deepEqual(storage.usage('a'), { bytes: 15, keys: 2 });
      assert.deepEqual(storage.usage('b'), { bytes: 0, keys: 0 });
    });

    it('persists across a reopen on a JsonFileStore', async () => {
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'storage-'));
      try {
        const file = path.join(dir, 'state.json');
        const first = new PluginStorage(JsonFileStore.open(file).store);
        await first.set('a', 'constructor', { kept: true });
        await first.set('b', 'k', 'b-value');
        const second = new PluginStorage(JsonFileStore.open(file).store);
        assert.deepEqual(second.get('a', 'constructor'), { kept: true });
        assert.equal(second.get('b', 'k'), 'b-value');
        assert.deepEqual(second.keys('a'), ['constructor']);
      } finally {
        fs.rmSync(dir, { recursive: true, force: true });
      }
    });
  });

  describe('plugin names', () => {
    const bad: unknown[] = ['', 'A', 'Sort', 'a/b', '../b', 'a..b', '-a', 'a-', 'a--b', 'a_b', '__proto__', 'a b', 'a'.repeat(65), 7, null];
    for (const name of bad) {
      it(`refuses ${JSON.stringify(name)?.slice(0, 30) ?? String(name)} as a plugin name for every operation`, async () => {
        const p = name as string;
        const expected = isStorageError('invalid-plugin', /^invalid plugin name for storage: it must be 1 to 64 lowercase letters, digits and single dashes/);
        assert.throws(() => storage.get(p, 'k'), expected);
        assert.throws(() => storage.keys(p), expected);
        assert.throws(() => storage.usage(p), expected);
        await assert.rejects(storage.set(p, 'k', 1), expected);
        await assert.rejects(storage.delete(p, 'k'), expected);
        await assert.rejects(storage.clear(p), expected);
        assert.equal(store.updates, 0);
      });
    }

    it('accepts names of the manifest shape', async () => {
      for (const name of ['a', 'sort-lines', 'x1-2-y', 'a'.repeat(64)]) await storage.set(name, 'k', name);
      assert.equal(storage.get('a'.repeat(64), 'k'), 'a'.repeat(64));
    });
  });

  describe('keys', () => {
    const cases: Array<[unknown, string]> = [
      [1, 'a number'],
      [null, 'null'],
      [undefined, 'a undefined'],
      [{}, 'an object'],
      [['k'], 'an array'],
      [Symbol('k'), 'a symbol'],
      [new String('k'), 'a String'],
      ['', 'an empty string'],
      ['k'.repeat(257), '257 characters'],
    ];
    for (const [key, got] of cases) {
      it(`refuses a key that is ${got}, with a message that says what a key must be`, async () => {
        await storage.set('a', 'existing', 1);
        const before = snapshot(store);
        const expected = isStorageError('invalid-key', KEY_MESSAGE(got));
        assert.throws(() => storage.get('a', key), expected);
        await assert.rejects(storage.set('a', key, 1), expected);
        await assert.rejects(storage.delete('a', key), expected);
        assert.equal(snapshot(store), before);
      });
    }

    it('accepts exactly 256 characters by default, and a configured maximum', async () => {
      await storage.set('a', 'k'.repeat(256), 1);
      assert.equal(storage.get('a', 'k'.repeat(256)), 1);
      const short = new PluginStorage(store, { maxKeyChars: 8 });
      await short.set('a', '12345678', 1);
      await assert.rejects(short.set('a', '123456789', 1), isStorageError('invalid-key', /1 to 8 characters \(got 9 characters\)/));
    });
  });

  describe('isolation', () => {
    const tricky = [
      '__proto__',
      'constructor',
      'prototype',
      'toString',
      'hasOwnProperty',
      '../b',
      '../../b',
      'b',
      'pluginRuntime.storage/b',
      '/b',
      '..',
      'b\u0000',
      'x'.repeat(256),
    ];

    it('a plugin cannot see, list, change or delete another plugin\'s data, whatever the key', async () => {
      for (const key of tricky) await storage.set('b', key, `b's ${key}`);
      const before = JSON.stringify(store.get(storeKeyFor('b')));
      for (const key of tricky) {
        assert.equal(storage.get('a', key), undefined, `a must not read b's ${JSON.stringify(key)}`);
        assert.equal(await storage.delete('a', key), false);
      }
      assert.deepEqual(storage.keys('a'), []);
      for (const key of tricky) await storage.set('a', key, `a's ${key}`);
      await storage.clear('a');
      assert.equal(JSON.stringify(store.get(storeKeyFor('b'))), before, "b's data is untouched");
      for (const key of tricky) assert.equal(storage.get('b', key), `b's ${key}`);
    });

    it('keys named like prototype members are plain keys and never pollute prototypes', async () => {
      assert.equal(storage.get('a', 'toString'), undefined, 'an absent key is absent, even if Object.prototype has it');
      assert.equal(storage.get('a', 'constructor'), undefined);
      await storage.set('a', '__proto__', { polluted: 'yes' });
      await storage.set('a', 'constructor', { prototype: { polluted: 'yes' } });
      await storage.set('a', 'obj', JSON.parse('{"__proto__": {"polluted": "yes"}}'));
      assert.deepEqual(storage.get('a', '__proto__'), { polluted: 'yes' });
      assert.deepEqual(storage.keys('a'), ['__proto__', 'constructor', 'obj']);
      const obj = storage.get('a', 'obj') as object;
      assert.equal(Object.getPrototypeOf(obj), Object.prototype, 'a "__proto__" key inside a value stays an own property');
      assert.deepEqual(Object.keys(obj), ['__proto__']);
      assert.equal(({} as Record<string, unknown>)['polluted'], undefined);
      assert.equal((Object.prototype as Record<string, unknown>)['polluted'], undefined);
    });

    it('one plugin using its full quota does not reduce another\'s', async () => {
      const small = new PluginStorage(store, { maxPluginBytes: 100 });
      await small.set('a', 'k', 'x'.repeat(90));
      await small.set('b', 'k', 'x'.repeat(90));
      assert.equal(small.usage('b').bytes, 95);
    });
  });

  describe('values', () => {
    class Thing {
      x = 1;
    }
    const withHole: unknown[] = [1];
    withHole[2] = 3;
    const cyclic: Record<string, unknown> = {};
    cyclic['self'] = cyclic;
    const shared = { s: 1 };
    let deep: unknown = 'bottom';
    for (let i = 0; i < MAX_VALUE_DEPTH + 1; i++) deep = [deep];
    const invalid: Array<[string, unknown, string]> = [
      ['undefined', undefined, 'undefined'],
      ['a function', () => 1, 'a function'],
      ['NaN', NaN, 'NaN'],
      ['Infinity', Infinity, 'Infinity'],
      ['-Infinity inside an array', [1, -Infinity], '-Infinity'],
      ['a BigInt', { n: 10n }, 'a BigInt'],
      ['a symbol', Symbol('s'), 'a symbol'],
      ['undefined inside an object', { a: undefined }, 'undefined'],
      ['a cycle', cyclic, 'the same object more than once (a cycle or a shared reference)'],
      ['a shared reference', { a: shared, b: shared }, 'the same object more than once (a cycle or a shared reference)'],
      ['a Date', new Date(0), 'an object that is not plain data (a Date)'],
      ['a Map', new Map(), 'an object that is not plain data (a Map)'],
      ['a class instance', new Thing(), 'an object that is not plain data (a Thing)'],
      ['an array with a hole', withHole, 'an array with holes or extra properties'],
      ['a getter', Object.defineProperty({}, 'g', { get: () => 1, enumerable: true }), 'a getter or setter'],
      ['a value nested too deep', deep, `nesting deeper than ${MAX_VALUE_DEPTH} levels`],
    ];
    for (const [label, value, found] of invalid) {
      it(`refuses ${label} and leaves the data unchanged`, async () => {
        await storage.set('a', 'k', 'original');
        const before = snapshot(store);
        await assert.rejects(
          storage.set('a', 'k', value),
          isStorageError(
            'invalid-value',
            `invalid storage value: only JSON data can be stored (strings, finite numbers, booleans, null, arrays and plain objects); found ${found}`,
          ),
        );
        assert.equal(snapshot(store), before);
      });
    }

    it('accepts every kind of JSON value, including a null-prototype object', async () => {
      const values: unknown[] = [null, true, 0, -1.5e300, '', 'text ✓', [], {}, [[[]]], { a: { b: [1, { c: null }] } }, Object.assign(Object.create(null), { z: 1 })];
      for (const [i, v] of values.entries()) await storage.set('a', `k${i}`, v);
      for (const [i, v] of values.entries()) assert.deepEqual(storage.get('a', `k${i}`), JSON.parse(JSON.stringify(v)));
    });

    it('accepts a value of exactly 64 KB of JSON and refuses one byte more', async () => {
      const max = DEFAULT_STORAGE_LIMITS.maxValueBytes;
      await storage.set('a', 'fits', 'x'.repeat(max - 2)); // two quote characters
      await storage.set('a', 'small', 'kept');
      const before = snapshot(store);
      await assert.rejects(
        storage.set('a', 'small', 'x'.repeat(max - 1)),
        isStorageError('value-too-large', 'storage value too large: one value may be at most 64 KB as JSON (this one is 65537 bytes); split it over several keys or store less'),
      );
      // counted in UTF-8 bytes, not characters: 32768 'é' are 65536 bytes, plus the quotes
      await assert.rejects(storage.set('a', 'small', 'é'.repeat(max / 2)), isStorageError('value-too-large', /this one is 65538 bytes/));
      assert.equal(snapshot(store), before);
      assert.equal(storage.get('a', 'small'), 'kept');
    });

    it('uses a configured per-value limit', async () => {
      const s = new PluginStorage(store, { maxValueBytes: 10 });
      await s.set('a', 'k', '12345678');
      await assert.rejects(s.set('a', 'k', '123456789'), isStorageError('value-too-large', /at most 10 bytes as JSON \(this one is 11 bytes\)/));
    });
  });

  describe('quota', () => {
    it('allows exactly the quota and refuses one byte more, naming the limit and the would-be usage', async () => {
      const s = new PluginStorage(store, { maxPluginBytes: 100 });
      await s.set('a', 'k1', 'x'.repeat(40)); // 4 + 42 = 46
      await s.set('a', 'k2', 'x'.repeat(48)); // 4 + 50 = 54 -> exactly 100
      assert.equal(s.usage('a').bytes, 100);
      const before = snapshot(store);
      await assert.rejects(
        s.set('a', 'k3', 1), // 4 + 1 = 105
        isStorageError('quota-exceeded', 'storage quota exceeded: this plugin may store at most 100 bytes (it would use 105 bytes); delete keys it no longer needs or store less'),
      );
      await assert.rejects(s.set('a', 'k2', 'x'.repeat(49)), isStorageError('quota-exceeded', /it would use 101 bytes/));
      assert.equal(snapshot(store), before);
      await s.set('a', 'k2', 'y'.repeat(48)); // same size: fine at the limit
      await s.delete('a', 'k1');
      await s.set('a', 'k3', 1); // room again after a delete
    });

    it('says "1 MB" and the would-be size with the default quota', async () => {
      const chunk = 'x'.repeat(60 * 1024);
      for (let i = 0; i < 17; i++) await storage.set('a', `k${i}`, chunk);
      const used = storage.usage('a').bytes;
      assert.ok(used <= 1024 * 1024);
      const wouldUse = used + Buffer.byteLength(JSON.stringify('k17')) + Buffer.byteLength(JSON.stringify(chunk));
      await assert.rejects(
        storage.set('a', 'k17', chunk),
        isStorageError('quota-exceeded', `storage quota exceeded: this plugin may store at most 1 MB (it would use ${formatBytes(wouldUse)}); delete keys it no longer needs or store less`),
      );
      assert.equal(formatBytes(wouldUse), '1.1 MB');
    });

    it('over a lowered quota, writes that shrink are allowed and writes that grow are not', async () => {
      await new PluginStorage(store).set('a', 'big', 'x'.repeat(200));
      const lowered = new PluginStorage(store, { maxPluginBytes: 100 });
      await assert.rejects(lowered.set('a', 'more', 1), isStorageError('quota-exceeded'));
      await lowered.set('a', 'big', 'x'.repeat(150)); // still over, but smaller than before
      assert.equal(lowered.get('a', 'big'), 'x'.repeat(150));
    });

    it('refuses invalid limits up front', () => {
      assert.throws(() => new PluginStorage(store, { maxPluginBytes: 0 }), /invalid storage limits: maxPluginBytes/);
      assert.throws(() => new PluginStorage(store, { maxKeyChars: 1.5 }), /invalid storage limits: maxKeyChars/);
      assert.throws(() => new PluginStorage(store, { maxValueBytes: -1 }), /invalid storage limits/);
    });
  });

  describe('store failures', () => {
    it('a failed store write rejects with store-failed and leaves the data as it was', async () => {
      await storage.set('a', 'k', 'before');
      const before = snapshot(store);
      store.fail = true;
      const expected = isStorageError('store-failed', 'storage could not be saved, so nothing was changed; try again later');
      await assert.rejects(storage.set('a', 'k', 'after'), expected);
      await assert.rejects(storage.delete('a', 'k'), expected);
      await assert.rejects(storage.clear('a'), expected);
      store.fail = false;
      assert.equal(snapshot(store), before);
      assert.equal(storage.get('a', 'k'), 'before');
    });

    it('a failed JsonFileStore write leaves memory and file unchanged', async () => {
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'storage-'));
      try {
        const file = path.join(dir, 'state.json');
        let failing = false;
        const jsonFs = {
          ...nodeJsonFileStoreFs,
          rename: async (from: string, to: string) => {
            if (failing) throw new Error('injected');
            return nodeJsonFileStoreFs.rename(from, to);
          },
        };
        const s = new PluginStorage(JsonFileStore.open(file, { fs: jsonFs }).store);
        await s.set('a', 'k', 1);
        const fileBefore = fs.readFileSync(file, 'utf8');
        failing = true;
        await assert.rejects(s.set('a', 'k', 2), isStorageError('store-failed'));
        assert.equal(s.get('a', 'k'), 1);
        assert.equal(fs.readFileSync(file, 'utf8'), fileBefore);
      } finally {
        fs.rmSync(dir, { recursive: true, force: true });
      }
    });

    it('unreadable stored data is reported, not guessed at, and clear() recovers', async () => {
      await store.update(storeKeyFor('a'), { not: 'pairs' });
      assert.throws(() => storage.get('a', 'k'), isStorageError('store-failed', "this plugin's stored data is unreadable; clear the plugin's storage to start over"));
      await assert.rejects(storage.set('a', 'k', 1), isStorageError('store-failed'));
      await storage.clear('a');
      await storage.set('a', 'k', 1);
      assert.equal(storage.get('a', 'k'), 1);
    });
  });

  describe('concurrency', () => {
    it('concurrent writes of one plugin are applied in call order, none lost', async () => {
      const slow = new SlowStore();
      const s = new PluginStorage(slow);
      const writes: Array<Promise<unknown>> = [];
      for (let i = 0; i < 30; i++) writes.push(s.set('a', `k${i}`, i));
      writes.push(s.set('a', 'last', 'first'), s.set('a', 'last', 'second'), s.delete('a', 'k0'));
      await Promise.all(writes);
      assert.deepEqual(s.keys('a'), [...Array.from({ length: 29 }, (_, i) => `k${i + 1}`), 'last']);
      assert.equal(s.get('a', 'last'), 'second');
    });

    it('the quota holds for concurrent writes (each is checked against the data before it)', async () => {
      const s = new PluginStorage(new SlowStore(), { maxPluginBytes: 100 });
      const results = await Promise.allSettled(Array.from({ length: 5 }, (_, i) => s.set('a', `k${i}`, 'x'.repeat(40))));
      assert.deepEqual(
        results.map((r) => r.status),
        ['fulfilled', 'fulfilled', 'rejected', 'rejected', 'rejected'],
      );
      assert.ok(s.usage('a').bytes <= 100);
    });
  });
});
