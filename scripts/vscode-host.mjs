// Runs a real VS Code here without internet (shared/VSCODE_HOST.md): the VS Code server from the npm
// package code-server, opened in Debian's headless Chromium through playwright-core. Used by
// scripts/test-integration.mjs, scripts/start.mjs and the end-to-end tests in test/e2e.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { format } from 'node:util';

export const repoRoot = resolve(fileURLToPath(new URL('..', import.meta.url)));
export const serverDir = process.env.PLUGIN_RUNTIME_VSCODE_SERVER_DIR ?? join(repoRoot, '.vscode-test', 'server');
export const vscodeDir = join(serverDir, 'node_modules', 'code-server', 'lib', 'vscode');
const serverMain = join(vscodeDir, 'out', 'server-main.js');
const installScript = join(repoRoot, 'scripts', 'install-vscode-server.sh');
export const chromiumPath = process.env.PLUGIN_RUNTIME_CHROMIUM ?? '/usr/bin/chromium';

/** Chromium flags: headless as root, and no background traffic (the network here refuses it anyway). */
export const chromiumArgs = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
  '--disable-dev-shm-usage',
];

// ---------------------------------------------------------------------------------------------------
// Cleanup: every server (a process group: server, extension host, pty host, watcher) and browser we
// start is registered here and ended on exit, Ctrl+C or SIGTERM.

const cleanups = new Set();
/** Synchronous last resort at process exit: SIGKILL every server process group still alive. */
const serverGroups = new Set();

process.on('exit', () => {
  for (const pid of serverGroups) killGroup(pid, 'SIGKILL');
});

let signalled = false;
/** True once Ctrl+C/SIGTERM arrived: callers stop starting things and stay quiet about what fails. */
export const shuttingDown = () => signalled;

/** Registers `fn` (sync or async) to run at cleanupAll() and on Ctrl+C/SIGTERM; returns an unregister. */
export function onCleanup(fn) {
  cleanups.add(fn);
  return () => cleanups.delete(fn);
}

for (const [signal, code] of [['SIGINT', 130], ['SIGTERM', 143], ['SIGHUP', 129]]) {
  process.on(signal, () => {
    if (signalled) process.exit(code); // a second Ctrl+C: stop waiting
    signalled = true;
    console.error(`\n[vscode-host] ${signal}: cleaning up`);
    cleanupAll().finally(() => process.exit(code));
  });
}

/** Ends everything this process started (browsers first, then servers), each within a few seconds. */
export async function cleanupAll() {
  const pending = [...cleanups].reverse();
  cleanups.clear();
  for (const fn of pending) {
    await withDeadline(Promise.resolve().then(fn), 10_000, 'cleanup').catch((e) => console.error(`[vscode-host] ${e.message}`));
  }
}

function killGroup(pid, signal) {
  try {
    process.kill(-pid, signal);
    return true;
  } catch {
    return false; // already gone
  }
}

// ---------------------------------------------------------------------------------------------------
// Waiting: every wait has a deadline, nothing sleeps for a fixed time to synchronise.

export function withDeadline(promise, ms, what) {
  let timer;
  const timeout = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms waiting for ${what}`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/**
 * Polls `check` (sync or async) until it returns a truthy value, or throws after `timeout` ms.
 * Polling is the wait for conditions without an event (a file appearing); the interval only sets
 * how soon we notice, never what we wait for.
 */
export async function pollUntil(check, { timeout, interval = 100, what = 'a condition', abort } = {}) {
  const deadline = Date.now() + timeout;
  for (;;) {
    const value = await check();
    if (value) return value;
    if (abort) {
      const reason = abort();
      if (reason) throw new Error(`gave up waiting for ${what}: ${reason}`);
    }
    if (Date.now() > deadline) throw new Error(`timed out after ${timeout} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, interval));
  }
}

// ---------------------------------------------------------------------------------------------------
// The server

export function serverInstalled() {
  return existsSync(serverMain) && readdirSync(serverDir).some((f) => f.startsWith('.installed-code-server-'));
}

/** Installs the VS Code server into .vscode-test/server unless it is there already. */
export function ensureServer() {
  if (serverInstalled()) return vscodeDir;
  console.log('[vscode-host] VS Code server not installed yet: running scripts/install-vscode-server.sh');
  const r = spawnSync('bash', [installScript], { stdio: 'inherit' });
  if (r.status !== 0 || !serverInstalled()) {
    throw new Error(`scripts/install-vscode-server.sh failed (exit ${r.status ?? r.signal})`);
  }
  return vscodeDir;
}

