// Driving the Plugin Runtime UI in a real VS Code window (Playwright), shared by the extension's e2e tests.
// Not a test file itself (the runner picks up *.e2e.mjs only).
import { pollUntil, webviewFrame } from '../../scripts/vscode-host.mjs';

export const SAMPLE_SETTINGS = (repoRoot) => ({ 'pluginRuntime.pluginFolders': [`${repoRoot}/sample-plugins`] });

const quickInput = (page) => page.locator('.quick-input-widget');
const focusedRow = (page) => page.locator('.quick-input-widget .quick-input-list .monaco-list-row.focused');

/** Runs a palette command by its full title and waits for the palette to close. */
export async function palette(page, title, { timeout = 10_000 } = {}) {
  const input = quickInput(page).locator('input');
  if (!(await input.isVisible())) await page.keyboard.press('F1');
  await input.waitFor({ state: 'visible', timeout });
  await input.fill(`>${title}`);
  await pollUntil(async () => {
    if (!(await focusedRow(page).count())) return false;
    const label = (await focusedRow(page).first().getAttribute('aria-label')) ?? '';
    return label === title || label.startsWith(`${title},`) || label.startsWith(`${title} `);
  }, { timeout, what: `the palette to focus "${title}"` });
  await input.press('Enter');
}

/** Waits for a quick pick titled `title`, filters it by `text`, and accepts the row whose label includes `text`. */
export async function pick(page, title, text, { timeout = 10_000 } = {}) {
  const widget = quickInput(page);
  await pollUntil(async () => (await widget.isVisible()) && ((await widget.locator('.quick-input-title').textContent()) ?? '').includes(title), {
    timeout,
    what: `the quick pick "${title}"`,
  });
  const input = widget.locator('input');
  await input.fill(text);
  await pollUntil(async () => {
    if (!(await focusedRow(page).count())) return false;
    return ((await focusedRow(page).first().getAttribute('aria-label')) ?? '').includes(text);
  }, { timeout, what: `"${text}" in the quick pick "${title}"` });
  await input.press('Enter');
  // Done when this pick is gone: hidden, or the widget already shows the next prompt (a command that asks
  // twice reuses it at once, so waiting for "hidden" alone races with that prompt).
  await pollUntil(async () => !(await widget.isVisible()) || !(((await widget.locator('.quick-input-title').textContent()) ?? '').includes(title)), {
    timeout,
    what: `the quick pick "${title}" to close`,
  });
}

/** Opens the Plugin Runtime view container (activity bar) and returns the Plugins tree's rows. */
export async function openPluginsView(page, { timeout = 10_000 } = {}) {
  const rows = page.locator('.pane-body .monaco-list-row[aria-label]');
  const tab = page.locator('.activitybar .action-item a[aria-label^="Plugin Runtime"]').first();
  await tab.waitFor({ state: 'visible', timeout });
  if ((await tab.getAttribute('aria-expanded')) !== 'true' && !(await tab.evaluate((a) => a.closest('.action-item')?.classList.contains('checked')))) await tab.click();
  // With one view in the container, its header merges into the side bar's title: "PLUGIN RUNTIME: PLUGINS".
  await page.locator('.sidebar .title-label', { hasText: /plugin runtime/i }).first().waitFor({ state: 'visible', timeout });
  return rows;
}

/** The tree row of a plugin (by display name), once its aria-label matches `state` (a RegExp or string). */
export async function treeRow(page, displayName, state, { timeout = 15_000 } = {}) {
  const row = page.locator(`.pane-body .monaco-list-row[aria-label^="${displayName},"]`).first();
  await pollUntil(async () => {
    if (!(await row.count())) return false;
    const label = (await row.getAttribute('aria-label')) ?? '';
    return typeof state === 'string' ? label.includes(state) : state.test(label);
  }, { timeout, what: `the tree row "${displayName}" to show ${state}` });
  return row;
}

/** The approval webview's page (two nested iframes), once its heading is shown. */
export async function approvalPage(page, heading, { timeout = 15_000 } = {}) {
  const frame = webviewFrame(page);
  await frame.locator('h1', { hasText: heading }).waitFor({ state: 'visible', timeout });
  return frame;
}

/** A notification toast containing `text`. */
export async function toast(page, text, { timeout = 10_000 } = {}) {
  const t = page.locator('.notifications-toasts .notification-toast', { hasText: text }).first();
  await t.waitFor({ state: 'visible', timeout });
  return t;
}

/** Closes every notification toast, so later lookups see only new ones. */
export async function clearToasts(page) {
  const close = page.locator('.notifications-toasts .notification-toast .codicon-notifications-clear');
  for (let i = 0; i < 10 && (await close.count()) > 0; i++) await close.first().click().catch(() => {});
}

/** Installs a plugin as a person would: palette → Install Plugin… → pick → the webview's Approve button. */
export async function installThroughWebview(page, name, displayName) {
  await palette(page, 'Plugin Runtime: Install Plugin…');
  await pick(page, 'Install Plugin', name);
  const frame = await approvalPage(page, `Install ${displayName}?`);
  await frame.getByRole('button', { name: 'Approve and install' }).click();
  await toast(page, `${displayName} is installed and enabled`);
}

/** Focuses the active editor and selects all of it. */
export async function selectAll(page) {
  await page.locator('.editor-group-container.active .monaco-editor .view-lines').first().click();
  await page.keyboard.press('Control+A');
}
