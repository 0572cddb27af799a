// Builds the separate bundles: extension (vscode external), sandbox process, sandbox worker (with the
// realm prelude inlined as a string), CLI, and the webview script. `--watch` and `--production`.
const esbuild = require('esbuild');
const path = require('path');

const production = process.argv.includes('--production');
const watch = process.argv.includes('--watch');

/** Fails the build if anything under src/core (or src/sandbox) imports 'vscode'. */
const coreStaysVscodeFree = {
  name: 'core-stays-vscode-free',
  setup(build) {
    build.onResolve({ filter: /^vscode$/ }, (args) => {
      const rel = path.relative(__dirname, args.importer);
      if (rel.startsWith(path.join('src', 'core')) || rel.startsWith(path.join('src', 'sandbox')) || rel.startsWith(path.join('src', 'cli'))) {
        return { errors: [{ text: `${rel} imports 'vscode': src/core, src/sandbox and src/cli must stay vscode-free` }] };
      }
      return { path: 'vscode', external: true };
    });
  },
};

/** Prints errors in the format of the esbuild problem matcher (as in vscode-extension-samples). */
const problemMatcher = {
  name: 'esbuild-problem-matcher',
  setup(build) {
    build.onStart(() => { if (watch) console.log('[watch] build started'); });
    build.onEnd((result) => {
      for (const { text, location } of result.errors) {
        console.error(`✘ [ERROR] ${text}`);
        if (location) console.error(`    ${location.file}:${location.line}:${location.column}:`);
      }
      if (watch) console.log('[watch] build finished');
    });
  },
};

const common = {
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'cjs',
  sourcemap: !production,
  sourcesContent: false,
  minify: production,
  logLevel: 'silent',
  plugins: [coreStaysVscodeFree, problemMatcher],
};

/**
 * The realm prelude runs inside each plugin's vm context; it is our constant code, inlined into the worker
 * bundle as text. A plain transform (no bundling, no wrapper) keeps its completion value: the setup function.
 */
async function buildPrelude() {
  const fs = require('fs');
  const source = fs.readFileSync('src/sandbox/realm-prelude.ts', 'utf8');
  const result = await esbuild.transform(source, { loader: 'ts', target: 'es2022', minify: production, sourcefile: 'realm-prelude.ts' });
  return result.code;
}

/** schemas/plugin.schema.json, generated from the zod manifest schema (bundled in memory and run); written only when it changed. */
async function writeManifestSchema() {
  const fs = require('fs');
  const out = await esbuild.build({ ...common, entryPoints: ['src/core/manifestJsonSchema.ts'], write: false, sourcemap: false, minify: false });
  const mod = { exports: {} };
  new Function('module', 'exports', 'require', out.outputFiles[0].text)(mod, mod.exports, require);
  const file = mod.exports.MANIFEST_JSON_SCHEMA_PATH;
  const text = mod.exports.manifestJsonSchemaText();
  if (!fs.existsSync(file) || fs.readFileSync(file, 'utf8') !== text) {
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, text);
  }
}

async function main() {
  const prelude = await buildPrelude();
  const builds = [
    { ...common, entryPoints: ['src/extension.ts'], outfile: 'dist/extension.js' },
    { ...common, entryPoints: ['src/sandbox/process.ts'], outfile: 'dist/sandbox.js' },
    {
      ...common,
      entryPoints: ['src/sandbox/worker.ts'],
      outfile: 'dist/worker.js',
      define: { __REALM_PRELUDE__: JSON.stringify(prelude) },
    },
    { ...common, entryPoints: ['src/cli/main.ts'], outfile: 'dist/cli.js', banner: { js: '#!/usr/bin/env node' } },
  ];
  const fs = require('fs');
  if (fs.existsSync('src/webview/main.ts')) {
    builds.push({ ...common, platform: 'browser', format: 'iife', target: 'es2022', entryPoints: ['src/webview/main.ts'], outfile: 'dist/webview.js' });
  }
  if (watch) {
    const contexts = await Promise.all(builds.map((b) => esbuild.context(b)));
    await Promise.all(contexts.map((c) => c.watch()));
  } else {
    // Every bundle is attempted, so one broken entry point does not hide the errors of the others.
    const results = await Promise.allSettled(builds.map((b) => esbuild.build(b)));
    const failed = results.filter((r) => r.status === 'rejected');
    if (failed.length > 0) throw new Error(failed.map((r) => r.reason.message).join('\n'));
    await writeManifestSchema();
  }
}

main().catch((e) => {
  console.error(e.message ?? e);
  process.exit(1);
});
