// The integration suite (test/integration) in desktop VS Code through @vscode/test-electron, for a
// desktop with internet: test-electron downloads VS Code from Microsoft's update servers, which this
// project's machines and CI cannot reach, so CI runs the same suite with scripts/test-integration.mjs
// (the VS Code server + headless Chromium) instead. Not part of `npm test`.
//
//   npm run build && node scripts/test-electron.mjs [--version 1.100.3|stable|insiders] [--grep PATTERN]
//
// On Linux without a display, run it under xvfb-run. The download is cached in .vscode-test/.
// test-electron starts VS Code with --disable-workspace-trust, like the server runner.
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { runTests } from '@vscode/test-electron';
import { repoRoot } from './vscode-host.mjs';

const { values: opts } = parseArgs({
  options: {
    version: { type: 'string', default: '1.100.3' }, // the VS Code of scripts/install-vscode-server.sh
    grep: { type: 'string' },
  },
});

const extensionTestsPath = join(repoRoot, 'out', 'test', 'integration', 'index.js');
if (!existsSync(extensionTestsPath) || !existsSync(join(repoRoot, 'dist', 'extension.js'))) {
  console.error('the build is missing: run `npm run build` first');
  process.exit(1);
}

const scratch = mkdtempSync(join(tmpdir(), 'plugin-runtime-electron-'));
const workspace = join(scratch, 'workspace');
const resultsFile = join(scratch, 'results.json');
mkdirSync(workspace);

let exitCode = 1;
try {
  exitCode = await runTests({
    version: opts.version,
    extensionDevelopmentPath: repoRoot,
    extensionTestsPath,
    // The folder to open; other installed extensions stay off.
    launchArgs: [workspace, '--disable-extensions'],
    extensionTestsEnv: {
      PLUGIN_RUNTIME_TEST_RESULTS: resultsFile,
      ...(opts.grep ? { PLUGIN_RUNTIME_TEST_GREP: opts.grep } : {}),
    },
  });
} catch (e) {
  console.error(`✗ ${e?.message ?? e}`);
}

let passed = 0;
let failed = exitCode === 0 ? 0 : 1;
if (existsSync(resultsFile)) {
  const results = JSON.parse(readFileSync(resultsFile, 'utf8'));
  passed = results.passes;
  failed = results.failures;
  if (exitCode !== 0 && failed === 0) failed = 1; // VS Code failed after the suite reported
}
rmSync(scratch, { recursive: true, force: true });
console.log(`${passed} passed, ${failed} failed`);
process.exit(exitCode === 0 && failed === 0 && passed > 0 ? 0 : 1);
