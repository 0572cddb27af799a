// End-to-end smoke test of the harness: a window with the extension under development loads, the
// command palette driver runs a built-in command that edits a file, and both answers to the workspace
// trust prompt work.
import assert from 'node:assert/strict';

export const tests = {
  async 'opens a trusted window and runs a palette command on a file'({ open, helpers }) {
    const { page } = await open({ trust: true, files: { 'fruit.txt': 'pear\napple\nfig' } });
    // The payload's extensionDevelopmentPath took effect: this is an Extension Development Host window.
    assert.match(await page.title(), /Extension Development Host/);
    await helpers.openFile(page, 'fruit.txt');
    assert.equal(await helpers.editorText(page), 'pear\napple\nfig');
    // No selection: the built-in command sorts every line of the document.
    await helpers.runCommand(page, 'Sort Lines Ascending');
    await helpers.pollUntil(async () => (await helpers.editorText(page)) === 'apple\nfig\npear', {
      timeout: 10_000,
      what: 'the lines to be sorted',
    });
  },

  async 'opens an untrusted window in Restricted Mode'({ open }) {
    const { page } = await open({ trust: false });
    await page.locator('.statusbar-item', { hasText: 'Restricted Mode' }).first().waitFor({ state: 'visible', timeout: 15_000 });
  },
};