export function vscodeVersion() {
  return JSON.parse(readFileSync(join(vscodeDir, 'package.json'), 'utf8')).version;
}

/** Environment for the server: ours, less anything from a VS Code we may be running inside of. */
function serverEnv(extra) {
  const env = { ...process.env };
  for (const key of Object.keys(env)) {
    if (key.startsWith('VSCODE_') || key === 'ELECTRON_RUN_AS_NODE') delete env[key];
  }
  return { ...env, ...extra };
}

/**
 * Starts `server-main.js` on 127.0.0.1. Resolves when it prints "Extension host agent listening on
 * <port>". The extension host inherits `env`. `dataDir` defaults to a fresh temporary folder that
 * stop() removes. `port` 0 picks a free one. `disableWorkspaceTrust` makes every folder trusted with no
 * prompt (the server's --disable-workspace-trust).
 */
export async function startServer({ dataDir, env = {}, port = 0, timeout = 60_000, echo = false, disableWorkspaceTrust = false } = {}) {
  if (signalled) throw new Error('shutting down');
  ensureServer();
  const ownDataDir = !dataDir;
  const serverDataDir = dataDir ?? mkdtempSync(join(tmpdir(), 'plugin-runtime-vscode-'));
  const started = Date.now();
  const args = [
    serverMain,
    '--host', '127.0.0.1',
    '--port', String(port),
    '--without-connection-token',
    '--accept-server-license-terms',
    '--server-data-dir', serverDataDir,
    '--telemetry-level', 'off',
    // As @vscode/test-electron does: a window running extension tests refuses to show dialogs, so the
    // trust prompt cannot be answered and the folder would stay in Restricted Mode.
    ...(disableWorkspaceTrust ? ['--disable-workspace-trust'] : []),
  ];
  // detached: the server leads its own process group, so kill(-pid) also ends the extension host,
  // the pty host and the file watcher it forks.
  const child = spawn(process.execPath, args, { env: serverEnv(env), stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  serverGroups.add(child.pid);

  const output = [];
  let exited = null;
  const record = (stream) => (chunk) => {
    const text = chunk.toString();
    for (const line of text.split('\n')) if (line.trim()) output.push(`[${stream}] ${line}`);
    if (output.length > 2000) output.splice(0, output.length - 2000);
    if (echo) process.stdout.write(text);
  };
  child.stdout.on('data', record('out'));
  child.stderr.on('data', record('err'));
  const exitedPromise = new Promise((resolveExit) => {
    child.on('exit', (code, signal) => {
      exited = { code, signal };
      serverGroups.delete(child.pid);
      resolveExit(exited);
    });
  });

  const stop = async () => {
    cleanups.delete(stop);
    if (!exited) {
      killGroup(child.pid, 'SIGTERM');
      await withDeadline(exitedPromise, 5_000, 'the server to exit').catch(() => {
        killGroup(child.pid, 'SIGKILL');
        return exitedPromise;
      });
    }
    // The group may outlive its leader (an extension host still shutting down).
    killGroup(child.pid, 'SIGKILL');
    serverGroups.delete(child.pid);
    if (ownDataDir) rmSync(serverDataDir, { recursive: true, force: true });
  };
  cleanups.add(stop);

  let boundPort;
  try {
    boundPort = await pollUntil(() => {
      for (const line of output) {
        const m = /Extension host agent listening on (\d+)/.exec(line);
        if (m) return Number(m[1]);
      }
      return 0;
    }, {
      timeout,
      interval: 50,
      what: '"Extension host agent listening on <port>" from the VS Code server',
      abort: () => exited && `the server exited (${exited.code ?? exited.signal})`,
    });
  } catch (e) {
    const tail = output.slice(-40).join('\n');
    await stop();
    throw new Error(`${e.message}\n--- server output ---\n${tail}`);
  }

  return {
    port: boundPort,
    baseUrl: `http://127.0.0.1:${boundPort}`,
    authority: `127.0.0.1:${boundPort}`,
    dataDir: serverDataDir,
    pid: child.pid,
    startMs: Date.now() - started,
    /** The server's stdout/stderr lines so far (the last 2000). */
    output: () => output.slice(),
    /** Paths of the server's log files (remoteagent.log, exthost*\/remoteexthost.log, ...). */
    logFiles: () => listFiles(join(serverDataDir, 'data', 'logs')).filter((f) => f.endsWith('.log')),
    exited: () => exited,
    /** Resolves with { code, signal } when the server process exits. */
    whenExited: exitedPromise,
    stop,
  };
}

function listFiles(dir) {
  if (!existsSync(dir)) return [];
  const out = [];
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) out.push(...listFiles(p));
    else out.push(p);
  }
  return out;
}

