// Protocol abuse (issue 7): the host against a worker that speaks the worker protocol badly on purpose
// (test/helpers/workers/protocol-breaker.js, run by the real sandbox process through the test-only
// workerEntry option) and against a fake sandbox process that breaks the framed stdio protocol
// (test/helpers/workers/fake-sandbox-*.js). Each asserts the exact outcome and that a good plugin works next.
import assert from 'node:assert/strict';
import * as path from 'node:path';
import type { LoadedPlugin } from '../../src/core/manifest';
import { removeTempDirs, writePlugin } from '../helpers/host';
import { WORKERS_DIR, failed, input, makeHostileHost, runtimeLines, shape, succeeded, waitFor, type HostileHost, type Shape } from '../helpers/hostile';

const violation = (detail: string): Shape => failed('protocol-violation', detail);
const crashed = (detail: string): Shape => failed('worker-crashed', detail);

/** Failures the host reported for a plugin (including ones no invocation was waiting for), as shapes. */
function eventsOf(t: HostileHost, plugin: string): Shape[] {
  return t.events.filter((e) => e.plugin === plugin).map((e) => shape(e.outcome));
}

describe('protocol abuse: a worker that speaks the protocol badly', function () {
  this.timeout(60_000);
  let t: HostileHost;
  let good: LoadedPlugin;

  function breaker(mode: string, grants: Array<'read:data' | 'write:data'> = []): LoadedPlugin {
    t = makeHostileHost({ workerEntry: path.join(WORKERS_DIR, 'protocol-breaker.js'), limits: { timeoutMs: 2000 }, grants });
    good = writePlugin('good', '"mode:well-behaved";');
    return writePlugin('bad', `"mode:${mode}";`);
  }
  async function goodStillWorks(): Promise<void> {
    assert.deepEqual(shape(await t.host.invoke(good, 'transform', input('next'))), succeeded('ok:next'));
  }

  afterEach(async () => {
    await t?.host.dispose();
    removeTempDirs();
  });

  it('forged requestId: a result for a request the host never issued fails the invocation', async () => {
    const bad = breaker('forged-request-id');
    assert.deepEqual(shape(await t.host.invoke(bad, 'transform', input('a'))), violation('The sandbox sent a message for request 424242, which is not running.'));
    await goodStillWorks();
  });

  it('duplicated result: the first answers, the second is a violation reported on its own, and the worker is replaced', async () => {
    const bad = breaker('duplicate-result');
    const r = await t.host.invoke(bad, 'transform', input('a'));
    assert.ok(r.ok);
    const id = Number(/^first (\d+)$/.exec(r.output)?.[1]);
    await waitFor(() => eventsOf(t, 'bad').length === 2, 'the second result to be reported');
    assert.deepEqual(eventsOf(t, 'bad'), [succeeded(`first ${id}`), violation(`The sandbox sent a message for request ${id}, which is not running.`)]);
    // The replacement worker answers the next call (and breaks the protocol again, the same way).
    const again = await t.host.invoke(bad, 'transform', input('b'));
    assert.deepEqual(shape(again), succeeded(`first ${id + 1}`));
    await goodStillWorks();
  });

  it('replayed requestId: a later invocation answered with an earlier one\'s result fails', async () => {
    const bad = breaker('replay');
    const first = await t.host.invoke(bad, 'transform', input('a'));
    assert.ok(first.ok);
    const id = Number(/^original (\d+)$/.exec(first.output)?.[1]);
    assert.deepEqual(shape(await t.host.invoke(bad, 'transform', input('b'))), violation(`The sandbox sent a message for request ${id}, which is not running.`));
    await goodStillWorks();
  });

  it('a message after the result is a violation of its own; the answered call keeps its answer', async () => {
    const bad = breaker('after-result');
    const r = await t.host.invoke(bad, 'transform', input('a'));
    assert.ok(r.ok);
    const id = Number(/^done (\d+)$/.exec(r.output)?.[1]);
    await waitFor(() => eventsOf(t, 'bad').length === 2, 'the stray message to be reported');
    assert.deepEqual(eventsOf(t, 'bad'), [succeeded(`done ${id}`), violation(`The sandbox sent a message for request ${id}, which is not running.`)]);
    await goodStillWorks();
  });

  for (const [mode, what, expected] of [
    ['non-json', 'a payload that is not JSON', violation('the realm sent something that is not a message list')],
    ['wrong-types', 'JSON with a value of the wrong type', violation('The sandbox sent a malformed message: Invalid input.')],
    ['unknown-type', 'an unknown message type', violation("The sandbox sent a malformed message: Invalid discriminator value. Expected 'result' | 'error' | 'api'.")],
    ['extra-keys', 'a result with an extra key', violation('The sandbox sent a malformed message: Unrecognized key: "grant".')],
    ['oversize-error', 'an error message over its 4096-character bound', violation('The sandbox sent a malformed message: Too big: expected string to have <=4096 characters.')],
    ['reused-call-id', 'the same API callId twice', violation('The sandbox sent API call 7 twice.')],
    ['stray-limit', 'a limit report for a request that is not running', violation('The sandbox sent a limit report for a request that is not running (memory).')],
    ['oversize-result', 'a 3 MB result (refused in the sandbox process)', failed('output-too-large', 'the output exceeds the limit')],
    ['exit-mid-invocation', 'exiting mid-invocation', crashed('the worker exited with code 3')],
    ['throws', 'an uncaught exception in the worker', crashed('the worker broke')],
  ] as const) {
    it(`${what} → ${expected.ok ? 'ok' : expected.kind}; the next invocation of a good plugin works`, async () => {
      const bad = breaker(mode);
      assert.deepEqual(shape(await t.host.invoke(bad, 'transform', input('a'))), expected);
      await goodStillWorks();
    });
  }

  it('API calls with unknown methods are denied, each one, fail-closed (no prototype keys, no near-misses)', async () => {
    const bad = breaker('unknown-methods', ['read:data', 'write:data']);
    const r = await t.host.invoke(bad, 'transform', input('a'));
    assert.ok(r.ok);
    const answers = JSON.parse(r.output) as Array<Record<string, unknown>>;
    assert.deepEqual(answers.map(({ type, callId, permission }) => ({ type, callId, permission })), [0, 1, 2, 3, 4, 5].map((callId) => ({ type: 'api_denied', callId, permission: 'unknown' })));
    assert.deepEqual(runtimeLines(t.logs, 'bad'), ['fs.readFile', '__proto__', 'constructor', 'storage.get ', 'STORAGE.GET', 'toString'].map((m) => `denied ${m}: unknown API method ${JSON.stringify(m)}`));
    await goodStillWorks();
  });

  it('a worker that dies while its API call is in flight: worker-crashed; the host drops the late answer', async () => {
    const bad = breaker('exit-during-api', ['write:data']);
    assert.deepEqual(shape(await t.host.invoke(bad, 'transform', input('a'))), crashed('the worker exited with code 4'));
    // The write was granted and had started: it completes (a crash does not roll back a granted write).
    await waitFor(() => t.storage.get('bad', 'written-before-death') === 'yes', 'the started write to land');
    await goodStillWorks();
    assert.deepEqual(shape(await t.host.invoke(bad, 'transform', input('b'))), crashed('the worker exited with code 4'));
  });

  it('a worker that never sends ready: the invocation fails after the 15 s start deadline, and the next good call works', async function () {
    this.timeout(40_000);
    const bad = breaker('never-ready');
    assert.deepEqual(shape(await t.host.invoke(bad, 'transform', input('a'))), crashed("The plugin's worker did not start within 15 s."));
    await goodStillWorks();
  });

  it('a worker that speaks unprompted right after starting is not respawned in a loop', async () => {
    const bad = breaker('unprompted');
    assert.deepEqual(shape(await t.host.invoke(bad, 'transform', input('a'))), violation('The sandbox sent a message for request 5, which is not running.'));
    // The replacement worker speaks unprompted too; that must end it without starting yet another one.
    await waitFor(() => eventsOf(t, 'bad').length >= 2, 'the replacement worker to break the protocol');
    assert.equal(t.host.status().loadedWorkers, 0, 'no worker is (re)started for a plugin that has no invocation waiting');
  });

  it('an API message larger than the host accepts fails that invocation as protocol-violation (not the whole sandbox as worker-crashed)', async () => {
    const bad = breaker('oversize-api');
    const r = shape(await t.host.invoke(bad, 'transform', input('a')));
    assert.equal(r.ok ? 'ok' : r.kind, 'protocol-violation');
    await goodStillWorks();
  });
});

