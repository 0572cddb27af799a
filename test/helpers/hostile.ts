// Helpers for the hostile suites (issue 7): a PluginHost with an injectable worker or sandbox script and a
// hand-moved log clock, the hostile fixture corpus, exact outcome shapes, bounded waits, and health checks.
import assert from 'node:assert/strict';
import * as path from 'node:path';
import * as v8 from 'node:v8';
import * as vm from 'node:vm';
import { StaticGrants } from '../../src/core/host/capabilityGate';
import { PluginHost, type InvokeOutcome, type OutcomeEvent } from '../../src/core/host/pluginHost';
import { failureMessage, type ErrorKind } from '../../src/core/errors';
import { resolveLimits, type Limits, type LimitsOverride } from '../../src/core/limits';
import { LogLimiter, PluginLogger, type LogEntry } from '../../src/core/logging';
import { loadPluginFolder, type LoadedPlugin } from '../../src/core/manifest';
import type { PermissionId } from '../../src/core/permissions';
import { MemoryStore, type KeyValueStore } from '../../src/core/store';
import { PluginStorage } from '../../src/core/storage';
import { FIXTURES_DIR, REPO_ROOT, SANDBOX_ENTRY, input, mustLoad, writePlugin } from './host';

export const HOSTILE_DIR = path.join(FIXTURES_DIR, 'hostile');
/** Misbehaving worker and sandbox scripts (plain .js, run as they are: no build step). */
export const WORKERS_DIR = path.join(REPO_ROOT, 'test', 'helpers', 'workers');

export interface HostileHostOptions {
  limits?: LimitsOverride;
  grants?: PermissionId[];
  store?: KeyValueStore;
  /** A worker script (in WORKERS_DIR) that plays a worker speaking the protocol badly. */
  workerEntry?: string;
  /** A sandbox-process script to run instead of dist/sandbox.js. */
  sandboxEntry?: string;
}

export interface HostileHost {
  host: PluginHost;
  limits: Limits;
  logs: LogEntry[];
  logger: PluginLogger;
  storage: PluginStorage;
  store: KeyValueStore;
  /** Every outcome the host reported, including failures no invocation was waiting for. */
  events: OutcomeEvent[];
  /** The log limiters' clock (ms): tests move it to open a new rate-limit window instead of waiting. */
  clock: { now: number };
}

export function makeHostileHost(options: HostileHostOptions = {}): HostileHost {
  const clock = { now: 1_000_000 };
  const now = () => clock.now;
  const logs: LogEntry[] = [];
  const logger = new PluginLogger({
    sink: { write: (e) => logs.push(e) },
    limiter: new LogLimiter({ now }),
    runtimeLimiter: new LogLimiter({ limit: 300, noun: ['runtime note', 'runtime notes'], now }),
    now,
  });
  const store = options.store ?? new MemoryStore();
  const storage = new PluginStorage(store);
  const limits = resolveLimits(options.limits ?? {});
  const host = new PluginHost({
    sandboxEntry: options.sandboxEntry ?? SANDBOX_ENTRY,
    ...(options.workerEntry ? { workerEntry: options.workerEntry } : {}),
    limits,
    storage,
    logger,
    grants: new StaticGrants(options.grants ?? []),
  });
  const events: OutcomeEvent[] = [];
  host.onOutcome((e) => events.push(e));
  return { host, limits, logs, logger, storage, store, events, clock };
}

/** A fixture of the hostile corpus, loaded exactly as the registry would load it. */
export function loadHostile(name: string): LoadedPlugin {
  return mustLoad(path.join(HOSTILE_DIR, name));
}

/** The problems loadPluginFolder reports for a hostile fixture that must be refused at load. */
export function loadProblems(name: string): string[] {
  const r = loadPluginFolder(path.join(HOSTILE_DIR, name));
  return r.ok ? [] : r.problems;
}

/** An outcome reduced to what the tests pin exactly: the output, or kind + fixed message + detail. */
export type Shape =
  | { ok: true; output: string }
  | { ok: false; kind: ErrorKind; message: string; detail?: string };

