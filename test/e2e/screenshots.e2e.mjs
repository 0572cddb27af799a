// Screenshots of the approval webview and the Plugins tree in the light and dark themes, made by driving the
// UI as a person would, and a check that the webview follows the theme. They go to .vscode-test/artifacts/
// screenshots; with PLUGIN_RUNTIME_UPDATE_SCREENSHOTS=1 to media/screenshots (the ones the README shows):
//   PLUGIN_RUNTIME_UPDATE_SCREENSHOTS=1 node scripts/test-integration.mjs --e2e-only --grep screenshots
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { SAMPLE_SETTINGS, approvalPage, clearToasts, installThroughWebview, openPluginsView, palette, pick, selectAll, toast, treeRow } from './ui.mjs';

export const timeout = 180_000;

const THEMES = { light: 'Light Modern', dark: 'Dark Modern' };
const backgrounds = {};

/** Preferences: Color Theme → the theme (a workspace's colorTheme setting is not applied in this window). */
async function selectTheme(page, label) {
  // "Browse Color Themes in Marketplace" ranks first for this text: click the right row instead of Enter.
  await page.keyboard.press('F1');
  const input = page.locator('.quick-input-widget input');
  await input.fill('>Preferences: Color Theme');
  await page.locator('.quick-input-widget .monaco-list-row[aria-label^="Preferences: Color Theme,"]').first().click();
  await page.locator('.quick-input-widget .quick-input-list .monaco-list-row[aria-label*="Modern"]').first().waitFor({ state: 'visible', timeout: 10_000 });
  await input.fill(label);
  const focused = page.locator('.quick-input-widget .quick-input-list .monaco-list-row.focused');
  await focused.filter({ hasText: label }).first().waitFor({ state: 'visible', timeout: 10_000 });
  await input.press('Enter');
  await page.locator('.quick-input-widget').waitFor({ state: 'hidden' });
}

/** Drags the sash between the side bar and the editor, so tree descriptions are not cut off. */
async function widenSideBar(page, width) {
  const sidebar = await page.locator('#workbench\\.parts\\.sidebar').boundingBox();
  const x = sidebar.x + sidebar.width;
  const y = sidebar.y + sidebar.height / 2;
  await page.mouse.move(x - 1, y);
  await page.mouse.down();
  await page.mouse.move(sidebar.x + width, y, { steps: 8 });
  await page.mouse.up();
}

async function shoot({ open, helpers, repoRoot, log }, theme) {
  const dir = process.env.PLUGIN_RUNTIME_UPDATE_SCREENSHOTS === '1' ? join(repoRoot, 'media', 'screenshots') : join(repoRoot, '.vscode-test', 'artifacts', 'screenshots');
  mkdirSync(dir, { recursive: true });
  const { page } = await open({
    settings: { ...SAMPLE_SETTINGS(repoRoot), 'editor.minimap.enabled': false },
    files: { 'shopping.txt': 'pears\nApples\nfigs 10\nfigs 9\nbananas\n' },
  });
  await page.setViewportSize({ width: 1280, height: 800 });
  await selectTheme(page, THEMES[theme]);
  await helpers.openFile(page, 'shopping.txt');
  await openPluginsView(page);
  await widenSideBar(page, 380);

  await installThroughWebview(page, 'sort-lines', 'Sort Lines');
  await installThroughWebview(page, 'flaky-demo', 'Flaky Demo (always fails)');
  for (let i = 0; i < 5; i++) {
    await clearToasts(page);
    await selectAll(page);
    await palette(page, 'Plugin Runtime: Transform Selection with Plugin…');
    await pick(page, 'Transform Selection with Plugin', 'Flaky Demo');
    await toast(page, 'Flaky Demo (always fails) failed');
  }
  await treeRow(page, 'Flaky Demo (always fails)', 'ERROR');
  await clearToasts(page);
  await selectAll(page);
  await palette(page, 'Plugin Runtime: Transform Selection with Plugin…');
  await pick(page, 'Transform Selection with Plugin', 'Sort Lines');
  await helpers.pollUntil(async () => (await helpers.editorText(page)).startsWith('Apples'), { timeout: 10_000, what: 'the sorted text' });

  // The approval page of a plugin that asks for storage permissions.
  await palette(page, 'Plugin Runtime: Install Plugin…');
  await pick(page, 'Install Plugin', 'counter');
  const frame = await approvalPage(page, 'Install Line Counter?');
  await frame.getByRole('button', { name: 'Approve and install' }).focus();
  backgrounds[theme] = await frame.locator('body').evaluate((b) => getComputedStyle(b).backgroundColor);
  const approval = join(dir, `approval-${theme}.png`);
  await page.screenshot({ path: approval });
  await frame.getByRole('button', { name: 'Approve and install' }).click();
  await toast(page, 'Line Counter is installed and enabled');
  await palette(page, 'Plugin Runtime: Disable Plugin…');
  await pick(page, 'Disable Plugin', 'Line Counter');
  await treeRow(page, 'Line Counter', 'DISABLED');
  await clearToasts(page);

  // The tree, wide enough for the reason of the switch-off, with the tooltip of that plugin.
  await widenSideBar(page, 600);
  const row = await treeRow(page, 'Flaky Demo (always fails)', 'ERROR');
  await row.hover();
  await page.locator('.monaco-hover', { hasText: 'consecutive failures' }).first().waitFor({ state: 'visible', timeout: 10_000 });
  const tree = join(dir, `tree-${theme}.png`);
  await page.screenshot({ path: tree });
  log(`${approval}\n    ${tree}`);
}

export const tests = {
  'light theme: approval webview and Plugins tree': (ctx) => shoot(ctx, 'light'),
  'dark theme: approval webview and Plugins tree': (ctx) => shoot(ctx, 'dark'),
  'the approval webview follows the theme'() {
    assert.ok(backgrounds.light && backgrounds.dark, 'the screenshots did not run');
    assert.notEqual(backgrounds.light, backgrounds.dark, `the page has the same background in both themes (${backgrounds.light})`);
  },
};
