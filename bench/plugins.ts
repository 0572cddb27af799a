// The benchmark's plugins: written to a temporary folder as real plugin folders and loaded with the
// runtime's own loader, so the host runs exactly what a user's plugin would go through.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { loadPluginFolder, type LoadedPlugin } from '../src/core/manifest';

/** The trivial transform every latency figure runs (and the direct floor calls in-process). */
export const ECHO_SOURCE = 'module.exports = { transform: (input) => input.text };\n';

/** Loops forever when asked to, answers otherwise: the same plugin times out and then succeeds. */
export const LOOP_ON_DEMAND_SOURCE = 'module.exports = { transform(input) { if (input.text === "loop") { for (;;) {} } return input.text; } };\n';

/** The memory attacks of the threat model; each must fail as a limit without the host growing. */
export const ATTACK_SOURCES = {
  /** Off-heap: 16 MB typed arrays until something stops it (the realm's off-heap cap). */
  'typed-array-bomb': 'module.exports = { transform() { const keep = []; for (;;) keep.push(new Uint8Array(16 * 1024 * 1024)); } };\n',
  /** A resizable ArrayBuffer asking for 2 GB of room. */
  'array-buffer-bomb': 'module.exports = { transform() { const b = new ArrayBuffer(1, { maxByteLength: 2 ** 31 }); b.resize(2 ** 31); return String(b.byteLength); } };\n',
  /** On-heap: 512 MB of doubles in one array; fatal OOM of the whole sandbox process (DESIGN.md). */
  'heap-bomb': 'module.exports = { transform() { return String(new Array(2 ** 26).fill(1.5).length); } };\n',
  /** An answer of 16 MB: refused as output-too-large before it crosses to the host. */
  'output-bomb': 'module.exports = { transform() { return "x".repeat(16 * 1024 * 1024); } };\n',
} as const;

export type AttackName = keyof typeof ATTACK_SOURCES;

export class BenchPlugins {
  private readonly dir = fs.mkdtempSync(path.join(os.tmpdir(), 'plugin-runtime-bench-'));

  /** Writes and loads a plugin folder; each name is written once. */
  write(name: string, source: string): LoadedPlugin {
    const folder = path.join(this.dir, name);
    fs.mkdirSync(folder);
    fs.writeFileSync(
      path.join(folder, 'plugin.json'),
      JSON.stringify({ name, displayName: name, version: '1.0.0', description: 'A benchmark plugin.', publisher: 'bench', apiVersion: 1, main: 'index.js', hooks: ['transform'], permissions: [] }),
    );
    fs.writeFileSync(path.join(folder, 'index.js'), source);
    const loaded = loadPluginFolder(folder);
    if (!loaded.ok) throw new Error(`bench plugin ${name} is invalid: ${loaded.problems.join('; ')}`);
    return loaded.value;
  }

  dispose(): void {
    fs.rmSync(this.dir, { recursive: true, force: true });
  }
}

/** Editor-like text of exactly `bytes` ASCII bytes (lines of words), the input of the latency figures. */
export function textOfSize(bytes: number): string {
  const line = 'the quick brown fox jumps over the lazy dog 0123456789\n';
  return line.repeat(Math.ceil(bytes / line.length)).slice(0, bytes);
}
