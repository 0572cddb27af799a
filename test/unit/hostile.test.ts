// The hostile corpus (issue 7): one fixture plugin per attack in test/fixtures/hostile/, each run through a
// real PluginHost and sandbox process, with the exact outcome that stops it, and the host healthy afterwards
// (a well-behaved plugin answers through the same host; this process's RSS is back near its baseline).
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { ErrorKind } from '../../src/core/errors';
import type { LimitsOverride } from '../../src/core/limits';
import type { PermissionId } from '../../src/core/permissions';
import { removeTempDirs, writePlugin } from '../helpers/host';
import {
  assertHealthy,
  failed,
  HOSTILE_DIR,
  input,
  loadHostile,
  loadProblems,
  makeHostileHost,
  pluginLines,
  runtimeLines,
  shape,
  succeeded,
  warmBaselineMb,
  type HostileHost,
  type Shape,
} from '../helpers/hostile';

/** Time limits: short where a row only needs to see a timeout, long where the memory defence must win. */
const QUICK = { timeoutMs: 150 } as const;
const NORMAL = { timeoutMs: 2000 } as const;
const MEMORY = { timeoutMs: 20_000 } as const;

const CODEGEN_OFF = 'EvalError: Code generation from strings disallowed for this context';
const NOTHING_LEAKED = "TypeError: Cannot read properties of undefined (reading 'constructor')";
const NO_CALLER = "TypeError: Cannot read properties of null (reading 'constructor')";
const OFF_HEAP_CAP = 'more than 67108864 bytes of memory outside the heap (ArrayBuffers, typed arrays, Intl objects)';
const HEAP_LIMIT = "the plugin's heap reached its 64 MB limit";
const PROCESS_OOM = 'A plugin ran the sandbox process out of memory; the process was restarted.';

interface Row {
  fixture: string;
  grants?: PermissionId[];
  limits?: LimitsOverride;
  text?: string;
  expect: Shape;
  /** Further checks on the same host after the attack (logs, storage, …). */
  then?: (t: HostileHost) => void | Promise<void>;
}

const err = (kind: ErrorKind, detail?: string, limits: LimitsOverride = NORMAL) => failed(kind, detail, limits);
const threw = (detail: string) => err('plugin-error', detail);
const timedOut = () => failed('timeout', undefined, QUICK);

