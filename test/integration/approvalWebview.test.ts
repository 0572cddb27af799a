// The permission approval webview: the page is built safely (CSP with a nonce, every plugin text escaped),
// forged or malformed messages approve nothing, and closing the real panel is a denial.
import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';
import type { LoadedPlugin } from '../../src/core/manifest';
import type { TestApi } from '../../src/extension';
import { interpretMessage, renderApprovalPage } from '../../src/vscode/approvalPanel';
import { SAMPLES_DIR, closeAllEditors, extensionApi, usePluginFolders, waitFor } from './helpers';

const FINGERPRINT = 'a'.repeat(64);
const REVIEW_ID = '0123456789abcdef0123456789abcdef';

function fakePlugin(overrides: Partial<LoadedPlugin['manifest']> = {}): LoadedPlugin {
  return {
    dir: '/plugins/demo',
    manifest: {
      name: 'demo',
      displayName: 'Demo',
      version: '1.0.0',
      description: 'A demo.',
      publisher: 'tests',
      apiVersion: 1,
      main: 'index.js',
      hooks: ['transform'],
      permissions: ['read:data', 'write:data'],
      ...overrides,
    },
    manifestText: '{}',
    mainPath: '/plugins/demo/index.js',
    source: '',
    fingerprint: FINGERPRINT,
  };
}

describe('approval webview', function () {
  const review = { reviewId: REVIEW_ID, plugin: fakePlugin() };
  const approve = (extra: Record<string, unknown> = {}) => ({ type: 'approve', reviewId: REVIEW_ID, fingerprint: FINGERPRINT, permissions: ['read:data', 'write:data'], ...extra });

  it('accepts an approval of the files shown, with the permissions ticked', () => {
    const m = interpretMessage(approve({ permissions: ['write:data', 'log'] }), review);
    assert.deepEqual(m, { kind: 'decision', decision: { approve: true, permissions: ['write:data'], fingerprint: FINGERPRINT } });
    assert.deepEqual(interpretMessage({ type: 'deny', reviewId: REVIEW_ID }, review), { kind: 'decision', decision: { approve: false, why: 'denied' } });
  });

  it('approves nothing on a forged or malformed message', () => {
    const forged: unknown[] = [
      undefined,
      null,
      'approve',
      [approve()],
      { type: 'approve' },
      approve({ reviewId: 'f'.repeat(32) }), // another panel's review
      approve({ fingerprint: 'b'.repeat(64) }), // files other than the ones shown
      approve({ permissions: ['read:data', 'network'] }), // unknown permission
      approve({ permissions: ['read:data', 'read:data'] }),
      approve({ approve: true, extra: 1 }), // unknown fields
      approve({ permissions: 'read:data' }),
      { type: 'install', reviewId: REVIEW_ID },
      { type: 'APPROVE', reviewId: REVIEW_ID, fingerprint: FINGERPRINT, permissions: [] },
      { __proto__: { type: 'approve' }, reviewId: REVIEW_ID, fingerprint: FINGERPRINT, permissions: [] },
    ];
    for (const raw of forged) {
      const m = interpretMessage(raw, review);
      assert.equal(m.kind, 'rejected', `accepted ${JSON.stringify(raw)}`);
    }
    // A permission the plugin does not ask for is refused whole, not trimmed.
    const narrow = { reviewId: REVIEW_ID, plugin: fakePlugin({ permissions: ['read:data'] }) };
    assert.equal(interpretMessage(approve(), narrow).kind, 'rejected');
  });

  it('renders a page with a strict CSP, a nonce on its one script, and every plugin text escaped', () => {
    const evil = fakePlugin({ displayName: '<img src=x onerror=alert(1)>', description: '"><script>alert(2)</script>', publisher: "O'Brien & co" });
    const html = renderApprovalPage({ kind: 'install', plugin: evil }, { reviewId: REVIEW_ID, nonce: 'bm9uY2U=', cspSource: 'https://x.vscode-cdn.net', scriptUri: 'https://x/dist/webview.js', styleUri: 'https://x/media/approval.css' });
    assert.match(html, /<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src https:\/\/x\.vscode-cdn\.net; img-src https:\/\/x\.vscode-cdn\.net; script-src 'nonce-bm9uY2U=';">/);
    assert.equal((html.match(/<script/g) ?? []).length, 1);
    assert.match(html, /<script nonce="bm9uY2U=" src="https:\/\/x\/dist\/webview\.js"><\/script>/);
    assert.ok(!html.includes('<img src=x'));
    assert.ok(!html.includes('<script>alert'));
    assert.ok(html.includes('&#60;img src=x onerror=alert(1)&#62;'));
    assert.ok(html.includes('O&#39;Brien &#38; co'));
    // Every permission with what it allows and its risk; log always granted.
    for (const text of ['Read its own stored data', 'Store data', 'Medium risk', 'always granted']) assert.ok(html.includes(text), text);
  });

  it('shows what changed on re-approval', () => {
    const html = renderApprovalPage(
      {
        kind: 'reapprove',
        plugin: fakePlugin(),
        granted: ['read:data'],
        diff: { plugin: 'demo', addedPermissions: ['write:data'], removedPermissions: [], filesChanged: true, changedFiles: ['plugin.json'], approvedVersion: '0.9.0', currentVersion: '1.0.0', summary: ['now also asks for write:data', 'its files changed since you approved it (plugin.json)'] },
      },
      { reviewId: REVIEW_ID, nonce: 'n', cspSource: 'c', scriptUri: 's', styleUri: 't' },
    );
    assert.match(html, /What changed since you approved version 0\.9\.0/);
    assert.match(html, /now also asks for write:data/);
    assert.match(html, /new since your last approval/);
  });

  describe('the real panel', function () {
    let api: TestApi;

    before(async () => {
      api = await extensionApi();
      await usePluginFolders(api, [SAMPLES_DIR]);
    });

    after(async () => {
      await closeAllEditors();
      await usePluginFolders(api, []);
    });

    it('opens on install, and closing it denies: nothing is installed', async () => {
      const pending = vscode.commands.executeCommand('pluginRuntime.installPlugin', { plugin: 'word-stats' }) as Thenable<{ ok: boolean; reason?: string }>;
      await waitFor(() => api.openReviews().includes('word-stats'), 'the approval panel to open');
      const tab = await waitFor(
        () => vscode.window.tabGroups.all.flatMap((g) => g.tabs).find((t) => t.input instanceof vscode.TabInputWebview && t.input.viewType.includes('pluginRuntime.approval')),
        'the approval tab',
      );
      assert.equal(tab.label, 'Install Word Stats');
      assert.equal(api.registry.stateOf('word-stats'), 'AVAILABLE', 'installed before the approval');
      await vscode.window.tabGroups.close(tab);
      const result = await pending;
      assert.equal(result.ok, false);
      assert.equal(result.reason, 'denied');
      assert.equal(api.registry.stateOf('word-stats'), 'AVAILABLE');
      assert.deepEqual(api.openReviews(), []);
    });
  });
});
