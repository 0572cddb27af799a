// Faults (issue 7): the sandbox process killed from outside mid-invocation; the state store failing to write
// (the operation errors clearly, the previous state stays); a process killed mid-write (the state file is still
// readable); a plugin folder deleted or edited while the plugin is enabled (the registry refuses or asks for
// re-approval, and a running invocation loses its data permissions at once).
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { JsonFileStore, nodeJsonFileStoreFs, type JsonFileStoreFs } from '../../src/core/jsonFileStore';
import { makeFailure } from '../../src/core/errors';
import { PluginRegistry } from '../../src/core/registry/registry';
import { MemoryStore, type KeyValueStore } from '../../src/core/store';
import { PluginHost } from '../../src/core/host/pluginHost';
import { resolveLimits } from '../../src/core/limits';
import { PluginLogger } from '../../src/core/logging';
import { PluginStorage } from '../../src/core/storage';
import { REPO_ROOT, SANDBOX_ENTRY, removeTempDirs, writePlugin } from '../helpers/host';
import { failed, input, makeHostileHost, shape, succeeded, waitFor, type HostileHost } from '../helpers/hostile';
import { IDENTITY_SOURCE, cleanupTempDirs, tempDir, writePlugin as writeRegistryPlugin } from './registryFixtures';

describe('faults', function () {
  this.timeout(60_000);
  let t: HostileHost | undefined;
  afterEach(async () => {
    await t?.host.dispose();
    t = undefined;
    removeTempDirs();
    cleanupTempDirs();
  });

  describe('the sandbox process killed from outside', () => {
    it('mid-invocation: the running call fails as worker-crashed, a call made right after runs on a new process', async () => {
      t = makeHostileHost({ limits: { timeoutMs: 10_000 } });
      const spin = writePlugin('spin', 'module.exports = { transform() { for (;;) {} } };');
      const calm = writePlugin('calm', 'module.exports = { transform: (i) => "calm:" + i.text };');
      assert.deepEqual(shape(await t.host.invoke(calm, 'transform', input('warm'))), succeeded('calm:warm'));
      const pid = t.host.status().sandbox!.pid;
      const running = t.host.invoke(spin, 'transform', input(''));
      await waitFor(() => t!.host.status().running === 1, 'the spinning call to be dispatched');
      process.kill(pid, 'SIGKILL');
      assert.deepEqual(shape(await running), failed('worker-crashed', 'The sandbox process ended (killed by SIGKILL) and was restarted.'));
      assert.deepEqual(shape(await t.host.invoke(calm, 'transform', input('after'))), succeeded('calm:after'));
      const s = t.host.status().sandbox!;
      assert.notEqual(s.pid, pid);
      assert.equal(s.restarts, 1);
    });

    it('with several plugins in flight: each running call fails once, nothing is lost or answered twice', async () => {
      t = makeHostileHost({ limits: { timeoutMs: 10_000 } });
      const spinners = ['spin-a', 'spin-b', 'spin-c'].map((n) => writePlugin(n, 'module.exports = { transform() { for (;;) {} } };'));
      const calm = writePlugin('calm', 'module.exports = { transform: (i) => i.text };');
      await t.host.invoke(calm, 'transform', input('warm'));
      const pid = t.host.status().sandbox!.pid;
      const running = spinners.map((p) => t!.host.invoke(p, 'transform', input('')));
      await waitFor(() => t!.host.status().running === 3, 'three calls to be running');
      process.kill(pid, 'SIGKILL');
      const outcomes = await Promise.all(running);
      assert.deepEqual(outcomes.map(shape), spinners.map(() => failed('worker-crashed', 'The sandbox process ended (killed by SIGKILL) and was restarted.')));
      assert.deepEqual(t.events.filter((e) => e.plugin.startsWith('spin-')).length, 3, 'one outcome per call');
      assert.deepEqual(shape(await t.host.invoke(calm, 'transform', input('back'))), succeeded('back'));
    });

    it('a frozen sandbox process (SIGSTOP) is replaced after a timeout it does not acknowledge', async () => {
      t = makeHostileHost({ limits: { timeoutMs: 300 } });
      const calm = writePlugin('calm', 'module.exports = { transform: (i) => i.text };');
      await t.host.invoke(calm, 'transform', input('warm'));
      const pid = t.host.status().sandbox!.pid;
      process.kill(pid, 'SIGSTOP');
      try {
        assert.deepEqual(shape(await t.host.invoke(calm, 'transform', input('frozen'))), failed('timeout', undefined, { timeoutMs: 300 }));
        assert.deepEqual(shape(await t.host.invoke(calm, 'transform', input('later'))), succeeded('later'));
      } finally {
        // The host has already replaced (and killed) the frozen process; make sure, without failing if so.
        try {
          process.kill(pid, 'SIGKILL');
        } catch {
          // ESRCH: already gone.
        }
      }
    });
  });

  describe('the state store failing to write', () => {
    /** node:fs, except that rename fails (a full disk at the last step) while `failing` is set. */
    function failingFs(): JsonFileStoreFs & { failing: boolean } {
      const f = {
        ...nodeJsonFileStoreFs,
        failing: false,
        async rename(from: string, to: string) {
          if (f.failing) throw Object.assign(new Error('ENOSPC: no space left on device, rename'), { code: 'ENOSPC' });
          return nodeJsonFileStoreFs.rename(from, to);
        },
      };
      return f;
    }

    it('a plugin\'s storage.set fails with a clear error; the stored value and the file stay as they were', async () => {
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'faults-store-'));
      try {
        const file = path.join(dir, 'state.json');
        const fsx = failingFs();
        const { store } = JsonFileStore.open(file, { fs: fsx });
        t = makeHostileHost({ store, grants: ['read:data', 'write:data'] });
        const p = writePlugin('saver', 'module.exports = { async transform(i, api) { try { await api.storage.set("n", i.text); return "saved " + i.text; } catch (e) { return "refused: " + e.message; } } };');
        assert.deepEqual(shape(await t.host.invoke(p, 'transform', input('1'))), succeeded('saved 1'));
        fsx.failing = true;
        assert.deepEqual(shape(await t.host.invoke(p, 'transform', input('2'))), succeeded('refused: storage could not be saved, so nothing was changed; try again later'));
        assert.equal(t.storage.get('saver', 'n'), '1', 'the view in memory is unchanged');
        assert.equal(new PluginStorage(JsonFileStore.open(file).store).get('saver', 'n'), '1', 'the file on disk is unchanged');
        assert.deepEqual(fs.readdirSync(dir), ['state.json'], 'no temp file is left behind');
        fsx.failing = false;
        assert.deepEqual(shape(await t.host.invoke(p, 'transform', input('3'))), succeeded('saved 3'));
        assert.equal(new PluginStorage(JsonFileStore.open(file).store).get('saver', 'n'), '3');
      } finally {
        fs.rmSync(dir, { recursive: true, force: true });
      }
    });

    it('a registry transition fails with a clear error and the plugin keeps its state, in memory and on disk', async () => {
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'faults-registry-'));
      try {
        const file = path.join(dir, 'state.json');
        const folder = tempDir('faults');
        writeRegistryPlugin(folder, { name: 'steady' });
        const fsx = failingFs();
        const registry = new PluginRegistry({ store: JsonFileStore.open(file, { fs: fsx }).store, folders: [folder] });
        registry.scan();
        assert.equal((await registry.install('steady', { approve: true })).ok, true);
        assert.equal((await registry.enable('steady')).ok, true);
        fsx.failing = true;
        const r = await registry.disable('steady');
        assert.equal(r.ok, false);
        assert.match(!r.ok ? r.error.message : '', /could not be saved|ENOSPC|save/i);
        assert.equal(registry.stateOf('steady'), 'ENABLED');
        const reopened = new PluginRegistry({ store: JsonFileStore.open(file).store, folders: [folder] });
        assert.equal(reopened.stateOf('steady'), 'ENABLED');
      } finally {
        fs.rmSync(dir, { recursive: true, force: true });
      }
    });
  });

  describe('a process killed mid-write', () => {
    // A child process writes through the real JsonFileStore and stops at one step of the write (announced on
    // stdout); this process kills it with SIGKILL right there, then opens the file as the next start would.
    const STORE_MODULE = path.join(REPO_ROOT, 'out', 'src', 'core', 'jsonFileStore.js');
    const CHILD = `
      const { JsonFileStore, nodeJsonFileStoreFs } = require(${JSON.stringify(STORE_MODULE)});
      const [file, stopAt, count] = process.argv.slice(1);
      const pause = (step) => new Promise(() => { process.stdout.write('at ' + step + '\\n'); });
      const fsx = {
        ...nodeJsonFileStoreFs,
        async open(f, flags) {
          const h = await nodeJsonFileStoreFs.open(f, flags);
          if (flags === 'r') return h; // the directory fsync
          return {
            async writeFile(d, e) { if (stopAt === 'write') await pause('write'); await h.writeFile(d.slice(0, d.length >> 1), e); if (stopAt === 'half-written') await pause('half-written'); await h.writeFile(d.slice(d.length >> 1), e); },
            async sync() { if (stopAt === 'sync') await pause('sync'); await h.sync(); },
            async close() { await h.close(); },
          };
        },
        async rename(a, b) { if (stopAt === 'rename') await pause('rename'); await nodeJsonFileStoreFs.rename(a, b); if (stopAt === 'after-rename') await pause('after-rename'); },
      };
      const { store } = JsonFileStore.open(file, { fs: fsx });
      (async () => {
        // Continues from what the file holds, so every value ever written is larger than the last.
        const first = ((store.get('counter') || {}).i || 0) + 1;
        for (let i = first; count === undefined || i < first + Number(count); i++) {
          await store.update('counter', { i, padding: 'p'.repeat(4096) });
          process.stdout.write('wrote ' + i + '\\n');
        }
      })();
    `;

    /** Runs the writer until `until` appears on its stdout, then SIGKILLs it (or lets it finish `count` writes). */
    function runAndKill(file: string, stopAt: string, until: (out: string) => boolean, count?: number): Promise<string> {
      return new Promise((resolve, reject) => {
        const child = spawn(process.execPath, ['-e', CHILD, file, stopAt, ...(count === undefined ? [] : [String(count)])], { stdio: ['ignore', 'pipe', 'pipe'] });
        let out = '';
        let err = '';
        child.stdout.on('data', (c: Buffer) => {
          out += c.toString();
          if (until(out)) child.kill('SIGKILL');
        });
        child.stderr.on('data', (c: Buffer) => (err += c.toString()));
        // A bounded deadline: a writer that never reaches the awaited step is a failure, never a hang.
        let overdue = false;
        const deadline = setTimeout(() => {
          overdue = true;
          child.kill('SIGKILL');
        }, 15_000);
        child.on('exit', (code, signal) => {
          clearTimeout(deadline);
          if (overdue) reject(new Error(`the writer never reached the awaited step; it printed ${JSON.stringify(out.slice(-200))}`));
          else if (signal === 'SIGKILL' || (count !== undefined && code === 0)) resolve(out);
          else reject(new Error(`writer exited (${code}) before being killed: ${err}`));
        });
      });
    }

    for (const [step, expected] of [
      ['write', 3],
      ['half-written', 3],
      ['sync', 3],
      ['rename', 3],
      ['after-rename', 4],
    ] as const) {
      it(`killed at "${step}" of the fourth write: the file opens cleanly with counter ${expected}`, async () => {
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'faults-kill-'));
        try {
          const file = path.join(dir, 'state.json');
          // Three clean writes first (a writer that finishes), so there is a previous state to keep.
          assert.equal(await runAndKill(file, 'none', () => false, 3), 'wrote 1\nwrote 2\nwrote 3\n');
          const out = await runAndKill(file, step, (o) => o.endsWith(`at ${step}\n`));
          assert.match(out, new RegExp(`at ${step}\\n$`));
          const opened = JsonFileStore.open(file);
          assert.equal(opened.recovered, undefined, 'the file was readable as it was');
          assert.equal((opened.store.get('counter') as { i: number }).i, expected);
        } finally {
          fs.rmSync(dir, { recursive: true, force: true });
        }
      });
    }

    it('killed at twenty arbitrary points of a write loop: the file always opens cleanly with a written value', async () => {
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'faults-kill-'));
      try {
        const file = path.join(dir, 'state.json');
        let last = 0;
        for (let k = 1; k <= 20; k++) {
          // Killed right after its ((k mod 4) + 1)-th write is reported: somewhere inside the next one.
          const out = await runAndKill(file, 'none', (o) => (o.match(/wrote/g) ?? []).length > k % 4);
          const written = Math.max(...[...out.matchAll(/wrote (\d+)/g)].map((m) => Number(m[1])));
          const opened = JsonFileStore.open(file);
          assert.equal(opened.recovered, undefined);
          const i = (opened.store.get('counter') as { i: number }).i;
          assert.ok(i >= written && i <= written + 1, `counter ${i} after the writer reported ${written}`);
          assert.ok(i >= last, 'never goes back');
          last = i;
        }
      } finally {
        fs.rmSync(dir, { recursive: true, force: true });
      }
    });
  });

  describe('a plugin folder deleted or edited while the plugin is enabled', () => {
    async function enabled(name: string, permissions: string[] = ['read:data']) {
      const folder = tempDir('faults');
      const dir = writeRegistryPlugin(folder, { name, permissions, source: IDENTITY_SOURCE });
      const registry = new PluginRegistry({ store: new MemoryStore(), folders: [folder] });
      registry.scan();
      assert.equal((await registry.install(name, { approve: true })).ok, true);
      assert.equal((await registry.enable(name)).ok, true);
      assert.equal(registry.prepareRun(name).ok, true);
      return { registry, dir };
    }

    it('deleted: prepareRun refuses it as invalid, naming where it was installed from', async () => {
      const { registry, dir } = await enabled('vanishing');
      fs.rmSync(dir, { recursive: true });
      assert.deepEqual(registry.prepareRun('vanishing'), {
        ok: false,
        reason: 'invalid',
        failure: makeFailure('invalid-manifest', `vanishing is no longer in the plugin folders (it was installed from ${dir}).`),
      });
      assert.equal(registry.isGranted('vanishing', 'read:data'), true, 'the grant is still bound to the approved files it last verified');
    });

    it('main script edited: prepareRun asks for re-approval, and the data grant stops holding', async () => {
      const { registry, dir } = await enabled('edited');
      fs.writeFileSync(path.join(dir, 'index.js'), 'module.exports = { transform: () => "something else" };\n');
      const r = registry.prepareRun('edited');
      assert.equal(r.ok, false);
      assert.equal(!r.ok && r.reason, 'needs-reapproval');
      assert.deepEqual(!r.ok && r.failure, makeFailure('plugin-disabled', 'edited needs re-approval: its files changed since you approved it (index.js); approve it again to run it.'));
      assert.equal(registry.isGranted('edited', 'read:data'), false);
      assert.equal(registry.isGranted('edited', 'log'), true);
    });

    it('manifest edited to ask for more: prepareRun asks for re-approval and names the new permission', async () => {
      const { registry, dir } = await enabled('greedy');
      const manifestFile = path.join(dir, 'plugin.json');
      const manifest = JSON.parse(fs.readFileSync(manifestFile, 'utf8')) as { permissions: string[] };
      manifest.permissions = ['read:data', 'write:data'];
      fs.writeFileSync(manifestFile, JSON.stringify(manifest, null, 2));
      const r = registry.prepareRun('greedy');
      assert.deepEqual(
        !r.ok && r.failure,
        makeFailure('plugin-disabled', 'greedy needs re-approval: now also asks for write:data; its files changed since you approved it (plugin.json); approve it again to run it.'),
      );
    });

    it('edited while it runs: the running call keeps its approved code but loses its data grant on the next API call', async () => {
      const { registry, dir } = await enabled('mid-run', ['read:data', 'write:data']);
      fs.writeFileSync(
        path.join(dir, 'index.js'),
        'module.exports = { async transform(i, api) { await api.storage.set("step", 1); return "second: " + (await api.storage.get("step")); } };\n',
      );
      // Re-approve this exact code, so the run starts approved.
      const review = registry.reviewReapproval('mid-run');
      assert.ok(review.ok);
      assert.equal((await registry.reapprove('mid-run', { approve: true, fingerprint: review.plugin.fingerprint })).ok, true);
      const prepared = registry.prepareRun('mid-run');
      assert.ok(prepared.ok);

      // A store whose writes wait for the test: the plugin is held inside its first API call.
      const gate = gatedStore();
      const logs: string[] = [];
      const host = new PluginHost({
        sandboxEntry: SANDBOX_ENTRY,
        limits: resolveLimits({ timeoutMs: 20_000 }),
        storage: new PluginStorage(gate.store),
        logger: new PluginLogger({ sink: { write: (e) => logs.push(e.message) } }),
        grants: registry,
      });
      try {
        const running = host.invoke(prepared.plugin, 'transform', input(''));
        await gate.reached;
        // The folder changes under the running call; the next prepareRun (any caller) sees it.
        fs.writeFileSync(path.join(dir, 'index.js'), 'module.exports = { transform: () => "swapped" };\n');
        assert.equal(registry.prepareRun('mid-run').ok, false);
        gate.open();
        const r = await running;
        assert.deepEqual(
          shape(r),
          failed('permission-denied', 'It needs "read:data", which was not granted, and did not handle the denial (Error: permission denied: this plugin was not granted "read:data").'),
        );
        assert.ok(logs.some((l) => l.includes('denied storage.get')));
      } finally {
        await host.dispose();
      }
    });
  });
});

/** A MemoryStore whose first update waits until the test opens the gate. */
function gatedStore(): { store: KeyValueStore; reached: Promise<void>; open: () => void } {
  const inner = new MemoryStore();
  let reachedResolve!: () => void;
  let openResolve!: () => void;
  const reached = new Promise<void>((r) => (reachedResolve = r));
  const opened = new Promise<void>((r) => (openResolve = r));
  const store: KeyValueStore = {
    get: (k) => inner.get(k),
    keys: () => inner.keys(),
    async update(k, v) {
      reachedResolve();
      await opened;
      return inner.update(k, v);
    },
  };
  return { store, reached, open: openResolve };
}
