// Shared helpers for the registry tests: tiny plugin folders in temp dirs, an injectable clock, a store
// whose writes can be made to fail, and outcome values.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { ErrorKind } from '../../src/core/errors';
import { makeFailure } from '../../src/core/errors';
import type { OutcomeLike } from '../../src/core/registry/crashPolicy';
import { MemoryStore } from '../../src/core/store';

const made: string[] = [];

/** A fresh temp directory, removed by cleanupTempDirs(). */
export function tempDir(label = 'registry'): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `plugin-runtime-${label}-`));
  made.push(dir);
  return dir;
}

export function cleanupTempDirs(): void {
  for (const dir of made.splice(0)) fs.rmSync(dir, { recursive: true, force: true });
}

export interface PluginSpec {
  name: string;
  version?: string;
  permissions?: string[];
  source?: string;
  main?: string;
  /** Overrides/extra fields merged into plugin.json (e.g. to make it invalid). */
  extra?: Record<string, unknown>;
}

export const IDENTITY_SOURCE = 'module.exports = { transform(input) { return input.text; } };\n';

/** Writes `<folder>/<sub>/plugin.json` and its main script; returns the plugin folder. */
export function writePlugin(folder: string, spec: PluginSpec, sub: string = spec.name): string {
  const dir = path.join(folder, sub);
  fs.mkdirSync(dir, { recursive: true });
  const main = spec.main ?? 'index.js';
  const manifest = {
    name: spec.name,
    displayName: `The ${spec.name} plugin`,
    version: spec.version ?? '1.0.0',
    description: `Test plugin ${spec.name}.`,
    publisher: 'tests',
    apiVersion: 1,
    main,
    hooks: ['transform'],
    permissions: spec.permissions ?? [],
    ...spec.extra,
  };
  fs.writeFileSync(path.join(dir, 'plugin.json'), JSON.stringify(manifest, null, 2));
  fs.writeFileSync(path.join(dir, main), spec.source ?? IDENTITY_SOURCE);
  return dir;
}

/** A clock the test moves by hand. */
export function manualClock(start = 1_700_000_000_000): { now: () => number; advance: (ms: number) => void } {
  let t = start;
  return { now: () => t, advance: (ms) => void (t += ms) };
}

/** A MemoryStore whose update rejects while `failing` is set, as a full disk or a crashed write would. */
export class FlakyStore extends MemoryStore {
  failing = false;
  writes = 0;
  override async update(key: string, value: unknown): Promise<void> {
    if (this.failing) throw new Error('disk full');
    this.writes++;
    return super.update(key, value);
  }
}

export function success(durationMs = 5): OutcomeLike {
  return { ok: true, durationMs };
}

export function failure(kind: ErrorKind = 'plugin-error', detail?: string, durationMs = 5): OutcomeLike {
  return { ok: false, failure: makeFailure(kind, detail), durationMs };
}