/** The authority wall: nothing of the worker's realm (or the host's) is reachable from plugin code. */
const AUTHORITY: Row[] = [
  { fixture: 'ctor-chain-input', expect: threw(CODEGEN_OFF) },
  { fixture: 'ctor-chain-input-text', expect: threw(CODEGEN_OFF) },
  { fixture: 'ctor-chain-api', expect: threw(CODEGEN_OFF) },
  { fixture: 'ctor-chain-api-log', expect: threw(CODEGEN_OFF) },
  { fixture: 'ctor-chain-storage-fn', grants: ['read:data'], expect: threw(CODEGEN_OFF) },
  { fixture: 'ctor-chain-storage-promise', grants: ['read:data'], expect: threw(CODEGEN_OFF) },
  { fixture: 'ctor-chain-storage-value', grants: ['read:data', 'write:data'], expect: threw(CODEGEN_OFF) },
  {
    fixture: 'ctor-chain-denied-error',
    expect: err('permission-denied', `It needs "read:data", which was not granted, and did not handle the denial (${CODEGEN_OFF}).`),
  },
  { fixture: 'ctor-chain-storage-error', grants: ['write:data'], expect: threw(CODEGEN_OFF) },
  { fixture: 'ctor-chain-bridge-error', grants: ['write:data'], expect: threw(CODEGEN_OFF) },
  { fixture: 'ctor-chain-this', expect: threw(CODEGEN_OFF) },
  { fixture: 'ctor-chain-global', expect: threw(CODEGEN_OFF) },
  { fixture: 'global-descriptors', expect: threw(NOTHING_LEAKED) },
  { fixture: 'eval-code-generation', expect: threw(CODEGEN_OFF) },
  { fixture: 'function-code-generation', expect: threw(CODEGEN_OFF) },
  { fixture: 'async-function-code-generation', expect: threw(CODEGEN_OFF) },
  { fixture: 'wasm-compile', expect: threw('ReferenceError: WebAssembly is not defined') },
  { fixture: 'wasm-memory', expect: threw('ReferenceError: WebAssembly is not defined') },
  { fixture: 'prepare-stack-trace', expect: threw("TypeError: Cannot read properties of undefined (reading 'map')") },
  { fixture: 'capture-stack-trace', expect: threw("TypeError: Cannot read properties of undefined (reading 'split')") },
  {
    fixture: 'stack-trace-limit-reset',
    expect: threw("TypeError: Cannot assign to read only property 'stackTraceLimit' of function 'function Error() { [native code] }'"),
  },
  { fixture: 'symbol-name-stack', expect: threw(NOTHING_LEAKED) },
  { fixture: 'proxy-name-stack', expect: threw(NOTHING_LEAKED) },
  { fixture: 'stack-overflow-in-formatting', expect: threw(NOTHING_LEAKED) },
  { fixture: 'inspect-custom-result', expect: succeeded('plain') },
  { fixture: 'inspect-custom-throw', expect: threw('a value that is not an Error was thrown') },
  { fixture: 'inspect-custom-unhandled-rejection', grants: ['read:data'], expect: succeeded('left a rejection behind') },
  // Found by this corpus: a getter on Object.prototype ran inside the bridge's delivery of an API answer and
  // threw out of it into the worker, whose crash handler util.inspect()ed the value and handed its custom
  // inspector the worker realm's `inspect` (worker-crashed, and `process` when code generation is allowed).
  { fixture: 'proto-getter-api-error', grants: ['read:data'], expect: threw(NOTHING_LEAKED) },
  { fixture: 'proto-getter-api-result', grants: ['read:data'], expect: threw(NOTHING_LEAKED) },
  // Only `then` (is it a thenable?) and `text` are read, inside the plugin's realm.
  { fixture: 'proxy-result', expect: succeeded('asked for: then,text') },
  { fixture: 'revoked-proxy-result', expect: threw("TypeError: Cannot perform 'get' on a proxy that has been revoked") },
  { fixture: 'thenable-result', expect: threw(CODEGEN_OFF) },
  { fixture: 'thenable-chain', expect: succeeded('resolved after 50 thenables') },
  // `text` is read exactly once: what is measured is what is sent.
  { fixture: 'getter-text-toctou', expect: succeeded('small') },
  { fixture: 'tojson-output', expect: succeeded('real') },
  { fixture: 'polluted-tojson', expect: succeeded('real') },
  // The pollution can only change the plugin's own message into something the host refuses.
  {
    fixture: 'polluted-array-tojson',
    grants: ['read:data'],
    expect: err('protocol-violation', 'The sandbox sent a malformed message: Invalid input: expected array, received string.'),
  },
  { fixture: 'callee-caller', expect: threw(NO_CALLER) },
  { fixture: 'getter-caller', expect: threw(NO_CALLER) },
];

