// The CLI side of the registry: list, install, enable, disable, uninstall, reenable, revoke, reapprove and run
// a plugin by name, on plugin folders and a JSON state file, with the registry's lifecycle and crash policy.
//
// Exit codes: 0 done; 1 something failed while doing it (the plugin failed or is switched off, the state
// could not be saved, data could not be removed); 2 the request itself is refused (bad usage, unknown or
// invalid plugin, a transition the lifecycle does not allow — the message names the state and the action).
// `install <name>` without --approve only shows what the plugin asks for and installs nothing; that review
// is what was asked for, so it exits 0 (scripts must pass --approve explicitly to install).
import * as fs from 'node:fs';
import * as path from 'node:path';
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { formatFailure, type PluginFailure } from '../core/errors';
import { PluginHost, type InvokeOutcome } from '../core/host/pluginHost';
import { JsonFileStore } from '../core/jsonFileStore';
import { DEFAULT_LIMITS } from '../core/limits';
import { PluginLogger, type LogEntry } from '../core/logging';
import type { LoadedPlugin } from '../core/manifest';
import { PERMISSIONS, PERMISSION_IDS, isPermissionId } from '../core/permissions';
import { describeReapproval, type ReapprovalDiff } from '../core/registry/grants';
import { linkHostToRegistry } from '../core/registry/hostLink';
import type { TransitionEvent } from '../core/registry/lifecycle';
import { PluginRegistry, type PluginInfo, type RegistryResult } from '../core/registry/registry';
import type { RegistryError } from '../core/registry/registryErrors';
import { PluginStorage } from '../core/storage';

export interface RegistryCommandIo {
  stdout(s: string): void;
  stderr(s: string): void;
  /** All of standard input, or undefined when it is a terminal. Without it, `run` needs --input-file. */
  readStdin?(): Promise<string | undefined>;
}

export interface RegistryCommandDeps {
  /** Absolute path of the sandbox bundle (dist/sandbox.js), for `run`. */
  readonly sandboxEntry: string;
}

/** The commands this module handles; main.ts dispatches these here (`run` only with --plugins-dir). */
export const registryCommandNames: readonly string[] = ['list', 'install', 'enable', 'disable', 'uninstall', 'reenable', 'revoke', 'reapprove', 'run'];

export const REGISTRY_USAGE = `Registry commands (each takes --plugins-dir D, repeatable, and --state-file F):
  list [--json]                           name, version, state, permissions, problems
  install <name> [--approve]              without --approve: show what it asks for, install nothing
  enable | disable | reenable <name>
  uninstall <name> [--keep-data]          removes its grant and (unless --keep-data) its stored data
  revoke <name> --permission P            take back one granted permission
  reapprove <name> [--approve]            approve its files as they are now (after they changed)
  run <name> [--input-file F] [--language-id ID] [--json]
`;

class UsageError extends Error {}

const COMMON = {
  'plugins-dir': { type: 'string', multiple: true },
  'state-file': { type: 'string' },
} as const;

const OPTIONS = {
  list: { ...COMMON, json: { type: 'boolean' } },
  install: { ...COMMON, approve: { type: 'boolean' } },
  enable: COMMON,
  disable: COMMON,
  reenable: COMMON,
  uninstall: { ...COMMON, 'keep-data': { type: 'boolean' } },
  revoke: { ...COMMON, permission: { type: 'string' } },
  reapprove: { ...COMMON, approve: { type: 'boolean' } },
  run: { ...COMMON, 'input-file': { type: 'string' }, 'language-id': { type: 'string' }, json: { type: 'boolean' } },
} as const;

type Command = keyof typeof OPTIONS;

interface Parsed {
  readonly command: Command;
  readonly name: string | undefined;
  readonly folders: string[];
  readonly stateFile: string;
  readonly flags: Record<string, string | boolean | string[] | undefined>;
}

export async function runRegistryCommand(command: string, argv: string[], io: RegistryCommandIo, deps: RegistryCommandDeps): Promise<number> {
  let parsed: Parsed;
  try {
    parsed = parse(command, argv);
  } catch (e) {
    io.stderr(`plugin-runtime ${command}: ${(e as Error).message}\n${REGISTRY_USAGE}`);
    return 2;
  }
  try {
    return await execute(parsed, io, deps);
  } catch (e) {
    if (e instanceof UsageError) {
      io.stderr(`plugin-runtime ${command}: ${e.message}\n`);
      return 2;
    }
    throw e;
  }
}

