// Checks a built VSIX: every file the extension needs at run time is in it, and nothing else — no sources,
// tests, source maps, node_modules or editor caches. Prints the file list and sizes; exits 1 on a problem.
//   node scripts/check-vsix.mjs dist/plugin-runtime.vsix   check a built VSIX
//   node scripts/check-vsix.mjs --ls                         check what `vsce ls` would package (no build)
//   node scripts/check-vsix.mjs --stdin                      check a list of paths, one a line (tests)
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import * as zlib from 'node:zlib';

/**
 * Files (relative to the extension root) the installed extension cannot work without. vsce renames the
 * Marketplace files inside the VSIX (readme.md, changelog.md, LICENSE.txt), so those match either way.
 */
export const REQUIRED = [
  'package.json',
  /^readme\.md$/i,
  /^changelog\.md$/i,
  /^LICENSE(\.txt)?$/,
  'dist/extension.js',
  'dist/sandbox.js',
  'dist/worker.js',
  'dist/webview.js',
  'dist/cli.js',
  'media/icon.png',
  'schemas/plugin.schema.json',
  'types/plugin-api.d.ts',
];

/** [pattern, why] for files that must never ship. */
export const FORBIDDEN = [
  [/^src\//, 'source (the bundles in dist/ are what runs)'],
  [/^test\//, 'tests'],
  [/^out\//, 'compiled tests'],
  [/(^|\/)node_modules\//, 'node_modules (dependencies are bundled)'],
  [/^\.vscode-test\//, 'the test VS Code'],
  [/^\.vscode\//, 'workspace settings'],
  [/^sample-plugins\//, 'sample plugins (left out deliberately; see .vscodeignore)'],
  [/^bench\//, 'benchmarks'],
  [/\.map$/, 'source maps'],
  [/\.vsix$/, 'a VSIX inside the VSIX'],
  [/(^|\/)\.(git|tmp|ci)(\/|$)/, 'repository internals'],
  [/(?<!\.d)\.ts$/, 'TypeScript source'],
  [/\.test\.(js|mjs)$|\.e2e\.mjs$/, 'tests'],
];

/** Problems with a list of extension-relative paths; empty when it is exactly what should ship. */
export function checkFiles(files) {
  const problems = [];
  for (const r of REQUIRED) {
    if (!files.some((f) => (typeof r === 'string' ? f === r : r.test(f)))) problems.push(`missing: ${typeof r === 'string' ? r : r.source}`);
  }
  for (const f of files) {
    const hit = FORBIDDEN.find(([re]) => re.test(f));
    if (hit) problems.push(`must not ship: ${f} (${hit[1]})`);
  }
  return problems;
}

/** The entries of a zip file, read from its central directory (a VSIX is a zip). */
export function zipEntries(buffer) {
  // End of central directory: signature 0x06054b50, within the last 64 KB + 22 bytes.
  let eocd = -1;
  for (let i = buffer.length - 22; i >= Math.max(0, buffer.length - 65_557); i--) {
    if (buffer.readUInt32LE(i) === 0x06054b50) {
      eocd = i;
      break;
    }
  }
  if (eocd < 0) throw new Error('not a zip file (no end of central directory)');
  const count = buffer.readUInt16LE(eocd + 10);
  let p = buffer.readUInt32LE(eocd + 16);
  const entries = [];
  for (let n = 0; n < count; n++) {
    if (buffer.readUInt32LE(p) !== 0x02014b50) throw new Error('corrupt central directory');
    const method = buffer.readUInt16LE(p + 10);
    const compressedSize = buffer.readUInt32LE(p + 20);
    const size = buffer.readUInt32LE(p + 24);
    const nameLength = buffer.readUInt16LE(p + 28);
    const extraLength = buffer.readUInt16LE(p + 30);
    const commentLength = buffer.readUInt16LE(p + 32);
    const localHeader = buffer.readUInt32LE(p + 42);
    const name = buffer.toString('utf8', p + 46, p + 46 + nameLength);
    entries.push({ name, size, compressedSize, method, localHeader });
    p += 46 + nameLength + extraLength + commentLength;
  }
  return entries;
}

/** One entry's bytes (stored or deflated). */
export function readEntry(buffer, entry) {
  const h = entry.localHeader;
  const start = h + 30 + buffer.readUInt16LE(h + 26) + buffer.readUInt16LE(h + 28);
  const data = buffer.subarray(start, start + entry.compressedSize);
  return entry.method === 8 ? zlib.inflateRawSync(data) : Buffer.from(data);
}

function kb(n) {
  return `${(n / 1024).toFixed(1)} KB`;
}

function checkList(files) {
  const problems = checkFiles(files);
  for (const f of files) console.log(f);
  if (problems.length > 0) {
    for (const p of problems) console.error(`check-vsix: ${p}`);
    process.exit(1);
  }
  console.log(`check-vsix: ok (${files.length} files)`);
}

function main() {
  if (process.argv[2] === '--stdin') {
    checkList(fs.readFileSync(0, 'utf8').split(/\r?\n/).filter(Boolean));
    return;
  }
  if (process.argv[2] === '--ls') {
    const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
    const vsce = path.join(root, 'node_modules', '@vscode', 'vsce', 'vsce');
    const r = spawnSync(process.execPath, [vsce, 'ls', '--no-dependencies'], { cwd: root, encoding: 'utf8' });
    if (r.status !== 0) {
      console.error(r.stderr);
      process.exit(1);
    }
    checkList(r.stdout.split(/\r?\n/).filter(Boolean));
    return;
  }
  const file = process.argv[2] ?? 'dist/plugin-runtime.vsix';
  const buffer = fs.readFileSync(file);
  const entries = zipEntries(buffer);
  // vsce puts the extension under extension/ beside its own [Content_Types].xml and extension.vsixmanifest.
  const files = entries.filter((e) => e.name.startsWith('extension/') && !e.name.endsWith('/')).map((e) => ({ ...e, rel: e.name.slice('extension/'.length) }));
  const others = entries.filter((e) => !e.name.startsWith('extension/')).map((e) => e.name);
  const problems = checkFiles(files.map((f) => f.rel));
  const unexpectedTop = others.filter((n) => n !== '[Content_Types].xml' && n !== 'extension.vsixmanifest');
  for (const n of unexpectedTop) problems.push(`unexpected entry outside extension/: ${n}`);

  const manifest = JSON.parse(readEntry(buffer, files.find((f) => f.rel === 'package.json')).toString('utf8'));
  for (const f of files) console.log(`${kb(f.size).padStart(10)}  ${f.rel}`);
  const total = files.reduce((s, f) => s + f.size, 0);
  console.log(`${files.length} files, ${kb(total)} unpacked; ${path.basename(file)} is ${kb(buffer.length)} (${manifest.publisher}.${manifest.name} ${manifest.version})`);
  if (problems.length > 0) {
    for (const p of problems) console.error(`check-vsix: ${p}`);
    process.exit(1);
  }
  console.log('check-vsix: ok');
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) main();
