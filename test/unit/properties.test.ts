// Property tests (issue 7, fast-check): the manifest parser never throws and answers ok or problems, on arbitrary
// JSON and on mutations of valid manifests; the host's message validation (FromSandbox, and WorkerToHost inside
// a worker envelope) accepts every message of the protocol and rejects every single-field mutation of one
// (an extra key, a missing field, a value of the wrong type or out of its bounds).
// Seed and run count are printed; replay a failure with PLUGIN_RUNTIME_FC_SEED=<seed> (PLUGIN_RUNTIME_FC_RUNS=<n>).
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { fcSettings } from '../helpers/fastCheck';
import { FromSandbox, WorkerToHost } from '../../src/core/host/protocol';
import { API_VERSION, ManifestSchema, parseManifest } from '../../src/core/manifest';
import { PERMISSION_IDS } from '../../src/core/permissions';

const { seed, numRuns, replay } = fcSettings(1000);
const check = <T extends [unknown, ...unknown[]]>(property: fc.IProperty<T>): void => fc.assert(property, { seed, numRuns });

// ---------------------------------------------------------------------------------------------------------
// Manifests
// ---------------------------------------------------------------------------------------------------------

const word = fc.string({ unit: fc.constantFrom(...'abcdefghijklmnopqrstuvwxyz0123456789'.split('')), minLength: 1, maxLength: 8 });
const pluginName = fc.array(word, { minLength: 1, maxLength: 4 }).map((parts) => parts.join('-')).filter((n) => n.length <= 64);
const safeText = (max: number) =>
  fc.string({ unit: fc.constantFrom(...'Aa Zz09.,;:!?()-_\'"éßлд中✓'.split('')), minLength: 1, maxLength: Math.min(max, 40) });
const semver = fc.tuple(fc.nat(99), fc.nat(99), fc.nat(99), fc.option(word, { nil: undefined })).map(([a, b, c, pre]) => `${a}.${b}.${c}${pre ? `-${pre}` : ''}`);
const main = fc.oneof(fc.constant('index.js'), fc.tuple(word, word).map(([d, f]) => `${d}/${f}.js`), word.map((f) => `${f}.cjs`));
const permissions = fc.subarray([...PERMISSION_IDS]);

const validManifest = fc.record(
  {
    $schema: fc.constant('./plugin.schema.json'),
    name: pluginName,
    displayName: safeText(100),
    version: semver,
    description: safeText(500),
    publisher: safeText(100),
    apiVersion: fc.constant(API_VERSION),
    main,
    hooks: fc.constant(['transform']),
    permissions,
  },
  { requiredKeys: ['name', 'displayName', 'version', 'description', 'publisher', 'apiVersion', 'main', 'hooks'] },
);
const REQUIRED = ['name', 'displayName', 'version', 'description', 'publisher', 'apiVersion', 'main', 'hooks'] as const;
const MANIFEST_KEYS = new Set(['$schema', ...REQUIRED, 'permissions']);

/** parseManifest's contract: it never throws; ok carries a schema-valid manifest, otherwise non-empty problems. */
function assertWellFormedAnswer(json: unknown): ReturnType<typeof parseManifest> {
  const r = parseManifest(json);
  if (r.ok) {
    assert.equal(ManifestSchema.safeParse(r.value).success, true);
  } else {
    assert.ok(r.problems.length > 0, 'a refusal names at least one problem');
    for (const p of r.problems) assert.ok(typeof p === 'string' && p.length > 0 && !p.includes('\n'), `a problem is one readable line: ${JSON.stringify(p)}`);
  }
  return r;
}