/** The last `lines` lines of each of the server's log files, headed by their path; for failure reports. */
export function serverLogTails(server, { lines = 60, filter = () => true } = {}) {
  const parts = [];
  for (const file of server.logFiles().filter(filter)) {
    const text = readFileSync(file, 'utf8').trimEnd();
    if (!text) continue;
    parts.push(`--- ${file} ---\n${text.split('\n').slice(-lines).join('\n')}`);
  }
  return parts.join('\n');
}

// ---------------------------------------------------------------------------------------------------
// The window URL

/**
 * The URL of a window on `folder`, loading the extension(s) at `extensionDevelopmentPath` (a path or a
 * list of paths) and, given `extensionTestsPath`, running that suite. The web client takes both in
 * the `payload` parameter as vscode-remote:// URIs whose authority is the server's host:port.
 */
export function buildUrl({ port, folder, extensionDevelopmentPath, extensionTestsPath, skipWelcome = true }) {
  const authority = `127.0.0.1:${port}`;
  const remote = (p) => `vscode-remote://${authority}${resolve(p)}`;
  // skipWelcome: no "Setup VS Code Web" walkthrough tab taking the editor area.
  const payload = skipWelcome ? [['skipWelcome', 'true'], ['skipReleaseNotes', 'true']] : [];
  for (const p of [extensionDevelopmentPath ?? []].flat()) payload.push(['extensionDevelopmentPath', remote(p)]);
  if (extensionTestsPath) payload.push(['extensionTestsPath', remote(extensionTestsPath)]);
  const query = [];
  if (folder) query.push(`folder=${encodeURIComponent(resolve(folder))}`);
  if (payload.length) query.push(`payload=${encodeURIComponent(JSON.stringify(payload))}`);
  return `http://${authority}/${query.length ? `?${query.join('&')}` : ''}`;
}

// ---------------------------------------------------------------------------------------------------
// The browser

/** Launches Debian's Chromium through playwright-core; closed by cleanupAll() too. */
export async function launchBrowser({ headless = true } = {}) {
  if (!existsSync(chromiumPath)) {
    throw new Error(`${chromiumPath} not found: apt-get install -y chromium`);
  }
  if (signalled) throw new Error('shutting down');
  const { chromium } = await import('playwright-core');
  const browser = await chromium.launch({
    executablePath: chromiumPath,
    headless,
    args: chromiumArgs,
    // Our own handlers end servers and browsers together; Playwright's 'exit' handler stays as a backstop.
    handleSIGINT: false,
    handleSIGTERM: false,
    handleSIGHUP: false,
  });
  const close = async () => {
    cleanups.delete(close);
    await browser.close().catch(() => {});
  };
  cleanups.add(close);
  browser.on('disconnected', () => cleanups.delete(close));
  return browser;
}

/**
 * Opens a new page (own browser context: own storage, so workspace trust is asked afresh) at `url`,
 * collecting its console messages and page errors for failure reports.
 */
export async function openWindow(browser, url, { viewport = { width: 1400, height: 900 } } = {}) {
  const context = await browser.newContext({ viewport });
  const page = await context.newPage();
  const consoleLines = [];
  const MAX_LINES = 10_000;
  page.on('console', (msg) => {
    if (consoleLines.length >= MAX_LINES) return;
    const i = consoleLines.push(`[console.${msg.type()}] ${msg.text()}`) - 1;
    // Replaced in place by the formatted message once its arguments are read (best effort).
    formatConsoleMessage(msg).then((text) => { if (text !== undefined) consoleLines[i] = `[console.${msg.type()}] ${text}`; });
  });
  page.on('pageerror', (err) => consoleLines.length < MAX_LINES && consoleLines.push(`[pageerror] ${err.message}`));
  await page.goto(url);
  return { context, page, consoleLines };
}

/**
 * Playwright's msg.text() joins a console call's arguments with spaces, format strings unapplied. The
 * extension host's console reaches the page as console.log('%c INFO', 'color: …', format, ...args)
 * (mocha's reporter, say): drop the styling and apply the format the way Node would.
 */
