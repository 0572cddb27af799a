// The registry CLI: list/install/enable/disable/uninstall/reenable/revoke/reapprove/run on a state file and
// plugin folders, with exit codes, messages, and the crash policy seen from a terminal. `run` uses the real
// sandbox bundle (dist/sandbox.js, built by `npm run build`).
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { runRegistryCommand } from '../../src/cli/registryCommands';
import { JsonFileStore } from '../../src/core/jsonFileStore';
import { RECORD_KEY_PREFIX } from '../../src/core/registry/records';
import { PluginStorage } from '../../src/core/storage';
import { cleanupTempDirs, tempDir, writePlugin } from './registryFixtures';

const SANDBOX_ENTRY = path.resolve(__dirname, '../../../dist/sandbox.js');

const COUNTING_SOURCE = `module.exports = {
  async transform(input, api) {
    if (input.text.includes('boom')) throw new Error('boom!');
    let seen;
    try { seen = (await api.storage.get('runs')) ?? 0; } catch (e) { return 'denied'; }
    try { await api.storage.set('runs', seen + 1); } catch (e) { return 'read-only ' + seen; }
    return input.text.toUpperCase() + ' #' + (seen + 1);
  },
};
`;

interface Result {
  code: number;
  out: string;
  err: string;
}

function setup() {
  const plugins = tempDir('plugins');
  const state = path.join(tempDir('state'), 'state.json');
  writePlugin(plugins, { name: 'upper', permissions: ['read:data', 'write:data'], source: COUNTING_SOURCE });
  const common = ['--plugins-dir', plugins, '--state-file', state];
  const cli = async (command: string, args: string[] = [], stdin?: string): Promise<Result> => {
    let out = '';
    let err = '';
    const io = { stdout: (s: string) => void (out += s), stderr: (s: string) => void (err += s), readStdin: async () => stdin };
    const code = await runRegistryCommand(command, [...args, ...common], io, { sandboxEntry: SANDBOX_ENTRY });
    return { code, out, err };
  };
  const expect = async (command: string, args: string[], code: number, stdin?: string): Promise<Result> => {
    const r = await cli(command, args, stdin);
    assert.equal(r.code, code, `${command} ${args.join(' ')} → ${r.code}\nstdout: ${r.out}\nstderr: ${r.err}`);
    return r;
  };
  /** The state file as a fresh JsonFileStore reads it. */
  const stored = () => JsonFileStore.open(state).store;
  return { plugins, state, common, cli, expect, stored };
}