describe(`properties ${replay}`, function () {
  this.timeout(120_000);
  before(() => console.log(`    fast-check: seed ${seed}, ${numRuns} runs per property (replay with PLUGIN_RUNTIME_FC_SEED=${seed})`));

  describe('manifest parser', () => {
    it('never throws on arbitrary JSON, and answers ok or problems', () => {
      check(fc.property(fc.jsonValue({ maxDepth: 4 }), (json) => void assertWellFormedAnswer(json)));
    });

    it('never throws on arbitrary objects that look like manifests (every known key, arbitrary values)', () => {
      const keyed = fc.dictionary(fc.constantFrom(...MANIFEST_KEYS, '__proto__', 'constructor', 'toString'), fc.jsonValue({ maxDepth: 3 }));
      check(fc.property(keyed, (json) => void assertWellFormedAnswer(JSON.parse(JSON.stringify(json)))));
    });

    it('accepts every valid manifest as it is (permissions default to [])', () => {
      check(
        fc.property(validManifest, (m) => {
          const r = assertWellFormedAnswer(m);
          assert.ok(r.ok, `refused a valid manifest: ${r.ok ? '' : r.problems.join('; ')}`);
          assert.deepEqual(r.value, { permissions: [], ...m });
        }),
      );
    });

    it('refuses a valid manifest missing any required field, naming the field', () => {
      check(
        fc.property(validManifest, fc.constantFrom(...REQUIRED), (m, key) => {
          const broken: Record<string, unknown> = { ...m };
          delete broken[key];
          const r = assertWellFormedAnswer(broken);
          assert.ok(!r.ok && r.problems.includes(`${key}: is required`), JSON.stringify(r));
        }),
      );
    });

    it('refuses a valid manifest with any unknown field, naming it (__proto__ from JSON.parse included)', () => {
      const unknownKey = fc.oneof(fc.string({ minLength: 1, maxLength: 12 }), fc.constantFrom('__proto__', 'constructor', 'prototype', 'Name', 'permission'));
      check(
        fc.property(validManifest, unknownKey.filter((k) => !MANIFEST_KEYS.has(k)), fc.jsonValue({ maxDepth: 2 }), (m, key, value) => {
          // Built through JSON.parse, as plugin.json is: "__proto__" becomes an own property, not a prototype.
          const json = JSON.parse(`{${JSON.stringify(key)}:${JSON.stringify(value)},${JSON.stringify(m).slice(1)}`) as unknown;
          const r = assertWellFormedAnswer(json);
          assert.ok(!r.ok && r.problems.some((p) => p.startsWith('(manifest): unknown field(s)') && p.includes(JSON.stringify(key))), JSON.stringify(r));
        }),
      );
    });

    it('never throws when any field of a valid manifest is replaced by arbitrary JSON, and a refusal names that field', () => {
      check(
        fc.property(validManifest, fc.constantFrom(...MANIFEST_KEYS), fc.jsonValue({ maxDepth: 3 }), (m, key, value) => {
          const r = assertWellFormedAnswer({ ...m, [key]: value });
          if (!r.ok) assert.ok(r.problems.some((p) => p.startsWith(key)), `${key}: ${JSON.stringify(r.problems)}`);
        }),
      );
    });

    it('refuses every apiVersion but the runtime\'s, and every main that leaves the folder', () => {
      check(
        fc.property(validManifest, fc.jsonValue().filter((v) => v !== API_VERSION), (m, v) => {
          const r = assertWellFormedAnswer({ ...m, apiVersion: v });
          assert.ok(!r.ok && r.problems.some((p) => p.startsWith('apiVersion: ')));
        }),
      );
      check(
        fc.property(validManifest, fc.array(fc.constantFrom('..', 'a', '.', 'b'), { minLength: 1, maxLength: 4 }), fc.constantFrom('/', '\\'), (m, parts, sep) => {
          const r = assertWellFormedAnswer({ ...m, main: [...parts, '..', 'x.js'].join(sep) });
          assert.ok(!r.ok && r.problems.includes('main: must not contain ".." (it must stay inside the plugin folder)'), JSON.stringify(r));
        }),
      );
    });
  });

  describe('host message validation', () => {
    it('accepts every valid worker → host message exactly as sent', () => {
      check(
        fc.property(workerMessage, (m) => {
          const parsed = WorkerToHost.safeParse(m);
          assert.ok(parsed.success, JSON.stringify(m));
          assert.deepEqual(parsed.data, m);
        }),
      );
    });

    it('rejects every single-field mutation of a worker → host message', () => {
      check(fc.property(mutated(WORKER_SPECS), ({ message, how }) => assert.equal(WorkerToHost.safeParse(message).success, false, `accepted (${how}): ${JSON.stringify(message)}`)));
    });

    it('accepts every valid sandbox → host frame (a worker envelope is checked inside too)', () => {
      check(
        fc.property(sandboxFrame, (f) => {
          assert.ok(hostAccepts(f), JSON.stringify(f));
          assert.deepEqual(FromSandbox.parse(f), f);
        }),
      );
    });

    it('rejects every single-field mutation of a sandbox → host frame', () => {
      check(fc.property(mutated(SANDBOX_SPECS), ({ message, how }) => assert.equal(hostAccepts(message), false, `accepted (${how}): ${JSON.stringify(message).slice(0, 300)}`)));
    });

    it('rejects arbitrary JSON that is not shaped like a message', () => {
      check(
        fc.property(fc.jsonValue({ maxDepth: 3 }), (v) => {
          const shaped = v !== null && typeof v === 'object' && !Array.isArray(v) && ('type' in v || 'kind' in v);
          if (!shaped) {
            assert.equal(WorkerToHost.safeParse(v).success, false);
            assert.equal(hostAccepts(v), false);
          }
        }),
      );
    });
  });
});

