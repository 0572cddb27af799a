// `npm run test:integration`: runs the integration suite (test/integration, mocha inside the extension
// host) in a real VS Code (the VS Code server + headless Chromium, see scripts/vscode-host.mjs), then the
// end-to-end tests (test/e2e/*.e2e.mjs, Playwright driving a window with the extension loaded), and ends
// with the line `N passed, N failed`. Exits non-zero on any failure, timeout or missing result.
//
//   node scripts/test-integration.mjs [--integration-only | --e2e-only] [--grep PATTERN] [--verbose]
//
// Expects `npm run build` to have run (dist/extension.js, out/test/integration/index.js).
// PLUGIN_RUNTIME_TEST_DEADLINE_MS bounds the integration suite (default 300000).
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join, relative } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import {
  buildUrl, cleanupAll, ensureServer, helpers, launchBrowser, onCleanup, openWindow, pollUntil, repoRoot,
  serverLogTails, shuttingDown, startServer, vscodeVersion, waitForWorkbench, withDeadline,
} from './vscode-host.mjs';

const { values: opts } = parseArgs({
  options: {
    'integration-only': { type: 'boolean', default: false },
    'e2e-only': { type: 'boolean', default: false },
    grep: { type: 'string' },
    verbose: { type: 'boolean', default: false },
  },
});

const INTEGRATION_DEADLINE_MS = Number(process.env.PLUGIN_RUNTIME_TEST_DEADLINE_MS ?? 300_000);
const E2E_DEFAULT_TIMEOUT_MS = 120_000;
const suiteIndex = join(repoRoot, 'out', 'test', 'integration', 'index.js');
const extensionMain = join(repoRoot, 'dist', 'extension.js');
const e2eDir = join(repoRoot, 'test', 'e2e');
const artifactsDir = join(repoRoot, '.vscode-test', 'artifacts');
/** Copied into every fresh workspace folder when present (fixture files for the tests). */
const integrationWorkspaceTemplate = join(repoRoot, 'test', 'integration', 'workspace');

const tally = { passed: 0, failed: 0, skipped: 0 };
const tempDirs = [];
onCleanup(() => { for (const dir of tempDirs.splice(0)) rmSync(dir, { recursive: true, force: true }); });
const log = (line = '') => console.log(line);
const seconds = (ms) => `${(ms / 1000).toFixed(1)} s`;

function tempDir(prefix) {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  tempDirs.push(dir);
  return dir;
}

/** A fresh workspace folder: the template (if any), then `files` ({ 'a/b.txt': 'text' }), then settings. */
function makeWorkspace({ files = {}, settings, template } = {}) {
  const dir = tempDir('plugin-runtime-ws-');
  if (template && existsSync(template)) cpSync(template, dir, { recursive: true });
  for (const [name, content] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, name)), { recursive: true });
    writeFileSync(join(dir, name), content);
  }
  if (settings) {
    mkdirSync(join(dir, '.vscode'), { recursive: true });
    writeFileSync(join(dir, '.vscode', 'settings.json'), JSON.stringify(settings, null, 2));
  }
  return dir;
}

/** The page console (extension host output included) less the noise every window makes here. */
function extensionHostLines(consoleLines) {
  return consoleLines
    .filter((l) => !/Failed to load resource|bad HTTP response code|Service Worker|service worker|same-origin|open-vsx|sandboxing/.test(l));
}

function printDiagnostics({ server, consoleLines }) {
  log('--- browser console (errors and extension host output) ---');
  const lines = extensionHostLines(consoleLines).filter((l) => /error|pageerror|warn|\[Extension Host\]|✔|✗|passing|failing/i.test(l));
  log(lines.slice(-80).join('\n') || '(nothing)');
  log('--- VS Code server output ---');
  log(server.output().slice(-40).join('\n'));
  log(serverLogTails(server, { lines: 60, filter: (f) => /(remoteexthost|remoteagent)\.log$/.test(f) }));
}

// ---------------------------------------------------------------------------------------------------
// The integration suite