function parse(command: string, argv: string[]): Parsed {
  if (!Object.prototype.hasOwnProperty.call(OPTIONS, command)) throw new UsageError(`unknown command ${JSON.stringify(command)}`);
  const cmd = command as Command;
  let values: Record<string, string | boolean | string[] | undefined>;
  let positionals: string[];
  try {
    const options: ParseArgsConfig['options'] = OPTIONS[cmd];
    const result = parseArgs({ args: argv, options, allowPositionals: true, strict: true });
    values = result.values as typeof values;
    positionals = result.positionals;
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
  const wantsName = cmd !== 'list';
  if (wantsName && positionals.length !== 1) throw new UsageError(`${cmd} takes exactly one plugin name (got ${positionals.length})`);
  if (!wantsName && positionals.length > 0) throw new UsageError(`list takes no plugin name (got ${JSON.stringify(positionals[0])})`);
  const folders = (values['plugins-dir'] as string[] | undefined) ?? [];
  if (folders.length === 0) throw new UsageError('--plugins-dir D is required (it may be given more than once)');
  const stateFile = values['state-file'];
  if (typeof stateFile !== 'string' || stateFile === '') throw new UsageError('--state-file F is required');
  for (const f of folders) {
    let isDir = false;
    try {
      isDir = fs.statSync(f).isDirectory();
    } catch {
      // reported below
    }
    if (!isDir) throw new UsageError(`--plugins-dir ${f} is not a folder`);
  }
  if (cmd === 'revoke') {
    const p = values['permission'];
    if (typeof p !== 'string') throw new UsageError('revoke needs --permission P');
    if (!isPermissionId(p)) throw new UsageError(`unknown permission ${JSON.stringify(p)} (known: ${PERMISSION_IDS.join(', ')})`);
  }
  return { command: cmd, name: positionals[0], folders, stateFile, flags: values };
}

async function execute(p: Parsed, io: RegistryCommandIo, deps: RegistryCommandDeps): Promise<number> {
  // Read the input before touching state, so a usage mistake changes nothing.
  const input = p.command === 'run' ? await readInput(p, io) : undefined;
  const opened = JsonFileStore.open(p.stateFile);
  if (opened.recovered) {
    io.stderr(`warning: the state file ${p.stateFile} was unreadable (${opened.recovered.reason}); it was moved to ${opened.recovered.movedTo} and the registry starts empty\n`);
  }
  const store = opened.store;
  const storage = new PluginStorage(store);
  const registry = new PluginRegistry({ store, folders: p.folders, limits: DEFAULT_LIMITS, storage });
  registry.scan();
  const name = p.name ?? '';
  switch (p.command) {
    case 'list':
      return list(registry, p.flags['json'] === true, io);
    case 'install':
      return p.flags['approve'] === true ? done(await registry.install(name, { approve: true }), io) : showInstallReview(registry, name, p, io);
    case 'reapprove':
      return p.flags['approve'] === true ? reapproved(await registry.reapprove(name, { approve: true }), name, io) : showReapprovalReview(registry, name, p, io);
    case 'enable':
      return done(await registry.enable(name), io);
    case 'disable':
      return done(await registry.disable(name), io);
    case 'reenable':
      return done(await registry.reenable(name), io);
    case 'uninstall':
      return done(await registry.uninstall(name, { keepData: p.flags['keep-data'] === true }), io);
    case 'revoke': {
      const permission = p.flags['permission'] as (typeof PERMISSION_IDS)[number];
      const r = await registry.revoke(name, permission);
      if (!r.ok) return refusedOrFailed(r.error, io);
      io.stdout(`${name}: revoked ${permission}\n`);
      return 0;
    }
    case 'run':
      return run(registry, storage, name, input ?? { text: '', fileName: '' }, p, io, deps);
  }
}

// ---- list -------------------------------------------------------------------------------------------------

function problemsOf(info: PluginInfo): string[] {
  return [...info.problems, ...(info.needsReapproval ? [describeReapproval(info.needsReapproval)] : [])];
}

function list(registry: PluginRegistry, json: boolean, io: RegistryCommandIo): number {
  const plugins = registry.list();
  for (const problem of registry.folderProblems()) io.stderr(`warning: ${problem}\n`);
  if (json) {
    io.stdout(`${JSON.stringify(plugins.map((i) => ({ name: i.name, version: i.version ?? null, state: i.state, permissions: i.permissions, problems: problemsOf(i) })), null, 2)}\n`);
    return 0;
  }
  if (plugins.length === 0) {
    io.stdout('no plugins found\n');
    return 0;
  }
  const rows = plugins.map((i) => [i.name, i.version ?? '-', i.state, describePermissions(i)]);
  const header = ['NAME', 'VERSION', 'STATE', 'PERMISSIONS'];
  const widths = header.map((h, col) => Math.max(h.length, ...rows.map((r) => (r[col] ?? '').length)));
  const line = (cells: string[]) => cells.map((c, col) => (col === cells.length - 1 ? c : c.padEnd(widths[col] ?? 0))).join('  ').trimEnd();
  io.stdout(`${line(header)}\n`);
  plugins.forEach((info, k) => {
    io.stdout(`${line(rows[k] ?? [])}\n`);
    for (const problem of problemsOf(info)) io.stdout(`  ! ${problem}\n`);
  });
  return 0;
}

/** Requested permissions, marking the ones not (or no longer) granted to an installed plugin. */
function describePermissions(info: PluginInfo): string {
  if (info.permissions.length === 0) return '-';
  const installed = info.state === 'INSTALLED' || info.state === 'ENABLED' || info.state === 'DISABLED' || info.state === 'ERROR';
  return info.permissions.map((p) => (installed && !info.granted.includes(p) ? `${p} (not granted)` : p)).join(', ');
}

// ---- install / reapprove reviews ------------------------------------------------------------------------

function commandTail(p: Parsed): string {
  const q = (s: string) => (/^[\w./:@%+=,-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`);
  return [...p.folders.flatMap((f) => ['--plugins-dir', q(f)]), '--state-file', q(p.stateFile)].join(' ');
}

function describeAsks(plugin: LoadedPlugin): string {
  const m = plugin.manifest;
  const lines = [`${m.name} ${m.version} — ${m.displayName} by ${m.publisher}`, `  ${m.description}`, 'It asks for:'];
  const asked = [...m.permissions, ...(m.permissions.includes('log') ? [] : (['log'] as const))];
  const width = Math.max(...asked.map((id) => id.length));
  for (const id of asked) {
    const entry = PERMISSIONS[id];
    lines.push(`  ${id.padEnd(width)}  ${entry.title}: ${entry.allows} (risk: ${entry.risk}${entry.alwaysGranted ? ', always granted' : ''})`);
  }
  return `${lines.join('\n')}\n`;
}

function showInstallReview(registry: PluginRegistry, name: string, p: Parsed, io: RegistryCommandIo): number {
  const review = registry.reviewInstall(name);
  if (!review.ok) return refusedOrFailed(review.error, io);
  io.stdout(describeAsks(review.plugin));
  io.stdout(`Nothing was installed. To install ${name} with these permissions, run:\n  plugin-runtime install ${name} ${commandTail(p)} --approve\n`);
  return 0;
}

function showReapprovalReview(registry: PluginRegistry, name: string, p: Parsed, io: RegistryCommandIo): number {
  const review = registry.reviewReapproval(name);
  if (!review.ok) return refusedOrFailed(review.error, io);
  io.stdout(review.needsReapproval ? `${describeChange(review.needsReapproval)}\n` : `${name}'s files are unchanged since you approved them.\n`);
  io.stdout(describeAsks(review.plugin));
  io.stdout(`Nothing was changed. To approve ${name} as it is now, run:\n  plugin-runtime reapprove ${name} ${commandTail(p)} --approve\n`);
  return 0;
}

function describeChange(diff: ReapprovalDiff): string {
  return `Since you approved ${diff.plugin}:\n${diff.summary.map((s) => `  - ${s}`).join('\n')}`;
}

function reapproved(r: RegistryResult, name: string, io: RegistryCommandIo): number {
  if (!r.ok) return refusedOrFailed(r.error, io);
  io.stdout(`${name}: approved as it is now (${r.state})\n`);
  return 0;
}

// ---- lifecycle actions ----------------------------------------------------------------------------------

function done(r: RegistryResult, io: RegistryCommandIo): number {
  if (!r.ok) return refusedOrFailed(r.error, io);
  if (r.event) io.stdout(`${r.event.plugin}: ${r.event.from} → ${r.event.to}\n`);
  if (r.warning) {
    io.stderr(`warning: ${r.warning}\n`);
    return 1;
  }
  return 0;
}

/** A failed save is a failure (1); everything else the registry refuses is a refused request (2). */
function refusedOrFailed(error: RegistryError, io: RegistryCommandIo): number {
  io.stderr(`error[${error.kind}]: ${error.message}\n`);
  return error.kind === 'store-write-failed' ? 1 : 2;
}

// ---- run ------------------------------------------------------------------------------------------------

async function readInput(p: Parsed, io: RegistryCommandIo): Promise<{ text: string; fileName: string }> {
  const file = p.flags['input-file'];
  if (typeof file === 'string') {
    try {
      return { text: fs.readFileSync(file, 'utf8'), fileName: path.resolve(file) };
    } catch (e) {
      throw new UsageError(`cannot read --input-file: ${(e as Error).message}`);
    }
  }
  const text = io.readStdin ? await io.readStdin() : undefined;
  if (text === undefined) throw new UsageError('no input: pass --input-file F or pipe text to standard input');
  return { text, fileName: 'stdin' };
}

async function run(
  registry: PluginRegistry,
  storage: PluginStorage,
  name: string,
  input: { text: string; fileName: string },
  p: Parsed,
  io: RegistryCommandIo,
  deps: RegistryCommandDeps,
): Promise<number> {
  const json = p.flags['json'] === true;
  const prepared = registry.prepareRun(name);
  if (!prepared.ok) {
    // Unknown or invalid plugins are a refused request; a plugin that is not allowed to run is a failure.
    const code = prepared.reason === 'unknown' || prepared.reason === 'invalid' ? 2 : 1;
    reportFailure(prepared.failure, registry.stateOf(name), json, [], io);
    return code;
  }
  const logs: Array<Pick<LogEntry, 'level' | 'source' | 'message'>> = [];
  const logger = new PluginLogger({
    sink: {
      write: (e) => {
        if (json) logs.push({ level: e.level, source: e.source, message: e.message });
        else io.stderr(`[${e.plugin}]${e.source === 'runtime' ? ' (runtime)' : ''} ${e.message}\n`);
      },
    },
  });
  const host = new PluginHost({ sandboxEntry: deps.sandboxEntry, limits: DEFAULT_LIMITS, storage, logger, grants: registry });
  const registryProblems: string[] = [];
  const link = linkHostToRegistry(host, registry, (e) => registryProblems.push(e.message));
  let switchedOff: TransitionEvent | undefined;
  const watch = registry.onDidChange((c) => {
    if (c.type === 'transition' && c.event.plugin === name && c.event.action === 'fail') switchedOff = c.event;
  });
  let outcome: InvokeOutcome;
  try {
    outcome = await host.invoke(prepared.plugin, 'transform', { text: input.text, languageId: (p.flags['language-id'] as string | undefined) ?? 'plaintext', fileName: input.fileName });
    await link.settled();
  } finally {
    logger.flush();
    watch.dispose();
    link.dispose();
    await host.dispose();
  }
  for (const problem of registryProblems) io.stderr(`warning: ${problem}\n`);
  const state = registry.stateOf(name);
  if (outcome.ok) {
    if (json) io.stdout(`${JSON.stringify({ ok: true, output: outcome.output, durationMs: round(outcome.durationMs), state, logs })}\n`);
    else io.stdout(outcome.output);
    return 0;
  }
  reportFailure(outcome.failure, state, json, logs, io, outcome.durationMs);
  if (switchedOff) {
    io.stderr(`${name} was switched off (now ${switchedOff.to}) after ${switchedOff.reason.split(';')[0]}; fix it, then run: plugin-runtime reenable ${name} ${commandTail(p)}\n`);
  }
  return 1;
}

function reportFailure(failure: PluginFailure, state: string, json: boolean, logs: unknown[], io: RegistryCommandIo, durationMs?: number): void {
  if (json) {
    io.stdout(
      `${JSON.stringify({
        ok: false,
        kind: failure.kind,
        message: failure.message,
        ...(failure.detail ? { detail: failure.detail } : {}),
        ...(durationMs !== undefined ? { durationMs: round(durationMs) } : {}),
        state,
        logs,
      })}\n`,
    );
    // The one-line form goes to stderr in both modes, so a person watching a script sees why.
  }
  io.stderr(`${formatFailure(failure)}\n`);
}

function round(n: number): number {
  return Math.round(n * 100) / 100;
}