describe('protocol abuse: a sandbox process that breaks the framing', function () {
  this.timeout(60_000);
  let t: HostileHost;
  afterEach(async () => {
    await t?.host.dispose();
    removeTempDirs();
  });

  /** A host on the fake sandbox of `mode`, warmed up with a good call; returns the misbehaving call's outcome. */
  async function fake(mode: string): Promise<{ outcome: Shape; firstPid: number; good: LoadedPlugin }> {
    t = makeHostileHost({ sandboxEntry: path.join(WORKERS_DIR, `fake-sandbox-${mode}.js`), limits: { timeoutMs: 2000 } });
    const good = writePlugin('good', 'module.exports = {};');
    const evil = writePlugin('evil', 'module.exports = {};');
    assert.deepEqual(shape(await t.host.invoke(good, 'transform', input('before'))), succeeded('ok:before'));
    const firstPid = t.host.status().sandbox!.pid;
    const outcome = shape(await t.host.invoke(evil, 'transform', input('x')));
    return { outcome, firstPid, good };
  }

  for (const mode of ['oversize-frame', 'garbage-frame']) {
    it(`${mode}: the host kills the sandbox process, restarts it, and a good plugin works`, async () => {
      const { outcome, firstPid, good } = await fake(mode);
      assert.equal(outcome.ok, false);
      assert.deepEqual(shape(await t.host.invoke(good, 'transform', input('after'))), succeeded('ok:after'));
      const s = t.host.status().sandbox!;
      assert.notEqual(s.pid, firstPid);
      assert.equal(s.restarts, 1);
    });

    it(`${mode}: the in-flight invocation fails as protocol-violation`, async () => {
      const { outcome } = await fake(mode);
      assert.equal(outcome.ok ? 'ok' : outcome.kind, 'protocol-violation');
    });
  }

  it('unknown-message: valid JSON that is no protocol message fails the in-flight invocation as protocol-violation', async () => {
    const { outcome } = await fake('unknown-message');
    assert.deepEqual(
      outcome,
      violation("malformed message from the sandbox: Invalid discriminator value. Expected 'ready' | 'loaded' | 'worker' | 'limit' | 'usage' | 'worker-exit'"),
    );
  });

  it('unknown-message: a good plugin invoked right after the violation is not failed with the dying process', async () => {
    const { good } = await fake('unknown-message');
    assert.deepEqual(shape(await t.host.invoke(good, 'transform', input('after'))), succeeded('ok:after'));
  });

  it('not-running: a message for a plugin the host never loaded ends the sandbox as protocol-violation', async () => {
    const { outcome } = await fake('not-running');
    assert.equal(outcome.ok ? 'ok' : outcome.kind, 'protocol-violation');
  });
});
