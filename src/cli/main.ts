// The plugin-runtime CLI: validate and run plugin folders headlessly (for plugin authors and tests), and
// drive the registry from a terminal. Exit codes: 0 ok, 1 the plugin failed, 2 bad usage or invalid plugin.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import { formatFailure } from '../core/errors';
import { StaticGrants } from '../core/host/capabilityGate';
import { PluginHost, type InvokeOutcome } from '../core/host/pluginHost';
import { JsonFileStore } from '../core/jsonFileStore';
import { resolveLimits } from '../core/limits';
import { PluginLogger, type LogEntry } from '../core/logging';
import { loadPluginFolder } from '../core/manifest';
import { isPermissionId, PERMISSION_IDS, type PermissionId } from '../core/permissions';
import { MemoryStore, type KeyValueStore } from '../core/store';
import { PluginStorage } from '../core/storage';
import { REGISTRY_USAGE, registryCommandNames, runRegistryCommand } from './registryCommands';
import { buildUsageReport, formatUsageReport, type UsageReport } from './usageReport';

export interface CliIo {
  stdout(s: string): void;
  stderr(s: string): void;
  /** Reads all of standard input, or undefined when it is a terminal. */
  readStdin(): Promise<string | undefined>;
}

const USAGE = `plugin-runtime — run Plugin Runtime plugins from a terminal

Usage:
  plugin-runtime validate <pluginDir>
  plugin-runtime run <pluginDir> [options]        run a plugin folder directly (grants from --grant)
  plugin-runtime info                             start the sandbox once and report how it is confined
  plugin-runtime <registry command> ...           see below

Options for run <pluginDir>:
  --hook transform           the hook to run (default: transform)
  --input-file F             the input text (default: standard input)
  --language-id ID           the input's language id (default: plaintext)
  --grant p1,p2              permissions to grant (${PERMISSION_IDS.join(', ')}; log is always granted)
  --storage-file F           keep the plugin's storage in this JSON file (default: in memory)
  --timeout-ms N             time limit per invocation (default 200)
  --max-heap-mb N            heap limit (default 64)
  --max-output-bytes N       output limit (default 1048576)
  --repeat N                 invoke N times on one warm host (a fresh realm each time); print the last output
  --json                     print one JSON object instead of the output text
  --report                   after the run, print usage against every limit (time, heap, off-heap, output,
                             log rate) with percentages to stderr, or as "report" in the --json object

Exit codes: 0 success, 1 the plugin failed (stderr: error[<kind>]: <message>), 2 bad usage or invalid plugin.
`;

function nodeIo(): CliIo {
  return {
    stdout: (s) => process.stdout.write(s),
    stderr: (s) => process.stderr.write(s),
    readStdin: async () => {
      if (process.stdin.isTTY) return undefined;
      const chunks: Buffer[] = [];
      for await (const c of process.stdin) chunks.push(c as Buffer);
      return Buffer.concat(chunks).toString('utf8');
    },
  };
}

function sandboxEntry(): string {
  return path.join(__dirname, 'sandbox.js');
}

class UsageError extends Error {}

function positiveInt(name: string, v: string | undefined): number | undefined {
  if (v === undefined) return undefined;
  if (!/^\d+$/.test(v)) throw new UsageError(`--${name} must be a whole number (got ${JSON.stringify(v)})`);
  return Number(v);
}

export async function main(argv: string[], io: CliIo = nodeIo()): Promise<number> {
  const [command, ...rest] = argv;
  try {
    if (command === undefined || command === '--help' || command === '-h' || command === 'help') {
      io.stdout(`${USAGE}\n${REGISTRY_USAGE}`);
      return command === undefined ? 2 : 0;
    }
    if (command === 'validate') return validate(rest, io);
    if (command === 'info') return await info(io);
    if (command === 'run' && !rest.includes('--plugins-dir')) return await runFolder(rest, io);
    if (registryCommandNames.includes(command)) {
      return await runRegistryCommand(command, rest, io, { sandboxEntry: sandboxEntry() });
    }
    throw new UsageError(`unknown command ${JSON.stringify(command)}`);
  } catch (e) {
    if (e instanceof UsageError || (e as { code?: string }).code?.startsWith('ERR_PARSE_ARGS')) {
      io.stderr(`plugin-runtime: ${(e as Error).message}\nRun 'plugin-runtime --help' for usage.\n`);
      return 2;
    }
    throw e;
  }
}

