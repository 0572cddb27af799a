// The files New Plugin… writes: a manifest, a working transform, a README, the API typings and a jsconfig that
// type-checks the script against the realm. Plain functions with no 'vscode' import, so unit tests can scaffold
// a plugin and run it through the CLI.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { API_VERSION, parseManifest } from '../core/manifest';
import { MAX_PLUGIN_NAME_CHARS, PLUGIN_NAME_RE } from '../core/pluginName';


/** Why `name` cannot be a new plugin's name, or undefined when it can (the manifest's own rule). */
export function problemWithPluginName(name: string): string | undefined {
  if (name === '') return 'Give the plugin a name.';
  if (name.length > MAX_PLUGIN_NAME_CHARS) return `At most ${MAX_PLUGIN_NAME_CHARS} characters.`;
  if (!PLUGIN_NAME_RE.test(name)) return 'Lowercase letters, digits and single dashes only (e.g. "reverse-lines").';
  return undefined;
}

/** "reverse-lines" → "Reverse Lines". */
export function displayNameOf(name: string): string {
  return name
    .split('-')
    .map((w) => w.charAt(0).toUpperCase() + w.slice(1))
    .join(' ');
}

export interface TemplateOptions {
  readonly name: string;
  readonly publisher: string;
  /** The text of types/plugin-api.d.ts, written next to the script for editor completion and checks. */
  readonly typings: string;
}

/** The scaffold's files by name. The manifest passes parseManifest (checked here, so a template bug cannot ship). */
export function templateFiles(opts: TemplateOptions): Record<string, string> {
  const displayName = displayNameOf(opts.name);
  const manifest = {
    name: opts.name,
    displayName,
    version: '0.1.0',
    description: 'Reverses the order of the selected lines.',
    publisher: opts.publisher,
    apiVersion: API_VERSION,
    main: 'index.js',
    hooks: ['transform'],
    permissions: [],
  };
  const parsed = parseManifest(manifest);
  if (!parsed.ok) throw new Error(`the plugin template is invalid: ${parsed.problems.join('; ')}`);

  const script = `// @ts-check
// ${displayName}: reverses the order of the selected lines. Make it yours: change transform() below.
//
// A Plugin Runtime plugin is this one script. The runtime calls module.exports.transform(input, api) with the
// selected text and replaces the selection with what it returns (a string, or { text }). It runs sandboxed:
// no require, no console, no timers, no files or network — see plugin-api.d.ts and docs/writing-plugins.md.

/** @type {import('./plugin-api').Plugin} */
module.exports = {
  transform(input, api) {
    // Keep the document's line endings, and a final line break where it was.
    const eol = input.text.includes("\\r\\n") ? "\\r\\n" : "\\n";
    const trailing = input.text.endsWith(eol);
    const body = trailing ? input.text.slice(0, -eol.length) : input.text;
    const lines = body.split(eol);
    api.log(\`reversing \${lines.length} line(s) of \${input.fileName}\`);
    return lines.reverse().join(eol) + (trailing ? eol : "");
  },
};
`;

  const readme = `# ${displayName}

Reverses the order of the selected lines (the whole document when nothing is selected), keeping line endings
and a final line break. Scaffolded by **Plugin Runtime: New Plugin…** — change \`index.js\` to make it yours.

**Permissions:** none. (Add \`"read:data"\` / \`"write:data"\` to \`plugin.json\` to use \`api.storage\`.)

## Files

| file | what |
| --- | --- |
| \`plugin.json\` | the manifest: name, version, the script to run, the permissions it asks for |
| \`index.js\` | the plugin: \`module.exports.transform(input, api)\` returns the new text |
| \`plugin-api.d.ts\` | the plugin API's types, for completion and checks in the editor (not loaded at run time) |
| \`jsconfig.json\` | type-checks \`index.js\` against the sandbox: \`console\`, \`require\`, timers are errors, as at run time |

## Try it

From a terminal, with the \`plugin-runtime\` CLI (\`node <Plugin Runtime extension folder>/dist/cli.js\`):

\`\`\`sh
plugin-runtime validate .
printf 'one\\ntwo\\nthree\\n' | plugin-runtime run . --report
\`\`\`

In VS Code: the **Plugins** view lists this plugin once its folder is in \`pluginRuntime.pluginFolders\`.
Install it (approve its permissions), select some lines, and run **Plugin Runtime: Transform Selection with
Plugin…** or **Plugin Runtime: Preview Transform…**. After editing, run **Plugin Runtime: Reload Plugin**:
an approval covers the exact files you approved, so a changed plugin is approved again before it runs.
`;

  const jsconfig = {
    // The realm has ECMAScript only: no Node types, no DOM.
    compilerOptions: { checkJs: true, strict: true, target: 'ES2022', module: 'commonjs', lib: ['ES2023'], types: [] },
    include: ['*.js', '*.d.ts'],
  };

  return {
    'plugin.json': `${JSON.stringify(manifest, null, 2)}\n`,
    'index.js': script,
    'README.md': readme,
    'plugin-api.d.ts': opts.typings,
    'jsconfig.json': `${JSON.stringify(jsconfig, null, 2)}\n`,
  };
}

/**
 * Writes the scaffold into `<parent>/<name>`. Refuses a folder that already exists (nothing is overwritten).
 * plugin.json is written last, so discovery never sees a half-written plugin; a failure removes the folder.
 */
export function writeScaffold(parent: string, opts: TemplateOptions): { ok: true; dir: string } | { ok: false; message: string } {
  const problem = problemWithPluginName(opts.name);
  if (problem) return { ok: false, message: `"${opts.name}": ${problem}` };
  const dir = path.join(parent, opts.name);
  let created = false;
  try {
    fs.mkdirSync(parent, { recursive: true });
    fs.mkdirSync(dir); // fails if it exists: that is the check, without a race
    created = true;
    const { 'plugin.json': manifest, ...rest } = templateFiles(opts);
    for (const [file, text] of Object.entries(rest)) fs.writeFileSync(path.join(dir, file), text, { flag: 'wx' });
    fs.writeFileSync(path.join(dir, 'plugin.json'), manifest!, { flag: 'wx' });
    return { ok: true, dir };
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'EEXIST' && !created) return { ok: false, message: `${dir} already exists; pick another name or folder.` };
    if (created) fs.rmSync(dir, { recursive: true, force: true });
    return { ok: false, message: `Could not create ${dir}: ${e instanceof Error ? e.message : String(e)}` };
  }
}
