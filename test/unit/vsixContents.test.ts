// Packaging: what `vsce` would put in the VSIX is exactly the runtime bundles, media, schema, typings and the
// Marketplace files (scripts/check-vsix.mjs's rules, applied to `vsce ls`); the rules catch sources, tests, maps
// and node_modules; package.json has the Marketplace fields and the files they point to exist.
import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { REPO_ROOT } from '../helpers/host';

const CHECK = path.join(REPO_ROOT, 'scripts', 'check-vsix.mjs');
const check = (args: string[], input = '') => {
  const r = spawnSync(process.execPath, [CHECK, ...args], { cwd: REPO_ROOT, input, encoding: 'utf8', timeout: 60_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
};

const SHIPPED = [
  'package.json', 'README.md', 'CHANGELOG.md', 'LICENSE', 'dist/extension.js', 'dist/sandbox.js', 'dist/worker.js', 'dist/webview.js', 'dist/cli.js',
  'media/icon.png', 'media/approval.css', 'schemas/plugin.schema.json', 'types/plugin-api.d.ts',
];

describe('VSIX contents', function () {
  this.timeout(60_000);

  it('vsce would package the runtime bundles, media, schema, typings and Marketplace files, and nothing else', () => {
    const r = check(['--ls']);
    assert.equal(r.code, 0, r.stdout + r.stderr);
    const files = r.stdout.trim().split('\n').slice(0, -1);
    for (const f of files) assert.match(f, /^(package\.json|README\.md|CHANGELOG\.md|LICENSE|dist\/[a-z]+\.js|media\/[^/]+|schemas\/plugin\.schema\.json|types\/plugin-api\.d\.ts)$/, f);
  });

  it('the rules refuse sources, tests, maps, node_modules, sample plugins, and a missing bundle', () => {
    const bad = [
      'src/extension.ts', 'test/unit/cli.test.ts', 'out/test/unit/cli.test.js', 'node_modules/zod/index.js', 'dist/extension.js.map',
      'sample-plugins/sort-lines/index.js', '.vscode-test/server/x', 'test/e2e/vsix.e2e.mjs', 'media/screenshots/x.ts',
    ];
    const r = check(['--stdin'], [...SHIPPED.filter((f) => f !== 'dist/worker.js'), ...bad].join('\n'));
    assert.equal(r.code, 1);
    const problems = r.stderr.trim().split('\n');
    assert.ok(problems.includes('check-vsix: missing: dist/worker.js'), r.stderr);
    for (const f of bad) assert.ok(problems.some((p) => p.startsWith(`check-vsix: must not ship: ${f} `)), f);
    assert.equal(check(['--stdin'], SHIPPED.join('\n')).code, 0);
    // Inside a VSIX vsce renames the Marketplace files; the rules accept those names.
    const renamed = SHIPPED.map((f) => ({ 'README.md': 'readme.md', 'CHANGELOG.md': 'changelog.md', LICENSE: 'LICENSE.txt' })[f] ?? f);
    assert.equal(check(['--stdin'], renamed.join('\n')).code, 0);
  });

  it('package.json has the Marketplace fields, and the files they name exist', () => {
    const pkg = JSON.parse(fs.readFileSync(path.join(REPO_ROOT, 'package.json'), 'utf8')) as Record<string, unknown> & {
      contributes: { jsonValidation: Array<{ fileMatch: string; url: string }> };
      scripts: Record<string, string>;
    };
    for (const k of ['displayName', 'description', 'publisher', 'version', 'license', 'icon', 'galleryBanner', 'repository', 'categories', 'keywords']) assert.ok(pkg[k], k);
    assert.equal(pkg['license'], 'MIT');
    assert.match(fs.readFileSync(path.join(REPO_ROOT, 'LICENSE'), 'utf8'), /^MIT License/);
    const allowed = ['Programming Languages', 'Snippets', 'Linters', 'Themes', 'Debuggers', 'Formatters', 'Keymaps', 'SCM Providers', 'Other', 'Extension Packs', 'Language Packs', 'Data Science', 'Machine Learning', 'Visualization', 'Notebooks', 'Education', 'Testing', 'AI', 'Chat'];
    for (const c of pkg['categories'] as string[]) assert.ok(allowed.includes(c), c);
    assert.ok((pkg['keywords'] as string[]).length <= 30);
    // The icon: a PNG (the Marketplace refuses SVG icons) of 128×128.
    const icon = fs.readFileSync(path.join(REPO_ROOT, pkg['icon'] as string));
    assert.equal(icon.subarray(1, 4).toString('latin1'), 'PNG');
    assert.deepEqual([icon.readUInt32BE(16), icon.readUInt32BE(20)], [128, 128]);
    assert.deepEqual(pkg.contributes.jsonValidation, [{ fileMatch: 'plugin.json', url: './schemas/plugin.schema.json' }]);
    assert.ok(fs.existsSync(path.join(REPO_ROOT, 'schemas', 'plugin.schema.json')));
    assert.match(pkg.scripts['package']!, /vsce package --no-dependencies .* && node scripts\/check-vsix\.mjs /);
  });

  it('a built VSIX, when there is one, passes the same check', function () {
    const vsix = path.join(REPO_ROOT, 'dist', 'plugin-runtime.vsix');
    if (!fs.existsSync(vsix)) this.skip(); // npm run package builds it; npm test does not
    const r = check([vsix]);
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.match(r.stdout, /check-vsix: ok/);
  });
});