describe('registry CLI', function () {
  this.timeout(30_000);
  afterEach(cleanupTempDirs);

  describe('list, install, lifecycle', () => {
    it('lists plugins as a table, and as a JSON array of { name, version, state, permissions, problems }', async () => {
      const { plugins, expect } = setup();
      writePlugin(plugins, { name: 'broken', extra: { apiVersion: 7 } });
      const text = await expect('list', [], 0);
      assert.match(text.out, /^NAME\s+VERSION\s+STATE\s+PERMISSIONS\n/);
      assert.match(text.out, /\nupper\s+1\.0\.0\s+AVAILABLE\s+read:data, write:data\n/);
      assert.match(text.out, /\n {2}! apiVersion: 7 is not supported/);
      const json = await expect('list', ['--json'], 0);
      assert.deepEqual(JSON.parse(json.out), [
        { name: 'broken', version: null, state: 'AVAILABLE', permissions: [], problems: ['apiVersion: 7 is not supported: this runtime implements apiVersion 1 exactly'] },
        { name: 'upper', version: '1.0.0', state: 'AVAILABLE', permissions: ['read:data', 'write:data'], problems: [] },
      ]);
    });

    it('install without --approve shows each permission with its explanation and installs nothing (exit 0)', async () => {
      const { expect } = setup();
      const r = await expect('install', ['upper'], 0);
      assert.match(r.out, /^upper 1\.0\.0 — The upper plugin by tests\n/);
      assert.match(r.out, /\n {2}read:data {3}Read its own stored data: Read values this plugin stored earlier/);
      assert.match(r.out, /\n {2}write:data {2}Store data: Save and delete small values .*\(risk: medium\)\n/);
      assert.match(r.out, /\n {2}log {9}Write to the log: .*always granted\)\n/);
      assert.match(r.out, /Nothing was installed\. To install upper with these permissions, run:\n {2}plugin-runtime install upper --plugins-dir .* --approve\n$/);
      const listed = JSON.parse((await expect('list', ['--json'], 0)).out) as Array<{ state: string }>;
      assert.equal(listed[0]?.state, 'AVAILABLE');
    });

    it('walks install → enable → disable → uninstall, printing each transition', async () => {
      const { expect, stored } = setup();
      assert.equal((await expect('install', ['upper', '--approve'], 0)).out, 'upper: AVAILABLE → INSTALLED\n');
      assert.equal((await expect('enable', ['upper'], 0)).out, 'upper: INSTALLED → ENABLED\n');
      assert.equal((await expect('disable', ['upper'], 0)).out, 'upper: ENABLED → DISABLED\n');
      assert.equal((await expect('uninstall', ['upper'], 0)).out, 'upper: DISABLED → UNINSTALLED\n');
      const record = stored().get(`${RECORD_KEY_PREFIX}upper`) as { state: string; grant?: unknown };
      assert.equal(record.state, 'UNINSTALLED');
      assert.equal(record.grant, undefined);
    });

    it('a refused transition exits 2 naming the state and the action', async () => {
      const { expect } = setup();
      const r = await expect('enable', ['upper'], 2);
      assert.equal(r.err, 'error[transition-refused]: cannot enable upper: it is AVAILABLE; install it first\n');
      await expect('install', ['upper', '--approve'], 0);
      await expect('enable', ['upper'], 0);
      const u = await expect('uninstall', ['upper'], 2);
      assert.equal(u.err, 'error[transition-refused]: cannot uninstall upper: it is ENABLED; disable it first\n');
      const re = await expect('reenable', ['upper'], 2);
      assert.match(re.err, /cannot reenable upper: it is ENABLED/);
    });

    it('refuses installing an invalid or unknown plugin with exit 2', async () => {
      const { plugins, expect } = setup();
      writePlugin(plugins, { name: 'broken', extra: { hooks: ['nope'] } });
      const r = await expect('install', ['broken', '--approve'], 2);
      assert.match(r.err, /^error\[not-installable\]: cannot install broken: hooks\[0\]: unknown hook "nope"/);
      const u = await expect('install', ['ghost'], 2);
      assert.match(u.err, /^error\[unknown-plugin\]: no plugin named ghost/);
    });

    it('bad usage exits 2 with a message and changes nothing', async () => {
      const { cli, state } = setup();
      const noDirs = async (args: string[]) => {
        let err = '';
        const code = await runRegistryCommand('list', args, { stdout: () => undefined, stderr: (s) => void (err += s) }, { sandboxEntry: SANDBOX_ENTRY });
        return { code, err };
      };
      const missing = await noDirs(['--state-file', state]);
      assert.equal(missing.code, 2);
      assert.match(missing.err, /--plugins-dir D is required/);
      const notADir = await noDirs(['--plugins-dir', path.join(state, 'nope'), '--state-file', state]);
      assert.equal(notADir.code, 2);
      assert.match(notADir.err, /is not a folder/);
      for (const [cmd, args, pattern] of [
        ['enable', [], /takes exactly one plugin name/],
        ['enable', ['upper', '--approve'], /Unknown option '--approve'/],
        ['list', ['upper'], /list takes no plugin name/],
        ['revoke', ['upper', '--permission', 'read:everything'], /unknown permission "read:everything"/],
      ] as const) {
        const r = await cli(cmd, [...args]);
        assert.equal(r.code, 2, `${cmd} ${args.join(' ')}`);
        assert.match(r.err, pattern);
      }
      assert.equal(fs.existsSync(state), false, 'no state file was written');
    });

    it('warns on stderr when the state file was unreadable and moved aside', async () => {
      const { state, expect } = setup();
      fs.writeFileSync(state, '{ this is not json');
      const r = await expect('list', [], 0);
      assert.match(r.err, /^warning: the state file .* was unreadable \(.*\); it was moved to .* and the registry starts empty\n/);
      assert.ok(fs.readdirSync(path.dirname(state)).some((f) => f.includes('corrupt')));
    });
  });

  describe('run', () => {
    before(function () {
      if (!fs.existsSync(SANDBOX_ENTRY)) throw new Error(`${SANDBOX_ENTRY} is missing: run \`npm run build\` (or node esbuild.js) first`);
    });

    async function enabled() {
      const s = setup();
      await s.expect('install', ['upper', '--approve'], 0);
      await s.expect('enable', ['upper'], 0);
      return s;
    }

    it('runs an ENABLED plugin with its granted storage kept in the state file', async () => {
      const { expect, stored } = await enabled();
      const r = await expect('run', ['upper'], 0, 'hello');
      assert.equal(r.out, 'HELLO #1');
      const store = stored();
      assert.equal(new PluginStorage(store).get('upper', 'runs'), 1, 'its storage lives in the state file');
      const record = store.get(`${RECORD_KEY_PREFIX}upper`) as { health: { invocations: number } };
      assert.equal(record.health.invocations, 1, 'the outcome was recorded in the same state file');
    });

    it('five failing runs switch it off; the sixth is refused with error[plugin-disabled] until reenable', async () => {
      const { expect } = await enabled();
      for (let i = 1; i <= 4; i++) {
        const r = await expect('run', ['upper'], 1, 'boom');
        assert.match(r.err, /error\[plugin-error\]: The plugin threw an error\..*boom!/);
        assert.doesNotMatch(r.err, /switched off/);
      }
      const fifth = await expect('run', ['upper'], 1, 'boom');
      assert.match(fifth.err, /upper was switched off \(now ERROR\) after 5 consecutive failures; fix it, then run: plugin-runtime reenable upper /);
      const listed = JSON.parse((await expect('list', ['--json'], 0)).out) as Array<{ state: string }>;
      assert.equal(listed[0]?.state, 'ERROR');
      const sixth = await expect('run', ['upper'], 1, 'fine');
      assert.match(sixth.err, /^error\[plugin-disabled\]: The plugin is not enabled\. upper was switched off after 5 consecutive failures \(last: error\[plugin-error\]/);
      assert.equal(sixth.out, '');
      await expect('reenable', ['upper'], 0);
      const after = await expect('run', ['upper'], 0, 'fine');
      assert.equal(after.out, 'FINE #1');
    });

    it('keeps storage across runs in the state file, and uninstall removes it unless --keep-data', async () => {
      const { expect } = await enabled();
      assert.equal((await expect('run', ['upper'], 0, 'a')).out, 'A #1');
      assert.equal((await expect('run', ['upper'], 0, 'b')).out, 'B #2');
      await expect('disable', ['upper'], 0);
      await expect('uninstall', ['upper', '--keep-data'], 0);
      await expect('install', ['upper', '--approve'], 0);
      await expect('enable', ['upper'], 0);
      assert.equal((await expect('run', ['upper'], 0, 'c')).out, 'C #3', '--keep-data kept the count');
      await expect('disable', ['upper'], 0);
      await expect('uninstall', ['upper'], 0);
      await expect('install', ['upper', '--approve'], 0);
      await expect('enable', ['upper'], 0);
      assert.equal((await expect('run', ['upper'], 0, 'd')).out, 'D #1', 'uninstall removed the data');
    });

    it('a revoked permission is denied to the plugin on its next call', async () => {
      const { expect } = await enabled();
      assert.equal((await expect('run', ['upper'], 0, 'x')).out, 'X #1');
      assert.equal((await expect('revoke', ['upper', '--permission', 'write:data'], 0)).out, 'upper: revoked write:data\n');
      assert.equal((await expect('run', ['upper'], 0, 'x')).out, 'read-only 1');
      await expect('revoke', ['upper', '--permission', 'read:data'], 0);
      assert.equal((await expect('run', ['upper'], 0, 'x')).out, 'denied');
      const listed = (await expect('list', [], 0)).out;
      assert.match(listed, /read:data \(not granted\), write:data \(not granted\)/);
    });

    it('refuses to run edited files until they are re-approved, saying what changed', async () => {
      const { plugins, expect } = await enabled();
      fs.appendFileSync(path.join(plugins, 'upper', 'index.js'), '\n// changed\n');
      const r = await expect('run', ['upper'], 1, 'x');
      assert.match(r.err, /^error\[plugin-disabled\]: The plugin is not enabled\. upper needs re-approval: its files changed since you approved it \(index\.js\); approve it again to run it\.\n$/);
      const listed = JSON.parse((await expect('list', ['--json'], 0)).out) as Array<{ problems: string[] }>;
      assert.deepEqual(listed[0]?.problems, ['upper needs re-approval: its files changed since you approved it (index.js)']);
      const review = await expect('reapprove', ['upper'], 0);
      assert.match(review.out, /^Since you approved upper:\n {2}- its files changed since you approved it \(index\.js\)\n/);
      assert.match((await expect('run', ['upper'], 1, 'x')).err, /needs re-approval/, 'the review alone approves nothing');
      await expect('reapprove', ['upper', '--approve'], 0);
      assert.equal((await expect('run', ['upper'], 0, 'x')).out, 'X #1');
    });

    it('prints one JSON object with --json, including the state after the run', async () => {
      const { expect } = await enabled();
      const ok = JSON.parse((await expect('run', ['upper', '--json'], 0, 'j')).out) as Record<string, unknown>;
      assert.equal(ok['ok'], true);
      assert.equal(ok['output'], 'J #1');
      assert.equal(ok['state'], 'ENABLED');
      const failed = JSON.parse((await expect('run', ['upper', '--json'], 1, 'boom')).out) as Record<string, unknown>;
      assert.equal(failed['ok'], false);
      assert.equal(failed['kind'], 'plugin-error');
    });

    it('refuses an unknown plugin with exit 2 and a not-enabled one with exit 1', async () => {
      const { expect } = setup();
      assert.match((await expect('run', ['ghost'], 2, 'x')).err, /^error\[plugin-disabled\]: .*There is no plugin named ghost/);
      assert.match((await expect('run', ['upper'], 1, 'x')).err, /upper is AVAILABLE; install it first\./);
    });

    it('needs input from --input-file or standard input', async () => {
      const { expect, plugins } = await enabled();
      assert.match((await expect('run', ['upper'], 2, undefined)).err, /no input: pass --input-file F or pipe text to standard input/);
      const file = path.join(plugins, 'input.txt');
      fs.writeFileSync(file, 'from file');
      assert.equal((await expect('run', ['upper', '--input-file', file], 0)).out, 'FROM FILE #1');
    });
  });
});