async function runIntegration(browser) {
  log('== integration suite (mocha inside the extension host) ==');
  const resultsFile = join(tempDir('plugin-runtime-results-'), 'results.json');
  const env = { PLUGIN_RUNTIME_TEST_RESULTS: resultsFile };
  if (opts.grep) env.PLUGIN_RUNTIME_TEST_GREP = opts.grep;
  // A window running extension tests refuses to show dialogs (the trust prompt included), so the
  // server trusts every folder, as @vscode/test-electron does with --disable-workspace-trust.
  const server = await startServer({ env, disableWorkspaceTrust: true });
  log(`server: VS Code ${vscodeVersion()} on ${server.baseUrl}, started in ${seconds(server.startMs)}`);
  const workspace = makeWorkspace({ template: integrationWorkspaceTemplate });
  const url = buildUrl({ port: server.port, folder: workspace, extensionDevelopmentPath: repoRoot, extensionTestsPath: suiteIndex });
  const opened = Date.now();
  const { page, consoleLines, context } = await openWindow(browser, url);
  let pageClosedAt = 0;
  // The window stays open after run() settles; it closing or crashing first means no results are coming.
  page.on('close', () => { pageClosedAt = Date.now(); });
  page.on('crash', () => { pageClosedAt = Date.now(); });

  let results;
  try {
    await pollUntil(() => existsSync(resultsFile), {
      timeout: INTEGRATION_DEADLINE_MS,
      interval: 200,
      what: `the integration results file (${INTEGRATION_DEADLINE_MS} ms deadline)`,
      abort: () => {
        if (server.exited()) return `the VS Code server exited (${JSON.stringify(server.exited())})`;
        // run() writes the file before it settles and the extension host exits only after that: an
        // exited extension host and still no file means no results are coming.
        const exit = server.output().find((l) => /Extension Host Process exited/.test(l));
        if (exit && !existsSync(resultsFile)) return `the extension host exited without results (${exit.replace(/^.*<\d+> /, '')})`;
        if (pageClosedAt && Date.now() - pageClosedAt > 5_000) return 'the window closed or crashed without results';
        return '';
      },
    });
    results = JSON.parse(readFileSync(resultsFile, 'utf8'));
  } catch (e) {
    if (shuttingDown()) return;
    log(`✗ the integration suite did not report: ${e.message}`);
    if (existsSync(`${resultsFile}.running`)) log(`  the last test that started: ${readFileSync(`${resultsFile}.running`, 'utf8')}`);
    else log('  no test started: the suite never ran (is extensionTestsPath compiled? did the extension host start?)');
    printDiagnostics({ server, consoleLines });
    tally.failed += 1;
    await context.close().catch(() => {});
    await server.stop();
    return;
  }
  const elapsed = Date.now() - opened;
  for (const t of results.tests) {
    const mark = t.state === 'passed' ? '✓' : t.state === 'failed' ? '✗' : '-';
    log(`  ${mark} ${t.fullTitle}${t.durationMs > 50 ? ` (${t.durationMs} ms)` : ''}`);
  }
  const failedTests = results.tests.filter((t) => t.state === 'failed');
  failedTests.forEach((t, i) => {
    log(`\n  ${i + 1}) ${t.fullTitle}\n     ${t.error?.message ?? ''}`);
    if (t.error?.stack) log(t.error.stack.split('\n').slice(1, 8).map((l) => `     ${l.trim()}`).join('\n'));
  });
  if (results.fatal) log(`\n  the suite could not run: ${results.fatal}`);
  if (opts.verbose || failedTests.length || results.fatal) {
    log('--- extension host console during the run ---');
    log((results.output ?? []).join('\n'));
  }
  if (results.total === 0) {
    log('✗ the integration suite ran no test');
    tally.failed += 1;
  }
  log(`integration: ${results.passes} passed, ${results.failures} failed, ${results.pending} pending; ` +
    `window open → results in ${seconds(elapsed)} (mocha ${results.durationMs} ms)`);
  tally.passed += results.passes;
  tally.failed += results.failures;
  tally.skipped += results.pending;
  await context.close().catch(() => {});
  await server.stop();
}

// ---------------------------------------------------------------------------------------------------
// The end-to-end tests
//
// A test file test/e2e/NAME.e2e.mjs exports either
//   export default async function (ctx) { ... }                 one test, named after the file, or
//   export const tests = { 'does X': async (ctx) => { ... } }     several, run in order;
// and optionally `export const timeout = <ms>` per test (default 120 s). A test throws to fail. ctx:
//   open({ trust = true, files, settings })  a fresh workspace folder (files: { 'name': 'text' },
//        settings: its .vscode/settings.json) in a new window (own browser context) with the extension
//        loaded; waits for the workbench and answers the trust prompt (trust: false → Restricted Mode,
//        undefined → leaves it). Returns { page, workspace, consoleLines }.
//   helpers  runCommand, openFile, editorText, webviewFrame, waitForWorkbench, pollUntil, ... (vscode-host.mjs)
//   server   { port, baseUrl, dataDir, logFiles() }; repoRoot; log(line).
// All e2e tests share one server; every window has its own extension host and browser storage.

