// PluginHosts for the benchmark, wired as the extension wires them (in-memory storage, a discarding log
// sink), and every one of them owned here so a run always ends with each sandbox process gone.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { StaticGrants } from '../src/core/host/capabilityGate';
import { PluginHost, type InvokeOutcome, type TransformInput } from '../src/core/host/pluginHost';
import { resolveLimits, type LimitsOverride } from '../src/core/limits';
import { PluginLogger } from '../src/core/logging';
import type { LoadedPlugin } from '../src/core/manifest';
import { MemoryStore } from '../src/core/store';
import { PluginStorage } from '../src/core/storage';

export const REPO_ROOT = path.resolve(__dirname, '..', '..');
export const SANDBOX_ENTRY = path.join(REPO_ROOT, 'dist', 'sandbox.js');

export function assertBuilt(): void {
  if (!fs.existsSync(SANDBOX_ENTRY) || !fs.existsSync(path.join(REPO_ROOT, 'dist', 'worker.js'))) {
    throw new Error(`${SANDBOX_ENTRY} is missing: run \`npm run build\` first (\`npm run bench\` does).`);
  }
}

export class HostPool {
  private readonly hosts = new Set<PluginHost>();

  /**
   * A host with the default limits, except a 10 s time limit unless one is given: on a shared machine a
   * starved 1 MB call can pass 200 ms, and a latency figure must not die of it. The timer costs the same
   * whatever its length; the timeout figures set the real 200 ms.
   */
  create(limits: LimitsOverride = {}): PluginHost {
    const host = new PluginHost({
      sandboxEntry: SANDBOX_ENTRY,
      limits: resolveLimits({ timeoutMs: 10_000, ...limits }),
      storage: new PluginStorage(new MemoryStore()),
      logger: new PluginLogger({ sink: { write: () => {} } }),
      grants: new StaticGrants([]),
    });
    this.hosts.add(host);
    return host;
  }

  async dispose(host: PluginHost): Promise<void> {
    this.hosts.delete(host);
    await host.dispose();
  }

  async disposeAll(): Promise<void> {
    await Promise.all([...this.hosts].map((h) => this.dispose(h)));
  }
}

export const inputOf = (text: string): TransformInput => ({ text, languageId: 'plaintext', fileName: 'bench.txt' });

/** Invokes and insists on success with the text echoed whole: a benchmark of failures measures nothing. */
export async function invokeOk(host: PluginHost, plugin: LoadedPlugin, input: TransformInput): Promise<InvokeOutcome> {
  const outcome = await host.invoke(plugin, 'transform', input);
  if (!outcome.ok) throw new Error(`bench: ${plugin.manifest.name} failed (${outcome.failure.kind}): ${outcome.failure.message} ${outcome.failure.detail ?? ''}`);
  if (outcome.output.length !== input.text.length) throw new Error(`bench: ${plugin.manifest.name} answered ${outcome.output.length} characters for ${input.text.length}`);
  return outcome;
}

/** Resident set of a process in MB from /proc (Linux); undefined where that is not available. */
export function rssMbOf(pid: number): number | undefined {
  try {
    const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
    const m = /^VmRSS:\s+(\d+)\s+kB/m.exec(status);
    return m ? Number(m[1]) / 1024 : undefined;
  } catch {
    return undefined;
  }
}

export function processExists(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}