// ---------------------------------------------------------------------------------------------------------
// Message generators: each field has a generator of valid values and one of invalid values
// ---------------------------------------------------------------------------------------------------------

interface Field {
  valid: fc.Arbitrary<unknown>;
  invalid: fc.Arbitrary<unknown>;
}
type Spec = Record<string, Field>;

const notA = (...types: Array<'string' | 'number' | 'boolean' | 'null' | 'array' | 'object'>): fc.Arbitrary<unknown> => {
  const all: Record<string, fc.Arbitrary<unknown>> = {
    string: fc.string({ maxLength: 8 }),
    number: fc.oneof(fc.integer(), fc.double({ noNaN: true, noDefaultInfinity: true })),
    boolean: fc.boolean(),
    null: fc.constant(null),
    array: fc.array(fc.jsonValue({ maxDepth: 1 }), { maxLength: 3 }),
    object: fc.dictionary(fc.string({ maxLength: 5 }), fc.jsonValue({ maxDepth: 1 }), { maxKeys: 3 }),
  };
  return fc.oneof(...Object.entries(all).filter(([k]) => !types.includes(k as never)).map(([, a]) => a));
};
const literal = (value: string): Field => ({ valid: fc.constant(value), invalid: fc.oneof(fc.string({ maxLength: 10 }).filter((s) => s !== value), notA('string')) });
const oneOf = (values: string[]): Field => ({ valid: fc.constantFrom(...values), invalid: fc.oneof(fc.string({ maxLength: 12 }).filter((s) => !values.includes(s)), notA('string')) });
const int = (min: number, max: number): Field => ({
  valid: fc.oneof(fc.integer({ min, max: Math.min(max, 2 ** 31) }), fc.constantFrom(min, max)),
  invalid: fc.oneof(
    ...(min > Number.MIN_SAFE_INTEGER ? [fc.integer({ min: -(2 ** 31), max: min - 1 })] : []),
    ...(max < Number.MAX_SAFE_INTEGER ? [fc.integer({ min: max + 1, max: max + 2 ** 20 })] : [fc.constant(2 ** 53), fc.constant(1e300)]),
    fc.double({ min: min + 0.01, max: Math.min(max, 1e6) - 0.01, noNaN: true }).filter((d) => !Number.isInteger(d)),
    notA('number'),
  ),
});
const str = (max: number): Field => ({
  valid: fc.oneof(fc.string({ maxLength: Math.min(max, 30) }), fc.constant('x'.repeat(max))),
  invalid: fc.oneof(fc.integer({ min: max + 1, max: max + 50 }).map((n) => 'y'.repeat(n)), notA('string')),
});
const bool: Field = { valid: fc.boolean(), invalid: notA('boolean') };
const nonNegative: Field = { valid: fc.oneof(fc.nat(), fc.double({ min: 0, max: 1e12, noNaN: true })), invalid: fc.oneof(fc.double({ max: -0.001, min: -1e12, noNaN: true }), notA('number')) };
const requestId = int(1, Number.MAX_SAFE_INTEGER);
const callId = int(0, 1_000_000);
const generation = int(0, Number.MAX_SAFE_INTEGER);
const pluginNameField: Field = {
  valid: pluginName,
  invalid: fc.oneof(
    fc.constantFrom('', 'Good', 'a--b', '-a', 'a-', '../x', 'a/b', 'a b', 'x'.repeat(65), '__proto__'),
    notA('string'),
  ),
};
const jsonValue = fc.jsonValue({ maxDepth: 2 });
const output: Field = {
  valid: fc.oneof(
    fc.string({ maxLength: 30 }),
    fc.record({ text: fc.string({ maxLength: 20 }) }),
    fc.record({ invalid: fc.string({ maxLength: 40 }) }),
    fc.record({ tooLarge: fc.nat() }),
  ),
  invalid: fc.oneof(
    notA('string', 'object'),
    fc.record({ text: notA('string') }),
    fc.record({ text: fc.string(), extra: jsonValue }),
    fc.record({ invalid: fc.constant('z'.repeat(501)) }),
    fc.record({ tooLarge: fc.integer({ min: -1000, max: -1 }) }),
    fc.constant({}),
  ),
};
const args: Field = {
  valid: fc.array(jsonValue, { maxLength: 4 }),
  invalid: fc.oneof(fc.array(jsonValue, { minLength: 5, maxLength: 8 }), notA('array')),
};

