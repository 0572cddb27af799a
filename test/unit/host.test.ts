// PluginHost end to end through the real sandbox process: outcomes, limits, capabilities, recovery.
import assert from 'node:assert/strict';
import { makeHost, removeTempDirs, writePlugin, input, type TestHost } from '../helpers/host';
import { failureMessage } from '../../src/core/errors';

describe('PluginHost', function () {
  this.timeout(60_000);
  let t: TestHost;
  afterEach(async () => {
    await t?.host.dispose();
    removeTempDirs();
  });

  it('runs a sync transform that returns a string, and one that returns { text }', async () => {
    t = makeHost();
    const a = writePlugin('upper', 'module.exports = { transform: (input) => input.text.toUpperCase() };');
    const b = writePlugin('wrapped', 'module.exports = { transform: (input) => ({ text: "[" + input.text + "]" }) };');
    assert.deepEqual(pick(await t.host.invoke(a, 'transform', input('abc'))), { ok: true, output: 'ABC' });
    assert.deepEqual(pick(await t.host.invoke(b, 'transform', input('abc'))), { ok: true, output: '[abc]' });
  });

  it('passes languageId and fileName to the plugin', async () => {
    t = makeHost();
    const p = writePlugin('echo-input', 'module.exports = { transform: (i) => [i.languageId, i.fileName, i.text].join("|") };');
    const r = await t.host.invoke(p, 'transform', { text: 'x', languageId: 'markdown', fileName: '/tmp/a.md' });
    assert.deepEqual(pick(r), { ok: true, output: 'markdown|/tmp/a.md|x' });
  });

  it('answers granted storage calls and keeps data between invocations; logs reach the logger', async () => {
    t = makeHost({ grants: ['read:data', 'write:data'] });
    const p = writePlugin(
      'count-runs',
      'module.exports = { async transform(i, api) { const n = (await api.storage.get("n")) ?? 0; await api.storage.set("n", n + 1); api.log("run", n + 1); return String(n + 1) + ":" + (await api.storage.keys()).join(","); } };',
      ['read:data', 'write:data'],
    );
    for (const expected of ['1:n', '2:n', '3:n']) assert.deepEqual(pick(await t.host.invoke(p, 'transform', input(''))), { ok: true, output: expected });
    assert.equal(t.storage.get('count-runs', 'n'), 3);
    assert.deepEqual(t.logs.filter((l) => l.source === 'plugin').map((l) => l.message), ['run 1', 'run 2', 'run 3']);
  });

  it('denies storage without the grant: the plugin sees a rejected promise, the denial is logged, a handled denial is a success', async () => {
    t = makeHost({ grants: [] });
    const p = writePlugin('tries-storage', 'module.exports = { async transform(i, api) { try { await api.storage.set("k", 1); return "wrote"; } catch (e) { return "caught: " + e.message; } } };', ['write:data']);
    const r = await t.host.invoke(p, 'transform', input(''));
    assert.deepEqual(pick(r), { ok: true, output: 'caught: permission denied: this plugin was not granted "write:data"' });
    assert.equal(t.storage.get('tries-storage', 'k'), undefined);
    assert.ok(t.logs.some((l) => l.source === 'runtime' && l.message.includes('denied storage.set') && l.message.includes('write:data')));
  });

  it('reports an unhandled denial as permission-denied', async () => {
    t = makeHost({ grants: ['write:data'] });
    const p = writePlugin('reads-without-grant', 'module.exports = { async transform(i, api) { return String(await api.storage.get("k")); } };');
    const r = await t.host.invoke(p, 'transform', input(''));
    assert.equal(r.ok, false);
    assert.equal(!r.ok && r.failure.kind, 'permission-denied');
    assert.equal(!r.ok && r.failure.message, failureMessage('permission-denied'));
    assert.match((!r.ok && r.failure.detail) || '', /read:data/);
  });

  it('returns storage errors (not denials) to the plugin as rejections', async () => {
    t = makeHost({ grants: ['read:data', 'write:data'] });
    const p = writePlugin('bad-key', 'module.exports = { async transform(i, api) { try { await api.storage.set("x".repeat(300), 1); return "stored"; } catch (e) { return e.message; } } };');
    const r = await t.host.invoke(p, 'transform', input(''));
    assert.equal(r.ok, true);
    assert.match(r.ok ? r.output : '', /key/i);
  });

  it('stops a synchronous infinite loop at the time limit, and the next call succeeds', async () => {
    t = makeHost({ limits: { timeoutMs: 200 } });
    const loop = writePlugin('loop', 'module.exports = { transform() { for (;;) {} } };');
    const ok = writePlugin('fine', 'module.exports = { transform: (i) => i.text };');
    const r = await t.host.invoke(loop, 'transform', input(''));
    assert.deepEqual(pick(r), { ok: false, kind: 'timeout', message: failureMessage('timeout', { timeoutMs: 200 }) });
    assert.deepEqual(pick(await t.host.invoke(ok, 'transform', input('still here'))), { ok: true, output: 'still here' });
    // The looping plugin itself gets a fresh worker and can be called again (it loops again).
    assert.equal((await t.host.invoke(loop, 'transform', input(''))).ok, false);
  });

  it('stops a promise that never settles at the time limit', async () => {
    t = makeHost({ limits: { timeoutMs: 100 } });
    const p = writePlugin('never', 'module.exports = { transform: () => new Promise(() => {}) };');
    assert.equal(kind(await t.host.invoke(p, 'transform', input(''))), 'timeout');
  });

  it('refuses output over the limit, counting UTF-8 bytes, and accepts output exactly at it', async () => {
    t = makeHost({ limits: { maxOutputBytes: 1024 } });
    const p = writePlugin('repeat', 'module.exports = { transform: (i) => { const [c, n] = i.text.split(":"); return c.repeat(Number(n)); } };');
    assert.equal((await t.host.invoke(p, 'transform', input('a:1024'))).ok, true);
    assert.equal(kind(await t.host.invoke(p, 'transform', input('a:1025'))), 'output-too-large');
    assert.equal((await t.host.invoke(p, 'transform', input('é:512'))).ok, true);
    assert.equal(kind(await t.host.invoke(p, 'transform', input('é:513'))), 'output-too-large');
    assert.equal(kind(await t.host.invoke(p, 'transform', input('a:100000'))), 'output-too-large');
    assert.equal((await t.host.invoke(p, 'transform', input('b:3'))).ok, true, 'the plugin keeps working after a refused output');
  });

  it('refuses input over the limit before anything runs, as input-too-large', async () => {
    t = makeHost({ limits: { maxInputBytes: 1024 } });
    const p = writePlugin('echo-big', 'module.exports = { transform: (i) => i.text };');
    const r = await t.host.invoke(p, 'transform', input('é'.repeat(513)));
    assert.deepEqual(pick(r), { ok: false, kind: 'input-too-large', message: failureMessage('input-too-large', { maxInputBytes: 1024 }) });
    assert.equal(t.host.status().sandbox, undefined, 'the sandbox was not even started');
    assert.equal((await t.host.invoke(p, 'transform', input('é'.repeat(512)))).ok, true);
  });

  it('refuses output that is neither a string nor { text: string }', async () => {
    t = makeHost();
    for (const [name, expr, detail] of [
      ['returns-number', '42', /a number/],
      ['returns-null', 'null', /null/],
      ['returns-bad-text', '({ text: 5 })', /"text" is a number/],
      ['returns-throwing-getter', '({ get text() { throw new Error("no") } })', /threw/],
    ] as const) {
      const p = writePlugin(name, `module.exports = { transform: () => ${expr} };`);
      const r = await t.host.invoke(p, 'transform', input(''));
      assert.equal(kind(r), 'invalid-output', name);
      assert.match((!r.ok && r.failure.detail) || '', detail, name);
    }
  });

  it('reports a thrown error as plugin-error with its message, sanitised', async () => {
    t = makeHost();
    const p = writePlugin('throws', 'module.exports = { transform() { throw new TypeError("bad \\u001b[31mred\\u001b[0m input\\nsecond line"); } };');
    const r = await t.host.invoke(p, 'transform', input(''));
    assert.equal(kind(r), 'plugin-error');
    const detail = (!r.ok && r.failure.detail) || '';
    assert.match(detail, /^TypeError: bad red input/);
    assert.doesNotMatch(detail, /[\u0000-\u001f]/);
  });

  it('reports a top-level error in the script on invocation', async () => {
    t = makeHost();
    const p = writePlugin('top-level-throw', 'throw new Error("broken at load"); module.exports = {};');
    const r = await t.host.invoke(p, 'transform', input(''));
    assert.equal(kind(r), 'plugin-error');
    assert.match((!r.ok && r.failure.detail) || '', /while loading the plugin: Error: broken at load/);
  });

  it('explains a missing transform export', async () => {
    t = makeHost();
    const p = writePlugin('no-export', 'module.exports = { transfrom: (i) => i.text };');
    const r = await t.host.invoke(p, 'transform', input(''));
    assert.match((!r.ok && r.failure.detail) || '', /does not export a "transform" function/);
  });

  it('gives every invocation a fresh realm: globals and prototype changes do not survive', async () => {
    t = makeHost();
    const p = writePlugin('leaky', 'module.exports = { transform() { const seen = typeof globalThis.marker + "," + ({}).polluted; globalThis.marker = 1; Object.prototype.polluted = "yes"; return seen; } };');
    for (let i = 0; i < 3; i++) assert.deepEqual(pick(await t.host.invoke(p, 'transform', input(''))), { ok: true, output: 'undefined,undefined' });
  });

  it('keeps concurrent invocations of one plugin apart (no cross-talk between requestIds)', async () => {
    t = makeHost({ grants: ['read:data'] });
    const p = writePlugin('slow-echo', 'module.exports = { async transform(i, api) { await api.storage.get("x"); await api.storage.get("y"); return "<" + i.text + ">"; } };', ['read:data']);
    const inputs = Array.from({ length: 8 }, (_, i) => `n${i}`);
    const results = await Promise.all(inputs.map((s) => t.host.invoke(p, 'transform', input(s))));
    assert.deepEqual(results.map((r) => (r.ok ? r.output : r.failure.kind)), inputs.map((s) => `<${s}>`));
  });

  it('fails the running invocation with worker-crashed when the sandbox process is killed, then recovers', async () => {
    t = makeHost({ limits: { timeoutMs: 10_000 } });
    const hang = writePlugin('hang', 'module.exports = { transform() { for (;;) {} } };');
    const ok = writePlugin('ok-after-crash', 'module.exports = { transform: (i) => i.text };');
    await t.host.invoke(ok, 'transform', input('warm-up'));
    const pid = t.host.status().sandbox!.pid;
    const running = t.host.invoke(hang, 'transform', input(''));
    await waitFor(() => t.host.status().running === 1);
    process.kill(pid, 'SIGKILL');
    const r = await running;
    assert.equal(kind(r), 'worker-crashed');
    assert.deepEqual(pick(await t.host.invoke(ok, 'transform', input('back'))), { ok: true, output: 'back' });
    assert.notEqual(t.host.status().sandbox!.pid, pid);
  });

  it('reports what an invocation used: heap, off-heap bytes charged, output bytes, log entries', async () => {
    t = makeHost();
    const p = writePlugin('uses-some', 'module.exports = { transform(i, api) { api.log("a"); api.log("b"); const buf = new Uint8Array(4096); return "é" + buf.length; } };');
    const r = await t.host.invoke(p, 'transform', input(''));
    assert.equal(r.ok, true);
    assert.ok(r.usage, 'usage reported');
    assert.equal(r.usage.offHeapBytes, 4096);
    assert.equal(r.usage.outputBytes, 6);
    assert.equal(r.usage.logEntries, 2);
    assert.ok(r.usage.heapUsedBytes > 0);
  });

  it('gives a call that was queued when the sandbox process died to the next process (it never hangs)', async () => {
    t = makeHost({ limits: { timeoutMs: 10_000 } });
    const hang = writePlugin('hang-queued', 'module.exports = { transform() { for (;;) {} } };');
    const later = writePlugin('queued-later', 'module.exports = { transform: (i) => i.text };');
    await t.host.invoke(later, 'transform', input('warm'));
    const pid = t.host.status().sandbox!.pid;
    const running = t.host.invoke(hang, 'transform', input(''));
    await waitFor(() => t.host.status().running === 1);
    // Changed source: this call must wait for a new worker of its own, so it is queued, not running.
    const changed = writePlugin('queued-later', 'module.exports = { transform: (i) => "new:" + i.text };');
    const queued = t.host.invoke(changed, 'transform', input('q'));
    await waitFor(() => t.host.status().queued === 2);
    process.kill(pid, 'SIGKILL');
    assert.equal(kind(await running), 'worker-crashed');
    assert.deepEqual(pick(await queued), { ok: true, output: 'new:q' });
  });

  it('runs the sandbox process under Node\'s permission model and without code generation from strings', async () => {
    t = makeHost();
    const p = writePlugin('probe', 'module.exports = { transform: (i) => i.text };');
    await t.host.invoke(p, 'transform', input(''));
    const s = t.host.status().sandbox!;
    assert.equal(s.permissionModel, true);
    assert.ok(s.flags.includes('--disallow-code-generation-from-strings'));
    assert.ok(s.flags.includes('--experimental-permission'));
  });
});

function pick(r: { ok: true; output: string } | { ok: false; failure: { kind: string; message: string } }) {
  return r.ok ? { ok: true, output: r.output } : { ok: false, kind: r.failure.kind, message: r.failure.message };
}

function kind(r: { ok: boolean; failure?: { kind: string } }): string | undefined {
  return r.ok ? undefined : r.failure?.kind;
}

/** Polls a condition on the event loop with a bounded deadline (never a fixed sleep). */
export async function waitFor(cond: () => boolean, deadlineMs = 10_000): Promise<void> {
  const end = Date.now() + deadlineMs;
  while (!cond()) {
    if (Date.now() > end) throw new Error('condition not met before the deadline');
    await new Promise((r) => setImmediate(r));
  }
}