/** The resource wall: time, heap, memory outside the heap, blocking primitives. */
const RESOURCES: Row[] = [
  { fixture: 'sync-loop', limits: QUICK, expect: timedOut() },
  { fixture: 'top-level-loop', limits: QUICK, expect: timedOut() },
  { fixture: 'microtask-loop', limits: QUICK, expect: timedOut() },
  { fixture: 'never-settles', limits: QUICK, expect: timedOut() },
  { fixture: 'catastrophic-regex', limits: QUICK, expect: timedOut() },
  { fixture: 'recursion-catch-loop', limits: QUICK, expect: timedOut() },
  { fixture: 'deep-recursion', expect: threw('RangeError: Maximum call stack size exceeded') },
  { fixture: 'atomics-wait', expect: threw('ReferenceError: Atomics is not defined') },
  { fixture: 'shared-array-buffer', expect: threw('ReferenceError: SharedArrayBuffer is not defined') },
  { fixture: 'finalization-registry', expect: threw('ReferenceError: FinalizationRegistry is not defined') },
  // DESIGN.md's measurements: each ends as a `memory` failure of that plugin, never of the test process.
  { fixture: 'heap-array-fill', limits: MEMORY, expect: err('memory', PROCESS_OOM, MEMORY) },
  { fixture: 'heap-json-stringify', limits: MEMORY, expect: err('memory', HEAP_LIMIT, MEMORY) },
  { fixture: 'heap-objects', limits: MEMORY, expect: err('memory', HEAP_LIMIT, MEMORY) },
  { fixture: 'string-bomb', limits: MEMORY, expect: err('memory', HEAP_LIMIT, MEMORY) },
  // Refused by the realm's string-builder cap before V8 would even try (it is longer than the heap).
  { fixture: 'string-repeat-bomb', expect: err('memory', 'a string longer than its 64 MB heap') },
  { fixture: 'typed-array-bomb', limits: MEMORY, expect: err('memory', OFF_HEAP_CAP, MEMORY) },
  { fixture: 'typed-array-caught', limits: MEMORY, expect: err('memory', OFF_HEAP_CAP, MEMORY) },
  { fixture: 'arraybuffer-bomb', limits: MEMORY, expect: err('memory', OFF_HEAP_CAP, MEMORY) },
  { fixture: 'resizable-arraybuffer', limits: MEMORY, expect: err('memory', OFF_HEAP_CAP, MEMORY) },
  { fixture: 'arraybuffer-slice', limits: MEMORY, expect: err('memory', OFF_HEAP_CAP, MEMORY) },
  { fixture: 'arraybuffer-slice-species', limits: MEMORY, expect: err('memory', OFF_HEAP_CAP, MEMORY) },
  { fixture: 'typed-array-from', limits: MEMORY, expect: err('memory', OFF_HEAP_CAP, MEMORY) },
  { fixture: 'typed-array-map', limits: MEMORY, expect: err('memory', OFF_HEAP_CAP, MEMORY) },
  { fixture: 'typed-array-copying-methods', limits: MEMORY, expect: err('memory', OFF_HEAP_CAP, MEMORY) },
  { fixture: 'typed-array-species', limits: MEMORY, expect: err('memory', OFF_HEAP_CAP, MEMORY) },
  { fixture: 'typed-array-copy-constructor', limits: MEMORY, expect: err('memory', OFF_HEAP_CAP, MEMORY) },
  { fixture: 'typed-array-of-intrinsic', expect: threw('RangeError: Invalid array length') },
  // An object is an array-like of length 0 to a typed-array constructor; valueOf is never consulted.
  { fixture: 'typed-array-valueof-length', expect: succeeded('0:0') },
  // Found by this corpus: ICU memory of Intl objects is outside the V8 heap (invisible to its limit) and was
  // outside the realm's cap; only the sandbox's RSS watchdog (2 GB by default) stopped it.
  { fixture: 'intl-bomb', limits: MEMORY, expect: err('memory', OFF_HEAP_CAP, MEMORY) },
  { fixture: 'intl-segments-bomb', limits: MEMORY, expect: err('memory', OFF_HEAP_CAP, MEMORY) },
];

/** Output abuse: the realm describes, the sandbox and the host measure; nothing oversized reaches the caller. */
const OUTPUT: Row[] = [
  { fixture: 'output-over-limit', expect: err('output-too-large') },
  { fixture: 'output-multibyte-over-limit', expect: err('output-too-large', 'the output exceeds the limit') },
  { fixture: 'output-wrapped-over-limit', expect: err('output-too-large') },
  { fixture: 'output-number', expect: err('invalid-output', 'It returned a number.') },
  { fixture: 'output-cyclic', expect: err('invalid-output', 'It returned an object whose "text" is an object.') },
  { fixture: 'output-huge-keys', expect: err('invalid-output', 'It returned an object whose "text" is undefined.') },
  { fixture: 'output-array', expect: err('invalid-output', 'It returned an object whose "text" is undefined.') },
  { fixture: 'output-symbol', expect: err('invalid-output', 'It returned a symbol.') },
  { fixture: 'output-lone-surrogate', expect: succeeded('a\ud800b') },
];