const WORKER_SPECS: Record<string, Spec> = {
  result: { type: literal('result'), requestId, output },
  error: { type: literal('error'), requestId, message: str(4096), stack: str(4096) },
  api: { type: literal('api'), requestId, callId, method: str(64), args },
};

/** A message as it arrives: through JSON (plain prototypes, no -0, no undefined). */
const fromSpec = (spec: Spec): fc.Arbitrary<Record<string, unknown>> =>
  fc.record(Object.fromEntries(Object.entries(spec).map(([k, f]) => [k, f.valid]))).map((m) => JSON.parse(JSON.stringify(m)) as Record<string, unknown>);
const workerMessage = fc.oneof(...Object.values(WORKER_SPECS).map(fromSpec));

const envelopeMessage: Field = {
  valid: workerMessage,
  // Anything the worker schema refuses: a mutated worker message, or arbitrary JSON without a known type.
  invalid: fc.oneof(
    mutatedOf(WORKER_SPECS).map((m) => m.message),
    jsonValue.filter((v) => !WorkerToHost.safeParse(v).success),
  ),
};

const SANDBOX_SPECS: Record<string, Spec> = {
  ready: { kind: literal('ready'), pid: { valid: fc.integer(), invalid: fc.oneof(fc.double({ noNaN: true, noDefaultInfinity: true }).filter((d) => !Number.isInteger(d)), notA('number')) }, permissionModel: bool, node: str(64) },
  loaded: { kind: literal('loaded'), plugin: pluginNameField, generation },
  worker: { kind: literal('worker'), plugin: pluginNameField, generation, message: envelopeMessage },
  limit: {
    kind: literal('limit'),
    plugin: pluginNameField,
    generation,
    requestId: { valid: fc.oneof(requestId.valid, fc.constant(null)), invalid: requestId.invalid.filter((v) => v !== null) },
    limit: oneOf(['memory', 'output-too-large', 'protocol-violation']),
    detail: str(1000),
  },
  usage: { kind: literal('usage'), plugin: pluginNameField, generation, requestId, heapUsedBytes: nonNegative, offHeapBytes: nonNegative },
  'worker-exit': { kind: literal('worker-exit'), plugin: pluginNameField, generation, reason: oneOf(['memory', 'crashed', 'terminated']), detail: str(1000) },
};
const sandboxFrame = fc.oneof(...Object.values(SANDBOX_SPECS).map(fromSpec));

/** What the host accepts from the sandbox: a FromSandbox frame, and inside a worker envelope a WorkerToHost message. */
function hostAccepts(frame: unknown): boolean {
  const outer = FromSandbox.safeParse(frame);
  if (!outer.success) return false;
  return outer.data.kind !== 'worker' || WorkerToHost.safeParse(outer.data.message).success;
}

/** A valid message of one of `specs` with exactly one thing wrong, and a description of what. */
function mutatedOf(specs: Record<string, Spec>): fc.Arbitrary<{ message: Record<string, unknown>; how: string }> {
  return fc.oneof(
    ...Object.values(specs).map((spec) => {
      const keys = Object.keys(spec);
      const base = fromSpec(spec);
      const extraKey = fc
        .tuple(base, fc.oneof(fc.string({ minLength: 1, maxLength: 8 }), fc.constantFrom('__proto__', 'constructor', 'then')).filter((k) => !keys.includes(k)), jsonValue)
        .map(([m, k, v]) => ({ message: JSON.parse(`{${JSON.stringify(k)}:${JSON.stringify(v)},${JSON.stringify(m).slice(1)}`) as Record<string, unknown>, how: `extra key ${k}` }));
      const missing = fc.tuple(base, fc.constantFrom(...keys)).map(([m, k]) => {
        const copy = { ...m };
        delete copy[k];
        return { message: copy, how: `missing ${k}` };
      });
      const wrong = fc.constantFrom(...keys).chain((k) => fc.tuple(base, spec[k]!.invalid).map(([m, v]) => ({ message: { ...m, [k]: v }, how: `invalid ${k}` })));
      return fc.oneof(extraKey, missing, wrong);
    }),
  );
}
function mutated(specs: Record<string, Spec>) {
  return mutatedOf(specs);
}
