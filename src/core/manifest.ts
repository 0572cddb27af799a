// plugin.json: the zod schema (one source of truth, also exported as JSON Schema), parsing into readable
// problems that name the field, and loading a plugin folder with its main script and fingerprint.
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { z } from 'zod';
import { PERMISSION_IDS, type PermissionId } from './permissions';
import { MAX_PLUGIN_NAME_CHARS, PLUGIN_NAME_RE } from './pluginName';
import { checkPluginSource } from './sourceCheck';

/** The plugin API version this runtime implements; a manifest must name exactly this. */
export const API_VERSION = 1;
export const HOOKS = ['transform'] as const;
export type HookName = (typeof HOOKS)[number];

export const MAX_MANIFEST_BYTES = 64 * 1024;
export const MAX_MAIN_BYTES = 5 * 1024 * 1024;

// Semantic versioning 2.0.0 (without build-metadata length games).
const SEMVER_RE = /^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(?:-[0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*)?(?:\+[0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*)?$/;
// eslint-disable-next-line no-control-regex
const NO_CONTROL_RE = /^[^\u0000-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]*$/;

const text = (max: number) =>
  z.string().min(1, 'must not be empty').max(max, `must be at most ${max} characters`).regex(NO_CONTROL_RE, 'must not contain control characters');

const uniqueArray = <T extends z.ZodTypeAny>(item: T) =>
  z.array(item).refine((a) => new Set(a).size === a.length, 'must not list the same entry twice');

export const ManifestSchema = z
  .object({
    $schema: z.string().optional().describe('JSON Schema reference for editors; ignored by the runtime.'),
    name: z
      .string()
      .min(1, 'must not be empty')
      .max(MAX_PLUGIN_NAME_CHARS, `must be at most ${MAX_PLUGIN_NAME_CHARS} characters`)
      .regex(PLUGIN_NAME_RE, 'must be lowercase letters, digits and single dashes (e.g. "sort-lines")')
      .describe("The plugin's identity and storage scope: lowercase letters, digits and dashes."),
    displayName: text(100).describe('Human-readable name shown in pickers and the tree view.'),
    version: z.string().regex(SEMVER_RE, 'must be a semantic version such as "1.0.0"').describe('Semantic version.'),
    description: text(500).describe('One sentence on what the plugin does.'),
    publisher: text(100).describe('Who publishes the plugin.'),
    apiVersion: z
      .literal(API_VERSION, {
        error: (iss) =>
          iss.input === undefined ? 'is required' : `${JSON.stringify(iss.input)} is not supported: this runtime implements apiVersion ${API_VERSION} exactly`,
      })
      .describe(`Plugin API version; must be ${API_VERSION}.`),
    main: z
      .string()
      .min(1, 'must not be empty')
      .max(255, 'must be at most 255 characters')
      .refine((m) => !path.isAbsolute(m) && !/^[a-zA-Z]:/.test(m) && !m.startsWith('/') && !m.startsWith('\\'), 'must be a path relative to the plugin folder')
      .refine((m) => !m.split(/[\\/]/).includes('..'), 'must not contain ".." (it must stay inside the plugin folder)')
      .refine((m) => /\.(c?js)$/.test(m), 'must name a .js file')
      .describe('The plugin script, relative to the plugin folder.'),
    hooks: uniqueArray(z.enum(HOOKS, { error: (iss) => `unknown hook ${JSON.stringify(iss.input)} (known: ${HOOKS.join(', ')})` }))
      .min(1, 'must list at least one hook')
      .describe('Hooks the plugin implements.'),
    permissions: uniqueArray(
      z.enum(PERMISSION_IDS as [PermissionId, ...PermissionId[]], {
        error: (iss) => `unknown permission ${JSON.stringify(iss.input)} (known: ${PERMISSION_IDS.join(', ')})`,
      }),
    )
      .default([])
      .describe('Permissions the plugin asks for; "log" is always granted.'),
  })
  .strict();

export type Manifest = z.infer<typeof ManifestSchema>;

export type ParseResult<T> = { ok: true; value: T } | { ok: false; problems: string[] };

/** Parses a manifest that arrived as untrusted JSON. Never throws. */
export function parseManifest(json: unknown): ParseResult<Manifest> {
  if (json === null || typeof json !== 'object' || Array.isArray(json)) {
    return { ok: false, problems: ['(manifest): plugin.json must contain a JSON object'] };
  }
  let parsed;
  try {
    parsed = ManifestSchema.safeParse(json);
  } catch (e) {
    return { ok: false, problems: [`plugin.json: could not be checked (${String(e)})`] };
  }
  if (parsed.success) return { ok: true, value: parsed.data };
  const problems = parsed.error.issues.map((issue) => {
    const field = issue.path.length > 0 ? issue.path.map((p) => (typeof p === 'number' ? `[${p}]` : String(p))).join('.').replace(/\.\[/g, '[') : '(manifest)';
    if (issue.code === 'unrecognized_keys') return `${field}: unknown field(s) ${issue.keys.map((k) => JSON.stringify(k)).join(', ')}`;
    if (issue.code === 'invalid_type' && issue.input === undefined) return `${field}: is required`;
    return `${field}: ${issue.message}`;
  });
  return { ok: false, problems };
}

/** A plugin folder, read once: what runs is exactly `source`, and `fingerprint` identifies these bytes. */
export interface LoadedPlugin {
  readonly dir: string;
  readonly manifest: Manifest;
  readonly manifestText: string;
  readonly mainPath: string;
  readonly source: string;
  /** sha256 over plugin.json and the main script: what an approval is bound to. */
  readonly fingerprint: string;
}

export function fingerprintOf(manifestBytes: Buffer | string, mainBytes: Buffer | string): string {
  const h = createHash('sha256');
  for (const [label, bytes] of [['plugin.json', manifestBytes], ['main', mainBytes]] as const) {
    const b = typeof bytes === 'string' ? Buffer.from(bytes, 'utf8') : bytes;
    h.update(`${label}\0${b.length}\0`);
    h.update(b);
  }
  return h.digest('hex');
}

function isInside(parent: string, child: string): boolean {
  const rel = path.relative(parent, child);
  return rel !== '' && !rel.startsWith('..') && !path.isAbsolute(rel);
}

function readLimited(file: string, max: number, label: string): ParseResult<Buffer> {
  let stat: fs.Stats;
  try {
    stat = fs.statSync(file);
  } catch {
    return { ok: false, problems: [`${label}: file not found (${file})`] };
  }
  if (!stat.isFile()) return { ok: false, problems: [`${label}: is not a regular file (${file})`] };
  if (stat.size > max) return { ok: false, problems: [`${label}: is ${stat.size} bytes; at most ${max} bytes are allowed`] };
  try {
    return { ok: true, value: fs.readFileSync(file) };
  } catch (e) {
    return { ok: false, problems: [`${label}: could not be read (${(e as Error).message})`] };
  }
}

/** Reads and checks a plugin folder. Never throws; problems name the field or file. */
export function loadPluginFolder(dir: string): ParseResult<LoadedPlugin> {
  let realDir: string;
  try {
    realDir = fs.realpathSync(dir);
  } catch {
    return { ok: false, problems: [`plugin folder not found: ${dir}`] };
  }
  const manifestFile = path.join(realDir, 'plugin.json');
  const manifestBytes = readLimited(manifestFile, MAX_MANIFEST_BYTES, 'plugin.json');
  if (!manifestBytes.ok) return manifestBytes;
  const manifestText = manifestBytes.value.toString('utf8');
  let json: unknown;
  try {
    json = JSON.parse(manifestText);
  } catch (e) {
    return { ok: false, problems: [`plugin.json: is not valid JSON (${(e as Error).message})`] };
  }
  const manifest = parseManifest(json);
  if (!manifest.ok) return manifest;
  const mainPath = path.resolve(realDir, manifest.value.main);
  if (!isInside(realDir, mainPath)) return { ok: false, problems: ['main: must stay inside the plugin folder'] };
  let realMain: string;
  try {
    realMain = fs.realpathSync(mainPath);
  } catch {
    return { ok: false, problems: [`main: file not found (${manifest.value.main})`] };
  }
  if (!isInside(realDir, realMain)) return { ok: false, problems: ['main: is a link that leads outside the plugin folder'] };
  const mainBytes = readLimited(realMain, MAX_MAIN_BYTES, `main (${manifest.value.main})`);
  if (!mainBytes.ok) return mainBytes;
  const source = mainBytes.value.toString('utf8');
  const sourceProblems = checkPluginSource(source);
  if (sourceProblems.length > 0) {
    return {
      ok: false,
      problems: sourceProblems.map((p) => `main (${manifest.value.main}${p.line ? `:${p.line}:${p.column}` : ''}): ${p.message}`),
    };
  }
  return {
    ok: true,
    value: {
      dir: realDir,
      manifest: manifest.value,
      manifestText,
      mainPath: realMain,
      source,
      fingerprint: fingerprintOf(manifestBytes.value, mainBytes.value),
    },
  };
}