function e2eFiles() {
  if (!existsSync(e2eDir)) return [];
  return readdirSync(e2eDir).filter((f) => f.endsWith('.e2e.mjs')).sort().map((f) => join(e2eDir, f));
}

async function runE2e(browser) {
  const files = e2eFiles();
  log('\n== end-to-end tests (Playwright driving VS Code) ==');
  if (!files.length) {
    log('(no test/e2e/*.e2e.mjs files)');
    return;
  }
  const server = await startServer();
  log(`server: VS Code ${vscodeVersion()} on ${server.baseUrl}, started in ${seconds(server.startMs)}`);
  for (const file of files) {
    const mod = await import(pathToFileURL(file).href);
    const name = basename(file, '.e2e.mjs');
    const tests = typeof mod.default === 'function' ? { [name]: mod.default } : (mod.tests ?? {});
    if (!Object.keys(tests).length) {
      log(`✗ ${relative(repoRoot, file)} exports no test (default function or \`tests\` object)`);
      tally.failed += 1;
      continue;
    }
    for (const [title, fn] of Object.entries(tests)) {
      if (opts.grep && !`${name} ${title}`.includes(opts.grep)) continue;
      await runOneE2e({ browser, server, file: name, title, fn, timeout: mod.timeout ?? E2E_DEFAULT_TIMEOUT_MS });
    }
  }
  await server.stop();
}

async function runOneE2e({ browser, server, file, title, fn, timeout }) {
  const windows = [];
  const ctx = {
    server,
    repoRoot,
    helpers,
    log: (line) => log(`    ${line}`),
    async open({ trust = true, files, settings, template } = {}) {
      const workspace = makeWorkspace({ files, settings, template });
      const url = buildUrl({ port: server.port, folder: workspace, extensionDevelopmentPath: repoRoot });
      const win = await openWindow(browser, url);
      windows.push(win);
      await waitForWorkbench(win.page, { trust });
      return { ...win, workspace, url };
    },
  };
  const started = Date.now();
  const label = file === title ? file : `${file} › ${title}`;
  try {
    await withDeadline(Promise.resolve().then(() => fn(ctx)), timeout, `the e2e test "${label}"`);
    tally.passed += 1;
    log(`  ✓ ${label} (${seconds(Date.now() - started)})`);
  } catch (e) {
    if (shuttingDown()) return;
    tally.failed += 1;
    log(`  ✗ ${label} (${seconds(Date.now() - started)})\n     ${String(e?.stack ?? e).split('\n').slice(0, 8).join('\n     ')}`);
    mkdirSync(artifactsDir, { recursive: true });
    for (const [i, win] of windows.entries()) {
      const shot = join(artifactsDir, `${`${file}--${title}`.replace(/[^\w.-]+/g, '_')}-${i}.png`);
      if (await win.page.screenshot({ path: shot }).then(() => true, () => false)) log(`     screenshot: ${relative(repoRoot, shot)}`);
      const errors = extensionHostLines(win.consoleLines).filter((l) => /error|\[Extension Host\]/i.test(l));
      if (errors.length) log(`     console:\n       ${errors.slice(-20).join('\n       ')}`);
    }
  } finally {
    for (const win of windows) await win.context.close().catch(() => {});
  }
}

// ---------------------------------------------------------------------------------------------------

async function main() {
  for (const [path, what] of [[extensionMain, 'the extension bundle'], [suiteIndex, 'the compiled integration suite']]) {
    if (!existsSync(path)) throw new Error(`${relative(repoRoot, path)} (${what}) is missing: run \`npm run build\` first`);
  }
  const t0 = Date.now();
  ensureServer();
  const browser = await launchBrowser();
  if (!opts['e2e-only']) await runIntegration(browser);
  if (!opts['integration-only'] && !shuttingDown()) await runE2e(browser);
  if (!shuttingDown()) log(`\ntotal ${seconds(Date.now() - t0)}`);
}

let exitCode = 1;
try {
  await main();
  exitCode = tally.failed > 0 || tally.passed === 0 ? 1 : 0;
} catch (e) {
  if (!shuttingDown()) log(`✗ ${e?.stack ?? e}`);
  tally.failed += 1;
} finally {
  // After Ctrl+C/SIGTERM the signal handler in vscode-host.mjs cleans up and exits: leave it to that.
  if (shuttingDown()) await new Promise(() => {});
  await cleanupAll();
}
log(`${tally.passed} passed, ${tally.failed} failed${tally.skipped ? `, ${tally.skipped} skipped` : ''}`);
process.exit(exitCode);
