// End to end, as a person uses it: the command palette, the permission webview's buttons, the Plugins tree,
// notifications and the editor, in a real VS Code window driven by Playwright.
import assert from 'node:assert/strict';
import {
  SAMPLE_SETTINGS, approvalPage, clearToasts, installThroughWebview, openPluginsView, palette, pick, selectAll, toast, treeRow,
} from './ui.mjs';

export const tests = {
  async 'Install Plugin… → Approve in the webview → Transform Selection changes the text'({ open, helpers, repoRoot }) {
    const { page } = await open({ settings: SAMPLE_SETTINGS(repoRoot), files: { 'fruit.txt': 'pear\nbanana\napple\n' } });
    await helpers.openFile(page, 'fruit.txt');
    await openPluginsView(page);
    await treeRow(page, 'Sort Lines', 'AVAILABLE');

    await palette(page, 'Plugin Runtime: Install Plugin…');
    await pick(page, 'Install Plugin', 'sort-lines');
    const frame = await approvalPage(page, 'Install Sort Lines?');
    // The page names the plugin and its permissions before anything is installed.
    assert.match(await frame.locator('dl.identity').innerText(), /sort-lines[\s\S]*1\.0\.0[\s\S]*plugin-runtime-samples/);
    assert.match(await frame.locator('.permissions').innerText(), /Write to the log[\s\S]*always granted/);
    await treeRow(page, 'Sort Lines', 'AVAILABLE');
    await frame.getByRole('button', { name: 'Approve and install' }).click();
    await toast(page, 'Sort Lines is installed and enabled');
    await treeRow(page, 'Sort Lines', 'ENABLED');

    await selectAll(page);
    await palette(page, 'Plugin Runtime: Transform Selection with Plugin…');
    await pick(page, 'Transform Selection with Plugin', 'Sort Lines');
    await helpers.pollUntil(async () => (await helpers.editorText(page)).startsWith('apple\nbanana\npear'), { timeout: 10_000, what: 'the lines to be sorted by the plugin' });
    // One undo restores the text.
    await page.keyboard.press('Control+Z');
    await helpers.pollUntil(async () => (await helpers.editorText(page)).startsWith('pear\nbanana\napple'), { timeout: 5_000, what: 'undo to restore the text' });
  },

  async 'Deny in the webview leaves the plugin uninstalled'({ open, helpers, repoRoot }) {
    const { page } = await open({ settings: SAMPLE_SETTINGS(repoRoot), files: { 'data.json': '{"b":1,"a":[1,2]}' } });
    await helpers.openFile(page, 'data.json');
    await openPluginsView(page);
    await palette(page, 'Plugin Runtime: Install Plugin…');
    await pick(page, 'Install Plugin', 'json-format');
    const frame = await approvalPage(page, 'Install JSON Format?');
    await frame.getByRole('button', { name: 'Deny' }).click();
    await toast(page, 'JSON Format was not installed: its permissions were denied');
    await treeRow(page, 'JSON Format', 'AVAILABLE');
    // Not installed, so not offered for transforming either.
    await palette(page, 'Plugin Runtime: Transform Selection with Plugin…');
    await toast(page, 'No plugin is enabled');
    assert.equal(await helpers.editorText(page), '{"b":1,"a":[1,2]}');
  },

  async 'a plugin failing five times in a row is auto-disabled and shown as ERROR in the tree'({ open, helpers, repoRoot }) {
    const { page } = await open({ settings: SAMPLE_SETTINGS(repoRoot), files: { 'notes.txt': 'hello world\n' } });
    await helpers.openFile(page, 'notes.txt');
    await openPluginsView(page);
    await installThroughWebview(page, 'flaky-demo', 'Flaky Demo (always fails)');
    await treeRow(page, 'Flaky Demo (always fails)', 'ENABLED');
    for (let i = 1; i <= 5; i++) {
      await clearToasts(page);
      await selectAll(page);
      await palette(page, 'Plugin Runtime: Transform Selection with Plugin…');
      await pick(page, 'Transform Selection with Plugin', 'Flaky Demo');
      const t = await toast(page, 'Flaky Demo (always fails) failed: error[plugin-error]');
      await t.getByRole('button', { name: 'Show Logs' }).waitFor({ state: 'visible' });
      if (i === 5) {
        // The failure that switched it off offers to re-enable it.
        await t.getByText('switched off after 5 consecutive failures').waitFor({ state: 'visible' });
        await t.getByRole('button', { name: 'Re-enable' }).waitFor({ state: 'visible' });
      }
    }
    const row = await treeRow(page, 'Flaky Demo (always fails)', /ERROR — auto-disabled after 5 consecutive failures: plugin-error/);
    assert.ok(await row.locator('.codicon-error').count(), 'the ERROR item has no error icon');
    assert.match(await helpers.editorText(page), /^hello world\s*$/, 'a failing plugin changed the text');
    // The context menu offers only what the lifecycle allows from ERROR.
    await row.click({ button: 'right' });
    const menu = page.getByRole('menu').last();
    await menu.getByRole('menuitem', { name: 'Re-enable Plugin…' }).waitFor({ state: 'visible' });
    const items = (await menu.getByRole('menuitem').allInnerTexts()).map((t) => t.trim()).filter(Boolean);
    assert.deepEqual(items, ['Re-enable Plugin…', 'Reload Plugin', 'Review Permissions…', 'Uninstall Plugin…', 'Show Logs']);
    await page.keyboard.press('Escape');
    // Re-enable from the failure notification.
    const last = await toast(page, 'switched off after 5 consecutive failures');
    await last.getByRole('button', { name: 'Re-enable' }).click();
    await treeRow(page, 'Flaky Demo (always fails)', 'ENABLED');
  },

  async "Restricted Mode ignores the workspace's .vscode/plugins and its pluginFolders setting"({ open, repoRoot }) {
    const plugin = {
      '.vscode/plugins/workspace-echo/plugin.json': JSON.stringify({
        name: 'workspace-echo', displayName: 'Workspace Echo', version: '1.0.0', description: 'Returns its input.', publisher: 'tests',
        apiVersion: 1, main: 'index.js', hooks: ['transform'], permissions: [],
      }),
      '.vscode/plugins/workspace-echo/index.js': 'module.exports = { transform(input) { return input.text; } };',
    };
    const settings = SAMPLE_SETTINGS(repoRoot);
    const trusted = await open({ trust: true, files: plugin, settings });
    await openPluginsView(trusted.page);
    await treeRow(trusted.page, 'Workspace Echo', 'AVAILABLE');
    await treeRow(trusted.page, 'Sort Lines', 'AVAILABLE');

    const untrusted = await open({ trust: false, files: plugin, settings });
    await untrusted.page.locator('.statusbar-item', { hasText: 'Restricted Mode' }).first().waitFor({ state: 'visible', timeout: 15_000 });
    await openPluginsView(untrusted.page);
    // Nothing found: the welcome view shows instead of the workspace's plugin.
    await untrusted.page.locator('.welcome-view-content', { hasText: 'No plugins found in the plugin folders' }).waitFor({ state: 'visible', timeout: 15_000 });
    assert.equal(await untrusted.page.locator('.pane-body .monaco-list-row[aria-label^="Workspace Echo,"]').count(), 0);
    assert.equal(await untrusted.page.locator('.pane-body .monaco-list-row[aria-label^="Sort Lines,"]').count(), 0);
  },
};
