// A new plugin author's path through the real UI: New Plugin… in the palette (folder pick, name box) scaffolds and
// opens index.js; the notification's Install leads to the approval webview; the scaffolded plugin transforms a
// selection; Preview Transform… shows a diff and Apply changes the text; and plugin.json is checked against the
// contributed JSON Schema as it is edited (errors in the Problems panel, the skeleton in completion).
import assert from 'node:assert/strict';
import { approvalPage, clearToasts, openPluginsView, palette, pick, selectAll, toast, treeRow } from './ui.mjs';

const SETTINGS = { 'pluginRuntime.pluginFolders': ['${workspaceFolder}/plugins'] };

export const tests = {
  async 'New Plugin… → Install → Transform Selection, then Preview Transform… → Apply'({ open, helpers }) {
    const { page } = await open({ settings: SETTINGS, files: { 'plugins/.keep': '', 'notes.txt': 'one\ntwo\nthree\n' } });
    await openPluginsView(page);

    await palette(page, 'Plugin Runtime: New Plugin…');
    await pick(page, 'New Plugin', 'plugins');
    const input = page.locator('.quick-input-widget input');
    await input.waitFor({ state: 'visible' });
    await input.fill('flip-lines');
    await input.press('Enter');
    const tab = page.locator('.editor-group-container.active .tabs-container .tab.active');
    await helpers.pollUntil(async () => ((await tab.getAttribute('aria-label').catch(() => '')) ?? '').includes('index.js'), { timeout: 15_000, what: 'index.js to open' });
    assert.match(await helpers.editorText(page), /@type \{import\('\.\/plugin-api'\)\.Plugin\}/);
    await treeRow(page, 'Flip Lines', 'AVAILABLE');

    const created = await toast(page, 'Created flip-lines');
    await created.getByRole('button', { name: 'Install' }).click();
    const frame = await approvalPage(page, 'Install Flip Lines?');
    await frame.getByRole('button', { name: 'Approve and install' }).click();
    await toast(page, 'Flip Lines is installed and enabled');
    await treeRow(page, 'Flip Lines', 'ENABLED');

    await helpers.openFile(page, 'notes.txt');
    await selectAll(page);
    await palette(page, 'Plugin Runtime: Transform Selection with Plugin…');
    await pick(page, 'Transform Selection with Plugin', 'Flip Lines');
    await helpers.pollUntil(async () => (await helpers.editorText(page)).startsWith('three\ntwo\none'), { timeout: 10_000, what: 'the scaffolded plugin to reverse the lines' });

    // Preview: a diff opens, the text is unchanged until Apply.
    await clearToasts(page);
    await selectAll(page);
    await palette(page, 'Plugin Runtime: Preview Transform…');
    await pick(page, 'Preview Transform', 'Flip Lines');
    await page.locator('.monaco-diff-editor').first().waitFor({ state: 'visible', timeout: 10_000 });
    const offer = await toast(page, 'Preview of Flip Lines on notes.txt');
    await helpers.openFile(page, 'notes.txt');
    assert.ok((await helpers.editorText(page)).startsWith('three\ntwo\none'), 'the preview changed the document');
    await offer.getByRole('button', { name: 'Apply' }).click();
    await helpers.pollUntil(async () => (await helpers.editorText(page)).startsWith('one\ntwo\nthree'), { timeout: 10_000, what: 'Apply to change the text' });
  },

  async 'plugin.json is validated against the contributed schema: errors in Problems, a skeleton in completion'({ open, helpers }) {
    const bad = JSON.stringify({ name: 'Bad Name', displayName: 'Bad', version: '1.0', description: 'd', publisher: 'p', apiVersion: 2, main: '../escape.js', hooks: ['transform'], permissions: ['net'] }, null, 2);
    const { page } = await open({ files: { 'bad/plugin.json': bad } });
    await helpers.openFile(page, 'plugin.json');
    await helpers.runCommand(page, 'View: Focus Problems (Errors, Warnings, Infos)');
    const problems = page.locator('.markers-panel .monaco-list-row');
    await helpers.pollUntil(async () => (await problems.count()) >= 5, { timeout: 20_000, what: 'the schema problems of bad/plugin.json' });
    const text = (await problems.allInnerTexts()).join('\n');
    assert.match(text, /Valid values: "log", "read:data", "write:data"|"log", "read:data", "write:data"/, text);
    assert.match(text, /String does not match the pattern/, text);

    // Emptied, plugin.json gets the "New plugin" skeleton from the schema in completion.
    await helpers.openFile(page, 'plugin.json');
    await selectAll(page);
    await page.keyboard.press('Delete');
    await page.keyboard.press('Control+Space');
    const suggest = page.locator('.suggest-widget .monaco-list-row', { hasText: 'New plugin' });
    await suggest.first().waitFor({ state: 'visible', timeout: 15_000 });
    await page.keyboard.press('Enter');
    await helpers.pollUntil(async () => /"apiVersion": 1/.test(await helpers.editorText(page)), { timeout: 10_000, what: 'the skeleton to be inserted' });
  },
};
