// The packaged extension, as a person gets it: `npm run package` builds the production VSIX (and checks its file
// list), the VS Code server installs it with --install-extension into a fresh data folder, and a window opened
// *without* extensionDevelopmentPath — so only the installed copy can run — installs a sample plugin through
// the approval webview and transforms a selection with it. The dev bundles in dist/ are rebuilt afterwards.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildUrl, launchBrowser, openWindow, startServer, vscodeDir, waitForWorkbench } from '../../scripts/vscode-host.mjs';
import { installThroughWebview, openPluginsView, palette, pick, selectAll, treeRow } from './ui.mjs';

export const timeout = 300_000;

const TABLE = '| Fruit | Qty |\n|:--|--:|\n| apple | 3 |\n| banana | 12 |\n';
const ALIGNED = '| Fruit  | Qty |\n| :----- | --: |\n| apple  |   3 |\n| banana |  12 |\n';

function run(cmd, args, cwd, what) {
  const r = spawnSync(cmd, args, { cwd, encoding: 'utf8', timeout: 180_000 });
  if (r.status !== 0) throw new Error(`${what} failed (exit ${r.status ?? r.signal}):\n${r.stdout}\n${r.stderr}`);
  return r.stdout;
}

export default async function vsix({ helpers, repoRoot, log }) {
  const vsixFile = join(repoRoot, 'dist', 'plugin-runtime.vsix');
  const temp = mkdtempSync(join(tmpdir(), 'plugin-runtime-vsix-'));
  let server;
  let browser;
  try {
    const packaged = run('npm', ['run', '--silent', 'package'], repoRoot, 'npm run package');
    log(packaged.split('\n').find((l) => /files, .* unpacked/.test(l)) ?? 'packaged');

    // Install as a person would from a terminal: `code --install-extension plugin-runtime.vsix`. The server's
    // CLI installs into <server-data-dir>/extensions, which the server started on that folder then loads.
    const dataDir = join(temp, 'server-data');
    const installed = run(process.execPath, [join(vscodeDir, 'out', 'server-main.js'), '--install-extension', vsixFile, '--server-data-dir', dataDir, '--accept-server-license-terms'], repoRoot, '--install-extension');
    assert.match(installed, /was successfully installed/);
    const extDir = join(dataDir, 'extensions', 'plugin-runtime.plugin-runtime-0.1.0');
    assert.deepEqual(readdirSync(extDir).filter((f) => !f.startsWith('.')).sort(), ['LICENSE.txt', 'changelog.md', 'dist', 'media', 'package.json', 'readme.md', 'schemas', 'types']);
    assert.ok(!existsSync(join(extDir, 'src')) && !existsSync(join(extDir, 'node_modules')), 'sources or node_modules were installed');

    server = await startServer({ dataDir });
    browser = await launchBrowser();
    const workspace = join(temp, 'workspace');
    mkdirSync(join(workspace, '.vscode'), { recursive: true });
    writeFileSync(join(workspace, 'fruit.md'), TABLE);
    writeFileSync(join(workspace, '.vscode', 'settings.json'), JSON.stringify({ 'pluginRuntime.pluginFolders': [join(repoRoot, 'sample-plugins')] }));
    // No extensionDevelopmentPath: the only Plugin Runtime this window has is the one installed from the VSIX.
    const { page } = await openWindow(browser, buildUrl({ port: server.port, folder: workspace }));
    await waitForWorkbench(page, { trust: true });

    await helpers.openFile(page, 'fruit.md');
    await openPluginsView(page);
    await treeRow(page, 'Align Markdown Table', 'AVAILABLE');
    await installThroughWebview(page, 'markdown-table', 'Align Markdown Table');
    await treeRow(page, 'Align Markdown Table', 'ENABLED');
    await selectAll(page);
    await palette(page, 'Plugin Runtime: Transform Selection with Plugin…');
    await pick(page, 'Transform Selection with Plugin', 'Align Markdown Table');
    await helpers.pollUntil(async () => (await helpers.editorText(page)).startsWith(ALIGNED.trimEnd()), { timeout: 15_000, what: 'the table to be aligned by the plugin' });

    // The extension host activated the installed extension (its log names it), and no development copy was loaded.
    const hostLog = server.logFiles().filter((f) => /exthost/i.test(f)).map((f) => readFileSync(f, 'utf8')).join('\n');
    assert.match(hostLog, /ExtensionService#_doActivateExtension plugin-runtime\.plugin-runtime\b/);
    assert.ok(!hostLog.includes(join(repoRoot, 'dist')), 'the window loaded the development copy from the repository');
  } finally {
    await browser?.close().catch(() => {});
    await server?.stop();
    rmSync(temp, { recursive: true, force: true });
    // npm run package left production bundles in dist/: put the development build back for what runs next.
    run(process.execPath, ['esbuild.js'], repoRoot, 'rebuilding the development bundles');
  }
}
