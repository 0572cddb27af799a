// Property tests for PluginStorage scoping: for any two distinct valid plugin names and any keys, plugin A never
// reads, lists, changes or deletes B's values; and random operation sequences agree with a simple model.
// Replay a failure with PLUGIN_RUNTIME_FC_SEED=<seed>.
import * as assert from 'node:assert/strict';
import fc from 'fast-check';
import { fcSettings } from '../helpers/fastCheck';
import { PluginStorage, storeKeyFor } from '../../src/core/storage';
import { MemoryStore } from '../../src/core/store';

const { seed, numRuns, replay } = fcSettings(200);
const settings = { seed, numRuns };

const pluginName = fc.oneof(
  fc.constantFrom('a', 'b', 'a-b', 'ab', 'a-b-c', 'b-a', 'constructor', 'proto', 'x'.repeat(64)),
  fc.stringMatching(/^[a-z0-9]{1,8}(-[a-z0-9]{1,8}){0,3}$/),
);
const twoPlugins = fc.tuple(pluginName, pluginName).filter(([a, b]) => a !== b);

/** Keys that try to escape a scope, as seen from plugin `a` aiming at plugin `b`. */
const trickyKeys = (a: string, b: string) => [
  '__proto__', 'constructor', 'prototype', 'toString', 'hasOwnProperty', 'valueOf', '__defineGetter__',
  b, `../${b}`, `../../${b}`, `/${b}`, `${b}/`, storeKeyFor(b), `${storeKeyFor(a)}/../${b}`, `pluginRuntime.storage/`, '..', '.', '*', 'x'.repeat(256),
];
const anyKey = fc.string({ unit: 'binary', minLength: 1, maxLength: 256 });

describe(`PluginStorage scoping properties ${replay}`, () => {
  it(`plugin A never reads, lists, changes or deletes plugin B's values, whatever the keys`, async () => {
    await fc.assert(
      fc.asyncProperty(twoPlugins, fc.uniqueArray(anyKey, { maxLength: 8 }), fc.uniqueArray(anyKey, { maxLength: 8 }), async ([a, b], randomKeysOfB, keysOfA) => {
        const store = new MemoryStore();
        const storage = new PluginStorage(store);
        const keysOfB = [...new Set([...randomKeysOfB, ...trickyKeys(a, b)])];
        for (const k of keysOfB) await storage.set(b, k, { owner: b, key: k });
        const bBefore = JSON.stringify(store.get(storeKeyFor(b)));

        // A looks for B's keys before it stored anything: nothing.
        for (const k of keysOfB) assert.equal(storage.get(a, k), undefined, `a read b's ${JSON.stringify(k)}`);
        assert.deepEqual(storage.keys(a), []);
        assert.deepEqual(storage.usage(a), { bytes: 0, keys: 0 });

        // A deletes every key B has: nothing of B's goes.
        for (const k of keysOfB) assert.equal(await storage.delete(a, k), false);

        // A writes its own keys (some equal to B's), then clears: B is untouched throughout.
        for (const k of [...keysOfA, ...keysOfB.slice(0, 4)]) await storage.set(a, k, { owner: a });
        for (const k of keysOfB) {
          const seen = storage.get(a, k) as { owner?: string } | undefined;
          assert.notEqual(seen?.owner, b, `a saw b's value under ${JSON.stringify(k)}`);
        }
        assert.ok(storage.keys(a).every((k) => keysOfA.includes(k) || keysOfB.slice(0, 4).includes(k)));
        await storage.clear(a);

        assert.equal(JSON.stringify(store.get(storeKeyFor(b))), bBefore, "b's stored data changed");
        for (const k of keysOfB) assert.deepEqual(storage.get(b, k), { owner: b, key: k });
        assert.deepEqual(store.keys(), [storeKeyFor(b)], 'a left nothing behind, and nothing else was written');
        assert.equal(({} as Record<string, unknown>)['owner'], undefined, 'no prototype was polluted');
      }),
      settings,
    );
  });

  type Op = { kind: 'set'; p: 0 | 1; key: string; value: unknown } | { kind: 'delete'; p: 0 | 1; key: string } | { kind: 'clear'; p: 0 | 1 };
  const keyPool = fc.oneof(fc.constantFrom('__proto__', 'constructor', 'k', 'b', '../a', 'pluginRuntime.storage/a'), anyKey);
  const side = fc.constantFrom<0 | 1>(0, 1);
  const op: fc.Arbitrary<Op> = fc.oneof(
    { weight: 5, arbitrary: fc.record({ kind: fc.constant('set' as const), p: side, key: keyPool, value: fc.jsonValue({ maxDepth: 3 }) }) },
    { weight: 3, arbitrary: fc.record({ kind: fc.constant('delete' as const), p: side, key: keyPool }) },
    { weight: 1, arbitrary: fc.record({ kind: fc.constant('clear' as const), p: side }) },
  );

  it(`random operations on two plugins agree with one Map per plugin`, async () => {
    await fc.assert(
      fc.asyncProperty(twoPlugins, fc.array(op, { maxLength: 40 }), async (plugins, ops) => {
        const storage = new PluginStorage(new MemoryStore());
        const model = [new Map<string, unknown>(), new Map<string, unknown>()] as const;
        for (const o of ops) {
          const name = plugins[o.p];
          const m = model[o.p];
          if (o.kind === 'set') {
            await storage.set(name, o.key, o.value);
            m.set(o.key, JSON.parse(JSON.stringify(o.value)));
          } else if (o.kind === 'delete') {
            assert.equal(await storage.delete(name, o.key), m.delete(o.key));
          } else {
            await storage.clear(name);
            m.clear();
          }
          for (const i of [0, 1] as const) {
            assert.deepEqual(storage.keys(plugins[i]), [...model[i].keys()]);
            for (const [k, v] of model[i]) assert.deepEqual(storage.get(plugins[i], k), v);
          }
        }
      }),
      settings,
    );
  });
});
