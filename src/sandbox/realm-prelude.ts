// The realm prelude: runs inside each fresh plugin vm context before any plugin code, turns off the
// dangerous parts of the realm, caps its off-heap allocations, and builds the string-only bridge.
//
// This file is evaluated as a classic script in the plugin's context (see esbuild.js, which inlines it into
// the worker bundle as text). Its completion value is `setup`, a function of that context's realm. The
// worker calls `setup(configJson)` once, before the plugin's script runs, and keeps the returned functions.
// Everything here is created inside the plugin's realm: no object of the worker's realm is ever stored
// where plugin code can reach it, and every value that leaves is a primitive (a JSON string or a boolean).
//
// Intrinsics are captured at the top, before plugin code can replace them. Plugin code may still tamper
// with its own realm (prototype pollution and the like); that can only change what *it* sends, and the
// host treats everything that arrives as hostile.

// Types only: erased when esbuild transforms this file, so the prelude stays one self-contained script.
import type { RealmConfig } from './realmConfig';

(function pluginRuntimeRealmPrelude() {
  'use strict';
  return function setup(configJson: string) {
    const G = globalThis as unknown as Record<string, unknown>;
    const O = Object;
    const defineProperty = O.defineProperty;
    const getPrototypeOf = O.getPrototypeOf;
    const setPrototypeOf = O.setPrototypeOf;
    const getOwnPropertyDescriptor = O.getOwnPropertyDescriptor;
    const create = O.create;
    const freeze = O.freeze;
    const apply = Reflect.apply;
    const construct = Reflect.construct;
    const jsonParse = JSON.parse;
    const jsonStringify = JSON.stringify;
    const NumberCtor = Number;
    const StringCtor = String;
    const mathTrunc = Math.trunc;
    const mathMax = Math.max;
    const PromiseCtor = Promise;
    const promiseResolve = Promise.resolve;
    const promiseReject = Promise.reject;
    const promiseThen = Promise.prototype.then;
    const ErrorCtor = Error;
    const TypeErrorCtor = TypeError;
    const RangeErrorCtor = RangeError;
    const arrayFrom = Array.from;
    const isArray = Array.isArray;
    const stringSlice = String.prototype.slice;

    const config = jsonParse(configJson) as RealmConfig;

    const clip = (s: string, n: number): string => (s.length > n ? (apply(stringSlice, s, [0, n]) as string) : s);

    // ---- 1. No stack traces. ------------------------------------------------------------------------
    // Node formats stacks with functions of the worker's realm (Error.prepareStackTrace's fallback); an
    // error thrown there (a Symbol-named error, a stack overflow mid-format) arrives in the plugin as an
    // object of the worker's realm. With a non-number stackTraceLimit V8 captures no stack at all, so that
    // formatting never runs for errors made in this realm.
    defineProperty(ErrorCtor, 'stackTraceLimit', { value: undefined, writable: false, enumerable: false, configurable: false });
    defineProperty(ErrorCtor, 'prepareStackTrace', { value: undefined, writable: false, enumerable: false, configurable: false });

    // ---- 2. Remove what a text transform does not need and that reaches past the realm's limits. -------
    // SharedArrayBuffer/Atomics: blocking waits and memory shared across threads. WebAssembly: its Memory
    // lives outside the heap (code generation for wasm is off anyway). FinalizationRegistry: its callbacks
    // run later, outside any invocation. console: V8 puts its own in every context, wired to the inspector;
    // plugins log through api.log.
    // gc: never exposed on purpose, but the worker turns V8's expose-gc flag on for a moment to take its own.
    for (const name of ['SharedArrayBuffer', 'Atomics', 'WebAssembly', 'FinalizationRegistry', 'console', 'gc']) {
      // V8's `gc` is non-configurable (but writable) in a context made while the flag is on — and V8 flags are
      // per process, so another worker's moment with the flag can land on this context. A strict `delete` of
      // it threw here and crashed the worker; such a binding is locked to undefined instead.
      if (!Reflect.deleteProperty(G, name)) defineProperty(G, name, { value: undefined, writable: false });
    }

    // ---- 3. Cap memory outside the V8 heap (ArrayBuffers and typed arrays), per invocation. ---------
    // Worker resourceLimits bound only the heap; these allocations bypass it (DESIGN.md). Every path that
    // allocates a backing store goes through a charge first; the intrinsic constructors stay unreachable.
    let offHeapCharged = 0;
    let memoryExceeded = false;
    let memoryExceededBy: 'off-heap' | 'string' = 'off-heap';
    const charge = (bytes: number): void => {
      if (!(bytes > 0)) return;
      offHeapCharged += bytes;
      if (offHeapCharged > config.maxOffHeapBytes) {
        memoryExceeded = true;
        throw new RangeErrorCtor(`Plugin Runtime: memory limit reached (at most ${config.maxOffHeapBytes} bytes outside the heap per invocation: ArrayBuffers, typed arrays, Intl objects)`);
      }
    };
    // ToIndex, converting exactly once so a valueOf cannot report one length to us and another to V8.
    const toIndex = (v: unknown): number => {
      const n = v === undefined ? 0 : NumberCtor(v);
      const i = n !== n ? 0 : mathTrunc(n);
      if (i < 0 || i > 9007199254740991) throw new RangeErrorCtor('Invalid array length');
      return i;
    };
    const lockProperty = (target: object, key: PropertyKey, value: unknown): void => {
      defineProperty(target, key, { value, writable: false, enumerable: false, configurable: false });
    };
    const replaceMethod = (proto: object, key: string, make: (original: (...a: unknown[]) => unknown) => (...a: unknown[]) => unknown): void => {
      const desc = getOwnPropertyDescriptor(proto, key);
      if (!desc || typeof desc.value !== 'function') return;
      const original = desc.value as (...a: unknown[]) => unknown;
      const wrapped = make(original);
      defineProperty(wrapped, 'name', { value: key });
      defineProperty(proto, key, { value: wrapped, writable: false, enumerable: false, configurable: false });
    };

    const ArrayBufferIntrinsic = G['ArrayBuffer'] as ArrayBufferConstructor;
    const arrayBufferProto = ArrayBufferIntrinsic.prototype;
    const abByteLength = getOwnPropertyDescriptor(arrayBufferProto, 'byteLength')!.get!;
    const isArrayBuffer = (x: unknown): boolean => {
      try {
        apply(abByteLength, x, []);
        return true;
      } catch {
        return false;
      }
    };

    const ArrayBufferWrapper = function ArrayBuffer(this: unknown, length?: unknown, options?: unknown): object {
      if (new.target === undefined) throw new TypeErrorCtor("Constructor ArrayBuffer requires 'new'");
      const len = toIndex(length);
      let max: number | undefined;
      if (options !== null && typeof options === 'object') {
        const m = (options as { maxByteLength?: unknown }).maxByteLength;
        if (m !== undefined) max = toIndex(m);
      }
      // A resizable buffer is charged its maximum up front, so resize() needs no charge of its own.
      charge(max === undefined ? len : mathMax(len, max));
      return construct(ArrayBufferIntrinsic, max === undefined ? [len] : [len, { maxByteLength: max }], new.target);
    };
    defineProperty(ArrayBufferWrapper, 'prototype', { value: arrayBufferProto, writable: false });
    setPrototypeOf(ArrayBufferWrapper, getPrototypeOf(ArrayBufferIntrinsic));
    lockProperty(ArrayBufferWrapper, 'isView', ArrayBufferIntrinsic.isView);
    defineProperty(ArrayBufferWrapper, Symbol.species, { get() { return this; }, configurable: false });
    lockProperty(arrayBufferProto, 'constructor', ArrayBufferWrapper);
    lockProperty(G, 'ArrayBuffer', ArrayBufferWrapper);
    // slice() may fall back to the intrinsic constructor (species undefined), so it is charged itself.
    replaceMethod(arrayBufferProto, 'slice', (original) => function (this: unknown, ...args: unknown[]) {
      charge(apply(abByteLength, this, []) as number);
      return apply(original, this, args);
    });
    for (const key of ['transfer', 'transferToFixedLength']) {
      replaceMethod(arrayBufferProto, key, (original) => function (this: unknown, ...args: unknown[]) {
        const n = args.length > 0 && args[0] !== undefined ? toIndex(args[0]) : (apply(abByteLength, this, []) as number);
        charge(n);
        return apply(original, this, [n]);
      });
    }

    const TypedArrayIntrinsic = getPrototypeOf(G['Uint8Array']) as { prototype: object };
    const typedArrayProto = TypedArrayIntrinsic.prototype;
    const taLength = getOwnPropertyDescriptor(typedArrayProto, 'length')!.get!;
    const taByteLength = getOwnPropertyDescriptor(typedArrayProto, 'byteLength')!.get!;
    const isTypedArray = (x: unknown): boolean => {
      try {
        apply(taLength, x, []);
        return true;
      } catch {
        return false;
      }
    };
    const typedArrayNames = [
      'Int8Array', 'Uint8Array', 'Uint8ClampedArray', 'Int16Array', 'Uint16Array', 'Int32Array', 'Uint32Array',
      'Float32Array', 'Float64Array', 'BigInt64Array', 'BigUint64Array', 'Float16Array',
    ];
    for (const name of typedArrayNames) {
      const Intrinsic = G[name] as (new (...a: unknown[]) => Record<number, unknown>) & { BYTES_PER_ELEMENT: number; prototype: object } | undefined;
      if (typeof Intrinsic !== 'function') continue;
      const bytesPerElement = Intrinsic.BYTES_PER_ELEMENT;
      const Wrapper = function (this: unknown, a0?: unknown, a1?: unknown, a2?: unknown): object {
        if (new.target === undefined) throw new TypeErrorCtor(`Constructor ${name} requires 'new'`);
        if (a0 === null || typeof a0 !== 'object') {
          const len = toIndex(a0);
          charge(len * bytesPerElement);
          return construct(Intrinsic, [len], new.target);
        }
        // A view on an existing buffer allocates no backing store: that buffer was charged when made.
        if (isArrayBuffer(a0)) return construct(Intrinsic, [a0, a1, a2], new.target);
        if (isTypedArray(a0)) {
          charge((apply(taLength, a0, []) as number) * bytesPerElement);
          return construct(Intrinsic, [a0], new.target);
        }
        // An array-like or iterable: materialise it once (on the heap), charge exactly its length, copy.
        const items = apply(arrayFrom, undefined, [a0]) as unknown[];
        const len = items.length;
        charge(len * bytesPerElement);
        const out = construct(Intrinsic, [len], new.target) as Record<number, unknown>;
        for (let i = 0; i < len; i++) out[i] = items[i];
        return out;
      };
      defineProperty(Wrapper, 'name', { value: name });
      defineProperty(Wrapper, 'length', { value: 3 });
      defineProperty(Wrapper, 'prototype', { value: Intrinsic.prototype, writable: false });
      setPrototypeOf(Wrapper, TypedArrayIntrinsic);
      lockProperty(Wrapper, 'BYTES_PER_ELEMENT', bytesPerElement);
      lockProperty(Intrinsic.prototype, 'constructor', Wrapper);
      lockProperty(G, name, Wrapper);
    }
    // Methods that allocate a new typed array (some always with the intrinsic constructor, e.g. toSorted).
    for (const key of ['slice', 'map', 'filter', 'toReversed', 'toSorted', 'with']) {
      replaceMethod(typedArrayProto, key, (original) => function (this: unknown, ...args: unknown[]) {
        charge(apply(taByteLength, this, []) as number);
        return apply(original, this, args);
      });
    }

    // ICU objects behind Intl live outside the V8 heap too, invisible to its limit and to `external`: measured
    // on Node 20, a DateTimeFormat holds about 27 KB, a word Segmenter 7 KB, a Segments object 2 KB plus a
    // UTF-16 copy of its string. Kept in an array, they took a worker past 2 GB in three seconds. Each
    // construction is charged an estimate against the same cap. Temporaries (toLocaleString and the like)
    // are not charged: they are garbage at once and the next scavenge frees them.
    const IntlObject = G['Intl'] as Record<string, unknown> | undefined;
    if (IntlObject !== null && typeof IntlObject === 'object') {
      type IntlConstructor = ((...a: unknown[]) => object) & { prototype: object; length: number };
      const intrinsicOf = (name: string): IntlConstructor | undefined => {
        const v = getOwnPropertyDescriptor(IntlObject, name)?.value as unknown;
        return typeof v === 'function' ? (v as IntlConstructor) : undefined;
      };
      const SegmenterIntrinsic = intrinsicOf('Segmenter');
      const intlCosts: Array<[string, number]> = [
        ['DateTimeFormat', 32 * 1024], ['RelativeTimeFormat', 8 * 1024], ['Segmenter', 8 * 1024], ['PluralRules', 4 * 1024],
        ['Collator', 2 * 1024], ['DisplayNames', 2 * 1024], ['NumberFormat', 1024], ['ListFormat', 1024], ['Locale', 1024], ['DurationFormat', 1024],
      ];
      for (const [name, cost] of intlCosts) {
        const Intrinsic = intrinsicOf(name);
        if (Intrinsic === undefined) continue;
        const Wrapper = function (this: unknown, ...args: unknown[]): object {
          charge(cost);
          // Collator, DateTimeFormat and NumberFormat also construct when called without `new`.
          return new.target === undefined ? (apply(Intrinsic, this, args) as object) : (construct(Intrinsic, args, new.target) as object);
        };
        defineProperty(Wrapper, 'name', { value: name });
        defineProperty(Wrapper, 'length', { value: Intrinsic.length });
        defineProperty(Wrapper, 'prototype', { value: Intrinsic.prototype, writable: false });
        const supported = getOwnPropertyDescriptor(Intrinsic, 'supportedLocalesOf');
        if (supported) defineProperty(Wrapper, 'supportedLocalesOf', supported);
        lockProperty(Intrinsic.prototype, 'constructor', Wrapper);
        lockProperty(IntlObject, name, Wrapper);
      }
      const segment = SegmenterIntrinsic && (getOwnPropertyDescriptor(SegmenterIntrinsic.prototype, 'segment')?.value as ((s: string) => object) | undefined);
      if (SegmenterIntrinsic !== undefined && typeof segment === 'function') {
        // Segments' prototype is not a global: reach it once with a probe made by the intrinsic (uncharged).
        const segmentsProto = getPrototypeOf(apply(segment, construct(SegmenterIntrinsic, []), [''])) as object;
        replaceMethod(SegmenterIntrinsic.prototype, 'segment', (original) => function (this: unknown, ...args: unknown[]) {
          // Converted once, here, so that a toString cannot answer short to the charge and long to ICU.
          const text = `${args[0] as string}`;
          charge(1024 + 2 * text.length);
          return apply(original, this, [text]);
        });
        const iterate = getOwnPropertyDescriptor(segmentsProto, Symbol.iterator)?.value as (() => object) | undefined;
        if (typeof iterate === 'function') {
          const wrapped = function (this: unknown): object {
            charge(1024);
            return apply(iterate, this, []) as object;
          };
          defineProperty(wrapped, 'name', { value: '[Symbol.iterator]' });
          lockProperty(segmentsProto, Symbol.iterator, wrapped);
        }
      }
    }

    // ---- 3b. Cap the string builders whose result length is known up front. ------------------------
    // V8 checks the heap limit when it collects, not per allocation, so one huge string overshoots it; the
    // builders that make one in a single step are refused past the heap limit. (Strings assembled by
    // concatenation are not covered here: see docs/security.md.)
    const stringProto = String.prototype;
    const toIntegerOrInfinity = (v: unknown): number => {
      const n = NumberCtor(v);
      return n !== n ? 0 : mathTrunc(n);
    };
    const refuseLongString = (length: number): void => {
      if (length > config.maxStringChars) {
        memoryExceeded = true;
        memoryExceededBy = 'string';
        throw new RangeErrorCtor(`Plugin Runtime: memory limit reached (a string of ${length} characters is larger than the plugin's heap)`);
      }
    };
    replaceMethod(stringProto, 'repeat', (original) => function (this: unknown, count?: unknown) {
      if (this === null || this === undefined) throw new TypeErrorCtor('String.prototype.repeat called on null or undefined');
      const s = StringCtor(this);
      const n = toIntegerOrInfinity(count);
      if (n > 0 && s.length > 0) refuseLongString(s.length * n);
      return apply(original, s, [n]);
    });
    for (const key of ['padStart', 'padEnd']) {
      replaceMethod(stringProto, key, (original) => function (this: unknown, maxLength?: unknown, fill?: unknown) {
        if (this === null || this === undefined) throw new TypeErrorCtor(`String.prototype.${key} called on null or undefined`);
        const s = StringCtor(this);
        const n = toIntegerOrInfinity(maxLength);
        const f = fill === undefined ? undefined : StringCtor(fill);
        if (n > s.length && f !== '') refuseLongString(n);
        return apply(original, s, f === undefined ? [n] : [n, f]);
      });
    }

    // ---- 4. The script's `module`: a plain object of this realm, not Node's. --------------------------
    const moduleObject: { exports: unknown } = { exports: {} };
    lockProperty(G, 'module', moduleObject);
    defineProperty(G, 'exports', { value: moduleObject.exports, writable: true, enumerable: false, configurable: true });

    // ---- 5. The bridge: JSON strings out through an outbox, JSON strings in through deliver(). -------
    type Pending = { resolve: (v: unknown) => void; reject: (e: unknown) => void };
    interface Invocation {
      requestId: number;
      nextCallId: number;
      pending: Record<number, Pending | undefined>;
      done: boolean;
      logs: number;
      droppedLogs: number;
    }
    // Null-prototype records: a polluted Object.prototype (setters, toJSON) cannot reach into them.
    const record = (): Record<string, unknown> => create(null) as Record<string, unknown>;
    const outbox = create(null) as Record<number, string | undefined>;
    let outCount = 0;
    const post = (json: string): void => {
      outbox[outCount] = json;
      outCount += 1;
    };
    let current: Invocation | undefined;
    let finished = false;
    let loadFailure: string | undefined;

    const typeName = (v: unknown): string =>
      v === null ? 'null' : v === undefined ? 'undefined' : isArray(v) ? 'an array' : typeof v === 'object' ? 'an object' : `a ${typeof v}`;

    const describeThrown = (e: unknown): string => {
      try {
        if (e !== null && (typeof e === 'object' || typeof e === 'function')) {
          let name = '';
          let message = '';
          try {
            const n = (e as { name?: unknown }).name;
            if (typeof n === 'string') name = n;
          } catch { /* a throwing getter: leave it out */ }
          try {
            const m = (e as { message?: unknown }).message;
            if (typeof m === 'string') message = m;
          } catch { /* a throwing getter: leave it out */ }
          if (name !== '' && message !== '') return clip(`${name}: ${message}`, 2000);
          if (name !== '' || message !== '') return clip(name + message, 2000);
          return 'a value that is not an Error was thrown';
        }
        if (typeof e === 'symbol') return 'a Symbol was thrown';
        return clip(StringCtor(e), 2000);
      } catch {
        return 'an error that could not be described was thrown';
      }
    };

    const finish = (inv: Invocation, message: Record<string, unknown>): void => {
      if (inv.done) return;
      inv.done = true;
      finished = true;
      if (inv.droppedLogs > 0) {
        // A count, not a log line: the host reports it as its own note, outside the plugin's log limit.
        post(`{"type":"api","requestId":${inv.requestId},"callId":${inv.nextCallId},"method":"log.dropped","args":[${inv.droppedLogs}]}`);
        inv.nextCallId += 1;
      }
      // Calls still pending can never be answered now; their promises are left for the realm's GC.
      post(jsonStringify(message));
    };

    const finishError = (inv: Invocation, description: string): void => {
      const m = record();
      m['type'] = 'error';
      m['requestId'] = inv.requestId;
      m['message'] = description;
      m['stack'] = '';
      finish(inv, m);
    };

    const describeOutput = (key: 'invalid' | 'tooLarge', value: string | number): Record<string, unknown> => {
      const o = record();
      o[key] = value;
      return o;
    };

    const finishResult = (inv: Invocation, value: unknown): void => {
      if (inv.done) return;
      let output: string | Record<string, unknown>;
      try {
        if (typeof value === 'string') {
          output = value;
        } else if (value !== null && typeof value === 'object') {
          const text = (value as { text?: unknown }).text;
          output = typeof text === 'string' ? text : describeOutput('invalid', `returned an object whose "text" is ${typeName(text)}`);
        } else {
          output = describeOutput('invalid', `returned ${typeName(value)}`);
        }
      } catch {
        output = describeOutput('invalid', 'returned an object whose "text" getter threw');
      }
      // UTF-8 needs at least one byte per UTF-16 unit: more units than the limit is too large for sure.
      if (typeof output === 'string' && output.length > config.maxOutputChars) output = describeOutput('tooLarge', output.length);
      const m = record();
      m['type'] = 'result';
      m['requestId'] = inv.requestId;
      m['output'] = output;
      finish(inv, m);
    };

    const apiCall = (inv: Invocation, method: string, args: unknown[]): Promise<unknown> => {
      if (inv.done) return apply(promiseReject, PromiseCtor, [new ErrorCtor('Plugin Runtime: this invocation has already finished')]) as Promise<unknown>;
      if (inv.nextCallId >= config.maxApiCallsPerInvocation) {
        return apply(promiseReject, PromiseCtor, [new ErrorCtor(`Plugin Runtime: at most ${config.maxApiCallsPerInvocation} API calls per invocation`)]) as Promise<unknown>;
      }
      let argsJson: string | undefined;
      try {
        argsJson = jsonStringify(args);
      } catch {
        argsJson = undefined;
      }
      if (typeof argsJson !== 'string') {
        return apply(promiseReject, PromiseCtor, [new TypeErrorCtor('Plugin Runtime: storage keys and values must be JSON-serialisable')]) as Promise<unknown>;
      }
      if (argsJson.length > config.maxApiArgsChars) {
        return apply(promiseReject, PromiseCtor, [new RangeErrorCtor(`Plugin Runtime: the value is too large to store (at most ${config.maxApiArgsChars} characters of JSON per call)`)]) as Promise<unknown>;
      }
      const callId = inv.nextCallId;
      inv.nextCallId += 1;
      return new PromiseCtor((resolve, reject) => {
        inv.pending[callId] = { resolve, reject };
        // JSON assembled from JSON: `argsJson` is already a serialised array, the rest are numbers/strings.
        post(`{"type":"api","requestId":${inv.requestId},"callId":${callId},"method":${jsonStringify(method)},"args":${argsJson}}`);
      });
    };

    const makeApi = (inv: Invocation): object => {
      const storage = freeze({
        get(key: unknown) {
          return apiCall(inv, 'storage.get', [key]);
        },
        set(key: unknown, value: unknown) {
          if (value === undefined) {
            return apply(promiseReject, PromiseCtor, [new TypeErrorCtor('Plugin Runtime: storage values must be JSON; use storage.delete(key) to remove a key')]);
          }
          return apiCall(inv, 'storage.set', [key, value]);
        },
        delete(key: unknown) {
          return apiCall(inv, 'storage.delete', [key]);
        },
        keys() {
          return apiCall(inv, 'storage.keys', []);
        },
      });
      const log = function log(...args: unknown[]): void {
        if (inv.done) return;
        if (inv.logs >= config.maxLogsPerInvocation) {
          inv.droppedLogs += 1;
          return;
        }
        inv.logs += 1;
        let text = '';
        for (let i = 0; i < args.length; i++) {
          const a = args[i];
          let part: string;
          if (typeof a === 'string') part = a;
          else {
            try {
              const j = typeof a === 'bigint' || typeof a === 'symbol' ? undefined : jsonStringify(a);
              part = typeof j === 'string' ? j : typeof a === 'symbol' ? 'Symbol()' : StringCtor(a);
            } catch {
              part = `[${typeName(a)}]`;
            }
          }
          text += (i > 0 ? ' ' : '') + clip(part, config.maxLogChars);
          if (text.length >= config.maxLogChars) break;
        }
        const callId = inv.nextCallId;
        inv.nextCallId += 1;
        post(`{"type":"api","requestId":${inv.requestId},"callId":${callId},"method":"log","args":[${jsonStringify(clip(text, config.maxLogChars))}]}`);
      };
      return freeze({ log, storage });
    };

    const startInvocation = (msg: { requestId: number; hook: string; input: unknown }): void => {
      const inv: Invocation = { requestId: msg.requestId, nextCallId: 0, pending: create(null) as Record<number, Pending | undefined>, done: false, logs: 0, droppedLogs: 0 };
      current = inv;
      if (loadFailure !== undefined) {
        finishError(inv, loadFailure);
        return;
      }
      try {
        const exported = moduleObject.exports as Record<string, unknown> | null | undefined;
        const hook = exported === null || exported === undefined ? undefined : exported[msg.hook];
        if (typeof hook !== 'function') {
          finishError(inv, `the plugin does not export a "${msg.hook}" function: set module.exports = { ${msg.hook}(input, api) { … } }`);
          return;
        }
        const returned = apply(hook as (...a: unknown[]) => unknown, exported, [msg.input, makeApi(inv)]);
        const settled = apply(promiseResolve, PromiseCtor, [returned]) as Promise<unknown>;
        apply(promiseThen, settled, [
          (value: unknown) => finishResult(inv, value),
          (error: unknown) => finishError(inv, describeThrown(error)),
        ]);
      } catch (e) {
        finishError(inv, describeThrown(e));
      }
    };

    const settleCall = (msg: { type: string; requestId: number; callId: number; result?: unknown; error?: unknown; permission?: unknown }): void => {
      const inv = current;
      if (inv === undefined || inv.done || msg.requestId !== inv.requestId) return;
      const pending = inv.pending[msg.callId];
      if (pending === undefined) return;
      inv.pending[msg.callId] = undefined;
      if (msg.type === 'api_denied') {
        pending.reject(new ErrorCtor(`permission denied: this plugin was not granted "${StringCtor(msg.permission)}"`));
      } else if (typeof msg.error === 'string') {
        pending.reject(new ErrorCtor(msg.error));
      } else {
        pending.resolve(msg.result);
      }
    };

    // The functions the worker keeps. Arguments in and results out are primitives only.
    return freeze({
      deliver(json: string): void {
        // Own properties only: the plugin may have put getters on Object.prototype, and reading a key the
        // message does not carry (`error`, `result`) would run them here, where a throw escapes the realm
        // into the worker (whose crash handler would util.inspect() the thrown value).
        const msg = setPrototypeOf(jsonParse(json), null) as { type: string; requestId: number; callId: number; hook: string; input: unknown };
        if (msg.type === 'invoke') {
          if (current === undefined) startInvocation(msg);
        } else {
          settleCall(msg);
        }
      },
      drain(): string {
        let s = '[';
        for (let i = 0; i < outCount; i++) {
          if (i > 0) s += ',';
          s += outbox[i];
          outbox[i] = undefined;
        }
        outCount = 0;
        return `${s}]`;
      },
      finished(): boolean {
        return finished;
      },
      memoryExceeded(): boolean {
        return memoryExceeded;
      },
      offHeapCharged(): number {
        return offHeapCharged;
      },
      memoryExceededBy(): string {
        return memoryExceededBy;
      },
      recordLoadError(e: unknown): void {
        loadFailure = `while loading the plugin: ${describeThrown(e)}`;
      },
    });
  };
})();