function validate(args: string[], io: CliIo): number {
  const { positionals } = parseArgs({ args, allowPositionals: true, strict: true, options: {} });
  if (positionals.length !== 1) throw new UsageError('validate takes exactly one plugin folder');
  const loaded = loadPluginFolder(positionals[0]!);
  if (!loaded.ok) {
    for (const p of loaded.problems) io.stderr(`${p}\n`);
    return 2;
  }
  const m = loaded.value.manifest;
  io.stdout(`ok: ${m.name} ${m.version} (${m.hooks.join(', ')}; permissions: ${m.permissions.length ? m.permissions.join(', ') : 'none'})\n`);
  return 0;
}

async function info(io: CliIo): Promise<number> {
  const host = new PluginHost({
    sandboxEntry: sandboxEntry(),
    storage: new PluginStorage(new MemoryStore()),
    logger: new PluginLogger({ sink: { write: () => {} } }),
    grants: new StaticGrants([]),
  });
  try {
    const dir = fs.mkdtempSync(path.join(require('node:os').tmpdir(), 'plugin-runtime-info-'));
    fs.writeFileSync(path.join(dir, 'plugin.json'), JSON.stringify({ name: 'info-probe', displayName: 'Info probe', version: '1.0.0', description: 'Probe.', publisher: 'plugin-runtime', apiVersion: 1, main: 'index.js', hooks: ['transform'] }));
    fs.writeFileSync(path.join(dir, 'index.js'), 'module.exports = { transform: (i) => i.text };');
    const loaded = loadPluginFolder(dir);
    if (!loaded.ok) throw new Error(loaded.problems.join('; '));
    const outcome = await host.invoke(loaded.value, 'transform', { text: 'ok', languageId: 'plaintext', fileName: 'probe' });
    fs.rmSync(dir, { recursive: true, force: true });
    const s = host.status().sandbox;
    io.stdout(
      `sandbox process: ${s ? `pid ${s.pid}, Node ${s.node}` : 'not running'}\n` +
        `permission model: ${s?.permissionModel ? 'active (reads only its own bundle; no child processes, no addons)' : 'NOT active (this runtime does not support it)'}\n` +
        `flags: ${s?.flags.join(' ') || '(none)'}\n` +
        `probe invocation: ${outcome.ok ? `ok in ${outcome.durationMs.toFixed(1)} ms` : formatFailure(outcome.failure)}\n`,
    );
    return outcome.ok ? 0 : 1;
  } finally {
    await host.dispose();
  }
}

