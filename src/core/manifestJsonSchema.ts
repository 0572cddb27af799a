// plugin.json's JSON Schema, generated from the zod ManifestSchema (the one source of truth) for editors.
// zod cannot export its refinements, so the few rules that JSON Schema can state are added here by hand;
// test/unit/schema.test.ts checks with ajv that both accept and reject the same manifests.
import { z } from 'zod';
import { API_VERSION, HOOKS, ManifestSchema, type HookName } from './manifest';
import { PERMISSION_IDS, PERMISSIONS } from './permissions';

/** Where the generated schema is committed, relative to the repository (and the VSIX) root. */
export const MANIFEST_JSON_SCHEMA_PATH = 'schemas/plugin.schema.json';

/**
 * `main`'s refinements as one ECMA-262 pattern (what ajv and VS Code's JSON service run): not absolute
 * (no leading / or \, no drive letter), no ".." segment, ends in .js or .cjs. [\s\S] rather than "." because
 * zod's checks do not stop at line breaks.
 */
export const MAIN_PATTERN = String.raw`^(?![/\\])(?![a-zA-Z]:)(?!(?:[\s\S]*[/\\])?\.\.(?:[/\\]|$))[\s\S]*\.c?js$`;

type JsonSchema = Record<string, unknown>;

/** Shown by completion for each hook; a new hook does not compile until it is described here. */
const HOOK_DOCS: Record<HookName, string> = {
  transform: '`transform(input, api)`: returns the new text for the selection (a string or `{ text }`).',
};

/** The JSON Schema (draft-07: what VS Code's JSON language service and ajv's default class both read). */
export function manifestJsonSchema(): JsonSchema {
  const generated = z.toJSONSchema(ManifestSchema, { io: 'input', target: 'draft-7' }) as JsonSchema;
  const properties = generated.properties as Record<string, JsonSchema>;
  const { $schema, ...rest } = generated;
  return {
    $schema,
    title: 'Plugin Runtime plugin manifest (plugin.json)',
    description: `A Plugin Runtime plugin: plugin.json plus one self-contained script. apiVersion ${API_VERSION}.`,
    ...rest,
    // VS Code offers this skeleton when completion is asked for in an empty plugin.json.
    defaultSnippets: [
      {
        label: 'New plugin',
        description: 'A plugin.json with every required field',
        body: {
          name: '${1:my-plugin}',
          displayName: '${2:My Plugin}',
          version: '1.0.0',
          description: '${3:What it does to the selection.}',
          publisher: '${4:me}',
          apiVersion: API_VERSION,
          main: 'index.js',
          hooks: ['transform'],
          permissions: [],
        },
      },
    ],
    properties: {
      ...properties,
      main: {
        ...properties.main,
        pattern: MAIN_PATTERN,
        markdownDescription:
          'The plugin script, relative to the plugin folder: a `.js` (or `.cjs`) file inside it — no absolute path, no `..`, no symlink that leads outside.',
        defaultSnippets: [{ body: 'index.js' }],
      },
      // zod checks uniqueness with a refinement; JSON Schema has a keyword for it.
      hooks: {
        ...properties.hooks,
        uniqueItems: true,
        items: { ...(properties.hooks!.items as JsonSchema), markdownEnumDescriptions: HOOKS.map((h) => HOOK_DOCS[h]) },
        defaultSnippets: [{ body: ['transform'] }],
      },
      permissions: {
        ...properties.permissions,
        uniqueItems: true,
        // Completion shows what each permission allows, as the approval screen does.
        items: {
          ...(properties.permissions!.items as JsonSchema),
          markdownEnumDescriptions: PERMISSION_IDS.map((id) => `${PERMISSIONS[id].allows}${PERMISSIONS[id].alwaysGranted ? ' Always granted.' : ''} Risk: ${PERMISSIONS[id].risk}.`),
        },
      },
    },
  };
}

/** The schema file's exact text: stable key order, two-space indentation, a final newline. */
export function manifestJsonSchemaText(): string {
  return `${JSON.stringify(manifestJsonSchema(), null, 2)}\n`;
}