/** Log abuse: rate limit, truncation, control characters, secrets. */
const LOGS: Row[] = [
  {
    fixture: 'log-flood',
    expect: succeeded('flooded'),
    then: (t) => {
      // The realm forwards 200 entries and a count of the 800 it dropped, which the host reports as its own
      // note (outside the plugin's limit); the host admits 100 of the 200 and reports the other 100 at flush.
      assert.deepEqual(pluginLines(t.logs, 'log-flood'), Array.from({ length: 100 }, (_, i) => `entry ${i}`));
      t.logger.flush();
      assert.deepEqual(runtimeLines(t.logs, 'log-flood'), [
        '800 more log entries from one invocation were dropped in the sandbox (at most 200 per invocation reach the log limiter)',
        '100 log entries dropped (limit: 100 per minute)',
      ]);
    },
  },
  {
    fixture: 'log-huge-entry',
    expect: succeeded('logged'),
    then: (t) => assert.deepEqual(pluginLines(t.logs, 'log-huge-entry'), ['x'.repeat(2024) + '… [truncated 6168 chars]']),
  },
  {
    fixture: 'log-injection',
    expect: succeeded('logged'),
    then: (t) => assert.deepEqual(pluginLines(t.logs, 'log-injection'), ['done⏎[runtime] error other-plugin: failed (memory)⏎REDevil']),
  },
  {
    fixture: 'log-secrets',
    expect: succeeded('logged'),
    then: (t) => assert.deepEqual(pluginLines(t.logs, 'log-secrets'), ['aws [REDACTED:aws-key] gh [REDACTED:github-token] password=[REDACTED]']),
  },
  {
    fixture: 'log-hostile-values',
    expect: succeeded('logged'),
    then: (t) => assert.deepEqual(pluginLines(t.logs, 'log-hostile-values'), ['[an object] 10 Symbol() [an object]']),
  },
];

const INVALID_KEY = (got: string) => `invalid storage key: a key must be a string of 1 to 256 characters (got ${got})`;

/** Storage abuse: grants, quotas, and keys that try to leave the plugin's scope. */
const STORAGE: Row[] = [
  {
    fixture: 'storage-no-grant',
    grants: [],
    expect: err('permission-denied', 'It needs "write:data", which was not granted, and did not handle the denial (Error: permission denied: this plugin was not granted "write:data").'),
    then: (t) => assert.deepEqual(t.store.keys(), []),
  },
  {
    fixture: 'storage-quota',
    grants: ['read:data', 'write:data'],
    expect: succeeded('17: storage quota exceeded: this plugin may store at most 1 MB (it would use 1.1 MB); delete keys it no longer needs or store less'),
    then: (t) => assert.equal(t.storage.keys('storage-quota').length, 17, 'the refused write changed nothing'),
  },
  {
    fixture: 'storage-value-too-large',
    grants: ['write:data'],
    expect: succeeded('storage value too large: one value may be at most 64 KB as JSON (this one is 200 KB); split it over several keys or store less'),
  },
  {
    fixture: 'storage-hostile-keys',
    grants: ['read:data', 'write:data'],
    expect: succeeded(
      '8 keys; "owned:__proto__" "owned:constructor" "owned:prototype" "owned:toString" "owned:../victim/secret" "owned:victim" ' +
        `"owned:victim/secret" "owned:pluginRuntime.storage/victim" "${INVALID_KEY('an empty string')}"`,
    ),
    then: (t) => {
      assert.deepEqual([...t.store.keys()].sort(), ['pluginRuntime.storage/storage-hostile-keys', 'pluginRuntime.storage/victim']);
      assert.deepEqual(t.storage.keys('victim'), ['secret']);
      assert.equal(t.storage.get('victim', 'secret'), 'the victim\'s secret');
      assert.equal(({} as Record<string, unknown>)['owned'], undefined);
      assert.equal(Object.getPrototypeOf({}), Object.prototype);
    },
  },
  {
    fixture: 'storage-read-other',
    grants: ['read:data'],
    expect: succeeded(
      'secret=undefined ../victim/secret=undefined victim/secret=undefined victim:secret=undefined ' +
        'pluginRuntime.storage/victim=undefined /victim/secret=undefined ..\\victim\\secret=undefined',
    ),
  },
  {
    fixture: 'storage-non-string-keys',
    grants: ['write:data'],
    expect: succeeded([INVALID_KEY('a number'), INVALID_KEY('an object'), INVALID_KEY('an array'), INVALID_KEY('null'), INVALID_KEY('300 characters')].join(' | ')),
  },
  {
    fixture: 'storage-hostile-values',
    grants: ['read:data', 'write:data'],
    expect: succeeded(
      [
        'Plugin Runtime: storage values must be JSON; use storage.delete(key) to remove a key',
        'stored null', // a function serialises as null in an array, like JSON.stringify([f])
        'Plugin Runtime: storage keys and values must be JSON-serialisable',
        'Plugin Runtime: storage keys and values must be JSON-serialisable',
        'stored null',
      ].join(' | '),
    ),
  },
  {
    fixture: 'api-call-flood',
    grants: ['read:data'],
    expect: succeeded('ok / Plugin Runtime: at most 10000 API calls per invocation'),
  },
];