async function runFolder(args: string[], io: CliIo): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    strict: true,
    options: {
      hook: { type: 'string', default: 'transform' },
      'input-file': { type: 'string' },
      'language-id': { type: 'string', default: 'plaintext' },
      grant: { type: 'string', default: '' },
      'storage-file': { type: 'string' },
      'timeout-ms': { type: 'string' },
      'max-heap-mb': { type: 'string' },
      'max-output-bytes': { type: 'string' },
      repeat: { type: 'string', default: '1' },
      json: { type: 'boolean', default: false },
      report: { type: 'boolean', default: false },
    },
  });
  if (positionals.length !== 1) throw new UsageError('run takes exactly one plugin folder');
  if (values.hook !== 'transform') throw new UsageError(`unknown hook ${JSON.stringify(values.hook)} (known: transform)`);
  const grants: PermissionId[] = [];
  for (const g of values.grant.split(',').map((s) => s.trim()).filter(Boolean)) {
    if (!isPermissionId(g)) throw new UsageError(`unknown permission ${JSON.stringify(g)} in --grant (known: ${PERMISSION_IDS.join(', ')})`);
    grants.push(g);
  }
  const repeat = positiveInt('repeat', values.repeat)!;
  if (repeat < 1) throw new UsageError('--repeat must be at least 1');
  let limits;
  try {
    limits = resolveLimits(
      Object.fromEntries(
        Object.entries({
          timeoutMs: positiveInt('timeout-ms', values['timeout-ms']),
          maxHeapMb: positiveInt('max-heap-mb', values['max-heap-mb']),
          maxOutputBytes: positiveInt('max-output-bytes', values['max-output-bytes']),
        }).filter(([, v]) => v !== undefined),
      ),
    );
  } catch (e) {
    throw new UsageError((e as Error).message);
  }

  const loaded = loadPluginFolder(positionals[0]!);
  if (!loaded.ok) {
    if (values.json) io.stdout(`${JSON.stringify({ ok: false, kind: 'invalid-manifest', message: 'The plugin is invalid and cannot be run.', problems: loaded.problems })}\n`);
    else for (const p of loaded.problems) io.stderr(`${p}\n`);
    return 2;
  }

  let text: string | undefined;
  let fileName = 'stdin';
  if (values['input-file'] !== undefined) {
    try {
      text = fs.readFileSync(values['input-file'], 'utf8');
      fileName = path.resolve(values['input-file']);
    } catch (e) {
      throw new UsageError(`cannot read --input-file: ${(e as Error).message}`);
    }
  } else {
    text = await io.readStdin();
    if (text === undefined) throw new UsageError('no input: pass --input-file F or pipe text to standard input');
  }

  let store: KeyValueStore = new MemoryStore();
  if (values['storage-file'] !== undefined) {
    const opened = JsonFileStore.open(values['storage-file']);
    if (opened.recovered) io.stderr(`warning: ${values['storage-file']} was unreadable (${opened.recovered.reason}); it was moved to ${opened.recovered.movedTo} and storage starts empty\n`);
    store = opened.store;
  }

  const logs: Array<Pick<LogEntry, 'level' | 'source' | 'message'>> = [];
  const logger = new PluginLogger({
    sink: {
      write: (e) => {
        if (values.json) logs.push({ level: e.level, source: e.source, message: e.message });
        else io.stderr(`[${e.plugin}]${e.source === 'runtime' ? ' (runtime)' : ''} ${e.message}\n`);
      },
    },
  });
  const host = new PluginHost({ sandboxEntry: sandboxEntry(), limits, storage: new PluginStorage(store), logger, grants: new StaticGrants(grants) });
  const outcomes: InvokeOutcome[] = [];
  try {
    for (let i = 0; i < repeat; i++) {
      const outcome = await host.invoke(loaded.value, 'transform', { text, languageId: values['language-id'], fileName });
      outcomes.push(outcome);
      if (!outcome.ok) break;
    }
  } finally {
    logger.flush();
    await host.dispose();
  }
  return report(outcomes[outcomes.length - 1]!, values.json, logs, io, values.report ? buildUsageReport(outcomes, limits) : undefined);
}

/** Prints the last outcome (and, with --report, the usage report: to stderr, or in the JSON object). */
export function report(outcome: InvokeOutcome, json: boolean, logs: unknown[], io: CliIo, usage?: UsageReport): number {
  if (json) {
    const extra = usage ? { report: usage } : {};
    io.stdout(
      `${JSON.stringify(
        outcome.ok
          ? { ok: true, output: outcome.output, durationMs: round(outcome.durationMs), logs, ...extra }
          : { ok: false, kind: outcome.failure.kind, message: outcome.failure.message, ...(outcome.failure.detail ? { detail: outcome.failure.detail } : {}), durationMs: round(outcome.durationMs), logs, ...extra },
      )}\n`,
    );
    return outcome.ok ? 0 : 1;
  }
  if (outcome.ok) io.stdout(outcome.output);
  else io.stderr(`${formatFailure(outcome.failure)}\n`);
  // On a terminal both streams share the screen: start the report on a line of its own.
  if (usage) io.stderr(`${outcome.ok && outcome.output !== '' && !outcome.output.endsWith('\n') ? '\n' : ''}${formatUsageReport(usage)}`);
  return outcome.ok ? 0 : 1;
}

function round(n: number): number {
  return Math.round(n * 100) / 100;
}

if (require.main === module) {
  main(process.argv.slice(2)).then(
    (code) => {
      process.exitCode = code;
    },
    (e: unknown) => {
      process.stderr.write(`plugin-runtime: internal error: ${(e as Error)?.stack ?? String(e)}\n`);
      process.exitCode = 70;
    },
  );
}