export function shape(r: InvokeOutcome): Shape {
  if (r.ok) return { ok: true, output: r.output };
  const s: Shape = { ok: false, kind: r.failure.kind, message: r.failure.message };
  if (r.failure.detail !== undefined) s.detail = r.failure.detail;
  return s;
}

/** The exact failure shape for `kind` under `limits` (the fixed message comes from the one place it is made). */
export function failed(kind: ErrorKind, detail?: string, limits?: { timeoutMs?: number; maxOutputBytes?: number }): Shape {
  const s: Shape = { ok: false, kind, message: failureMessage(kind, limits) };
  if (detail !== undefined) s.detail = detail;
  return s;
}

export function succeeded(output: string): Shape {
  return { ok: true, output };
}

/** Waits on the event loop for `cond`, up to a bounded deadline (never a fixed sleep). */
export async function waitFor(cond: () => boolean, what: string, deadlineMs = 15_000): Promise<void> {
  const end = Date.now() + deadlineMs;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setImmediate(r));
  }
}

let collect: (() => void) | undefined;
/** A full GC in this process (the test process stands in for the extension host). */
export function fullGc(): void {
  if (!collect) {
    v8.setFlagsFromString('--expose-gc');
    collect = vm.runInNewContext('gc') as () => void;
  }
  collect();
  collect();
}

export function rssMb(): number {
  fullGc();
  return process.memoryUsage.rss() / (1024 * 1024);
}

/** Warms this process up (modules, a host, a sandbox) and returns its RSS then: the baseline for "healthy". */
export async function warmBaselineMb(): Promise<number> {
  const warm = makeHostileHost();
  await warm.host.invoke(writePlugin('warm-up', 'module.exports = { transform: (i) => i.text };'), 'transform', input('x'));
  await warm.host.dispose();
  return rssMb();
}

/** How far above its baseline the test process's RSS may be after an attack, in MB. */
export const RSS_MARGIN_MB = 96;

let healthy: LoadedPlugin | undefined;
/** A well-behaved plugin: answers with its input reversed (so an echo of something else cannot pass). */
export function healthyPlugin(): LoadedPlugin {
  healthy ??= writePlugin('healthy-echo', 'module.exports = { transform: (i) => i.text.split("").reverse().join("") };');
  return healthy;
}

/**
 * The host survived: a well-behaved plugin still answers correctly through the same host, and this process's
 * memory is back near `baselineMb`.
 */
export async function assertHealthy(t: HostileHost, baselineMb: number): Promise<void> {
  const r = await t.host.invoke(healthyPlugin(), 'transform', input('healthy'));
  assert.deepEqual(shape(r), succeeded('yhtlaeh'), 'a well-behaved plugin still answers after the attack');
  const now = rssMb();
  assert.ok(now < baselineMb + RSS_MARGIN_MB, `the test process RSS is ${now.toFixed(0)} MB, more than ${RSS_MARGIN_MB} MB over its ${baselineMb.toFixed(0)} MB baseline`);
}

/** Plugin log lines (source "plugin") and runtime notes of one plugin, as the sink received them. */
export function pluginLines(logs: LogEntry[], plugin: string): string[] {
  return logs.filter((l) => l.plugin === plugin && l.source === 'plugin').map((l) => l.message);
}

export function runtimeLines(logs: LogEntry[], plugin: string): string[] {
  return logs.filter((l) => l.plugin === plugin && l.source === 'runtime').map((l) => l.message);
}

export { input };

/**
 * A test of a gap this suite found and did not fix (each is listed in docs/security.md, "Known gaps"). It asserts
 * the correct behaviour, so it fails until the gap is closed: it runs with PLUGIN_RUNTIME_KNOWN_GAPS=1 and is
 * reported as pending otherwise, so the suite stays green while the gap stays visible.
 */
export function itGap(title: string, fn: () => Promise<void>): void {
  (process.env['PLUGIN_RUNTIME_KNOWN_GAPS'] ? it : it.skip)(`KNOWN GAP: ${title}`, fn);
}
