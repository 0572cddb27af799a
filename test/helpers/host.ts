// Test helpers: a PluginHost wired to in-memory storage and a capturing log sink, and temp plugin folders.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { StaticGrants } from '../../src/core/host/capabilityGate';
import { PluginHost } from '../../src/core/host/pluginHost';
import { resolveLimits, type LimitsOverride } from '../../src/core/limits';
import { PluginLogger, type LogEntry } from '../../src/core/logging';
import { loadPluginFolder, type LoadedPlugin } from '../../src/core/manifest';
import type { PermissionId } from '../../src/core/permissions';
import { MemoryStore, type KeyValueStore } from '../../src/core/store';
import { PluginStorage } from '../../src/core/storage';

export const REPO_ROOT = path.resolve(__dirname, '../../..');
export const SANDBOX_ENTRY = path.join(REPO_ROOT, 'dist', 'sandbox.js');
export const CLI_ENTRY = path.join(REPO_ROOT, 'dist', 'cli.js');
export const FIXTURES_DIR = path.join(REPO_ROOT, 'test', 'fixtures');
export const SAMPLES_DIR = path.join(REPO_ROOT, 'sample-plugins');

export interface TestHost {
  host: PluginHost;
  logs: LogEntry[];
  storage: PluginStorage;
  store: KeyValueStore;
}

export function makeHost(options: { limits?: LimitsOverride; grants?: PermissionId[]; store?: KeyValueStore } = {}): TestHost {
  const logs: LogEntry[] = [];
  const store = options.store ?? new MemoryStore();
  const storage = new PluginStorage(store);
  const logger = new PluginLogger({ sink: { write: (e) => logs.push(e) } });
  const host = new PluginHost({
    sandboxEntry: SANDBOX_ENTRY,
    limits: resolveLimits(options.limits ?? {}),
    storage,
    logger,
    grants: new StaticGrants(options.grants ?? []),
  });
  return { host, logs, storage, store };
}

const tempDirs: string[] = [];

/** Writes a plugin folder with `source` as its index.js and loads it; throws if it is invalid. */
export function writePlugin(name: string, source: string, permissions: PermissionId[] = []): LoadedPlugin {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `pr-test-${name}-`));
  tempDirs.push(dir);
  const folder = path.join(dir, name);
  fs.mkdirSync(folder);
  fs.writeFileSync(
    path.join(folder, 'plugin.json'),
    JSON.stringify({ name, displayName: name, version: '1.0.0', description: 'A test plugin.', publisher: 'tests', apiVersion: 1, main: 'index.js', hooks: ['transform'], permissions }),
  );
  fs.writeFileSync(path.join(folder, 'index.js'), source);
  return mustLoad(folder);
}

export function mustLoad(folder: string): LoadedPlugin {
  const loaded = loadPluginFolder(folder);
  if (!loaded.ok) throw new Error(`invalid plugin ${folder}: ${loaded.problems.join('; ')}`);
  return loaded.value;
}

export function loadFixture(name: string): LoadedPlugin {
  return mustLoad(path.join(FIXTURES_DIR, name));
}

export function removeTempDirs(): void {
  for (const d of tempDirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
}

export const input = (text: string) => ({ text, languageId: 'plaintext', fileName: 'test.txt' });