async function formatConsoleMessage(msg) {
  try {
    const handles = msg.args();
    if (!handles.length) return undefined; // a browser message (a failed load, say): text() is all there is
    const args = await Promise.all(handles.map((a) => a.jsonValue()));
    let rest = args;
    if (typeof args[0] === 'string' && args[0].startsWith('%c') && typeof args[1] === 'string') {
      const level = args[0].slice(2).trim();
      rest = args.slice(2);
      if (level && level !== 'INFO') rest = [`${level}`, ...rest];
    }
    return format(...rest);
  } catch {
    return undefined; // the page went away first: keep msg.text()
  }
}

// ---------------------------------------------------------------------------------------------------
// Driving the workbench

const TRUST_YES = "Yes, I trust the authors";
const TRUST_NO = "No, I don't trust the authors";

/**
 * Waits for the workbench. With `trust` true or false, also waits for the "Do you trust the authors"
 * dialog (it comes for every folder a fresh browser context opens) and answers it: false leaves the
 * window in Restricted Mode. With `trust` undefined the dialog is left alone.
 */
export async function waitForWorkbench(page, { trust, timeout = 60_000 } = {}) {
  await page.locator('.monaco-workbench').waitFor({ state: 'visible', timeout });
  if (trust === undefined) return;
  const button = page.getByRole('button', { name: trust ? TRUST_YES : TRUST_NO, exact: true });
  await button.waitFor({ state: 'visible', timeout });
  await button.click();
  await button.waitFor({ state: 'hidden', timeout });
}

/** Opens the command palette (F1; Ctrl+P may belong to the browser) and waits for its input. */
export async function openQuickInput(page, { timeout = 10_000 } = {}) {
  const input = page.locator('.quick-input-widget input');
  // An open palette is reused (its text is replaced by the caller). F1 also works with the focus in a
  // webview: webviews forward key presses to the workbench.
  if (!(await input.isVisible())) await page.keyboard.press('F1');
  await input.waitFor({ state: 'visible', timeout });
  return input;
}

/**
 * Runs a command by its palette title ("Category: Title", exactly as the palette shows it): types it
 * after the '>' and presses Enter once the focused row is that command, so a near miss cannot run.
 */
export async function runCommand(page, title, { timeout = 10_000 } = {}) {
  const input = await openQuickInput(page, { timeout });
  await input.fill(`>${title}`);
  const focused = page.locator('.quick-input-list .monaco-list-row.focused');
  await pollUntil(async () => {
    if (!(await focused.count())) return false;
    const label = await focused.first().getAttribute('aria-label');
    // aria-label is the title, then ", <keybinding>" and ", similar commands" when present.
    return label !== null && (label === title || label.startsWith(`${title},`));
  }, { timeout, what: `the command palette to focus "${title}"` });
  await input.press('Enter');
  await input.waitFor({ state: 'hidden', timeout });
}

/** Opens a workspace file by name through quick open (the palette with its '>' deleted). */
export async function openFile(page, name, { timeout = 10_000 } = {}) {
  const input = await openQuickInput(page, { timeout });
  await input.fill(name);
  const focused = page.locator('.quick-input-list .monaco-list-row.focused');
  await pollUntil(async () => {
    if (!(await focused.count())) return false;
    const label = (await focused.first().getAttribute('aria-label')) ?? '';
    return label.includes(name);
  }, { timeout, what: `quick open to find "${name}"` });
  await input.press('Enter');
  await input.waitFor({ state: 'hidden', timeout });
  const tab = page.locator('.editor-group-container.active .tabs-container .tab.active');
  const base = name.split('/').pop();
  // count() first: getAttribute() on a missing element would wait out Playwright's own timeout.
  await pollUntil(async () => (await tab.count()) > 0 && ((await tab.first().getAttribute('aria-label')) ?? '').includes(base), {
    timeout,
    what: `the editor tab of "${name}"`,
  });
}

/**
 * The text of the active editor as rendered: Monaco renders only the lines in view, so this is the whole
 * document only when it fits the window (1400×900: about 40 lines). Non-breaking spaces become spaces.
 */
export async function editorText(page) {
  const text = await page.locator('.editor-group-container.active .monaco-editor .view-lines').first().innerText();
  return text.replace(/\u00a0/g, ' ');
}

/**
 * The content of a webview: webviews render in two nested iframes, the outer `iframe.webview.ready`
 * (one per webview; `index` picks one) and the inner `iframe#active-frame` holding the page.
 */
export function webviewFrame(page, { index = 0 } = {}) {
  return page.locator('iframe.webview.ready').nth(index).contentFrame().frameLocator('iframe#active-frame');
}

/** Helpers handed to the e2e tests. */
export const helpers = { waitForWorkbench, openQuickInput, runCommand, openFile, editorText, webviewFrame, pollUntil, withDeadline };
