// `npm start`: opens a real VS Code (the VS Code server, see scripts/vscode-host.mjs) on a demo workspace
// with the extension under development loaded, and prints the URL to open in a browser. Runs until
// Ctrl+C. The demo workspace (.vscode-test/demo-workspace) points pluginRuntime.pluginFolders at
// sample-plugins; editor state lives in .vscode-test/start-data and survives restarts (--fresh: not).
//
//   npm start                       server on 127.0.0.1:3917 (or a free port if that one is taken)
//   npm start -- --port 8123        this port, or fail
//   npm start -- --headless-check   open the window in headless Chromium, trust the folder, open
//                                   demo.txt, save a screenshot, print its path, exit (0 = it worked)
//   options: --screenshot PATH (with --headless-check), --fresh, --verbose (echo the server's output)
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { parseArgs } from 'node:util';
import {
  buildUrl, cleanupAll, editorText, ensureServer, launchBrowser, onCleanup, openFile, openWindow, repoRoot,
  shuttingDown, startServer, vscodeVersion, waitForWorkbench,
} from './vscode-host.mjs';

const DEFAULT_PORT = 3917;

const { values: opts } = parseArgs({
  options: {
    port: { type: 'string' },
    'headless-check': { type: 'boolean', default: false },
    screenshot: { type: 'string' },
    fresh: { type: 'boolean', default: false },
    verbose: { type: 'boolean', default: false },
  },
});

const demoWorkspace = join(repoRoot, '.vscode-test', 'demo-workspace');

/** Creates the demo workspace once; a person's edits to it are kept. */
function ensureDemoWorkspace() {
  const settingsFile = join(demoWorkspace, '.vscode', 'settings.json');
  if (!existsSync(settingsFile)) {
    mkdirSync(join(demoWorkspace, '.vscode'), { recursive: true });
    const settings = {
      'pluginRuntime.pluginFolders': [join(repoRoot, 'sample-plugins')],
      // The folder sits inside this repository: no "open the parent git repository?" prompt.
      'git.openRepositoryInParentFolders': 'never',
    };
    writeFileSync(settingsFile, `${JSON.stringify(settings, null, 2)}\n`);
  }
  const files = {
    'README.txt': [
      'Plugin Runtime demo workspace',
      '',
      'Select some lines of demo.txt, then run "Plugin Runtime: Transform Selection with Plugin…"',
      'from the command palette (F1) and pick a plugin, e.g. Sort Lines.',
      '',
      'The plugins come from the sample-plugins folder of the repository',
      '(setting pluginRuntime.pluginFolders in .vscode/settings.json).',
      '',
    ].join('\n'),
    'demo.txt': ['pear', 'banana', 'cherry', 'apple', 'fig', 'date', 'elderberry', 'grape', ''].join('\n'),
  };
  for (const [name, text] of Object.entries(files)) {
    if (!existsSync(join(demoWorkspace, name))) writeFileSync(join(demoWorkspace, name), text);
  }
}

function portIsFree(port) {
  return new Promise((resolve) => {
    const probe = createServer();
    probe.once('error', () => resolve(false));
    probe.listen(port, '127.0.0.1', () => probe.close(() => resolve(true)));
  });
}

async function choosePort() {
  if (opts.port !== undefined) {
    const port = Number(opts.port);
    if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`--port ${opts.port}: not a port number`);
    if (port !== 0 && !(await portIsFree(port))) throw new Error(`port ${port} on 127.0.0.1 is in use`);
    return port;
  }
  return (await portIsFree(DEFAULT_PORT)) ? DEFAULT_PORT : 0;
}

async function headlessCheck(url) {
  const shot = opts.screenshot ?? join(repoRoot, '.vscode-test', 'start-check.png');
  const started = Date.now();
  const browser = await launchBrowser();
  const { page, consoleLines } = await openWindow(browser, url);
  await waitForWorkbench(page, { trust: true });
  const title = await page.title();
  if (!/Extension Development Host/.test(title)) throw new Error(`the window does not load the extension under development (title: ${title})`);
  await openFile(page, 'demo.txt');
  const text = await editorText(page);
  if (!text.includes('elderberry')) throw new Error(`demo.txt did not open in the editor (got: ${JSON.stringify(text.slice(0, 80))})`);
  await page.screenshot({ path: shot });
  console.log(`headless check: workbench ready, folder trusted, demo.txt open in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  const errors = consoleLines.filter((l) => /\[Extension Host\]|plugin-runtime|pluginRuntime/i.test(l) && /error/i.test(l));
  if (errors.length) console.log(`extension errors in the console:\n  ${errors.join('\n  ')}`);
  console.log(`screenshot: ${shot}`);
}

async function main() {
  ensureServer();
  ensureDemoWorkspace();
  const dataDir = opts.fresh ? mkdtempSync(join(tmpdir(), 'plugin-runtime-start-')) : join(repoRoot, '.vscode-test', 'start-data');
  mkdirSync(dataDir, { recursive: true });
  if (opts.fresh) onCleanup(() => rmSync(dataDir, { recursive: true, force: true }));
  if (!existsSync(join(repoRoot, 'dist', 'extension.js'))) {
    console.warn('warning: dist/extension.js is missing; `npm start` builds it, `node scripts/start.mjs` does not');
  }

  const server = await startServer({ dataDir, port: await choosePort(), echo: opts.verbose });
  const url = buildUrl({ port: server.port, folder: demoWorkspace, extensionDevelopmentPath: repoRoot });
  console.log(`VS Code ${vscodeVersion()} server on ${server.baseUrl} (started in ${server.startMs} ms)`);
  console.log(`workspace: ${relative(process.cwd(), demoWorkspace) || '.'}   editor state: ${opts.fresh ? dataDir : relative(process.cwd(), dataDir)}`);

  if (opts['headless-check']) {
    await headlessCheck(url);
    return 0;
  }

  console.log('\nOpen this URL in a browser on this machine (the extension under development is loaded):\n');
  console.log(`  ${url}\n`);
  console.log('Answer "Yes, I trust the authors" to run the extension in a trusted workspace.');
  console.log('The server listens on 127.0.0.1 only; from another machine, forward the port (ssh -L).');
  console.log('After `npm run build` (or `npm run watch`), run "Developer: Reload Window" to load the new build.');
  console.log('Ctrl+C stops it.');
  const exit = await server.whenExited;
  if (shuttingDown()) await new Promise(() => {}); // the signal handler cleans up and exits
  console.error(`the VS Code server exited on its own (${JSON.stringify(exit)}):\n${server.output().slice(-30).join('\n')}`);
  return 1;
}

let code = 1;
try {
  code = await main();
} catch (e) {
  if (!shuttingDown()) console.error(`✗ ${opts.verbose ? (e?.stack ?? e) : (e?.message ?? e)}`);
} finally {
  if (shuttingDown()) await new Promise(() => {});
  await cleanupAll();
}
process.exit(code);