describe('hostile corpus (test/fixtures/hostile)', function () {
  this.timeout(60_000);
  let baselineMb = 0;
  let t: HostileHost | undefined;

  before(async () => {
    baselineMb = await warmBaselineMb();
  });
  afterEach(async () => {
    await t?.host.dispose();
    t = undefined;
  });
  after(() => removeTempDirs());

  async function run(row: Row): Promise<void> {
    t = makeHostileHost({ limits: row.limits ?? NORMAL, grants: row.grants ?? loadHostile(row.fixture).manifest.permissions });
    if (row.fixture === 'storage-hostile-keys' || row.fixture === 'storage-read-other') {
      await t.storage.set('victim', 'secret', "the victim's secret");
    }
    const r = await t.host.invoke(loadHostile(row.fixture), 'transform', input(row.text ?? ''));
    assert.deepEqual(shape(r), row.expect);
    await row.then?.(t);
    await assertHealthy(t, baselineMb);
  }

  for (const [title, rows] of [
    ['authority wall: escapes', AUTHORITY],
    ['resource wall: exhaustion', RESOURCES],
    ['output abuse', OUTPUT],
    ['log abuse', LOGS],
    ['storage abuse', STORAGE],
  ] as const) {
    describe(title, () => {
      for (const row of rows) {
        const how = row.expect.ok ? `answers ${JSON.stringify(row.expect.output.slice(0, 40))}` : `${row.expect.kind}${row.expect.detail ? `: ${row.expect.detail.slice(0, 70)}` : ''}`;
        it(`${row.fixture} → ${how}`, () => run(row));
      }
    });
  }

  describe('dynamic import(): refused at load', () => {
    const refused = (line: number, column: number) => [
      `main (index.js:${line}:${column}): dynamic import() is not allowed in plugins: bundle dependencies into the script at build time instead`,
    ];
    it('dynamic-import', () => assert.deepEqual(loadProblems('dynamic-import'), refused(5, 13)));
    it('dynamic-import-comment (a comment between import and the parenthesis)', () => assert.deepEqual(loadProblems('dynamic-import-comment'), refused(4, 22)));
    it('dynamic-import-html-comment (an Annex B HTML comment before it)', () => assert.deepEqual(loadProblems('dynamic-import-html-comment'), refused(6, 25)));

    it('with the load check bypassed, the rejection is a worker-realm error, and code generation is off there too', async () => {
      t = makeHostileHost({ limits: NORMAL });
      // The plugin as loadPluginFolder would never return it: the source check skipped.
      const ok = writePlugin('dynamic-import-bypass', 'module.exports = { transform: () => "placeholder" };');
      const source = fs.readFileSync(path.join(HOSTILE_DIR, 'dynamic-import', 'index.js'), 'utf8');
      const bypass = { ...ok, source, fingerprint: `${ok.fingerprint}-bypass` };
      const r = await t.host.invoke(bypass, 'transform', input(''));
      assert.deepEqual(shape(r), threw(CODEGEN_OFF));
      await assertHealthy(t, baselineMb);
    });
  });

  describe('memory the V8 heap does not see: the sandbox RSS watchdog must not charge a neighbour', () => {
    /** Alternates `rounds` calls of `hostile` and of a well-behaved plugin on one host with a 600 MB RSS budget. */
    async function alternate(hostile: string, rounds: number, text = ''): Promise<{ hostile: Shape[]; neighbour: Shape[] }> {
      t = makeHostileHost({ limits: { timeoutMs: 5000, sandboxRssBudgetMb: 600 } });
      const p = loadHostile(hostile);
      // The neighbour does ~50 ms of work per call, as a real transform on a large selection would.
      const neighbour = writePlugin('neighbour', 'module.exports = { transform(i) { const until = Date.now() + 50; while (Date.now() < until); return "n:" + i.text; } };');
      const out = { hostile: [] as Shape[], neighbour: [] as Shape[] };
      for (let i = 0; i < rounds; i++) {
        out.hostile.push(shape(await t.host.invoke(p, 'transform', input(text))));
        out.neighbour.push(shape(await t.host.invoke(neighbour, 'transform', input(String(i)))));
      }
      return out;
    }

    it('intl-hoarder: ICU memory past the cap fails the hoarder as memory, every time, and never its neighbour', async () => {
      const r = await alternate('intl-hoarder', 10, '150');
      for (const h of r.hostile) assert.ok(h.ok ? h.output === 'true' : h.kind === 'memory' && h.detail === OFF_HEAP_CAP, JSON.stringify(h));
      assert.deepEqual(r.neighbour, Array.from({ length: 10 }, (_, i) => succeeded(`n:${i}`)));
      await assertHealthy(t!, baselineMb);
    });

    // Under the cap on every call, its ICU garbage still outlives each call (V8 neither sees nor collects it in
    // time), the sandbox's RSS crosses its budget, and the watchdog ends whichever workers are busy then.
    it('intl-garbage-under-cap: garbage left under the cap never gets a well-behaved neighbour stopped as memory', async () => {
      const r = await alternate('intl-garbage-under-cap', 60);
      assert.deepEqual(r.neighbour, Array.from({ length: 60 }, (_, i) => succeeded(`n:${i}`)));
    });
  });

  describe('statelessness: nothing one invocation leaves behind reaches the next', () => {
    it('stateless-pollution: prototype pollution, replaced built-ins and globals are gone on every call', async () => {
      t = makeHostileHost({ limits: NORMAL });
      const p = loadHostile('stateless-pollution');
      for (let i = 0; i < 3; i++) {
        assert.deepEqual(shape(await t.host.invoke(p, 'transform', input(''))), succeeded('undefined,undefined,undefined,1,false,undefined,2,true'));
      }
      await assertHealthy(t, baselineMb);
    });

    it('leftover-microtask-loop: a loop left behind the answer ends at the time limit, and the next call succeeds', async () => {
      t = makeHostileHost({ limits: QUICK });
      const p = loadHostile('leftover-microtask-loop');
      // The answer sits in the realm's outbox while the loop holds the microtask checkpoint: it is never sent.
      assert.deepEqual(shape(await t.host.invoke(p, 'transform', input('loop'))), timedOut());
      assert.deepEqual(shape(await t.host.invoke(p, 'transform', input('calm'))), succeeded('answered:calm'));
      await assertHealthy(t, baselineMb);
    });

    it('leftover-pending-chain: a chain waiting on an API answer never runs after the invocation ended', async () => {
      t = makeHostileHost({ limits: NORMAL, grants: ['read:data'] });
      const p = loadHostile('leftover-pending-chain');
      for (let i = 0; i < 3; i++) assert.deepEqual(shape(await t.host.invoke(p, 'transform', input(''))), succeeded('undefined,undefined'));
      await assertHealthy(t, baselineMb);
    });
  });
});
